"""The decision-diagram engine: brute force on random trees, limits, depth, malformed trees."""

from __future__ import annotations

import random
import sys

import pytest

from mlip.requirements import (
    BasicEvent,
    FaultTree,
    FaultTreeError,
    Gate,
    and_gate,
    atleast_gate,
    cut_set_distribution,
    fault_tree_from_dict,
    minimal_cut_sets,
    or_gate,
    tree_problems,
)
from mlip.requirements._fault_tree import MAX_CUT_SETS


def _random_tree(rng: random.Random) -> FaultTree:
    """A random coherent tree: gates may share sub-gates and events, no cycles by construction
    (a gate only names gates with a larger number), only what the top reaches is kept."""
    events = [f"e{i}" for i in range(rng.randint(1, 10))]
    gate_names = [f"g{i}" for i in range(rng.randint(1, 8))]
    gates: dict[str, Gate] = {}
    for number, name in enumerate(gate_names):
        pool = events + gate_names[number + 1 :]
        inputs = tuple(rng.choice(pool) for _ in range(rng.randint(1, 4)))
        kind = rng.choice(("AND", "OR", "ATLEAST"))
        k = rng.randint(1, len(inputs)) if kind == "ATLEAST" else None
        gates[name] = Gate(name, kind, inputs, k)
    reachable: list[str] = []
    stack = ["g0"]
    while stack:
        name = stack.pop()
        if name not in reachable:
            reachable.append(name)
            stack.extend(gates[name].inputs if name in gates else ())
    return FaultTree(
        "g0",
        tuple(gates[name] for name in gate_names if name in reachable),
        tuple(BasicEvent(name) for name in events if name in reachable),
    )


def _brute_force(tree: FaultTree) -> list[frozenset[str]]:
    """Minimal cut sets from the truth table: each node's table is an int with one bit per
    assignment of the basic events; a true assignment is minimal if dropping any event makes it
    false."""
    names = [event.name for event in tree.basic_events]
    rows = 1 << len(names)
    table: dict[str, int] = {}
    for i, name in enumerate(names):
        table[name] = sum(1 << row for row in range(rows) if row >> i & 1)
    gates = {gate.name: gate for gate in tree.gates}
    pending = [gate.name for gate in tree.gates]
    while pending:
        for name in list(pending):
            gate = gates[name]
            if all(child in table for child in gate.inputs):
                inputs = [table[child] for child in gate.inputs]
                if gate.kind == "AND":
                    value = (1 << rows) - 1
                    for child in inputs:
                        value &= child
                elif gate.kind == "OR":
                    value = 0
                    for child in inputs:
                        value |= child
                else:
                    assert gate.k is not None
                    at_least = [(1 << rows) - 1] + [0] * gate.k
                    for child in inputs:
                        for j in range(gate.k, 0, -1):
                            at_least[j] |= at_least[j - 1] & child
                    value = at_least[gate.k]
                table[name] = value
                pending.remove(name)
    top = table[tree.top]
    minimal = [
        row
        for row in range(rows)
        if top >> row & 1
        and not any(row >> i & 1 and top >> (row ^ 1 << i) & 1 for i in range(len(names)))
    ]
    cuts = [frozenset(names[i] for i in range(len(names)) if row >> i & 1) for row in minimal]
    return sorted(cuts, key=lambda cut: (len(cut), sorted(cut)))


def test_random_small_trees_match_brute_force() -> None:
    rng = random.Random(18)
    kinds_seen: set[str] = set()
    for _ in range(400):
        tree = _random_tree(rng)
        assert not tree_problems(tree), tree
        kinds_seen.update(gate.kind for gate in tree.gates)
        expected = _brute_force(tree)
        assert minimal_cut_sets(tree) == expected, tree
        sizes: dict[int, int] = {}
        for cut in expected:
            sizes[len(cut)] = sizes.get(len(cut), 0) + 1
        assert cut_set_distribution(tree) == dict(sorted(sizes.items()))
    assert kinds_seen == {"AND", "OR", "ATLEAST"}


def test_two_out_of_three_voting_gate() -> None:
    tree = FaultTree(
        "T",
        (atleast_gate("T", 2, "A", "B", "C"),),
        (BasicEvent("A"), BasicEvent("B"), BasicEvent("C")),
    )
    assert minimal_cut_sets(tree) == [
        frozenset({"A", "B"}),
        frozenset({"A", "C"}),
        frozenset({"B", "C"}),
    ]


