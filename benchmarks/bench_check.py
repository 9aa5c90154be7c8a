"""Wall time of ``mlip check`` on each fresh release and each solved guards project.

Run: ``python benchmarks/bench_check.py``. Prints one line per project (target: <= 15 s each).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MLIP = [sys.executable, "-m", "mlip"]


def main() -> None:
    from mlip.assignments import ASSIGNMENTS

    with tempfile.TemporaryDirectory(prefix="mlip-bench-") as scratch:
        for assignment in ASSIGNMENTS:
            folder = Path(scratch) / assignment.id
            subprocess.run(
                [
                    *MLIP,
                    "new",
                    assignment.topic,
                    "--system",
                    assignment.system,
                    "--dir",
                    str(folder),
                ],
                check=True,
                capture_output=True,
            )
            for label in ("fresh release", "solution"):
                if label == "solution":
                    for name in assignment.notebooks:
                        shutil.copyfile(ROOT / "assignments" / assignment.id / name, folder / name)
                start = time.perf_counter()
                done = subprocess.run(
                    [*MLIP, "check", str(folder), "--json"], capture_output=True, check=False
                )
                seconds = time.perf_counter() - start
                print(f"{assignment.id:24} {label:14} exit {done.returncode}  {seconds:6.1f} s")


if __name__ == "__main__":
    main()
