"""Fault trees: how a hazard can happen, as AND/OR gates over basic events.

A fault tree starts from the hazard (the *top event*, e.g. a kitchen fire) and asks what must
happen for it: an OR gate needs any one of its inputs, an AND gate needs all of them. The leaves
are *basic events* (the model overestimates, the smoke sensor is dead). A *minimal cut set* is a
smallest set of basic events that together cause the hazard; a cut set with one event is a
single point of failure. A mitigation that makes one basic event (nearly) impossible removes
every cut set containing it, which is how a tree tells us where a guard pays off.

Minimal cut sets are computed top-down (the MOCUS idea: replace each gate by its inputs, an OR
gate adding alternatives and an AND gate combining them), then reduced by absorption (a cut set
that contains another one is not minimal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GATE_KINDS",
    "MAX_CUT_SETS",
    "BasicEvent",
    "FaultTree",
    "FaultTreeError",
    "Gate",
    "Mitigation",
    "and_gate",
    "fault_tree_from_dict",
    "minimal_cut_sets",
    "mitigation_from_dict",
    "or_gate",
    "removed_cut_sets",
    "tree_problems",
]

GATE_KINDS: tuple[str, ...] = ("AND", "OR")
#: Beyond this many cut sets a tree is too large to be a useful teaching artefact.
MAX_CUT_SETS = 5_000

CutSet = frozenset[str]


class FaultTreeError(ValueError):
    """The tree is not well formed (a cycle, an unknown name, a gate without inputs...)."""


@dataclass(frozen=True)
class BasicEvent:
    """A leaf of the tree. ``observed_as`` names the simulator fact it corresponds to (the
    system's observable facts are listed in the assignment), or ``None`` if the simulator
    does not model it."""

    name: str
    description: str = ""
    observed_as: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"name": self.name, "description": self.description, "observed_as": self.observed_as}


@dataclass(frozen=True)
class Gate:
    """An AND or OR gate whose inputs name other gates or basic events."""

    name: str
    kind: str
    inputs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"name": self.name, "kind": self.kind, "inputs": list(self.inputs)}


def and_gate(name: str, *inputs: str) -> Gate:
    """A gate that happens when *all* its inputs happen."""
    return Gate(name, "AND", tuple(inputs))


def or_gate(name: str, *inputs: str) -> Gate:
    """A gate that happens when *any* of its inputs happens."""
    return Gate(name, "OR", tuple(inputs))


@dataclass(frozen=True)
class FaultTree:
    """A hazard (``top``, the name of a gate or basic event) and the tree below it."""

    top: str
    gates: tuple[Gate, ...]
    basic_events: tuple[BasicEvent, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "top": self.top,
            "gates": [gate.to_dict() for gate in self.gates],
            "basic_events": [event.to_dict() for event in self.basic_events],
        }

    def basic_event(self, name: str) -> BasicEvent | None:
        """The basic event called ``name``, if any."""
        return next((event for event in self.basic_events if event.name == name), None)


@dataclass(frozen=True)
class Mitigation:
    """A design change (guard, redundant sensor, human review) and the basic events it prevents."""

    name: str
    prevents: tuple[str, ...]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"name": self.name, "prevents": list(self.prevents), "description": self.description}


def _names(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(str(value) for value in values)


def fault_tree_from_dict(data: Mapping[str, Any]) -> FaultTree:
    """Rebuild a tree from :meth:`FaultTree.to_dict` output; ``ValueError`` on malformed data."""
    try:
        gates = tuple(
            Gate(str(gate["name"]), str(gate["kind"]).upper(), _names(gate["inputs"]))
            for gate in data["gates"]
        )
        events = tuple(
            BasicEvent(
                str(event["name"]),
                str(event.get("description", "")),
                None if event.get("observed_as") is None else str(event["observed_as"]),
            )
            for event in data["basic_events"]
        )
        return FaultTree(str(data["top"]), gates, events)
    except (KeyError, TypeError) as error:
        raise ValueError(f"malformed fault tree: {error}") from None


def mitigation_from_dict(data: Mapping[str, Any]) -> Mitigation:
    """Rebuild a mitigation from :meth:`Mitigation.to_dict` output."""
    try:
        return Mitigation(
            str(data["name"]), _names(data["prevents"]), str(data.get("description", ""))
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"malformed mitigation: {error}") from None


def _find_cycle(gates: Mapping[str, Gate]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = 1
        for child in gates[name].inputs:
            if child not in gates:
                continue
            if state.get(child) == 1:
                return [*path[path.index(child) :], child] if child in path else [*path, child]
            if child not in state:
                found = visit(child, [*path, child])
                if found:
                    return found
        state[name] = 2
        return None

    for name in gates:
        if name not in state:
            found = visit(name, [name])
            if found:
                return found
    return None


def tree_problems(tree: FaultTree) -> list[str]:
    """Everything that makes ``tree`` ill formed, one message each (empty: well formed)."""
    problems: list[str] = []
    gate_names = [gate.name for gate in tree.gates]
    event_names = [event.name for event in tree.basic_events]
    everything = gate_names + event_names
    for name in sorted({name for name in everything if everything.count(name) > 1}):
        problems.append(f"the name {name!r} is used twice")
    for name in everything:
        if not name.strip():
            problems.append("a gate or basic event has an empty name")
            break
    known = set(everything)
    if tree.top not in known:
        problems.append(f"the top event {tree.top!r} is neither a gate nor a basic event")
    gates = {gate.name: gate for gate in tree.gates}
    for gate in tree.gates:
        if gate.kind not in GATE_KINDS:
            problems.append(f"gate {gate.name!r} has kind {gate.kind!r}; use AND or OR")
        if not gate.inputs:
            problems.append(f"gate {gate.name!r} has no inputs")
        for child in gate.inputs:
            if child not in known:
                problems.append(f"gate {gate.name!r} names {child!r}, which is not defined")
    cycle = _find_cycle(gates)
    if cycle:
        problems.append("the tree has a cycle: " + " -> ".join(cycle))
    if not problems:
        reachable = _reachable(tree.top, gates)
        unused = [name for name in everything if name not in reachable]
        if unused:
            problems.append(f"not connected to the top event: {', '.join(unused)}")
    return problems


def _reachable(top: str, gates: Mapping[str, Gate]) -> set[str]:
    seen: set[str] = set()
    stack = [top]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in gates:
            stack.extend(gates[name].inputs)
    return seen


def _minimise(cut_sets: Iterable[CutSet]) -> list[CutSet]:
    """Absorption: drop every cut set that contains a smaller (or equal) one."""
    kept: list[CutSet] = []
    for candidate in sorted(set(cut_sets), key=lambda cut: (len(cut), sorted(cut))):
        if not any(existing <= candidate for existing in kept):
            kept.append(candidate)
    return kept


def minimal_cut_sets(tree: FaultTree) -> list[CutSet]:
    """The tree's minimal cut sets, smallest first; :class:`FaultTreeError` if ill formed."""
    problems = tree_problems(tree)
    if problems:
        raise FaultTreeError(problems[0])
    gates = {gate.name: gate for gate in tree.gates}
    memo: dict[str, list[CutSet]] = {}

    def expand(name: str) -> list[CutSet]:
        if name not in gates:
            return [frozenset({name})]
        if name in memo:
            return memo[name]
        gate = gates[name]
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


def removed_cut_sets(cut_sets: Iterable[CutSet], mitigation: Mitigation) -> list[CutSet]:
    """The cut sets a mitigation breaks: those containing an event it prevents."""
    prevented = set(mitigation.prevents)
    return [cut for cut in cut_sets if cut & prevented]
