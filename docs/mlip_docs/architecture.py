"""Draw a system's architecture as an SVG straight from ``System.components()``.

Components are boxes (ML ones in orange, ordinary software, hardware and people in blue); an
arrow runs from a component that *produces* an item to each component that *consumes* it, as
:func:`mlip.systems.data_flow` computes it (a consumer with several possible producers names its
source in ``components()``). Arrows that close a feedback loop are dashed; no other arrow is.

Graphviz's ``dot`` (through the ``pygraphviz`` wheel, which bundles the Graphviz libraries, so
no system package is needed) lays the boxes out in ranks top to bottom, places every edge label
as an obstacle of its own and routes the arrows around the boxes. Box and label sizes are given
to ``dot`` as fixed sizes estimated from the text, so the layout never depends on the fonts a
machine happens to have, and the same components give the same bytes on every machine with the
same Graphviz. We draw the SVG ourselves from ``dot``'s coordinates: plain SVG, no JavaScript, no
network, and the drawing is the layout the tests check (:func:`architecture_layout`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from mlip.systems import Component, ComponentKind, DataFlow, data_flow

__all__ = [
    "BOX_FONT_SIZE",
    "LABEL_FONT_SIZE",
    "Box",
    "ComponentDrawing",
    "FlowDrawing",
    "Layout",
    "architecture_layout",
    "architecture_svg",
    "text_width",
]

BOX_FONT_SIZE = 13
LABEL_FONT_SIZE = 13
LINE_HEIGHT = 16
BOX_HEIGHT = 36
BOX_PADDING = 9
LABEL_PADDING = 3
LABEL_CHARS = 24  # wrap edge labels at this many characters per line
MARGIN = 4
LEGEND_ROW = 20  # the legend's rows: box colours, then the dashed arrow if there is one
FILL = {ComponentKind.ML: "#f6bd8a", ComponentKind.NON_ML: "#bfe0e6"}
STROKE = {ComponentKind.ML: "#c15a0e", ComponentKind.NON_ML: "#2b7a8c"}
EDGE_COLOUR = "#444"
POINTS_PER_INCH = 72


def text_width(text: str, font_size: float, *, bold: bool = False) -> float:
    """The width ``text`` is drawn at, in the font's units (about Arial's widths).

    Every text of the diagram is drawn with ``textLength`` set to this width, so it fills
    exactly the room the layout gave it whatever font the reader's device substitutes.
    """
    narrow, wide = set("fijlrt.,:;'|!() "), set("mwMW@%")
    em = 0.0
    for char in text:
        if char in narrow:
            em += 0.3
        elif char in wide:
            em += 0.84
        elif char.isupper() or char.isdigit() or char == "_":
            em += 0.6
        else:
            em += 0.56
    return round(em * font_size * (1.08 if bold else 1.0), 1)


def _text(x: float, y: float, text: str, size: int, **attributes: str) -> str:
    """One line of text, squeezed or stretched to exactly its estimated width."""
    bold = attributes.get("font-weight") == "bold"
    extra = "".join(f' {name}="{value}"' for name, value in attributes.items())
    length = text_width(text, size, bold=bold)
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size}" textLength="{length:g}" '
        f'lengthAdjust="spacingAndGlyphs"{extra}>{escape(text)}</text>'
    )


@dataclass(frozen=True)
class Box:
    """A rectangle in SVG coordinates; ``x``/``y`` is its top-left corner."""

    x: float
    y: float
    width: float
    height: float

    def contains(self, point: tuple[float, float], *, inset: float = 0.0) -> bool:
        """Whether ``point`` lies inside the box shrunk by ``inset`` on every side."""
        px, py = point
        return (
            self.x + inset < px < self.x + self.width - inset
            and self.y + inset < py < self.y + self.height - inset
        )

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share some area (touching edges do not count)."""
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


@dataclass(frozen=True)
class ComponentDrawing:
    """A component's box."""

    component: Component
    box: Box


#: A cubic Bézier path: a start point, then groups of three (two control points, an end point).
Path = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class FlowDrawing:
    """The data one producer sends to its consumers: a label, a line to it, an arrow per consumer.

    Each item is written once, next to its producer, however many components consume it;
    ``flows`` are the :class:`~mlip.systems.DataFlow` arrows it stands for, all with the same
    source, data and ``feedback``, and ``arrows[i]`` leads from the label to ``flows[i].target``.
    """

    flows: tuple[DataFlow, ...]
    label_lines: tuple[str, ...]
    label: Box
    feed: Path
    arrows: tuple[Path, ...]

    @property
    def source(self) -> str:
        return self.flows[0].source

    @property
    def feedback(self) -> bool:
        return self.flows[0].feedback


