"""The toaster's architecture, extension points, conditions and telemetry, written out as data.

Light on purpose (no numpy): ``mlip systems show toaster`` reads this without loading the model.
"""

from __future__ import annotations

from typing import Any

from mlip.systems._contract import (
    ALERT_EVENT,
    MONITOR_EXTENSION,
    Component,
    ComponentKind,
    Condition,
    EventSchema,
    ExtensionPoint,
    event_schema,
)

__all__ = [
    "COMPONENTS",
    "CONDITIONS",
    "EXTENSION_POINTS",
    "INTERACTION_ACTIONS",
    "TELEMETRY_SCHEMA",
    "USER_POPULATIONS",
    "naive_interaction_policy",
]

#: How forcefully the toaster acts on its predicted time, most forceful first: stop by itself
#: (automate), ask the user to confirm (prompt), or show the time and let the user set it.
INTERACTION_ACTIONS: tuple[str, ...] = ("stop", "ask", "show")

#: Simulated user populations an interaction run can face (``usual`` unless a check says so).
USER_POPULATIONS: tuple[str, ...] = ("usual", "tire_faster", "inattentive")


def naive_interaction_policy(prediction: dict[str, Any]) -> str:
    """What the toaster always did: heat for the planned seconds and stop by itself."""
    return "stop"


_READINGS = (
    "desired_level",
    "thickness_mm",
    "surface_temp_c",
    "chamber_temp_c",
    "ambient_temp_c",
    "humidity_pct",
    "crust_darkness",
)

COMPONENTS: tuple[Component, ...] = (
    Component(
        "pre_toast_sensors",
        ComponentKind.NON_ML,
        "Slot sensor (thickness), infrared surface thermometer, chamber thermometer, ambient "
        "and humidity sensors, optical crust sensor; read once before toasting.",
        consumes=("bread", "toaster chamber"),
        produces=_READINGS[1:],
    ),
    Component(
        "level_dial",
        ComponentKind.NON_ML,
        "The user picks the desired doneness, shade 1 (light) to 7 (dark).",
        consumes=("user",),
        produces=("desired_level",),
    ),
    Component(
        "heating_time_model",
        ComponentKind.ML,
        "Neural network regression: predicts the seconds of heating that give the desired "
        "shade from the pre-toast readings. Trained on logged sessions that rarely include "
        "frozen bagels or old heating elements.",
        consumes=_READINGS,
        produces=("predicted_seconds",),
        sources={"chamber_temp_c": "pre_toast_sensors"},
    ),
    Component(
        "controller",
        ComponentKind.NON_ML,
        "Switches the heating element on and, once the planned seconds are over, off again; "
        "stops early when the user cancels, and hands live chamber and smoke readings to the "
        "thermal_cutoff extension. Naive version: plans exactly the predicted seconds.",
        consumes=("predicted_seconds", "cancel", "chamber_temp_c", "smoke_ppm"),
        produces=("element power",),
        sources={"chamber_temp_c": "thermal_sensor"},
    ),
    Component(
        "heating_element",
        ComponentKind.NON_ML,
        "Heats the chamber; loses power as it ages.",
        consumes=("element power", "power cut"),
        produces=("chamber heat",),
    ),
    Component(
        "thermal_sensor",
        ComponentKind.NON_ML,
        "Chamber thermometer read every second while heating.",
        consumes=("chamber heat",),
        produces=("chamber_temp_c",),
    ),
    Component(
        "smoke_sensor",
        ComponentKind.NON_ML,
        "Measures smoke (ppm) every second while heating. The naive controller ignores it.",
        consumes=("smoke",),
        produces=("smoke_ppm",),
    ),
    Component(
        "cancel_button",
        ComponentKind.NON_ML,
        "The user may notice smoke and press cancel; not everyone is in the kitchen.",
        consumes=("smoke",),
        produces=("cancel",),
    ),
    Component(
        "thermal_fuse",
        ComponentKind.NON_ML,
        "Hardware last resort: cuts power when the chamber is extremely hot, usually only "
        "after a fire has started.",
        consumes=("chamber heat",),
        produces=("power cut",),
    ),
)

