"""The judge's result store: one JSON file per graded notebook, written atomically.

A result is written to a temporary file in the same folder, flushed to disk and renamed over the
final name, so a grading run killed at any moment leaves either the old result or the new one,
never half a file. Each result carries the SHA-256 of the submitted notebook it belongs to, so a
resubmission is never graded with a stale result.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["fingerprint", "read_json", "result_path", "write_json_atomic"]


def fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes (``"missing"`` if it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` via temp file + fsync + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=1, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any | None:
    """The JSON in ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def result_path(results: Path, assignment: str, student: str, notebook: str) -> Path:
    """Where the judge's result for one notebook of one student lives."""
    return results / assignment / student / f"{notebook}.json"
