"""Minimal cut sets of public benchmark fault trees: time per tree next to the tree's size.

Run: `.venv/bin/python benchmarks/bench_fault_tree.py [--old-timeout S] [--extra DIR]`. Each row
is a tree from ``tests/requirements/data/benchmark_trees`` (SCRAM's published benchmarks, see
the README there) or a synthetic stress tree. ``seconds`` is the median of three calls of
``minimal_cut_sets`` (a refusal counts: the tree has more cut sets than the limit);
``old MOCUS`` is the engine this one replaced, kept below only for comparison and run in a child
process that is stopped after ``--old-timeout`` seconds. ``expected`` says whether the count
(and order distribution) matches the published one, or the known one of a synthetic tree; ``?``
in ``cut sets`` is a tree refused as too large to count. ``--extra DIR`` adds every ``*.json``
tree in DIR (the benchmark-tree format, or plain ``FaultTree.to_dict`` data).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlip.requirements import (
    BasicEvent,
    FaultTree,
    FaultTreeError,
    Gate,
    and_gate,
    cut_set_distribution,
    fault_tree_from_dict,
    minimal_cut_sets,
    or_gate,
    tree_problems,
)
from mlip.requirements._fault_tree import MAX_CUT_SETS

ROOT = Path(__file__).resolve().parent.parent
TREES = ROOT / "tests" / "requirements" / "data" / "benchmark_trees"


# --- the replaced engine (top-down MOCUS with pairwise absorption), for comparison only --------


def _minimise(cut_sets: Iterable[frozenset[str]]) -> list[frozenset[str]]:
    kept: list[frozenset[str]] = []
    for candidate in sorted(set(cut_sets), key=lambda cut: (len(cut), sorted(cut))):
        if not any(existing <= candidate for existing in kept):
            kept.append(candidate)
    return kept


def _old_mocus(tree: FaultTree) -> list[frozenset[str]]:
    problems = tree_problems(tree)
    if problems:
        raise FaultTreeError(problems[0])
    gates = {gate.name: gate for gate in tree.gates}
    memo: dict[str, list[frozenset[str]]] = {}

    def expand(name: str) -> list[frozenset[str]]:
        if name not in gates:
            return [frozenset({name})]
        if name in memo:
            return memo[name]
        gate = gates[name]
        if gate.kind not in ("AND", "OR"):
            raise FaultTreeError(f"the old engine has no {gate.kind} gates")
        children = [expand(child) for child in gate.inputs]
        if gate.kind == "OR":
            combined = [cut for child in children for cut in child]
        else:
            combined = [frozenset()]
            for child in children:
                combined = _minimise(left | right for left in combined for right in child)
                if len(combined) > MAX_CUT_SETS:
                    raise FaultTreeError(f"more than {MAX_CUT_SETS} cut sets: simplify the tree")
        result = _minimise(combined)
        if len(result) > MAX_CUT_SETS:
            raise FaultTreeError(f"more than {MAX_CUT_SETS} cut sets: simplify the tree")
        memo[name] = result
        return result

    return expand(tree.top)


def _without_atleast(tree: FaultTree) -> FaultTree:
    """The same tree with each ATLEAST gate spelled in AND/OR gates, which the old engine needs:
    ``atleast(k, x1..xn) = x1 AND atleast(k-1, x2..xn) OR atleast(k, x2..xn)``."""
    gates: list[Gate] = []
    for gate in tree.gates:
        if gate.kind != "ATLEAST":
            gates.append(gate)
            continue

        def part(k: int, first: int, gate: Gate = gate) -> str:
            rest = gate.inputs[first:]
            if k == 1 and len(rest) == 1:
                return rest[0]
            name = gate.name if (k, first) == (gate.k, 0) else f"{gate.name}#{k}/{first}"
            if any(existing.name == name for existing in gates):
                return name
            if k == len(rest):
                gates.append(and_gate(name, *rest))
            elif k == 1:
                gates.append(or_gate(name, *rest))
            else:
                taken = f"{name}+"
                gates.append(and_gate(taken, rest[0], part(k - 1, first + 1)))
                gates.append(or_gate(name, taken, part(k, first + 1)))
            return name

        top = part(int(gate.k or 0), 0)
        if top != gate.name:  # 1-of-1: pass the input through
            gates.append(or_gate(gate.name, top))
    return FaultTree(tree.top, tuple(gates), tree.basic_events)


def _old_child(data: dict[str, Any], answers: Any) -> None:
    tree = _without_atleast(fault_tree_from_dict(data))
    start = time.perf_counter()
    try:
        found = _old_mocus(tree)
        outcome = f"{len(found)} cut sets"
    except FaultTreeError as error:
        outcome = f"refused: {str(error)[:24]}"
    except RecursionError:
        outcome = "RecursionError"
    answers.put((time.perf_counter() - start, outcome))


def _old_engine(tree: FaultTree, timeout: float, count: int | None) -> str:
    """The old engine's time, and whether its answer differs from ``count`` (the new one's)."""
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_old_child, args=(tree.to_dict(), answers))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.terminate()
        child.join()
        return f"> {timeout:.0f} s"
    seconds, outcome = answers.get()
    if outcome.endswith("cut sets"):
        same = count is not None and outcome == f"{count} cut sets"
        return f"{seconds:.3f} s" if same else f"{seconds:.3f} s DIFFERENT: {outcome}"
    return f"{seconds:.3f} s {outcome}"


# --- the rows ----------------------------------------------------------------------------------


def _and_of_two_ors(width: int) -> FaultTree:
    gates = (
        and_gate("T", "L", "R"),
        or_gate("L", *(f"l{i}" for i in range(width))),
        or_gate("R", *(f"r{i}" for i in range(width))),
    )
    events = tuple(BasicEvent(f"{side}{i}") for side in "lr" for i in range(width))
    return FaultTree("T", gates, events)


def _chain(depth: int, kind: str) -> FaultTree:
    gates = [Gate(f"g{i}", kind, (f"g{i + 1}", f"e{i}")) for i in range(depth)]
    gates.append(or_gate(f"g{depth}", "last"))
    events = [BasicEvent(f"e{i}") for i in range(depth)] + [BasicEvent("last")]
    return FaultTree("g0", tuple(gates), tuple(events))


def _published_check(published: dict[str, Any] | None, sizes: dict[int, int]) -> str:
    if published is None:
        return "-"
    if not sizes:
        return "?"
    ok = sum(sizes.values()) == published["cut_sets"]
    if "distribution" in published:
        wanted = published["distribution"]
        ok = ok and sizes == {order + 1: n for order, n in enumerate(wanted) if n}
    return "yes" if ok else "NO"


def _rows(extra: Path | None) -> list[tuple[str, FaultTree, dict[str, Any] | None]]:
    rows: list[tuple[str, FaultTree, dict[str, Any] | None]] = []
    paths = sorted(TREES.glob("*.json"))
    if extra is not None:
        paths += sorted(extra.glob("*.json"))
    for path in paths:
        record = json.loads(path.read_text())
        data = record.get("tree", record)
        rows.append(
            (record.get("name", path.stem), fault_tree_from_dict(data), record.get("published"))
        )
    rows.append(("AND of two 200-event ORs", _and_of_two_ors(200), {"cut_sets": 40_000}))
    rows.append(("AND chain, 5000 deep", _chain(5_000, "AND"), {"cut_sets": 1}))
    rows.append(("OR chain, 4999 deep", _chain(4_999, "OR"), {"cut_sets": 5_000}))
    return rows


def _timed(tree: FaultTree, runs: int = 3) -> tuple[float, str]:
    seconds: list[float] = []
    outcome = ""
    for _ in range(runs):
        start = time.perf_counter()
        try:
            outcome = f"{len(minimal_cut_sets(tree))}"
        except FaultTreeError:
            outcome = "refused"
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), outcome


def main(argv: list[str]) -> None:
    """Print one line per tree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-timeout", type=float, default=10.0)
    parser.add_argument("--extra", type=Path, default=None)
    args = parser.parse_args(argv)
    header = (
        f"{'tree':26} {'gates':>5} {'events':>6} {'cut sets':>8} {'expected':>9} "
        f"{'seconds':>8} {'answer':>7}  {'old MOCUS':<24} order distribution"
    )
    print(header)
    print("-" * len(header))
    for name, tree, published in _rows(args.extra):
        try:
            sizes = cut_set_distribution(tree)
        except FaultTreeError:  # the diagram guard: too large to count
            sizes = {}
        seconds, outcome = _timed(tree)
        old = _old_engine(tree, args.old_timeout, sum(sizes.values()) if sizes else None)
        distribution = " ".join(f"{size}:{count}" for size, count in sizes.items())
        if len(distribution) > 60:
            distribution = distribution[:57] + "..."
        print(
            f"{name[:26]:26} {len(tree.gates):5} {len(tree.basic_events):6} "
            f"{sum(sizes.values()) if sizes else '?':>8} {_published_check(published, sizes):>9} "
            f"{seconds:8.3f} {outcome:>7}  {old:<24} {distribution}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
