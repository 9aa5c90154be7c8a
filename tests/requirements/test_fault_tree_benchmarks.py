"""Golden tests: public benchmark trees against the results SCRAM's tests publish for them.

The trees and the published numbers come from https://github.com/rakhimov/scram (see the
README in ``data/benchmark_trees``); ``benchmarks/fault_trees_from_mef.py`` converts them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlip.requirements import (
    FaultTreeError,
    cut_set_distribution,
    fault_tree_from_dict,
    minimal_cut_sets,
)
from mlip.requirements._fault_tree import MAX_CUT_SETS

TREES = sorted((Path(__file__).parent / "data" / "benchmark_trees").glob("*.json"))
RECORDS: list[dict[str, Any]] = [json.loads(path.read_text()) for path in TREES]
SMALL = [record for record in RECORDS if record["published"]["cut_sets"] <= MAX_CUT_SETS]
LARGE = [record for record in RECORDS if record["published"]["cut_sets"] > MAX_CUT_SETS]


def _published_sizes(published: dict[str, Any]) -> dict[int, int]:
    if "distribution" in published:
        return {order + 1: count for order, count in enumerate(published["distribution"]) if count}
    sizes: dict[int, int] = {}
    for cut in published["mcs"]:
        sizes[len(cut)] = sizes.get(len(cut), 0) + 1
    return dict(sorted(sizes.items()))


def test_the_benchmark_set_is_there() -> None:
    names = {record["name"] for record in RECORDS}
    assert {"chinese", "baobab1", "baobab2", "hipps", "bscu"} <= names
    assert any(gate["kind"] == "ATLEAST" for r in RECORDS for gate in r["tree"]["gates"])


@pytest.mark.parametrize("record", SMALL, ids=[record["name"] for record in SMALL])
def test_published_minimal_cut_sets(record: dict[str, Any]) -> None:
    tree = fault_tree_from_dict(record["tree"])
    published = record["published"]
    cuts = minimal_cut_sets(tree)
    assert len(cuts) == published["cut_sets"]
    sizes: dict[int, int] = {}
    for cut in cuts:
        sizes[len(cut)] = sizes.get(len(cut), 0) + 1
    assert sizes == _published_sizes(published)
    if "mcs" in published:
        assert sorted(sorted(cut) for cut in cuts) == sorted(sorted(c) for c in published["mcs"])
    assert cuts == sorted(cuts, key=lambda cut: (len(cut), sorted(cut)))
    assert len(set(cuts)) == len(cuts)


@pytest.mark.parametrize("record", RECORDS, ids=[record["name"] for record in RECORDS])
def test_published_order_distribution_without_listing(record: dict[str, Any]) -> None:
    tree = fault_tree_from_dict(record["tree"])
    assert cut_set_distribution(tree) == _published_sizes(record["published"])


@pytest.mark.parametrize("record", LARGE, ids=[record["name"] for record in LARGE])
def test_trees_over_the_limit_are_refused_with_their_count(record: dict[str, Any]) -> None:
    tree = fault_tree_from_dict(record["tree"])
    count = record["published"]["cut_sets"]
    with pytest.raises(FaultTreeError, match=f"^{count} minimal cut sets"):
        minimal_cut_sets(tree)