EXTENSION_POINTS: tuple[ExtensionPoint, ...] = (
    ExtensionPoint(
        "heating_guard",
        "guard",
        "heating_guard(predicted_seconds: float, readings: dict[str, float]) -> float",
        "Sees the model's raw prediction (NaN if the model failed) and the pre-toast readings; "
        "returns the seconds the controller will actually heat.",
        "heating_time_model",
        naive=lambda predicted_seconds, readings: predicted_seconds,
    ),
    ExtensionPoint(
        "thermal_cutoff",
        "guard",
        "thermal_cutoff(state: dict[str, float]) -> bool",
        "Called every second while heating with elapsed_seconds, planned_seconds, "
        "chamber_temp_c, surface_temp_c and smoke_ppm (as the sensors read them); returning "
        "True switches the element off now.",
        "controller",
        naive=lambda state: False,
    ),
    ExtensionPoint(
        "interaction_policy",
        "policy",
        "interaction_policy(prediction: dict) -> str",
        "Decides, before each slice, how forcefully the toaster acts on its predicted time: "
        "'stop' (heat the planned seconds and stop by itself), 'ask' (show the plan and ask "
        "the user to confirm; an ignored question lets the plan go ahead) or 'show' (display "
        "the predicted time; the user sets the dial). prediction holds predicted_seconds, "
        "planned_seconds (after the heating_guard), confidence (how far the toaster trusts "
        "the prediction, 0 to 1), prompts_shown (questions this toaster already asked its "
        "household) and readings. The naive policy is 'stop' for every slice.",
        "controller",
        naive=naive_interaction_policy,
        reports=(
            "prompts_per_session",
            "prompts_answered",
            "user_set_times",
            "effort_seconds_per_session",
        ),
    ),
    MONITOR_EXTENSION,
)

CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "sensor_fault",
        ("none", "stuck_ir", "noisy_thermal", "smoke_dead"),
        "A broken sensor: the infrared surface thermometer stuck at 20 °C, a chamber "
        "thermometer off by tens of degrees, or a smoke sensor that always reads 0.",
    ),
    Condition(
        "bread",
        ("usual", "unseen"),
        "Half the sessions use bread the training logs never contained: frozen bagels and "
        "extra-thick brioche.",
    ),
    Condition(
        "element",
        ("usual", "aged", "ageing"),
        "Heating elements: the usual mix (a few old ones), all old, or losing 20% of their "
        "power over the run (drift).",
    ),
)

TELEMETRY_SCHEMA: tuple[EventSchema, ...] = (
    event_schema(
        "session_start",
        "Bread is in and the user pressed start; readings are what the sensors reported.",
        ("toaster", "int", "which toaster (sessions on one toaster share heat)"),
        ("readings", "dict", "pre-toast readings by name, floats"),
    ),
    event_schema(
        "prediction",
        "The model was asked how long to heat.",
        ("predicted_seconds", "float|null", "raw model output (null if not finite)"),
        ("error", "str|null", "the exception the model raised, if any"),
        ("latency_seconds", "float", "simulated time the model took to answer"),
        ("planned_seconds", "float|null", "what the controller will heat (null: no limit)"),
    ),
    event_schema(
        "heating_stopped",
        "The element was switched off.",
        ("reason", "str", "planned, cutoff, cancel, fuse or timeout"),
        ("elapsed_seconds", "float", "seconds the element was on"),
        ("chamber_temp_c", "float", "true chamber temperature when it stopped"),
    ),
    event_schema(
        "outcome",
        "What came out of the toaster (ground truth, as the user sees it).",
        ("desired_level", "int", "shade the user asked for"),
        ("shade", "float", "shade achieved (8 and beyond is burnt; capped at 12)"),
        ("within_1", "bool", "achieved shade within one of the desired one"),
        ("burnt", "bool", "shade 8 or darker"),
        ("max_smoke_ppm", "float", "highest smoke concentration while heating"),
        ("fire", "bool", "the bread caught fire"),
        ("energy_wh", "float", "electric energy used"),
    ),
    event_schema(
        "interaction",
        "The toaster asked the user or let them set the time (interaction_policy runs only; "
        "nothing is emitted for 'stop').",
        ("action", "str", "ask or show"),
        (
            "outcome",
            "str",
            "answered or ignored (ask); used display or own guess (show: what the user set)",
        ),
        ("confidence", "float", "the toaster's confidence in its prediction"),
    ),
    ALERT_EVENT,
)
