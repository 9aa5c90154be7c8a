"""Fault trees: how a hazard can happen, as AND/OR/at-least-k gates over basic events.

A fault tree starts from the hazard (the *top event*, e.g. a kitchen fire) and asks what must
happen for it: an OR gate needs any one of its inputs, an AND gate needs all of them, an ATLEAST
gate needs ``k`` of them (2-of-3 voting sensors). The leaves are *basic events* (the model
overestimates, the smoke sensor is dead). A *minimal cut set* is a smallest set of basic events
that together cause the hazard; a cut set with one event is a single point of failure. A
mitigation that makes one basic event (nearly) impossible removes every cut set containing it,
which is how a tree tells us where a guard pays off.

Minimal cut sets are computed exactly with Rauzy's decision-diagram method: the top event
becomes a binary decision diagram (BDD), whose minimal solutions are extracted as a
zero-suppressed BDD (ZBDD). Both share sub-diagrams, so a tree whose cut-set lists would blow up
on the way (the classic top-down MOCUS expansion) stays small, and the cut sets are *counted*
before they are listed: a tree with too many is refused without listing them. Every traversal
uses an explicit stack, so a deep chain of gates cannot hit Python's recursion limit. The trees
are coherent (no NOT gates), so minimal cut sets and prime implicants coincide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GATE_KINDS",
    "MAX_CUT_SETS",
    "MAX_DIAGRAM_NODES",
    "MAX_DIAGRAM_STEPS",
    "BasicEvent",
    "FaultTree",
    "FaultTreeError",
    "Gate",
    "Mitigation",
    "and_gate",
    "atleast_gate",
    "cut_set_distribution",
    "fault_tree_from_dict",
    "minimal_cut_sets",
    "mitigation_from_dict",
    "or_gate",
    "removed_cut_sets",
    "tree_problems",
]

GATE_KINDS: tuple[str, ...] = ("AND", "OR", "ATLEAST")
#: Beyond this many cut sets a tree is too large to be a useful teaching artefact (the default
#: ``limit`` of :func:`minimal_cut_sets`; it applies to the final answer only).
MAX_CUT_SETS = 5_000
#: Guards on memory and time, not on the answer: every public benchmark tree with fewer than
#: MAX_CUT_SETS cut sets needs a few thousand diagram nodes and under 100,000 steps of the
#: diagram operations; only large industrial trees (hundreds of thousands of cut sets or more)
#: pass these, and they are refused in seconds instead of running for minutes and hundreds of
#: megabytes.
MAX_DIAGRAM_NODES = 500_000
MAX_DIAGRAM_STEPS = 2_000_000

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
    """An AND, OR or ATLEAST gate whose inputs name other gates or basic events.

    ``k`` is the threshold of an ATLEAST gate (it happens when at least ``k`` of its inputs
    happen) and ``None`` for the other kinds.
    """

    name: str
    kind: str
    inputs: tuple[str, ...]
    k: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data; ``k`` only when set, so AND/OR gates keep their original shape."""
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "inputs": list(self.inputs)}
        if self.k is not None:
            data["k"] = self.k
        return data


def and_gate(name: str, *inputs: str) -> Gate:
    """A gate that happens when *all* its inputs happen."""
    return Gate(name, "AND", tuple(inputs))


def or_gate(name: str, *inputs: str) -> Gate:
    """A gate that happens when *any* of its inputs happens."""
    return Gate(name, "OR", tuple(inputs))


def atleast_gate(name: str, k: int, *inputs: str) -> Gate:
    """A gate that happens when at least ``k`` of its inputs happen (k-out-of-n voting)."""
    return Gate(name, "ATLEAST", tuple(inputs), k)


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


