"""Wall time of `mlip check` on each requirements assignment: fresh release and solved project.

Run: `.venv/bin/python benchmarks/bench_check_requirements.py` (from the repository root).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MLIP = Path(sys.executable).parent / "mlip"


def _timed_check(project: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run([str(MLIP), "check", str(project)], capture_output=True, check=False)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    """Print one line per assignment and state."""
    for system in ("toaster", "tax", "transcription"):
        with tempfile.TemporaryDirectory() as scratch:
            project = Path(scratch) / "project"
            subprocess.run(
                [str(MLIP), "new", "requirements", "--system", system, "--dir", str(project)],
                capture_output=True,
                check=True,
            )
            seconds, code = _timed_check(project)
            print(f"requirements-{system:13} fresh   {seconds:6.1f} s  exit {code}")
            source = ROOT / "assignments" / f"requirements-{system}" / "requirements.ipynb"
            shutil.copy(source, project / "requirements.ipynb")
            seconds, code = _timed_check(project)
            print(f"requirements-{system:13} solved  {seconds:6.1f} s  exit {code}")


if __name__ == "__main__":
    main()
