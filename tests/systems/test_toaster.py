"""The smart toaster: physics, model quality, the naive system's targets, and solvable guards."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlip.errors import UsageError
from mlip.systems import RunResult
from mlip.systems.toaster import ToasterSystem
from mlip.systems.toaster._model import make_training_data, regression_metrics
from mlip.systems.toaster._physics import (
    BREADS,
    CHAR_SHADE,
    IGNITION_C,
    HeatingState,
    SessionBatch,
    time_to_shade,
)

BREAD_NAMES = [bread.name for bread in BREADS]


def _batch(
    bread: str = "white",
    *,
    start_c: float = 21.0,
    health: float = 1.0,
    levels: tuple[int, ...] = (1, 4, 7),
    thickness_mm: float | None = None,
) -> SessionBatch:
    kind = BREADS[BREAD_NAMES.index(bread)]
    n = len(levels)
    return SessionBatch(
        bread=np.full(n, BREAD_NAMES.index(bread)),
        moisture=np.full(n, kind.moisture),
        thickness_mm=np.full(n, thickness_mm or kind.thickness_mm),
        sugar=np.full(n, kind.sugar),
        start_temp_c=np.full(n, start_c),
        ambient_c=np.full(n, 21.0),
        health=np.full(n, health),
        desired_shade=np.array(levels, dtype=float),
    )


def _seconds(batch: SessionBatch, chamber_c: float = 21.0) -> np.ndarray:
    return time_to_shade(batch, np.full(len(batch), chamber_c))


# --- physics -------------------------------------------------------------------------------


def test_browning_rises_with_time_and_with_power() -> None:
    strong, weak = (
        HeatingState(_batch(), np.full(3, 21.0)),
        HeatingState(_batch(health=0.8), np.full(3, 21.0)),
    )
    shades = []
    for _ in range(200):
        strong.step(np.ones(3))
        weak.step(np.ones(3))
        shades.append(float(strong.shade[0]))
    assert all(b >= a for a, b in pairwise(shades))
    assert shades[-1] > shades[100] > 0.0
    assert strong.shade[0] > weak.shade[0]


def test_darker_levels_take_longer() -> None:
    seconds = _seconds(_batch(levels=(1, 2, 3, 4, 5, 6, 7)))
    assert np.all(np.diff(seconds) > 0)
    assert 60.0 < seconds[0] < seconds[-1] < 300.0


def test_frozen_bread_needs_longer_for_the_same_doneness() -> None:
    assert np.all(_seconds(_batch(start_c=-18.0)) > _seconds(_batch()) + 5.0)


def test_aged_element_needs_longer() -> None:
    assert np.all(_seconds(_batch(health=0.85)) > 1.2 * _seconds(_batch()))


def test_warm_chamber_needs_less_time() -> None:
    assert np.all(_seconds(_batch(), chamber_c=150.0) < _seconds(_batch()) - 10.0)


def test_sugary_bread_browns_faster() -> None:
    assert np.all(_seconds(_batch("brioche")) < _seconds(_batch("sourdough")))


def test_fire_only_when_over_browned_and_hot_long_enough() -> None:
    state = HeatingState(_batch(levels=(4,)), np.full(1, 21.0))
    while not state.burning[0]:
        before_shade, before_surface = float(state.shade[0]), float(state.surface_c[0])
        state.step(np.ones(1))
        if not state.burning[0]:
            continue
        # it caught fire only now: it was already charred and hot for several seconds
        assert before_shade >= CHAR_SHADE
        assert before_surface >= IGNITION_C
    # a normal toast cycle never comes close
    normal = HeatingState(_batch(levels=(7,)), np.full(1, 21.0))
    for _ in range(int(_seconds(_batch(levels=(7,)))[0]) + 5):
        normal.step(np.ones(1))
    assert not normal.burning[0]
    # without enough heat (element off, chamber cold) charred bread does not ignite
    cold = HeatingState(_batch(levels=(4,)), np.full(1, 21.0))
    cold.shade[:] = 11.0
    for _ in range(60):
        cold.step(np.zeros(1))
    assert not cold.burning[0]


# --- model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def system() -> ToasterSystem:
    return ToasterSystem()


@pytest.fixture(scope="module")
def model(system: ToasterSystem) -> Any:
    return system.load_model()


def test_model_is_accurate_on_usual_bread(model: Any) -> None:
    readings, seconds = make_training_data(101, 3000, world="usual", element="new")
    metrics = regression_metrics(model.predict_many(readings), seconds)
    assert metrics["mae_seconds"] < 6.0
    assert metrics["r2"] > 0.9


def test_model_is_clearly_worse_on_unseen_bread_and_old_elements(model: Any) -> None:
    usual_x, usual_y = make_training_data(102, 3000, world="usual", element="new")
    unseen_x, unseen_y = make_training_data(102, 3000, world="unseen", element="new")
    aged_x, aged_y = make_training_data(102, 3000, world="usual", element="aged")
    usual_error = np.abs(model.predict_many(usual_x) - usual_y)
    unseen_error = np.abs(model.predict_many(unseen_x) - unseen_y)
    aged_error = np.abs(model.predict_many(aged_x) - aged_y)
    assert unseen_error.mean() > 1.2 * usual_error.mean()
    assert (unseen_error > 10.0).mean() > 2.0 * (usual_error > 10.0).mean()
    assert aged_error.mean() > 4.0 * usual_error.mean()


def test_model_reads_a_readings_dict(model: Any) -> None:
    readings = {
        "desired_level": 4.0,
        "thickness_mm": 14.0,
        "surface_temp_c": 21.0,
        "chamber_temp_c": 21.0,
        "ambient_temp_c": 21.0,
        "humidity_pct": 36.0,
        "crust_darkness": 45.0,
    }
    assert 120.0 < model.predict_seconds(readings) < 180.0
    frozen = model.predict_seconds({**readings, "surface_temp_c": -18.0})
    assert frozen > model.predict_seconds(readings)


def test_quick_training_writes_a_checkpoint_the_run_uses(
    system: ToasterSystem, tmp_path: Path
) -> None:
    steps: list[tuple[int, int, str]] = []
    report = system.train(
        seed=3, quick=True, checkpoint=tmp_path / "t.npz", progress=lambda *a: steps.append(a)
    )
    assert Path(report.checkpoint) == tmp_path / "t.npz"
    assert steps and steps[-1][0] == steps[-1][1]
    assert report.metrics["mae_seconds"] < 15.0
    trained = system.load_model(tmp_path / "t.npz")
    assert system.checkpoint_path().stat().st_size < 100_000
    own = system.run(n=200, seed=0, model=trained)
    assert own.model != system.run(n=200, seed=0).model


# --- the naive system --------------------------------------------------------------------


@pytest.fixture(scope="module")
def naive(system: ToasterSystem) -> RunResult:
    return system.run(n=10_000, seed=0)


def test_naive_default_run_hits_its_teaching_targets(naive: RunResult) -> None:
    metrics = naive.system_metrics
    assert metrics["doneness_within_1"] >= 0.80
    assert metrics["burnt_rate"] >= 0.005
    assert 0 < metrics["fires"] <= 0.001 * naive.n
    assert metrics["energy_wh"] > 0.0
    assert naive.model["mae_seconds"] > 0.0
    assert -1.0 < naive.model["r2"] < 1.0


def test_runs_are_deterministic_and_depend_on_the_seed(system: ToasterSystem) -> None:
    first = system.run(n=300, seed=4).to_dict()
    assert first == system.run(n=300, seed=4).to_dict()
    assert first != system.run(n=300, seed=5).to_dict()


def test_unknown_conditions_and_extensions_are_usage_errors(system: ToasterSystem) -> None:
    with pytest.raises(UsageError):
        system.run(n=5, seed=0, conditions={"bread": "croissant"})
    with pytest.raises(UsageError):
        system.run(n=5, seed=0, conditions={"weather": "rain"})
    with pytest.raises(UsageError):
        system.run(n=5, seed=0, extensions={"turbo": lambda: None})
    with pytest.raises(UsageError):
        system.faulty_model("melted")


def test_conditions_hurt_the_naive_system(system: ToasterSystem, naive: RunResult) -> None:
    baseline = system.run(n=2000, seed=0).system_metrics["doneness_within_1"]
    for name, value in (("bread", "unseen"), ("element", "aged"), ("sensor_fault", "stuck_ir")):
        worse = system.run(n=2000, seed=0, conditions={name: value})
        assert worse.system_metrics["doneness_within_1"] < baseline - 0.02, (name, value)


def test_a_nan_model_never_stops_heating_by_itself(system: ToasterSystem) -> None:
    events: list[dict[str, Any]] = []
    result = system.run(n=80, seed=0, model=system.faulty_model("nan"), telemetry=events.append)
    reasons = {e["reason"] for e in events if e["event"] == "heating_stopped"}
    assert reasons <= {"cancel", "fuse"}
    assert result.system_metrics["fires"] > 0
    assert result.model["invalid_rate"] == 1.0


def test_exceptions_and_slowness_are_recorded_not_raised(system: ToasterSystem) -> None:
    events: list[dict[str, Any]] = []
    system.run(n=20, seed=0, model=system.faulty_model("exception"), telemetry=events.append)
    errors = [e["error"] for e in events if e["event"] == "prediction"]
    assert all(error and "RuntimeError" in error for error in errors)
    slow = system.run(n=20, seed=0, model=system.faulty_model("slow"))
    assert slow.system_metrics["slow_predictions"] == 20.0


# --- extensions --------------------------------------------------------------------------

_FALLBACK_SECONDS = {1: 105.0, 2: 120.0, 3: 130.0, 4: 140.0, 5: 150.0, 6: 158.0, 7: 165.0}


def simple_heating_guard(predicted_seconds: float, readings: dict[str, float]) -> float:
    """Cap to a sane range; fall back to a table by level when the model gives no number."""
    if not math.isfinite(predicted_seconds):
        return _FALLBACK_SECONDS[int(readings["desired_level"])]
    return min(max(predicted_seconds, 0.0), 420.0)


def simple_thermal_cutoff(state: dict[str, float]) -> bool:
    """Stop on smoke or when the chamber is hotter than any normal toast gets."""
    return state["smoke_ppm"] > 150.0 or state["chamber_temp_c"] > 300.0


def test_a_simple_guard_prevents_fires_and_keeps_toast_good(
    system: ToasterSystem, naive: RunResult
) -> None:
    guards = {"heating_guard": simple_heating_guard, "thermal_cutoff": simple_thermal_cutoff}
    guarded = system.run(n=10_000, seed=0, extensions=guards)
    assert guarded.system_metrics["fires"] == 0.0
    assert guarded.system_metrics["cutoffs"] > 0.0
    assert (
        guarded.system_metrics["doneness_within_1"]
        >= 0.98 * naive.system_metrics["doneness_within_1"]
    )


def test_the_simple_guard_also_survives_a_nan_model(system: ToasterSystem) -> None:
    guards = {"heating_guard": simple_heating_guard, "thermal_cutoff": simple_thermal_cutoff}
    result = system.run(n=300, seed=0, model=system.faulty_model("nan"), extensions=guards)
    assert result.system_metrics["fires"] == 0.0
    assert result.system_metrics["doneness_within_1"] > 0.3


def test_identity_extensions_reproduce_the_naive_system(system: ToasterSystem) -> None:
    identity = {
        "heating_guard": lambda predicted, readings: predicted,
        "thermal_cutoff": lambda state: False,
    }
    assert (
        system.run(n=2000, seed=1, extensions=identity).to_dict()
        == system.run(n=2000, seed=1).to_dict()
    )


def test_cutoff_sees_live_sensor_readings_including_faults(system: ToasterSystem) -> None:
    seen: list[dict[str, float]] = []

    def recording_cutoff(state: dict[str, float]) -> bool:
        seen.append(dict(state))
        return False

    huge = system.faulty_model("huge")
    system.run(n=16, seed=0, model=huge, extensions={"thermal_cutoff": recording_cutoff})
    keys = {"elapsed_seconds", "planned_seconds", "chamber_temp_c", "smoke_ppm"}
    assert keys <= set(seen[0])
    assert max(s["smoke_ppm"] for s in seen) > 150.0
    seen.clear()
    system.run(
        n=16,
        seed=0,
        model=huge,
        extensions={"thermal_cutoff": recording_cutoff},
        conditions={"sensor_fault": "smoke_dead"},
    )
    assert max(s["smoke_ppm"] for s in seen) == 0.0


def test_monitor_sees_every_event_and_can_alert(system: ToasterSystem) -> None:
    def smoke_monitor(event: dict[str, Any]) -> str | None:
        if event["event"] == "outcome" and event["max_smoke_ppm"] > 100.0:
            return "smoke"
        return None

    result = system.run(
        n=40, seed=0, model=system.faulty_model("huge"), extensions={"monitor": smoke_monitor}
    )
    assert result.system_metrics["alerts"] > 0.0
