"""Wall time of the toaster system: a default run, the same run through the CLI, and training.

Run with ``python benchmarks/bench_toaster.py`` (add ``--skip-train`` to leave training out).
Prints figures; asserts nothing (timings depend on the machine).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlip.systems.toaster import ToasterSystem


def _timed(label: str, action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"{label:<52} {seconds:7.2f} s")
    return seconds


def main() -> None:
    system = ToasterSystem()
    system.load_model()  # warm imports so the in-process figure is the simulation alone
    _timed("run(n=10000, seed=0) in process", lambda: system.run(n=10_000, seed=0))
    mlip = shutil.which("mlip") or str(Path(sys.executable).with_name("mlip"))
    if Path(mlip).exists():
        command = [mlip, "systems", "run", "toaster", "--n", "10000", "--json"]
        _timed(
            "mlip systems run toaster --n 10000 --json (process)",
            lambda: subprocess.run(command, check=True, capture_output=True),
        )
    else:
        print("mlip command not found; skipped the whole-process figure")
    if "--skip-train" not in sys.argv:
        with tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / "toaster_model.npz"
            _timed("train(seed=0, quick=True)", lambda: system.train(quick=True, checkpoint=target))
            _timed("train(seed=0)", lambda: system.train(checkpoint=target))


if __name__ == "__main__":
    main()