def _threshold(value: Any) -> int | None:
    """An ATLEAST gate's ``k`` from plain data (an int, or digits in a string)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"k must be an integer, got {value!r}")


def fault_tree_from_dict(data: Mapping[str, Any]) -> FaultTree:
    """Rebuild a tree from :meth:`FaultTree.to_dict` output; ``ValueError`` on malformed data."""
    try:
        gates = tuple(
            Gate(
                str(gate["name"]),
                str(gate["kind"]).upper(),
                _names(gate["inputs"]),
                _threshold(gate.get("k")),
            )
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
    except (KeyError, TypeError, AttributeError) as error:
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
    """A cycle among the gates as a path that returns to its start, found depth-first.

    Iterative (an explicit stack of input iterators) so a deep chain of gates is no problem.
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in gates:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        pending = [iter(gates[root].inputs)]
        while pending:
            child = next(pending[-1], None)
            if child is None:
                state[path.pop()] = 2
                pending.pop()
                continue
            if child not in gates:
                continue
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if child not in state:
                state[child] = 1
                path.append(child)
                pending.append(iter(gates[child].inputs))
    return None


def tree_problems(tree: FaultTree) -> list[str]:
    """Everything that makes ``tree`` ill formed, one message each (empty: well formed)."""
    problems: list[str] = []
    gate_names = [gate.name for gate in tree.gates]
    event_names = [event.name for event in tree.basic_events]
    everything = gate_names + event_names
    for name in sorted(name for name, uses in Counter(everything).items() if uses > 1):
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
            problems.append(f"gate {gate.name!r} has kind {gate.kind!r}; use AND, OR or ATLEAST")
        if not gate.inputs:
            problems.append(f"gate {gate.name!r} has no inputs")
        elif gate.kind == "ATLEAST" and (
            not isinstance(gate.k, int) or not 1 <= gate.k <= len(gate.inputs)
        ):
            problems.append(
                f"gate {gate.name!r} needs k between 1 and its {len(gate.inputs)} inputs, "
                f"got k={gate.k!r}"
            )
        if gate.kind in ("AND", "OR") and gate.k is not None:
            problems.append(f"gate {gate.name!r} is {gate.kind}: only ATLEAST gates take k")
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


# --- the engine: BDD of the top event, minimal solutions as a ZBDD -----------------------------
#
# Nodes of both diagrams live in a `_Nodes` store: node 0 is the false terminal (the empty
# family), node 1 the true terminal (the family holding only the empty set), and every other
# node is a (variable, high child, low child) triple kept unique by a hash table. Variables are
# numbered in the static order, and the terminals carry the number after the last variable so
# that "the smaller variable comes first" needs no special case. Operations on diagrams are
# memoised (the computed tables) and run on explicit stacks: the depth of a diagram is the
# number of variables, which a deep tree can push past Python's recursion limit.

_FALSE = 0
_TRUE = 1


class _Nodes:
    """A unique table of decision-diagram nodes (one store per kind of diagram)."""

    def __init__(self, variables: int, *, zero_suppressed: bool) -> None:
        self.var = [variables, variables]
        self.high = [_FALSE, _TRUE]
        self.low = [_FALSE, _TRUE]
        self.zero_suppressed = zero_suppressed
        self.capacity = MAX_DIAGRAM_NODES
        #: Keys of the unique table and of the computed tables pack node numbers into one int
        #: (cheaper to hash than a tuple); ``stride`` exceeds every node number.
        self.stride = self.capacity + 2
        self.unique: dict[int, int] = {}

    def node(self, var: int, high: int, low: int) -> int:
        """The node for (var, high, low), reduced: a BDD drops a test whose branches agree, a
        ZBDD drops a variable whose high branch is empty."""
        if (high == _FALSE) if self.zero_suppressed else (high == low):
            return low
        found = self.unique.get((var * self.stride + high) * self.stride + low)
        return self.new(var, high, low) if found is None else found

    def new(self, var: int, high: int, low: int) -> int:
        """Add a node that is not in the unique table yet."""
        found = len(self.var)
        if found >= self.capacity:
            raise FaultTreeError(
                f"the tree is too large to analyse: its decision diagram passed "
                f"{self.capacity} nodes before its minimal cut sets could be counted; "
                "simplify the tree"
            )
        self.var.append(var)
        self.high.append(high)
        self.low.append(low)
        self.unique[(var * self.stride + high) * self.stride + low] = found
        return found


