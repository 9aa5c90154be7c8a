"""Minimal cut sets against textbook examples (golden data) and malformed trees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlip.requirements import (
    BasicEvent,
    FaultTree,
    FaultTreeError,
    Mitigation,
    and_gate,
    fault_tree_from_dict,
    minimal_cut_sets,
    or_gate,
    removed_cut_sets,
    tree_problems,
)

GOLDEN = json.loads((Path(__file__).parent / "data" / "fault_trees.json").read_text())


@pytest.mark.parametrize("case", GOLDEN, ids=[case["name"] for case in GOLDEN])
def test_minimal_cut_sets_match_golden(case: dict) -> None:
    tree = fault_tree_from_dict(case["tree"])
    found = sorted(sorted(cut) for cut in minimal_cut_sets(tree))
    assert found == sorted(sorted(cut) for cut in case["cut_sets"])


def test_cycle_is_reported_and_refused() -> None:
    tree = FaultTree(
        "T", (and_gate("T", "G", "A"), or_gate("G", "T", "B")), (BasicEvent("A"), BasicEvent("B"))
    )
    assert any("cycle" in problem for problem in tree_problems(tree))
    with pytest.raises(FaultTreeError, match="cycle"):
        minimal_cut_sets(tree)


def test_gate_without_inputs_and_unknown_names_are_reported() -> None:
    tree = FaultTree("T", (or_gate("T", "X"), and_gate("E")), (BasicEvent("A"),))
    problems = " | ".join(tree_problems(tree))
    assert "'X', which is not defined" in problems
    assert "gate 'E' has no inputs" in problems


def test_mitigation_removes_cut_sets_containing_prevented_events() -> None:
    cuts = [frozenset({"A"}), frozenset({"B", "C"})]
    assert removed_cut_sets(cuts, Mitigation("m", ("C",))) == [frozenset({"B", "C"})]
    assert removed_cut_sets(cuts, Mitigation("m", ("D",))) == []
