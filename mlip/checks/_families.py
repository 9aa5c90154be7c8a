"""Scenario families shared by every topic: chaos models, environment conditions, baselines.

A scenario is plain data: ``{"n": 200, "seed": 1, "fault": "nan"}`` or ``{"n": 200, "seed": 1,
"conditions": {"sensor_fault": "stuck_ir"}}``. :func:`run_scenario` turns it into a system run
with the student's (wrapped) extensions plugged in; the same scenario always gives the same run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlip.checks._engine import CheckContext, Scenario

if TYPE_CHECKING:
    from mlip.systems import RunResult, System

__all__ = [
    "chaos_scenarios",
    "condition_scenarios",
    "healthy_model",
    "metric",
    "run_scenario",
    "to_bool",
    "to_float",
]


def chaos_scenarios(system: System, *, n: int, seed: int) -> list[Scenario]:
    """One scenario per fault kind of the contract: NaN, inf, negative, huge, constant, ..."""
    from mlip.systems import FAULT_KINDS

    return [{"fault": kind, "n": n, "seed": seed} for kind in FAULT_KINDS]


def condition_scenarios(
    system: System,
    *,
    n: int,
    seed: int,
    names: tuple[str, ...] | None = None,
    extra: tuple[Scenario, ...] = (),
) -> list[Scenario]:
    """One scenario per non-default value of each condition the system declares.

    Built from :meth:`System.conditions`, so a new fault value a system adds is covered
    automatically. ``names`` restricts to some conditions; ``extra`` adds combined scenarios
    (e.g. a chaos model *and* a dead sensor), each keeping only conditions the system knows.
    """
    declared = {condition.name: condition.values for condition in system.conditions()}
    scenarios: list[Scenario] = []
    for name, values in declared.items():
        if names is not None and name not in names:
            continue
        for value in values[1:]:
            scenarios.append({"conditions": {name: value}, "n": n, "seed": seed})
    for combined in extra:
        conditions = {
            key: value
            for key, value in dict(combined.get("conditions", {})).items()
            if value in declared.get(key, ())
        }
        scenario: Scenario = {**combined, "conditions": conditions, "n": n, "seed": seed}
        if conditions or "fault" in combined:
            scenarios.append(scenario)
    return scenarios


def healthy_model(context: CheckContext) -> Any:
    """The committed model, loaded once per run of checks (see :meth:`CheckContext.model`)."""
    return context.model()


def run_scenario(
    context: CheckContext,
    scenario: Scenario,
    *,
    guarded: bool = True,
    telemetry: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """Run the system on ``scenario``; ``guarded=False`` runs the naive system for a baseline.

    ``telemetry`` receives every event (plain dicts), for verdicts that look at single users.
    """
    model = healthy_model(context)
    if "fault" in scenario:
        model = context.system.faulty_model(str(scenario["fault"]), model=model)
    return context.system.run(
        n=int(scenario["n"]),
        seed=int(scenario["seed"]),
        model=model,
        extensions=dict(context.extensions) if guarded else None,
        conditions={str(k): str(v) for k, v in dict(scenario.get("conditions", {})).items()},
        telemetry=telemetry,
    )


def metric(result: RunResult, name: str) -> float:
    """A system or model metric of ``result`` (system metrics first), as a float."""
    if name in result.system_metrics:
        return float(result.system_metrics[name])
    if name in result.model:
        return float(result.model[name])
    known = ", ".join(sorted([*result.system_metrics, *result.model]))
    raise KeyError(f"system reports no metric {name!r} (it has {known})")


def to_bool(value: Any) -> bool:
    """Coerce a student's yes/no answer; only real booleans (or 0/1) count."""
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return to_bool(value.item())
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise TypeError(f"expected True or False, got {value!r}")


def to_float(value: Any) -> float:
    """Coerce a student's number to a Python float (the system judges whether it is sane)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)
