"""The architecture diagrams: drawn from ``components()`` by Graphviz, checked on the SVG itself.

Each test reads the SVG a reader gets (boxes, labels, Bézier paths) and checks one promise of
the issue: the arrows are exactly the data flow, no arrow runs through a box or a label that
is not its own, no two texts overlap, the text stays readable on a 390 px phone, and an arrow
is dashed exactly when it closes a feedback loop.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from functools import cache
from itertools import combinations

import pytest
from mlip_docs.architecture import architecture_svg
from mlip_docs.system_pages import _architecture_intro, _consumed

from mlip.systems import Component, ComponentKind, data_flow, get_system, system_names

SVG = "{http://www.w3.org/2000/svg}"
ML, NON_ML = ComponentKind.ML, ComponentKind.NON_ML
#: A 390 px wide window shows the page's content 342 px wide: mkdocs-material's side margins
#: and desktop Chromium's scroll bar (measured in test_docs_browser; phones overlay theirs).
PHONE_CONTENT_WIDTH = 342
SMALLEST_READABLE_PX = 9

LOOP = (
    Component("sensor", NON_ML, "reads the world", consumes=("heat",), produces=("reading",)),
    Component("model", ML, "predicts", consumes=("reading", "goal"), produces=("seconds",)),
    Component("dial", NON_ML, "sets the goal", produces=("goal",)),
    Component("controller", NON_ML, "heats", consumes=("seconds",), produces=("heat",)),
    Component("logger", NON_ML, "keeps a record", consumes=("heat", "seconds")),
)
#: Names a course might pick: spaces, markup characters, a name like our label nodes', an item
#: too long to wrap, one producer feeding four consumers, two producers of one item.
ODD = (
    Component("label 0", NON_ML, "a clash", produces=("a_very_long_item_name_that_cannot_wrap",)),
    Component("R&D <lab>", ML, "odd name", consumes=("a_very_long_item_name_that_cannot_wrap",),
              produces=("x & y",)),
    *(Component(f"c{i}", NON_ML, "reads", consumes=("x & y",), produces=("z",)) for i in range(4)),
    Component("sink", NON_ML, "reads one z", consumes=("z",), sources={"z": "c2"}),
)  # fmt: skip
EXAMPLES = {
    name: (get_system(name).title, get_system(name).components()) for name in system_names()
}
EXAMPLES["loop"] = ("loop", LOOP)
EXAMPLES["odd"] = ("odd", ODD)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    def inside(self, point: tuple[float, float], inset: float) -> bool:
        px, py = point
        return (
            self.x + inset < px < self.x + self.width - inset
            and self.y + inset < py < self.y + self.height - inset
        )

    def on_border(self, point: tuple[float, float], tolerance: float = 2.0) -> bool:
        grown = Rect(
            self.x - tolerance,
            self.y - tolerance,
            self.width + 2 * tolerance,
            self.height + 2 * tolerance,
        )
        return grown.inside(point, 0) and not self.inside(point, tolerance)

    def overlaps(self, other: Rect) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    def contains(self, other: Rect) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.width <= self.x + self.width
            and other.y + other.height <= self.y + self.height
        )


@dataclass(frozen=True)
class Line:
    """One drawn path: which boxes it joins, its points sampled along the curve, its dashes."""

    start: str
    end: str
    samples: tuple[tuple[float, float], ...]
    dashed: bool
    feedback: bool  # the group it belongs to says it closes a feedback loop


@dataclass(frozen=True)
class Drawing:
    width: float
    boxes: dict[str, Rect]  # components by name, labels as "\0label N" (no component name)
    texts: list[tuple[str, Rect, float]]  # (owner box name or "legend", text box, font size)
    lines: list[Line]
    flows: set[tuple[str, str, str, bool]]  # (source, target, label text, dashed group)
    legend: str


def _rect(element: ElementTree.Element) -> Rect:
    return Rect(*(float(element.get(key, "0")) for key in ("x", "y", "width", "height")))


def _text_box(element: ElementTree.Element) -> Rect:
    """The box a text fills: its width is fixed by ``textLength``, its height by the font."""
    size = float(element.get("font-size", "0"))
    length = float(element.get("textLength", "0"))
    x, y = float(element.get("x", "0")), float(element.get("y", "0"))
    left = x - length / 2 if element.get("text-anchor") == "middle" else x
    return Rect(left, y - 0.8 * size, length, 1.05 * size)


def _samples(d: str) -> tuple[tuple[float, float], ...]:
    """Points along a path of M and C commands (cubic Bézier), 40 per segment."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    points = list(zip(numbers[::2], numbers[1::2], strict=True))
    assert d.startswith("M") and set(re.findall(r"[A-Za-z]", d)) <= {"M", "C"}, d
    assert (len(points) - 1) % 3 == 0, d
    out = [points[0]]
    for i in range(1, len(points), 3):
        p0, p1, p2, p3 = points[i - 1], points[i], points[i + 1], points[i + 2]
        for step in range(1, 41):
            t = step / 40
            out.append(
                tuple(  # type: ignore[arg-type]
                    (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t**2 * c + t**3 * e
                    for a, b, c, e in zip(p0, p1, p2, p3, strict=True)
                )
            )
    return tuple(out)


@cache
def _drawing(name: str) -> Drawing:
    title, components = EXAMPLES[name]
    root = ElementTree.fromstring(architecture_svg(title, components))
    boxes: dict[str, Rect] = {}
    texts: list[tuple[str, Rect, float]] = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "component":
            owner = group.get("data-name", "")
            boxes[owner] = _rect(group.find(f"{SVG}rect"))  # type: ignore[arg-type]
            text = group.find(f"{SVG}text")
            assert text is not None and text.text == owner
            texts.append((owner, _text_box(text), float(text.get("font-size", "0"))))
    lines, flows = [], set()
    for index, group in enumerate(g for g in root.iter(f"{SVG}g") if g.get("class") == "flow"):
        label = f"\0label {index}"
        boxes[label] = _rect(group.find(f"{SVG}rect[@class='label']"))  # type: ignore[arg-type]
        words = []
        for text in group.iter(f"{SVG}text"):
            texts.append((label, _text_box(text), float(text.get("font-size", "0"))))
            words.append(text.text or "")
        source, feedback = group.get("data-source", ""), group.get("data-feedback") == "true"
        for path in group.iter(f"{SVG}path"):
            dashed = path.get("stroke-dasharray") is not None
            if path.get("class") == "feed":
                lines.append(Line(source, label, _samples(path.get("d", "")), dashed, feedback))
            else:
                target = path.get("data-target", "")
                assert path.get("marker-end"), "an arrow to each consumer"
                lines.append(Line(label, target, _samples(path.get("d", "")), dashed, feedback))
                flows.add((source, target, " ".join(words), feedback))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    for text in legend.iter(f"{SVG}text"):
        texts.append(("legend", _text_box(text), float(text.get("font-size", "0"))))
    width = float(root.get("viewBox", "").split()[2])
    legend_text = " ".join(t.text or "" for t in legend.iter(f"{SVG}text"))
    return Drawing(width, boxes, texts, lines, flows, legend_text)


NAMES = sorted(EXAMPLES)


@pytest.mark.parametrize("name", NAMES)
def test_arrows_are_exactly_the_data_flow_of_components(name: str) -> None:
    drawing = _drawing(name)
    expected = {
        (f.source, f.target, ", ".join(f.data), f.feedback) for f in data_flow(EXAMPLES[name][1])
    }
    assert drawing.flows == expected
    for line in drawing.lines:  # each line really joins the two boxes it claims to
        assert drawing.boxes[line.start].on_border(line.samples[0]), (line.start, line.end)
        assert drawing.boxes[line.end].on_border(line.samples[-1]), (line.start, line.end)


@pytest.mark.parametrize("name", NAMES)
def test_no_line_crosses_a_box_or_label_other_than_its_ends(name: str) -> None:
    drawing = _drawing(name)
    for line in drawing.lines:
        for owner, box in drawing.boxes.items():
            if owner in (line.start, line.end):
                continue
            inside = [p for p in line.samples if box.inside(p, inset=0.5)]
            assert not inside, f"{line.start} → {line.end} crosses {owner} at {inside[0]}"


@pytest.mark.parametrize("name", NAMES)
def test_no_two_texts_overlap_and_each_fits_its_box(name: str) -> None:
    drawing = _drawing(name)
    for (owner_a, a, _), (owner_b, b, _) in combinations(drawing.texts, 2):
        assert not a.overlaps(b), f"texts of {owner_a} and {owner_b} overlap"
    for owner, text, _ in drawing.texts:
        if owner != "legend":
            assert drawing.boxes[owner].contains(text), f"text spills out of {owner}"
    for (owner_a, a), (owner_b, b) in combinations(drawing.boxes.items(), 2):
        assert not a.overlaps(b), f"{owner_a} and {owner_b} overlap"


@pytest.mark.parametrize("name", NAMES)
def test_text_stays_readable_on_a_390_px_phone(name: str) -> None:
    drawing = _drawing(name)
    scale = min(1.0, PHONE_CONTENT_WIDTH / drawing.width)
    smallest = min(size for _, _, size in drawing.texts)
    assert smallest * scale >= SMALLEST_READABLE_PX, (
        f"{drawing.width:g} units wide: {smallest:g} px text shows at {smallest * scale:.1f} px"
    )


@pytest.mark.parametrize("name", NAMES)
def test_a_line_is_dashed_exactly_when_its_flow_closes_a_feedback_loop(name: str) -> None:
    drawing = _drawing(name)
    drawn = {(source, target) for source, target, _, loop in drawing.flows if loop}
    expected = {(f.source, f.target) for f in data_flow(EXAMPLES[name][1]) if f.feedback}
    assert drawn == expected
    for line in drawing.lines:
        assert line.dashed == line.feedback, f"{line.start} → {line.end}"
    assert ("feedback loop" in drawing.legend) == bool(expected)


@pytest.mark.parametrize("name", system_names())
def test_the_page_speaks_of_feedback_loops_only_where_the_diagram_has_one(name: str) -> None:
    components = get_system(name).components()
    intro = _architecture_intro(components)
    loops = [f for f in data_flow(components) if f.feedback]
    assert ("Dashed arrows close a feedback loop" in intro) == bool(loops)
    for flow in loops:
        assert f"`{flow.source}` → `{flow.target}`" in intro


def test_the_components_table_says_where_a_consumer_reads_a_shared_item() -> None:
    components = {c.name: c for c in get_system("toaster").components()}
    assert _consumed(components["controller"], "chamber_temp_c") == (
        "`chamber_temp_c` (from thermal_sensor)"
    )
    assert _consumed(components["controller"], "cancel") == "`cancel`"


def test_toaster_draws_the_safety_path_and_no_sensor_arrow_into_the_model() -> None:
    flows = {(s, t): (label, loop) for s, t, label, loop in _drawing("toaster").flows}
    assert flows["thermal_sensor", "controller"] == ("chamber_temp_c", True)
    assert ("thermal_sensor", "heating_time_model") not in flows
    assert not flows["smoke_sensor", "controller"][1]
    assert not flows["cancel_button", "controller"][1]


def test_the_same_components_give_the_same_bytes() -> None:
    title, components = EXAMPLES["toaster"]
    assert architecture_svg(title, components) == architecture_svg(title, components)
