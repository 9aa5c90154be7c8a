"""Whole-process start-up of the CLI: ``mlip --help`` (target: median <= 0.3 s).

Compared in the same run against ``python -c pass`` (the interpreter's own start-up) as the
baseline, reported as a ratio. Usage: ``python benchmarks/bench_cli.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

MLIP = str(Path(sys.executable).with_name("mlip"))


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    baseline = median_seconds([sys.executable, "-c", "pass"], args.runs)
    help_time = median_seconds([MLIP, "--help"], args.runs)
    print(f"python -c pass   median {baseline:.3f} s")
    print(f"mlip --help      median {help_time:.3f} s  (target <= 0.300 s)")
    print(f"ratio mlip --help / python start-up: {help_time / baseline:.1f}x")


if __name__ == "__main__":
    main()
