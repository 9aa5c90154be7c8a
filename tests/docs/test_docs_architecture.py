"""The architecture diagram follows the data flow declared by ``components()``."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from mlip_docs.architecture import architecture_svg, data_flow_edges

from mlip.systems import Component, ComponentKind, get_system, system_names

ML, NON_ML = ComponentKind.ML, ComponentKind.NON_ML
LOOP = (
    Component("sensor", NON_ML, "reads the world", consumes=("heat",), produces=("reading",)),
    Component("model", ML, "predicts", consumes=("reading",), produces=("seconds",)),
    Component("controller", NON_ML, "heats", consumes=("seconds",), produces=("heat",)),
)


def test_edges_run_from_producer_to_consumer() -> None:
    edges = {(e.source, e.target): e.data for e in data_flow_edges(LOOP)}
    assert edges == {
        ("sensor", "model"): ("reading",),
        ("model", "controller"): ("seconds",),
        ("controller", "sensor"): ("heat",),
    }


def test_a_feedback_loop_is_drawn_as_a_dashed_return_arrow() -> None:
    svg = architecture_svg("loop", LOOP)
    root = ElementTree.fromstring(svg)
    paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("marker-end")]
    assert len(paths) == 3
    assert sum(1 for p in paths if p.get("stroke-dasharray")) == 1


@pytest.mark.parametrize("name", system_names())
def test_each_system_diagram_is_valid_svg_with_one_box_per_component(name: str) -> None:
    system = get_system(name)
    root = ElementTree.fromstring(architecture_svg(system.title, system.components()))
    boxes = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("rx") == "8"]
    assert len(boxes) == len(system.components())
    ml_fill = {r.get("fill") for r in boxes} & {"#f6bd8a"}
    assert ml_fill, "ML components are drawn in their own colour"
