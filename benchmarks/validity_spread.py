"""Hidden-score spread over secrets for the reference and every validity case.

Usage: ``python benchmarks/validity_spread.py [ASSIGNMENT ...] [--secrets 20]``. For each
assignment (default: every one with cases under ``tests/validity/``) it prints, per solution, the
public score and the hidden score's min / mean / max / standard deviation over the secrets, and
on how many secrets the hidden score was below full marks. Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "validity"))

from validity_cases import (  # noqa: E402
    case_paths,
    functions,
    hidden_scores,
    load_case,
    public_scores,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--secrets", type=int, default=20)
    parser.add_argument(
        "--only", default="", help="comma-separated parts of names: run only matching cases"
    )
    args = parser.parse_args()
    assignments = args.assignments or sorted({path.parent.name for path in case_paths()})
    secrets = [f"spread-{index}" for index in range(args.secrets)]
    for assignment in assignments:
        cases = [("reference", {"cells": {}, "expect": "full"})]
        cases += [(path.stem, load_case(path)) for path in case_paths(assignment)]
        print(f"\n{assignment} ({len(secrets)} secrets)")
        header = f"{'solution':38} {'expect':6} {'public':>11} {'hidden min/mean/max':>22}"
        print(f"{header} {'sd':>5} lost")
        for name, case in cases:
            if args.only and not any(part in name for part in args.only.split(",")):
                continue
            namespace = functions(assignment, case["cells"])
            public = public_scores(assignment, namespace)
            earned = sum(r.points for r in public.values())
            possible = sum(r.max_points for r in public.values())
            hidden = []
            for secret in secrets:
                results = hidden_scores(assignment, namespace, secret)
                hidden.append(
                    (
                        sum(r.points for r in results.values()),
                        sum(r.max_points for r in results.values()),
                    )
                )
            points = [earned_h for earned_h, _ in hidden]
            top = hidden[0][1]
            lost = sum(1 for value in points if value < top - 1e-9)
            spread = statistics.pstdev(points)
            print(
                f"{name:38} {case['expect']:6} {earned:5.1f}/{possible:<5.1f} "
                f"{min(points):6.2f}/{statistics.mean(points):6.2f}/{max(points):6.2f} of {top:<4g}"
                f" {spread:5.2f} {lost}/{len(points)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