@dataclass(frozen=True)
class Layout:
    """Everything :func:`architecture_svg` draws, in SVG coordinates."""

    width: float
    height: float
    components: tuple[ComponentDrawing, ...]
    flows: tuple[FlowDrawing, ...]


def _label_lines(data: Sequence[str]) -> tuple[str, ...]:
    text = ", ".join(data)
    return tuple(textwrap.wrap(text, LABEL_CHARS, break_long_words=False, break_on_hyphens=False))


def _label_size(lines: Sequence[str]) -> tuple[float, float]:
    width = max(text_width(line, LABEL_FONT_SIZE) for line in lines) + 2 * LABEL_PADDING
    return round(width + 0.5), len(lines) * LINE_HEIGHT + 2 * LABEL_PADDING


def _box_width(name: str) -> float:
    return round(text_width(name, BOX_FONT_SIZE, bold=True) + 2 * BOX_PADDING + 0.5)


def _point(text: str) -> tuple[float, float]:
    x, y = text.split(",")[-2:]
    return float(x), float(y)


def _groups(flows: Sequence[DataFlow]) -> list[tuple[DataFlow, ...]]:
    """Flows with one source, the same data and the same feedback flag share one label."""
    groups: dict[tuple[str, tuple[str, ...], bool], list[DataFlow]] = {}
    for flow in flows:
        groups.setdefault((flow.source, flow.data, flow.feedback), []).append(flow)
    return [tuple(group) for group in groups.values()]


def architecture_layout(components: Sequence[Component]) -> Layout:
    """Lay the components and their data flow out with Graphviz ``dot``, top to bottom.

    Every label is a node of its own in the layout (producer — label → consumers), so ``dot``
    keeps labels clear of boxes and of each other and routes lines around both. A feedback
    group is laid out pointing down, so the ranks stay free of loops, and drawn pointing up.
    """
    try:
        import pygraphviz
    except ImportError:  # the docs tooling is in the dev extra, not in the student package
        raise RuntimeError(
            "drawing architecture diagrams needs pygraphviz: pip install -e '.[dev]'"
        ) from None

    groups = _groups(data_flow(components))
    prefix = "label "  # label nodes get names no component has
    while any(component.name.startswith(prefix) for component in components):
        prefix = "_" + prefix
    graph = pygraphviz.AGraph(directed=True, strict=False)
    graph.graph_attr.update(
        rankdir="TB", nodesep="0.12", ranksep="0.22", splines="spline", margin="0", pad="0"
    )
    graph.node_attr.update(shape="box", fixedsize="true", label="")
    graph.edge_attr.update(dir="none")

    def add_node(name: str, width: float, height: float) -> None:
        graph.add_node(
            name,
            width=f"{width / POINTS_PER_INCH:.4f}",
            height=f"{height / POINTS_PER_INCH:.4f}",
        )

    for component in components:
        add_node(component.name, _box_width(component.name), BOX_HEIGHT)
    for index, group in enumerate(groups):
        label = f"{prefix}{index}"
        add_node(label, *_label_size(_label_lines(group[0].data)))
        source = group[0].source
        if group[0].feedback:
            graph.add_edge(label, source, key="feed")
            for flow in group:
                graph.add_edge(flow.target, label, key="arrow")
        else:
            graph.add_edge(source, label, key="feed")
            for flow in group:
                graph.add_edge(label, flow.target, key="arrow")
    graph.layout(prog="dot")

    left, bottom, right, top = (float(v) for v in graph.graph_attr["bb"].split(","))
    legend_height = LEGEND_ROW * (2 if any(group[0].feedback for group in groups) else 1) + 4
    x0, y0 = MARGIN - left, MARGIN + legend_height + top  # svg = (x + x0, y0 - y)

    def svg(point: tuple[float, float]) -> tuple[float, float]:
        return round(point[0] + x0, 1), round(y0 - point[1], 1)

    def box_of(name: str) -> Box:
        node = graph.get_node(name)
        cx, cy = svg(_point(node.attr["pos"]))
        width = float(node.attr["width"]) * POINTS_PER_INCH
        height = float(node.attr["height"]) * POINTS_PER_INCH
        return Box(round(cx - width / 2, 1), round(cy - height / 2, 1), width, height)

    def path(tail: str, head: str, key: str, *, upward: bool) -> Path:
        points = [svg(_point(p)) for p in graph.get_edge(tail, head, key=key).attr["pos"].split()]
        return tuple(reversed(points)) if upward else tuple(points)

    drawn = []
    for index, group in enumerate(groups):
        label, source, up = f"{prefix}{index}", group[0].source, group[0].feedback
        feed = (
            path(label, source, "feed", upward=True)
            if up
            else path(source, label, "feed", upward=False)
        )
        arrows = tuple(
            path(flow.target, label, "arrow", upward=True)
            if up
            else path(label, flow.target, "arrow", upward=False)
            for flow in group
        )
        drawn.append(FlowDrawing(group, _label_lines(group[0].data), box_of(label), feed, arrows))
    return Layout(
        width=round(right - left + 2 * MARGIN, 1),
        height=round(top - bottom + 2 * MARGIN + legend_height, 1),
        components=tuple(ComponentDrawing(c, box_of(c.name)) for c in components),
        flows=tuple(drawn),
    )