class _Engine:
    """Builds the BDD of a tree's top event and extracts its minimal cut sets as a ZBDD."""

    def __init__(self, variables: int) -> None:
        self.steps_left = MAX_DIAGRAM_STEPS
        self.bdd = _Nodes(variables, zero_suppressed=False)
        self.zbdd = _Nodes(variables, zero_suppressed=True)
        self.and_table: dict[int, int] = {}
        self.or_table: dict[int, int] = {}
        self.without_table: dict[int, int] = {}
        self.minimal_table: dict[int, int] = {_FALSE: _FALSE, _TRUE: _TRUE}

    def _out_of_steps(self) -> FaultTreeError:
        return FaultTreeError(
            f"the tree is too large to analyse: its decision diagrams needed more than "
            f"{MAX_DIAGRAM_STEPS} steps before its minimal cut sets could be counted; "
            "simplify the tree"
        )

    def variable(self, var: int) -> int:
        """The BDD of one basic event."""
        return self.bdd.node(var, _TRUE, _FALSE)

    def apply(self, conjunction: bool, left: int, right: int) -> int:
        """``left AND right`` or ``left OR right`` on BDDs (Bryant's apply, iteratively)."""
        nodes = self.bdd
        var, high, low, unique, stride = (
            nodes.var,
            nodes.high,
            nodes.low,
            nodes.unique,
            nodes.stride,
        )
        table = self.and_table if conjunction else self.or_table
        absorbing, neutral = (_FALSE, _TRUE) if conjunction else (_TRUE, _FALSE)
        results: list[int] = []
        # A task is (f, g) to evaluate, or (-1 - variable, key) to build the node whose two
        # halves are on top of `results` (high pushed first) and remember it under `key`.
        tasks: list[tuple[int, int]] = [(left, right)]
        budget = self.steps_left
        while tasks:
            budget -= 1
            if budget < 0:
                raise self._out_of_steps()
            f, g = tasks.pop()
            if f < 0:
                low_result = results.pop()
                high_result = results.pop()
                if high_result == low_result:
                    made = low_result
                else:
                    top = -1 - f
                    found = unique.get((top * stride + high_result) * stride + low_result)
                    made = nodes.new(top, high_result, low_result) if found is None else found
                table[g] = made
                results.append(made)
                continue
            if f == absorbing or g == absorbing:
                results.append(absorbing)
                continue
            if f in (neutral, g):
                results.append(g)
                continue
            if g == neutral:
                results.append(f)
                continue
            if f > g:
                f, g = g, f
            key = f * stride + g
            done = table.get(key)
            if done is not None:
                results.append(done)
                continue
            vf, vg = var[f], var[g]
            top = vf if vf < vg else vg
            f1, f0 = (high[f], low[f]) if vf == top else (f, f)
            g1, g0 = (high[g], low[g]) if vg == top else (g, g)
            tasks.append((-1 - top, key))
            tasks.append((f0, g0))
            tasks.append((f1, g1))
        self.steps_left = budget
        return results[0]

    def at_least(self, k: int, inputs: list[int]) -> int:
        """At least ``k`` of ``inputs`` (BDDs): ``A(j, i) = x_i AND A(j-1, i+1) OR A(j, i+1)``."""
        suffix = [_TRUE] + [_FALSE] * k  # A(j, n): the empty suffix satisfies only j = 0
        for child in reversed(inputs):
            suffix = [_TRUE] + [
                self.apply(False, self.apply(True, child, suffix[j - 1]), suffix[j])
                for j in range(1, k + 1)
            ]
        return suffix[k]

    def without(self, family: int, blockers: int) -> int:
        """The sets of ZBDD ``family`` that contain no set of ZBDD ``blockers`` (Rauzy 1993).

        Both are antichains (no set inside another: minimal solutions and their sub-families),
        so ``blockers`` holds the empty set only if it *is* {∅}.
        """
        nodes = self.zbdd
        var, high, low, stride = nodes.var, nodes.high, nodes.low, nodes.stride
        table = self.without_table
        results: list[int] = []
        # Tasks: (0, p, q) evaluate; (1, p, q) build the node of the entry (p, q) from the two
        # halves on `results`; (2, q, 0) replace the top of `results` r by without(r, q);
        # (3, p, q) remember the top of `results` as the entry (p, q).
        tasks: list[tuple[int, int, int]] = [(0, family, blockers)]
        budget = self.steps_left
        while tasks:
            budget -= 1
            if budget < 0:
                raise self._out_of_steps()
            step, p, q = tasks.pop()
            if step == 1:
                low_result = results.pop()
                high_result = results.pop()
                made = nodes.node(var[p], high_result, low_result)
                table[p * stride + q] = made
                results.append(made)
                continue
            if step == 2:
                tasks.append((0, results.pop(), p))
                continue
            if step == 3:
                table[p * stride + q] = results[-1]
                continue
            if q == _FALSE or p == _FALSE:
                results.append(p)
                continue
            if p == q or q == _TRUE:
                results.append(_FALSE)
                continue
            if p == _TRUE:  # {∅} survives: q is an antichain other than {∅}, so ∅ is not in it
                results.append(_TRUE)
                continue
            done = table.get(p * stride + q)
            if done is not None:
                results.append(done)
                continue
            vp, vq = var[p], var[q]
            if vq < vp:  # blockers with q's variable cannot be inside p's sets
                tasks.append((3, p, q))
                tasks.append((0, p, low[q]))
                continue
            tasks.append((1, p, q))
            if vp < vq:
                tasks.append((0, low[p], q))
                tasks.append((0, high[p], q))
            else:  # x.P1 is blocked by Q0 (sets without x) and by x.Q1
                tasks.append((0, low[p], low[q]))
                tasks.append((2, high[q], 0))
                tasks.append((0, high[p], low[q]))
        self.steps_left = budget
        return results[0]

    def minimal(self, root: int) -> int:
        """The minimal solutions of monotone BDD ``root`` as a ZBDD:
        ``minsol(ite(x, F1, F0)) = x.without(minsol(F1), minsol(F0)) + minsol(F0)``."""
        high, low, var = self.bdd.high, self.bdd.low, self.bdd.var
        table = self.minimal_table
        tasks: list[tuple[int, bool]] = [(root, False)]
        while tasks:
            f, ready = tasks.pop()
            if f in table:
                continue
            if not ready:
                tasks.append((f, True))
                tasks.append((low[f], False))
                tasks.append((high[f], False))
                continue
            low_solutions = table[low[f]]
            high_solutions = self.without(table[high[f]], low_solutions)
            table[f] = self.zbdd.node(var[f], high_solutions, low_solutions)
        return table[root]

    def distribution(self, root: int) -> dict[int, int]:
        """How many sets of ZBDD ``root`` have each size, without listing them."""
        high, low = self.zbdd.high, self.zbdd.low
        sizes: dict[int, dict[int, int]] = {_FALSE: {}, _TRUE: {0: 1}}
        tasks: list[tuple[int, bool]] = [(root, False)]
        while tasks:
            z, ready = tasks.pop()
            if z in sizes:
                continue
            if not ready:
                tasks.append((z, True))
                tasks.append((low[z], False))
                tasks.append((high[z], False))
                continue
            counts = dict(sizes[low[z]])
            for size, count in sizes[high[z]].items():
                counts[size + 1] = counts.get(size + 1, 0) + count
            sizes[z] = counts
        return sizes[root]

    def sets(self, root: int, names: list[str]) -> list[CutSet]:
        """Every set of ZBDD ``root`` (call only after counting them)."""
        high, low, var = self.zbdd.high, self.zbdd.low, self.zbdd.var
        found: list[CutSet] = []
        path: list[str] = []  # the events chosen on the way down, shared by all branches
        tasks: list[tuple[int, int, str | None]] = [(root, 0, None)]
        while tasks:
            z, depth, chosen = tasks.pop()
            del path[depth:]
            if chosen is not None:
                path.append(chosen)
            if z == _TRUE:
                found.append(frozenset(path))
            elif z != _FALSE:
                tasks.append((low[z], len(path), None))
                tasks.append((high[z], len(path), names[var[z]]))
        return found


