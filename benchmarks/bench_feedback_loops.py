"""Feedback loops of the running systems: figures per round, wall time, and the docs plots.

Runs ``mlip.systems.loops.run_loop`` for every system with a loop, naive and reference design,
at the systems' default sizes, and prints each round's figures and the wall time of each run
(what ``mlip systems run SYSTEM --rounds N`` costs). With ``--figures DIR`` it also draws one PNG
per system (``loop-<system>.png``); the system pages embed the ones in ``docs/systems/``.
Usage: ``python benchmarks/bench_feedback_loops.py [--rounds 5] [--seed 0] [--figures DIR]
[--systems tax,toaster,transcription]``.
"""

from __future__ import annotations

import argparse
import textwrap
import time
from pathlib import Path

from mlip.systems.loops import LOOP_SYSTEMS, LoopResult, run_loop

DESIGNS = ("naive", "reference")


def print_result(result: LoopResult, wall: float) -> None:
    print(
        f"\n{result.system} / {result.design.name}: {len(result.rounds)} rounds in {wall:.1f} s"
        f" (quality: {result.quality_metric}; value: {result.value_metric})"
    )
    print("round  retrained  labels  cost      quality  labelled  hold-out  gap      value")
    for r in result.rounds:
        print(
            f"{r.round:>5}  {'yes' if r.retrained else 'no':>9}  {r.new_labels:>6}"
            f"  {r.label_cost:>8.0f}  {r.quality:>7.4f}  {_shown(r.labelled_quality):>8}"
            f"  {_shown(r.holdout_quality):>8}  {_shown(r.fairness_gap):>7}  {r.value:.4f}"
        )


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def plot(system: str, results: dict[str, LoopResult], folder: Path) -> Path:
    """Whole-population vs measured quality, value and the fairness gap over the rounds.

    The dashed line is what the team can measure: its hold-out where the design keeps one,
    otherwise the rows it labelled.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = next(iter(results.values()))
    fig, (quality, value, gap) = plt.subplots(1, 3, figsize=(11, 3.4))
    for (name, result), color in zip(results.items(), ("C3", "C0"), strict=False):
        rounds = [r.round for r in result.rounds]
        quality.plot(rounds, result.series("quality"), "o-", color=color, label=f"{name}: all")
        seen, what = "labelled_quality", "labelled"
        if result.design.holdout_share > 0 and result.design.exploration_share > 0:
            seen, what = "holdout_quality", "hold-out"
        measured = [q if q is not None else float("nan") for q in result.series(seen)]
        quality.plot(rounds, measured, "o--", color=color, alpha=0.5, label=f"{name}: {what}")
        value.plot(rounds, result.series("value"), "o-", color=color, label=name)
        gaps = [g if g is not None else float("nan") for g in result.series("fairness_gap")]
        gap.plot(rounds, gaps, "o-", color=color, label=name)
    better = "higher is better" if first.higher_quality_is_better else "lower is better"
    quality.set(xlabel="round", ylabel=first.quality_metric, title=f"Model ({better})")
    value.set(xlabel="round", ylabel=textwrap.fill(first.value_metric, 28), title="Value")
    gap.set(
        xlabel="round", ylabel=textwrap.fill(first.fairness_metric or "", 28), title="Fairness gap"
    )
    quality.legend(fontsize=7)
    value.legend(fontsize=7)
    for axis in (quality, value, gap):
        axis.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"{system}: feedback loop, naive vs reference design (seed {first.seed})")
    fig.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"loop-{system}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--figures", type=Path, default=None)
    parser.add_argument("--systems", default=",".join(LOOP_SYSTEMS))
    args = parser.parse_args()
    for system in args.systems.split(","):
        results = {}
        for design in DESIGNS:
            started = time.perf_counter()
            results[design] = run_loop(system, rounds=args.rounds, seed=args.seed, design=design)
            print_result(results[design], time.perf_counter() - started)
        if args.figures is not None:
            print("saved", plot(system, results, args.figures))


if __name__ == "__main__":
    main()
