"""Wall time of ``mlip check`` on each monitoring assignment, fresh and solved.

Run: ``python benchmarks/bench_check_monitoring.py``. Prints one line per project (target:
<= 15 s each), plus the machine's load average, since other work on the machine slows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MLIP = [sys.executable, "-m", "mlip"]
IDS = ("monitoring-toaster", "monitoring-tax", "monitoring-transcription")


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="mlip-bench-monitoring-") as scratch:
        for assignment_id in IDS:
            system = assignment_id.split("-", 1)[1]
            folder = Path(scratch) / assignment_id
            subprocess.run(
                [*MLIP, "new", "monitoring", "--system", system, "--dir", str(folder)],
                check=True,
                capture_output=True,
            )
            for label in ("fresh release", "solution"):
                if label == "solution":
                    shutil.copyfile(
                        ROOT / "assignments" / assignment_id / "monitoring.ipynb",
                        folder / "monitoring.ipynb",
                    )
                start = time.perf_counter()
                done = subprocess.run(
                    [*MLIP, "check", str(folder), "--json"], capture_output=True, check=False
                )
                seconds = time.perf_counter() - start
                print(f"{assignment_id:26} {label:14} exit {done.returncode}  {seconds:6.1f} s")


if __name__ == "__main__":
    main()