def _event_order(top: str, gates: Mapping[str, Gate]) -> list[str]:
    """Basic events in depth-first order of first appearance under the top event, a gate's own
    basic events before those of its sub-gates: events that meet under one gate get neighbouring
    variables (a good static BDD ordering), and a chain of gates puts each gate's event above the
    diagram of the rest of the chain, so building it costs one node per gate."""
    order: list[str] = []
    seen: set[str] = set()
    stack = [top]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in gates:
            inputs = gates[name].inputs
            stack.extend(reversed([child for child in inputs if child in gates]))
            stack.extend(reversed([child for child in inputs if child not in gates]))
        else:
            order.append(name)
    return order


def _top_event_bdd(tree: FaultTree, engine: _Engine, index: Mapping[str, int]) -> int:
    """The BDD of the top event, gates built bottom-up (post-order on an explicit stack)."""
    gates = {gate.name: gate for gate in tree.gates}
    built: dict[str, int] = {name: engine.variable(var) for name, var in index.items()}
    stack: list[tuple[str, bool]] = [(tree.top, False)]
    while stack:
        name, ready = stack.pop()
        if name in built:
            continue
        gate = gates[name]
        if not ready:
            stack.append((name, True))
            stack.extend((child, False) for child in reversed(gate.inputs))
            continue
        inputs = [built[child] for child in gate.inputs]
        if gate.kind == "ATLEAST":
            built[name] = engine.at_least(int(gate.k or 0), inputs)
        else:
            # Deepest top variable first: then each step usually adds a node above the result
            # instead of walking down it (an OR of n events costs n steps, not n**2 / 2).
            inputs.sort(key=engine.bdd.var.__getitem__, reverse=True)
            conjunction = gate.kind == "AND"
            result = _TRUE if conjunction else _FALSE
            for child in inputs:
                result = engine.apply(conjunction, result, child)
            built[name] = result
    return built[tree.top]


