"""Measure the CPU time of every public check on its reference solution; optionally store it.

``mlip check`` gives each public check a CPU-time budget of ``BUDGET_FACTOR`` times what it took
here (see ``mlip/services/check.py``). Each assignment's solution notebook is checked ``--repeat``
times with budgets far above any real need; the largest CPU time per check is kept, rounded up.

    python benchmarks/measure_check_budgets.py            # print the measurements
    python benchmarks/measure_check_budgets.py --write    # and rewrite mlip/checks/_budgets.py
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = ROOT / "mlip" / "checks" / "_budgets.py"
HEADER = '''"""CPU seconds each public check took on its reference solution (written by a script).

Regenerate with ``python benchmarks/measure_check_budgets.py --write`` after changing a check or a
system; ``mlip.services.check`` turns these into per-check budgets.
Measured on {machine}.
"""

from __future__ import annotations

'''


def measure(assignment_id: str, repeat: int) -> tuple[dict[str, float], float, list[float]]:
    """Largest CPU seconds per check and of any cell over ``repeat`` runs; each run's wall s."""
    from mlip.assignments import get_assignment
    from mlip.services.check import check_project
    from mlip.services.scaffold import new_project

    assignment = get_assignment(assignment_id)
    cpu: dict[str, float] = {}
    slowest_cell = 0.0
    walls: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(new_project(topic=assignment_id, directory=Path(scratch) / "p").directory)
        for name in assignment.notebooks:
            shutil.copyfile(ROOT / "assignments" / assignment_id / name, folder / name)
        for _ in range(repeat):
            started = time.perf_counter()
            report = check_project(directory=folder, timeout=3600)
            walls.append(time.perf_counter() - started)
            if not report.passed:
                failing = [o.result.check for o in report.outcomes if not o.result.passed]
                raise SystemExit(f"{assignment_id}: the reference solution fails {failing}")
            slowest_cell = max(slowest_cell, *report.cell_cpu_seconds)
            for outcome in report.outcomes:
                if outcome.cpu_seconds is not None:
                    name = outcome.result.check
                    cpu[name] = max(cpu.get(name, 0.0), outcome.cpu_seconds)
    return cpu, slowest_cell, walls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="rewrite mlip/checks/_budgets.py")
    parser.add_argument("--machine", default=f"{os.cpu_count()} CPUs", help="for the header")
    parser.add_argument("assignments", nargs="*", help="default: every assignment")
    args = parser.parse_args()
    from mlip.assignments import assignment_ids

    measured: dict[str, dict[str, float]] = {}
    cells: dict[str, float] = {}
    for assignment_id in args.assignments or assignment_ids():
        cpu, slowest_cell, walls = measure(assignment_id, args.repeat)
        measured[assignment_id] = {name: math.ceil(value * 10) / 10 for name, value in cpu.items()}
        cells[assignment_id] = math.ceil(slowest_cell * 10) / 10
        shown = ", ".join(f"{name} {value:.1f}" for name, value in sorted(cpu.items()))
        print(
            f"{assignment_id}: wall {min(walls):.1f}-{max(walls):.1f} s; slowest cell "
            f"{slowest_cell:.1f} CPU s; CPU s per check: {shown}",
            flush=True,
        )
    if args.write:
        lines = [HEADER.format(machine=args.machine)]
        lines.append("#: Per assignment, per public check.\n")
        lines.append("MEASURED_CPU_SECONDS: dict[str, dict[str, float]] = {\n")
        for assignment_id, checks in sorted(measured.items()):
            lines.append(f"    {assignment_id!r}: {{\n")
            lines += [f"        {name!r}: {value},\n" for name, value in sorted(checks.items())]
            lines.append("    },\n")
        lines.append("}\n\n")
        lines.append("#: Per assignment, the slowest code cell of the reference solution.\n")
        lines.append("MEASURED_CELL_CPU_SECONDS: dict[str, float] = {\n")
        lines += [f"    {key!r}: {value},\n" for key, value in sorted(cells.items())]
        lines.append("}\n")
        BUDGETS.write_text("".join(lines).replace("'", '"'), encoding="utf-8")
        print(f"wrote {BUDGETS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