def test_atleast_gate_round_trips_through_plain_data() -> None:
    tree = FaultTree(
        "T",
        (atleast_gate("T", 2, "A", "G", "C"), or_gate("G", "B", "D")),
        tuple(BasicEvent(name) for name in "ABCD"),
    )
    data = tree.to_dict()
    assert data["gates"][0] == {"name": "T", "kind": "ATLEAST", "inputs": ["A", "G", "C"], "k": 2}
    assert data["gates"][1] == {"name": "G", "kind": "OR", "inputs": ["B", "D"]}  # no "k"
    assert fault_tree_from_dict(data) == tree
    assert (
        fault_tree_from_dict({**data, "gates": [{**data["gates"][0], "k": "2"}, data["gates"][1]]})
        == tree
    )


def test_output_is_sorted_by_size_then_names() -> None:
    tree = FaultTree(
        "T",
        (or_gate("T", "G", "Z", "Y"), and_gate("G", "B", "A")),
        (BasicEvent("Z"), BasicEvent("Y"), BasicEvent("B"), BasicEvent("A")),
    )
    assert minimal_cut_sets(tree) == [frozenset("Y"), frozenset("Z"), frozenset({"A", "B"})]


def _or_of_ands(width: int) -> FaultTree:
    """OR over ``width`` AND gates of two fresh events each: ``2**width`` intermediate products
    if expanded as an AND of ORs, but here the answer is small."""
    gates = [or_gate("T", *(f"A{i}" for i in range(width)))]
    gates += [and_gate(f"A{i}", f"x{i}", f"y{i}") for i in range(width)]
    events = [BasicEvent(f"{side}{i}") for i in range(width) for side in "xy"]
    return FaultTree("T", tuple(gates), tuple(events))


def test_limit_applies_to_the_final_answer_only() -> None:
    # G, an AND over 13 ORs (x_i OR y_i), has 2**13 = 8,192 minimal cut sets, over the limit;
    # the top event adds x0 and y0 as single points of failure, which absorb every one of them.
    # The old engine expanded G first and refused the tree.
    width = 13
    gates = [or_gate("T", "G", "x0", "y0"), and_gate("G", *(f"O{i}" for i in range(width)))]
    gates += [or_gate(f"O{i}", f"x{i}", f"y{i}") for i in range(width)]
    events = [BasicEvent(f"{side}{i}") for i in range(width) for side in "xy"]
    tree = FaultTree("T", tuple(gates), tuple(events))
    assert minimal_cut_sets(tree) == [frozenset({"x0"}), frozenset({"y0"})]
    sub_tree = FaultTree("G", tuple(gates[1:]), tuple(events))
    assert sum(cut_set_distribution(sub_tree).values()) == 2**width > MAX_CUT_SETS
    with pytest.raises(FaultTreeError, match=r"^8192 minimal cut sets"):
        minimal_cut_sets(sub_tree)


def test_limit_is_a_parameter() -> None:
    tree = _or_of_ands(30)
    assert len(minimal_cut_sets(tree)) == 30
    with pytest.raises(FaultTreeError, match=r"^30 minimal cut sets, more than the limit of 29"):
        minimal_cut_sets(tree, limit=29)
    assert len(minimal_cut_sets(tree, limit=30)) == 30


def test_and_of_two_wide_ors_is_refused_quickly_with_the_count() -> None:
    gates = (
        and_gate("T", "L", "R"),
        or_gate("L", *(f"l{i}" for i in range(200))),
        or_gate("R", *(f"r{i}" for i in range(200))),
    )
    events = tuple(BasicEvent(f"{side}{i}") for side in "lr" for i in range(200))
    tree = FaultTree("T", gates, events)
    with pytest.raises(FaultTreeError, match=r"^40000 minimal cut sets"):
        minimal_cut_sets(tree)
    # The count comes from the diagram (400 nodes), not from listing the cut sets.
    assert cut_set_distribution(tree) == {2: 40_000}


@pytest.mark.parametrize("kind", ["AND", "OR", "ATLEAST"])
def test_deep_chain_has_no_recursion_limit(kind: str) -> None:
    depth = 5_000
    assert depth > sys.getrecursionlimit()
    gates = [
        Gate(f"g{i}", kind, (f"g{i + 1}", f"e{i}"), 1 if kind == "ATLEAST" else None)
        for i in range(depth)
    ]
    gates.append(or_gate(f"g{depth}", "last"))
    events = [BasicEvent(f"e{i}") for i in range(depth)] + [BasicEvent("last")]
    tree = FaultTree("g0", tuple(gates), tuple(events))
    cuts = minimal_cut_sets(tree, limit=depth + 1)
    if kind == "AND":
        assert cuts == [frozenset([*(f"e{i}" for i in range(depth)), "last"])]
    else:
        assert len(cuts) == depth + 1 and all(len(cut) == 1 for cut in cuts)