def _solve(tree: FaultTree) -> tuple[_Engine, int, list[str]]:
    """The engine, the ZBDD of the minimal cut sets and the variable order (names)."""
    problems = tree_problems(tree)
    if problems:
        raise FaultTreeError(problems[0])
    order = _event_order(tree.top, {gate.name: gate for gate in tree.gates})
    engine = _Engine(len(order))
    root = _top_event_bdd(tree, engine, {name: var for var, name in enumerate(order)})
    return engine, engine.minimal(root), order


def cut_set_distribution(tree: FaultTree) -> dict[int, int]:
    """How many minimal cut sets ``tree`` has of each size, without listing them (so a tree with
    millions of cut sets answers too); :class:`FaultTreeError` if ill formed or if its decision
    diagrams outgrow :data:`MAX_DIAGRAM_NODES`."""
    engine, solutions, _ = _solve(tree)
    return dict(sorted(engine.distribution(solutions).items()))


def minimal_cut_sets(tree: FaultTree, *, limit: int = MAX_CUT_SETS) -> list[CutSet]:
    """The tree's minimal cut sets, smallest first (then by sorted names).

    :class:`FaultTreeError` if the tree is ill formed or has more than ``limit`` minimal cut
    sets (they are counted before they are listed, so a refusal is quick), or if its decision
    diagrams outgrow :data:`MAX_DIAGRAM_NODES` before the count is known.
    """
    engine, solutions, order = _solve(tree)
    count = sum(engine.distribution(solutions).values())
    if count > limit:
        raise FaultTreeError(
            f"{count} minimal cut sets, more than the limit of {limit}: simplify the tree"
        )
    found = engine.sets(solutions, order)
    return sorted(found, key=lambda cut: (len(cut), sorted(cut)))


def removed_cut_sets(cut_sets: Iterable[CutSet], mitigation: Mitigation) -> list[CutSet]:
    """The cut sets a mitigation breaks: those containing an event it prevents."""
    prevented = set(mitigation.prevents)
    return [cut for cut in cut_sets if cut & prevented]
