"""The toaster's architecture, extension points, conditions and telemetry, written out as data.

Light on purpose (no numpy): ``mlip systems show toaster`` reads this without loading the model.
"""

from __future__ import annotations

from mlip.systems._contract import (
    ALERT_EVENT,
    MONITOR_EXTENSION,
    Component,
    ComponentKind,
    Condition,
    EventField,
    EventSchema,
    ExtensionPoint,
)

__all__ = ["COMPONENTS", "CONDITIONS", "EXTENSION_POINTS", "TELEMETRY_SCHEMA"]

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
    ),
    ExtensionPoint(
        "thermal_cutoff",
        "guard",
        "thermal_cutoff(state: dict[str, float]) -> bool",
        "Called every second while heating with elapsed_seconds, planned_seconds, "
        "chamber_temp_c, surface_temp_c and smoke_ppm (as the sensors read them); returning "
        "True switches the element off now.",
        "controller",
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
    EventSchema(
        "session_start",
        "Bread is in and the user pressed start; readings are what the sensors reported.",
        (
            EventField("toaster", "int", "which toaster (sessions on one toaster share heat)"),
            EventField("readings", "dict", "pre-toast readings by name, floats"),
        ),
    ),
    EventSchema(
        "prediction",
        "The model was asked how long to heat.",
        (
            EventField("predicted_seconds", "float|null", "raw model output (null if not finite)"),
            EventField("error", "str|null", "the exception the model raised, if any"),
            EventField("latency_seconds", "float", "simulated time the model took to answer"),
            EventField(
                "planned_seconds", "float|null", "what the controller will heat (null: no limit)"
            ),
        ),
    ),
    EventSchema(
        "heating_stopped",
        "The element was switched off.",
        (
            EventField("reason", "str", "planned, cutoff, cancel, fuse or timeout"),
            EventField("elapsed_seconds", "float", "seconds the element was on"),
            EventField("chamber_temp_c", "float", "true chamber temperature when it stopped"),
        ),
    ),
    EventSchema(
        "outcome",
        "What came out of the toaster (ground truth, as the user sees it).",
        (
            EventField("desired_level", "int", "shade the user asked for"),
            EventField("shade", "float", "shade achieved (8 and beyond is burnt; capped at 12)"),
            EventField("within_1", "bool", "achieved shade within one of the desired one"),
            EventField("burnt", "bool", "shade 8 or darker"),
            EventField("max_smoke_ppm", "float", "highest smoke concentration while heating"),
            EventField("fire", "bool", "the bread caught fire"),
            EventField("energy_wh", "float", "electric energy used"),
        ),
    ),
    ALERT_EVENT,
)