def test_deep_cycle_is_reported_not_recursion_error() -> None:
    depth = 3_000
    gates = [or_gate(f"g{i}", f"g{(i + 1) % depth}", f"e{i}") for i in range(depth)]
    tree = FaultTree("g0", tuple(gates), tuple(BasicEvent(f"e{i}") for i in range(depth)))
    with pytest.raises(FaultTreeError, match="cycle: g0 -> g1 -> "):
        minimal_cut_sets(tree)


MALFORMED = {
    "cycle": FaultTree(
        "T", (and_gate("T", "G", "A"), or_gate("G", "T", "B")), (BasicEvent("A"), BasicEvent("B"))
    ),
    "self loop": FaultTree("T", (or_gate("T", "T", "A"),), (BasicEvent("A"),)),
    "unknown name": FaultTree("T", (or_gate("T", "X"),), (BasicEvent("A"),)),
    "unknown top": FaultTree("Q", (or_gate("T", "A"),), (BasicEvent("A"),)),
    "empty gate": FaultTree("T", (or_gate("T", "G"), and_gate("G")), ()),
    "bad kind": FaultTree("T", (Gate("T", "XOR", ("A", "B")),), (BasicEvent("A"), BasicEvent("B"))),
    "k zero": FaultTree("T", (atleast_gate("T", 0, "A", "B"),), (BasicEvent("A"), BasicEvent("B"))),
    "k too big": FaultTree(
        "T", (atleast_gate("T", 3, "A", "B"),), (BasicEvent("A"), BasicEvent("B"))
    ),
    "k missing": FaultTree(
        "T", (Gate("T", "ATLEAST", ("A", "B")),), (BasicEvent("A"), BasicEvent("B"))
    ),
    "k on an AND": FaultTree(
        "T", (Gate("T", "AND", ("A", "B"), 1),), (BasicEvent("A"), BasicEvent("B"))
    ),
    "duplicate name": FaultTree("T", (or_gate("T", "A"),), (BasicEvent("A"), BasicEvent("A"))),
    "unconnected": FaultTree("T", (or_gate("T", "A"),), (BasicEvent("A"), BasicEvent("B"))),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_every_malformed_tree_is_a_fault_tree_error(name: str) -> None:
    tree = MALFORMED[name]
    assert tree_problems(tree)
    with pytest.raises(FaultTreeError):
        minimal_cut_sets(tree)
    with pytest.raises(FaultTreeError):
        cut_set_distribution(tree)


@pytest.mark.parametrize(
    "gate",
    [
        {"name": "T", "kind": "ATLEAST", "inputs": ["A", "B"], "k": "two"},
        {"name": "T", "kind": "ATLEAST", "inputs": ["A", "B"], "k": [2]},
        "T",
    ],
)
def test_malformed_plain_data_is_a_value_error(gate: object) -> None:
    data = {"top": "T", "gates": [gate], "basic_events": [{"name": "A"}, {"name": "B"}]}
    with pytest.raises(ValueError, match="malformed fault tree"):
        fault_tree_from_dict(data)


def test_a_diagram_too_large_to_count_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlip.requirements import _fault_tree

    tree = _or_of_ands(30)
    monkeypatch.setattr(_fault_tree, "MAX_DIAGRAM_NODES", 40)
    with pytest.raises(FaultTreeError, match=r"too large to analyse: .* passed 40 nodes"):
        minimal_cut_sets(tree)
    monkeypatch.setattr(_fault_tree, "MAX_DIAGRAM_NODES", 200)
    assert len(minimal_cut_sets(tree)) == 30


def test_too_much_diagram_work_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlip.requirements import _fault_tree

    tree = _or_of_ands(30)
    monkeypatch.setattr(_fault_tree, "MAX_DIAGRAM_STEPS", 50)
    with pytest.raises(FaultTreeError, match=r"too large to analyse: .* more than 50 steps"):
        minimal_cut_sets(tree)
    monkeypatch.setattr(_fault_tree, "MAX_DIAGRAM_STEPS", 5_000)
    assert len(minimal_cut_sets(tree)) == 30
