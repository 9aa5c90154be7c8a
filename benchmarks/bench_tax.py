"""Speed of the tax system: a 10,000-user season and full training (targets: <= 5 s, <= 60 s).

Prints the median wall time of ``mlip systems run tax --n 10000`` as a whole process (if the
``mlip`` command is installed), the in-process time of ``run`` with and without telemetry, and
the wall time of full and quick training (written to a temporary file, never the committed
checkpoint). Usage: ``python benchmarks/bench_tax.py [--runs N] [--skip-train]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mlip.systems.tax import TaxSystem

MLIP = Path(sys.executable).with_name("mlip")


def median_seconds(work: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-train", action="store_true")
    args = parser.parse_args()
    system = TaxSystem()

    if MLIP.exists():
        argv = [str(MLIP), "systems", "run", "tax", "--n", "10000", "--json"]
        whole = median_seconds(
            lambda: subprocess.run(argv, check=True, capture_output=True), args.runs
        )
        print(f"mlip systems run tax --n 10000   median {whole:.2f} s  (target <= 5 s)")

    model = system.load_model()
    plain = median_seconds(lambda: system.run(n=10_000, seed=0, model=model), args.runs)
    print(f"run(n=10000) in process           median {plain:.2f} s")
    events: list[dict[str, Any]] = []
    with_telemetry = median_seconds(
        lambda: system.run(n=10_000, seed=0, model=model, telemetry=events.append), args.runs
    )
    print(f"run(n=10000) with telemetry       median {with_telemetry:.2f} s")

    if args.skip_train:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for quick in (True, False):
            start = time.perf_counter()
            report = system.train(seed=0, quick=quick, checkpoint=Path(tmp) / "model.json")
            seconds = time.perf_counter() - start
            label = "train(quick=True)" if quick else "train()           "
            target = "(target < 20 s)" if quick else "(target <= 60 s)"
            print(
                f"{label}                 {seconds:.2f} s  {target}  "
                f"n_train={report.n_train} held-out auc={report.metrics['auc']:.3f}"
            )


if __name__ == "__main__":
    main()
