"""Draw a system's architecture as an SVG straight from ``System.components()``.

Components are boxes (ML ones in orange, ordinary software, hardware and people in blue); an
arrow runs from a component that *produces* a piece of data to every component that *consumes*
it. We lay the boxes out in columns by data flow (longest path from the inputs), so the picture
reads top to bottom. Plain SVG needs no JavaScript and no network, so the diagram shows up in
any browser, in screenshots and offline, and it is redrawn on every build, so it never goes stale.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from mlip.systems import Component, ComponentKind

__all__ = ["architecture_svg", "data_flow_edges"]

BOX_WIDTH = 160
BOX_HEIGHT = 58
LAYER_GAP = 46
ROW_GAP = 24
RETURN_LANE = 150
MARGIN = 24
LEGEND_HEIGHT = 34
FILL = {ComponentKind.ML: "#f6bd8a", ComponentKind.NON_ML: "#bfe0e6"}
STROKE = {ComponentKind.ML: "#c15a0e", ComponentKind.NON_ML: "#2b7a8c"}


@dataclass(frozen=True)
class Edge:
    """Data flowing from one component to another."""

    source: str
    target: str
    data: tuple[str, ...]


def data_flow_edges(components: Sequence[Component]) -> list[Edge]:
    """Producer → consumer edges, one per component pair, labelled with the data that flows."""
    producers: dict[str, list[str]] = {}
    for component in components:
        for item in component.produces:
            producers.setdefault(item, []).append(component.name)
    flows: dict[tuple[str, str], list[str]] = {}
    for component in components:
        for item in component.consumes:
            for producer in producers.get(item, []):
                if producer != component.name:
                    flows.setdefault((producer, component.name), []).append(item)
    return [Edge(source, target, tuple(data)) for (source, target), data in flows.items()]


def _columns(components: Sequence[Component], edges: list[Edge]) -> dict[str, int]:
    """Column of each component: the longest forward path reaching it.

    Feedback loops (a sensor reading what the controller caused) would make "longest path"
    infinite, so edges that close a cycle in declaration order are ignored for layout and drawn
    as dashed return arrows instead.
    """
    order = {component.name: index for index, component in enumerate(components)}
    outgoing: dict[str, list[str]] = {name: [] for name in order}
    for edge in edges:
        outgoing[edge.source].append(edge.target)
    forward: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = done

    def visit(name: str) -> None:
        state[name] = 1
        for target in sorted(outgoing[name], key=order.__getitem__):
            if state.get(target) == 1:
                continue  # a back edge: closes a loop
            forward.add((name, target))
            if target not in state:
                visit(target)
        state[name] = 2

    for name in order:
        if name not in state:
            visit(name)
    column = dict.fromkeys(order, 0)
    for _ in range(len(order)):
        changed = False
        for source, target in forward:
            if column[target] < column[source] + 1:
                column[target] = column[source] + 1
                changed = True
        if not changed:
            break
    return column


def _wrapped_label(name: str, x: float, y: float) -> str:
    lines = textwrap.wrap(name, width=20) or [name]
    first_dy = -(len(lines) - 1) * 0.6
    spans = "".join(
        f'<tspan x="{x:.0f}" dy="{(first_dy if i == 0 else 1.2):.1f}em">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="middle" dominant-baseline="middle" '
        f'font-size="13" font-weight="600">{spans}</text>'
    )


def architecture_svg(title: str, components: Sequence[Component]) -> str:
    """The architecture diagram of one system as a standalone SVG document."""
    edges = data_flow_edges(components)
    column = _columns(components, edges)
    layers: dict[int, list[str]] = {}
    for component in components:
        layers.setdefault(column[component.name], []).append(component.name)
    widest = max(len(names) for names in layers.values())
    # Layers run top to bottom, so the picture fits the narrow column of a docs page; the
    # right margin leaves room for return arrows.
    width = max(MARGIN * 2 + widest * BOX_WIDTH + (widest - 1) * ROW_GAP + RETURN_LANE, 460)
    height = MARGIN * 2 + LEGEND_HEIGHT + len(layers) * (BOX_HEIGHT + LAYER_GAP)
    top = MARGIN + LEGEND_HEIGHT + 10
    usable = width - 2 * MARGIN - RETURN_LANE
    position: dict[str, tuple[float, float]] = {}
    for layer, names in layers.items():
        span = len(names) * BOX_WIDTH + (len(names) - 1) * ROW_GAP
        x0 = MARGIN + (usable - span) / 2
        for index, name in enumerate(names):
            position[name] = (
                x0 + index * (BOX_WIDTH + ROW_GAP),
                top + layer * (BOX_HEIGHT + LAYER_GAP),
            )

    kinds = {component.name: component.kind for component in components}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="Helvetica, Arial, sans-serif" '
        f'role="img" aria-label="Architecture of {escape(title)}">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' "
        "markerHeight='7' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
        "fill='#555'/></marker></defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
    ]
    legend_y = MARGIN
    for offset, kind, label in (
        (0, ComponentKind.ML, "machine-learned component"),
        (230, ComponentKind.NON_ML, "non-ML component"),
    ):
        parts.append(
            f'<rect x="{MARGIN + offset}" y="{legend_y}" width="18" height="14" rx="3" '
            f'fill="{FILL[kind]}" stroke="{STROKE[kind]}"/>'
            f'<text x="{MARGIN + offset + 26}" y="{legend_y + 12}" font-size="13">{label}</text>'
        )
    for edge in edges:
        sx, sy = position[edge.source]
        tx, ty = position[edge.target]
        label = escape(", ".join(edge.data))
        if column[edge.target] > column[edge.source]:
            x1, y1 = sx + BOX_WIDTH / 2, sy + BOX_HEIGHT
            x2, y2 = tx + BOX_WIDTH / 2, ty
            mid = (y1 + y2) / 2
            path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}"
            lx, ly = (x1 + x2) / 2 + 4, mid - 3
            anchor, dash = "start", ""
        else:  # a return arrow (feedback loop or same layer): around the right-hand side
            x1, y1 = sx + BOX_WIDTH, sy + BOX_HEIGHT / 2
            x2, y2 = tx + BOX_WIDTH, ty + BOX_HEIGHT / 2
            lane = max(x for x, _ in position.values()) + BOX_WIDTH + 50
            path = f"M{x1:.0f},{y1:.0f} C{lane:.0f},{y1:.0f} {lane:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
            lx, ly = (x1 + x2) / 8 + 0.75 * lane + 4, (y1 + y2) / 2  # the curve's midpoint
            anchor, dash = "start", ' stroke-dasharray="5,4"'
        parts.append(
            f'<path d="{path}" fill="none" stroke="#555" stroke-width="1.4"{dash} '
            f'marker-end="url(#arrow)"><title>{label}</title></path>'
        )
        parts.append(
            f'<text x="{lx:.0f}" y="{ly:.0f}" font-size="11" fill="#444" '
            f'text-anchor="{anchor}">{escape(textwrap.shorten(", ".join(edge.data), 28))}</text>'
        )
    for name, (box_x, box_y) in position.items():
        kind = kinds[name]
        parts.append(
            f'<rect x="{box_x:.0f}" y="{box_y:.0f}" width="{BOX_WIDTH}" '
            f'height="{BOX_HEIGHT}" rx="8" '
            f'fill="{FILL[kind]}" stroke="{STROKE[kind]}" stroke-width="1.6"/>'
        )
        parts.append(_wrapped_label(name, box_x + BOX_WIDTH / 2, box_y + BOX_HEIGHT / 2))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
