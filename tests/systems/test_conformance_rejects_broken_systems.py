"""The conformance suite rejects deliberately broken systems, each with a message naming why.

A suite that no broken implementation fails proves nothing (scikit-learn tests
``check_estimator`` the same way). Each broken system is the tax system (quick to run) with one
thing wrong.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mlip.systems import (
    EventField,
    EventSchema,
    Extension,
    ExtensionPoint,
    RunResult,
    Simulation,
    event_schema,
)
from mlip.systems.conformance import check_system
from mlip.systems.tax import TaxSystem


class OverridesRun(TaxSystem):
    """Re-implements the run pipeline instead of filling in ``simulate``."""

    def run(self, **arguments: Any) -> RunResult:
        return super().run(**arguments)


class DeclaresNoNaiveBehaviour(TaxSystem):
    """An extension point that does not say what the system does without it."""

    def extension_points(self) -> tuple[ExtensionPoint, ...]:
        return tuple(replace(point, naive=None) for point in super().extension_points())


class MislabelsATimeField(TaxSystem):
    """Marks a text field as a time index (streams would shift it like ``t``)."""

    def telemetry_schema(self) -> tuple[EventSchema, ...]:
        broken = event_schema(
            "purchase",
            "The user bought audit protection.",
            ("return_id", "int", "return number within the run"),
            EventField("step", "str", "screen on which they bought", time=True),
            ("price", "float", "dollars paid"),
        )
        return tuple(
            broken if schema.event == "purchase" else schema
            for schema in super().telemetry_schema()
        )


class IgnoresExtensions(TaxSystem):
    """Never calls the guard and the policy students write (only the monitor sees events)."""

    def simulate(self, simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
        watched = {k: v for k, v in simulation.extensions.items() if k == "monitor"}
        return super().simulate(replace(simulation, extensions=watched))


class _Reversed(Extension):
    def many(self, calls: Any) -> list[Any]:
        return super().many(calls)[::-1]


class MixesUpBatchedAnswers(TaxSystem):
    """Gives each user the answer meant for another when calls come in a batch."""

    def simulate(self, simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
        mixed = {k: _Reversed(k, v.function) for k, v in simulation.extensions.items()}
        return super().simulate(replace(simulation, extensions=mixed))


class _OneByOne(Extension):
    def many(self, calls: Any) -> list[Any]:
        return [self.function(*args) for args in calls]


class NeverBatches(TaxSystem):
    """Calls a sandboxed student function once per call: one round trip each."""

    def simulate(self, simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
        single = {k: _OneByOne(k, v.function) for k, v in simulation.extensions.items()}
        return super().simulate(replace(simulation, extensions=single))


@pytest.mark.parametrize(
    ("broken", "check", "problem"),
    [
        (OverridesRun, "check_run_is_the_shared_pipeline", "run() is overridden"),
        (
            DeclaresNoNaiveBehaviour,
            "check_extension_points_declare_naive_behaviour",
            "'advice_guard' declares no naive function",
        ),
        (MislabelsATimeField, "check_telemetry_schema", "time field 'step' must be an int"),
        (IgnoresExtensions, "check_extensions_are_called", "never called extension"),
        (
            MixesUpBatchedAnswers,
            "check_naive_extensions_change_nothing",
            "answers are not used for their own calls",
        ),
        (NeverBatches, "check_naive_extensions_change_nothing", "is never called in batches"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_conformance_rejects_a_broken_system(broken: type, check: str, problem: str) -> None:
    with pytest.raises(AssertionError) as rejected:
        check_system(broken())
    message = str(rejected.value)
    assert message.startswith(f"tax: {check}: "), message
    assert problem in message, message
