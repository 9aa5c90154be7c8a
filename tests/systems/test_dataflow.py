"""The data-flow relation: an arrow iff a consumer consumes what a producer produces."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mlip.errors import UsageError
from mlip.systems import Component, ComponentKind, DataFlow, data_flow, get_system, system_names
from mlip.systems.conformance import check_components

ML, NON_ML = ComponentKind.ML, ComponentKind.NON_ML


def _relation(components: tuple[Component, ...]) -> set[tuple[str, str, str]]:
    """(producer, consumer, item) for every item, straight from the definition."""
    triples = set()
    for consumer in components:
        for item in consumer.consumes:
            producers = [
                c.name for c in components if item in c.produces and c.name != consumer.name
            ]
            if item in consumer.sources:
                producers = [consumer.sources[item]]
            triples |= {(producer, consumer.name, item) for producer in producers}
    return triples


def _reaches(flows: tuple[DataFlow, ...], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name not in seen:
            seen.add(name)
            todo += [f.target for f in flows if f.source == name]
    return False


@pytest.mark.parametrize("name", system_names())
def test_arrows_are_exactly_the_declared_data_flow(name: str) -> None:
    components = get_system(name).components()
    flows = data_flow(components)
    drawn = {(f.source, f.target, item) for f in flows for item in f.data}
    assert drawn == _relation(components)
    assert len({(f.source, f.target) for f in flows}) == len(flows), "one arrow per pair"


@pytest.mark.parametrize("name", system_names())
def test_dashed_arrows_are_exactly_the_ones_closing_a_loop(name: str) -> None:
    flows = data_flow(get_system(name).components())
    for flow in flows:
        if flow.feedback:  # it lies on a loop: its target's output reaches its source again
            assert _reaches(flows, flow.target, flow.source), flow
    forward = tuple(f for f in flows if not f.feedback)
    for flow in forward:  # without the feedback arrows nothing loops
        assert not _reaches(forward, flow.target, flow.source), flow


def test_the_toaster_reads_the_live_thermal_sensor_in_the_controller_not_the_model() -> None:
    flows = {(f.source, f.target): f for f in data_flow(get_system("toaster").components())}
    assert ("thermal_sensor", "heating_time_model") not in flows
    safety = flows["thermal_sensor", "controller"]
    assert safety.data == ("chamber_temp_c",)
    assert safety.feedback, "heat the controller causes comes back through the sensor"
    assert "chamber_temp_c" in flows["pre_toast_sensors", "heating_time_model"].data
    assert flows["thermal_fuse", "heating_element"].feedback
    assert not any(f.feedback for (source, _), f in flows.items() if source == "smoke_sensor")


def test_tax_advice_and_prompts_come_back_into_the_filing_flow() -> None:
    flows = {(f.source, f.target): f for f in data_flow(get_system("tax").components())}
    assert flows["advice_service", "filing_flow"].feedback
    assert flows["upsell_service", "filing_flow"].feedback
    assert flows["filing_flow", "upsell_service"].data == ("filing step",)


def test_transcription_reviewed_words_reach_the_customer_and_nothing_loops() -> None:
    flows = {(f.source, f.target): f for f in data_flow(get_system("transcription").components())}
    assert flows["review_queue", "editor"].data == ("corrected words",)
    assert not any(f.feedback for f in flows.values())


SENSORS = Component("sensors", NON_ML, "read before", consumes=("bread",), produces=("temp",))
PROBE = Component("probe", NON_ML, "reads live", consumes=("heat",), produces=("temp",))
HEATER = Component("heater", NON_ML, "heats", consumes=("power",), produces=("heat",))


def test_a_consumer_with_two_producers_must_name_its_source() -> None:
    model = Component("model", ML, "predicts", consumes=("temp",), produces=("power",))
    with pytest.raises(UsageError, match="sensors, probe"):
        data_flow((SENSORS, PROBE, model, HEATER))
    system = SimpleNamespace(components=lambda: (SENSORS, PROBE, model, HEATER))
    with pytest.raises(AssertionError, match="name the one it reads"):
        check_components(system)  # type: ignore[arg-type]  # only components() is used


def test_a_declared_source_picks_one_producer() -> None:
    model = Component("model", ML, "predicts", ("temp",), ("power",), sources={"temp": "sensors"})
    flows = data_flow((SENSORS, PROBE, model, HEATER))
    assert [(f.source, f.target, f.data, f.feedback) for f in flows] == [
        ("sensors", "model", ("temp",), False),
        ("model", "heater", ("power",), False),
        ("heater", "probe", ("heat",), False),
    ]


@pytest.mark.parametrize(
    ("sources", "message"),
    [({"temp": "heater"}, "does not produce it"), ({"heat": "heater"}, "does not consume")],
)
def test_a_wrong_source_declaration_is_refused(sources: dict[str, str], message: str) -> None:
    model = Component("model", ML, "predicts", ("temp",), ("power",), sources=sources)
    with pytest.raises(UsageError, match=message):
        data_flow((SENSORS, PROBE, model, HEATER))