def _path(points: Sequence[tuple[float, float]]) -> str:
    start, rest = points[0], points[1:]
    curves = " ".join(
        "C" + " ".join(f"{x:g},{y:g}" for x, y in rest[i : i + 3]) for i in range(0, len(rest), 3)
    )
    return f"M{start[0]:g},{start[1]:g} {curves}"


def architecture_svg(title: str, components: Sequence[Component]) -> str:
    """The architecture diagram of one system as a standalone SVG document."""
    layout = architecture_layout(components)
    width, height = layout.width, layout.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" font-family="Helvetica, Arial, sans-serif" '
        f'role="img" aria-label="Architecture of {escape(title)}">',
        f"<title>Architecture of {escape(title)}</title>",
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='6' "
        "markerHeight='6' markerUnits='strokeWidth' orient='auto-start-reverse'>"
        f"<path d='M0,0 L10,5 L0,10 z' fill='{EDGE_COLOUR}'/></marker></defs>",
        f'<rect x="0" y="0" width="{width:g}" height="{height:g}" fill="white"/>',
        '<g class="legend">',
    ]
    x = MARGIN
    for kind, text in ((ComponentKind.ML, "machine-learned"), (ComponentKind.NON_ML, "not ML")):
        parts.append(
            f'<rect x="{x}" y="{MARGIN}" width="16" height="12" rx="2" '
            f'fill="{FILL[kind]}" stroke="{STROKE[kind]}"/>'
            + _text(x + 21, MARGIN + 10.5, text, LABEL_FONT_SIZE)
        )
        x += 21 + round(text_width(text, LABEL_FONT_SIZE)) + 14
    if any(flow.feedback for flow in layout.flows):
        y = MARGIN + LEGEND_ROW + 6
        parts.append(
            f'<path d="M{MARGIN},{y} h24" stroke="{EDGE_COLOUR}" stroke-width="1.4" '
            'stroke-dasharray="5,3" marker-end="url(#arrow)"/>'
            + _text(MARGIN + 30, y + 4, "closes a feedback loop", LABEL_FONT_SIZE)
        )
    parts.append("</g>")
    for flow in layout.flows:
        dash = ' stroke-dasharray="5,3"' if flow.feedback else ""
        line = f'fill="none" stroke="{EDGE_COLOUR}" stroke-width="1.4"{dash}'
        label = flow.label
        parts.append(
            f'<g class="flow" data-source="{escape(flow.source)}" '
            f'data-feedback="{str(flow.feedback).lower()}">'
            f"<title>{escape(flow.source)} → "
            f"{escape(', '.join(f.target for f in flow.flows))}: "
            f"{escape(', '.join(flow.flows[0].data))}</title>"
            f'<path class="feed" d="{_path(flow.feed)}" {line}/>'
        )
        for target, arrow in zip((f.target for f in flow.flows), flow.arrows, strict=True):
            parts.append(
                f'<path class="arrow" data-target="{escape(target)}" d="{_path(arrow)}" '
                f'{line} marker-end="url(#arrow)"/>'
            )
        parts.append(
            f'<rect class="label" x="{label.x:g}" y="{label.y:g}" width="{label.width:g}" '
            f'height="{label.height:g}" rx="3" fill="white" stroke="#bbb" stroke-width="0.6"/>'
        )
        for i, text in enumerate(flow.label_lines):
            baseline = label.y + LABEL_PADDING + (i + 0.78) * LINE_HEIGHT
            parts.append(
                _text(
                    label.x + label.width / 2,
                    baseline,
                    text,
                    LABEL_FONT_SIZE,
                    **{"text-anchor": "middle", "fill": "#222"},
                )
            )
        parts.append("</g>")
    for drawing in layout.components:
        box, kind, name = drawing.box, drawing.component.kind, drawing.component.name
        parts.append(
            f'<g class="component" data-name="{escape(name)}" data-kind="{kind.value}">'
            f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.width:g}" height="{box.height:g}" '
            f'rx="6" fill="{FILL[kind]}" stroke="{STROKE[kind]}" stroke-width="1.6"/>'
            + _text(
                box.x + box.width / 2,
                box.y + box.height / 2 + 4.5,
                name,
                BOX_FONT_SIZE,
                **{"text-anchor": "middle", "font-weight": "bold"},
            )
            + "</g>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
