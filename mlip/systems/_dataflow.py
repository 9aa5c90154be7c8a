"""Which component's data reaches which: the data-flow relation behind every architecture diagram.

An arrow runs from a producer to a consumer exactly when the consumer consumes an item the
producer produces. When two components produce the same item (the toaster's pre-toast
thermometer and its live thermal sensor both report ``chamber_temp_c``), the consumer must say
which one it reads in :attr:`Component.sources`; guessing would draw data paths that do not
exist. An arrow is a *feedback* arrow when it closes a loop (what a component caused comes back
to it); those are the ones diagrams draw dashed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlip.errors import UsageError
from mlip.systems._contract import Component

__all__ = ["DataFlow", "data_flow"]


@dataclass(frozen=True)
class DataFlow:
    """Data flowing from one component to another (one arrow of the diagram)."""

    source: str
    target: str
    data: tuple[str, ...]
    #: True when this arrow closes a loop: its target's output reaches its source again.
    feedback: bool = False


def _producers(components: Sequence[Component]) -> dict[str, list[str]]:
    producers: dict[str, list[str]] = {}
    for component in components:
        for item in component.produces:
            producers.setdefault(item, []).append(component.name)
    return producers


def _resolve(component: Component, item: str, producers: dict[str, list[str]]) -> str | None:
    """The component ``component`` reads ``item`` from, or None when it comes from outside."""
    candidates = [name for name in producers.get(item, []) if name != component.name]
    declared = component.sources.get(item)
    if declared is not None:
        if declared not in candidates:
            raise UsageError(
                f"component {component.name!r} reads {item!r} from {declared!r}, "
                f"which does not produce it (producers: {', '.join(candidates) or 'none'})"
            )
        return declared
    if len(candidates) > 1:
        raise UsageError(
            f"component {component.name!r} consumes {item!r}, which {', '.join(candidates)} "
            f"all produce: name the one it reads in sources={{{item!r}: ...}}"
        )
    return candidates[0] if candidates else None


def data_flow(components: Sequence[Component]) -> tuple[DataFlow, ...]:
    """Producer → consumer arrows, one per component pair, in declaration order.

    Raises :class:`~mlip.errors.UsageError` when a consumer could read an item from several
    producers and does not say which, or names a source that does not produce the item.
    Feedback arrows are the back edges of a depth-first walk in declaration order: dropping
    them leaves no loop, and each of them lies on one.
    """
    names = [component.name for component in components]
    for component in components:
        unknown = set(component.sources) - set(component.consumes)
        if unknown:
            raise UsageError(
                f"component {component.name!r} names sources for {', '.join(sorted(unknown))}, "
                "which it does not consume"
            )
    producers = _producers(components)
    flows: dict[tuple[str, str], list[str]] = {}
    for component in components:
        for item in component.consumes:
            source = _resolve(component, item, producers)
            if source is not None:
                flows.setdefault((source, component.name), []).append(item)
    order = {name: index for index, name in enumerate(names)}
    pairs = sorted(flows, key=lambda pair: (order[pair[0]], order[pair[1]]))
    outgoing: dict[str, list[str]] = {name: [] for name in names}
    for source, target in pairs:
        outgoing[source].append(target)
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1: on the walk's stack, 2: finished

    def visit(name: str) -> None:
        state[name] = 1
        for target in outgoing[name]:
            if state.get(target) == 1:
                back.add((name, target))
            elif target not in state:
                visit(target)
        state[name] = 2

    for name in names:
        if name not in state:
            visit(name)
    return tuple(
        DataFlow(source, target, tuple(flows[source, target]), (source, target) in back)
        for source, target in pairs
    )
