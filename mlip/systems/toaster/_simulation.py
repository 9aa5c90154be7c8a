"""One run of the toaster system: sessions, model calls, guards, heating, outcomes, telemetry.

Sessions come in breakfast runs: ``SESSIONS_PER_TOASTER`` slices in a row on the same toaster,
so a slice often starts in a chamber still warm from the previous one. Session ``i`` is slice
``i // n_toasters`` of toaster ``i % n_toasters``; all toasters toast their ``j``-th slice at the
same time, which lets numpy simulate them together. The session index is the telemetry time ``t``.

The naive system trusts its model: it heats for exactly the predicted seconds (a negative
prediction means no heating; NaN or infinity means the controller never stops by itself, so only
the user's cancel button or the thermal fuse ends the session).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlip.systems._contract import Extension, Simulation
from mlip.systems.toaster._physics import (
    BURNT_SHADE,
    COOLING_TAU_S,
    FUSE_C,
    HORIZON_SECONDS,
    NOMINAL_POWER_W,
    HeatingState,
    time_to_shade,
)
from mlip.systems.toaster._population import (
    AGEING_LOSS,
    READING_NAMES,
    element_health,
    read_sensors,
    sample_sessions,
)

__all__ = ["simulate"]

SESSIONS_PER_TOASTER = 8
#: Smoke a person can see or smell (ppm); the smoke sensor reads the same quantity.
VISIBLE_SMOKE_PPM = 100.0
#: Share of sessions in which the user stays near the toaster and reacts to smoke.
ATTENTIVE_SHARE = 0.75
#: The controller waits this long for a prediction before it counts as slow.
LATENCY_BUDGET_SECONDS = 1.0
#: Doneness errors are measured on shades capped here (charcoal is charcoal).
MAX_SHADE = 12.0


_TOTALS = (
    "within_1",
    "burnt",
    "fires",
    "energy_wh",
    "smoke_events",
    "user_cancels",
    "fuse_trips",
    "cutoffs",
    "abs_error",
    "underdone",
    "slow_predictions",
    "model_errors",
    "heating_seconds",
)


def _finite_or_none(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


def _call_model(model: Any, readings: dict[str, float]) -> tuple[float, str | None]:
    """Ask the model; a crash becomes NaN plus an error message, never an exception."""
    try:
        value = float(model.predict_seconds(dict(readings)))
    except Exception as error:  # any model failure is recorded, the toaster goes on
        return math.nan, f"{type(error).__name__}: {error}"
    return value, None


def simulate(simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
    """Run ``n`` sessions; return (model metrics, system metrics).

    The extensions' calls of one round of predictions (``heating_guard``) and of one simulated
    second (``thermal_cutoff``) do not depend on each other, so each set goes as one batch.
    """
    from mlip.systems.toaster._model import regression_metrics

    n, seed, model = simulation.n, simulation.seed, simulation.model
    conditions, telemetry = simulation.conditions, simulation.telemetry
    extensions = simulation.extensions

    rng = np.random.default_rng([seed, 1_234])
    n_toasters = math.ceil(n / SESSIONS_PER_TOASTER)
    health_new = element_health(rng, n_toasters, conditions["element"])
    ambient = np.clip(rng.normal(21.0, 3.0, n_toasters), 10.0, 32.0)
    chamber_end = ambient.copy()
    heating_guard = extensions.get("heating_guard")
    thermal_cutoff = extensions.get("thermal_cutoff")
    interaction = _interaction(simulation, n_toasters)
    world = "unseen" if conditions["bread"] == "unseen" else "usual"
    sensor_fault = conditions["sensor_fault"]

    predictions: list[float] = []
    ideal_all: list[float] = []
    totals = dict.fromkeys(_TOTALS, 0.0)
    done = 0
    for round_index in range(SESSIONS_PER_TOASTER):
        ids = np.arange(round_index * n_toasters, min((round_index + 1) * n_toasters, n))
        if len(ids) == 0:
            break
        toaster = ids - round_index * n_toasters
        health = health_new[toaster]
        if conditions["element"] == "ageing":
            health = health * (1.0 - AGEING_LOSS * ids / max(n - 1, 1))
        batch = sample_sessions(rng, health, ambient[toaster], world=world)
        gap_seconds = 20.0 + rng.exponential(240.0, len(ids))
        amb = ambient[toaster]
        chamber_start = amb + (chamber_end[toaster] - amb) * np.exp(-gap_seconds / COOLING_TAU_S)
        reading_rows = read_sensors(rng, batch, chamber_start, sensor_fault=sensor_fault)
        attentive = rng.random(len(ids)) < ATTENTIVE_SHARE
        reaction_seconds = 5.0 + rng.exponential(25.0, len(ids))

        readings_list = [
            {name: round(float(value), 3) for name, value in zip(READING_NAMES, row, strict=True)}
            for row in reading_rows
        ]
        predicted = np.empty(len(ids))
        planned = np.empty(len(ids))
        errors: list[str | None] = []
        latencies: list[float] = []
        for k, readings in enumerate(readings_list):
            value, error = _call_model(model, readings)
            latency = float(getattr(model, "simulated_latency_seconds", 0.0))
            predicted[k] = value
            errors.append(error)
            latencies.append(latency)
        decisions = predicted.tolist()
        if heating_guard is not None:
            guard_calls = [
                (value, dict(readings))
                for value, readings in zip(decisions, readings_list, strict=True)
            ]
            decisions = [float(decided) for decided in heating_guard.many(guard_calls)]
        for k, decided in enumerate(decisions):
            planned[k] = decided if not math.isnan(decided) else math.inf

        ideal = time_to_shade(batch, chamber_start)
        if interaction is not None:
            planned = interaction.plan(
                round_index,
                ids,
                toaster,
                readings_list,
                reading_rows,
                predicted,
                planned,
                ideal,
                attentive,
                reaction_seconds,
            )
        outcome = _heat(
            batch,
            chamber_start,
            planned,
            user_reacts=attentive,
            reaction_seconds=reaction_seconds,
            thermal_cutoff=thermal_cutoff,
            sensor_fault=sensor_fault,
            sensor_rng=np.random.default_rng([seed, 5_678, round_index]),
        )
        chamber_end[toaster] = outcome["chamber_end_c"]
        predictions.extend(predicted.tolist())
        ideal_all.extend(ideal.tolist())

        for k, session in enumerate(ids.tolist()):
            shade = float(outcome["shade"][k])
            desired = int(batch.desired_shade[k])
            within = abs(shade - desired) <= 1.0
            burnt = shade >= BURNT_SHADE
            fire = bool(outcome["fire"][k])
            reason = str(outcome["reason"][k])
            heated = float(outcome["heating_seconds"][k])
            energy = heated * NOMINAL_POWER_W * float(batch.health[k]) / 3600.0
            max_smoke = float(outcome["max_smoke_ppm"][k])
            totals["within_1"] += within
            totals["burnt"] += burnt
            totals["fires"] += fire
            totals["energy_wh"] += energy
            totals["smoke_events"] += max_smoke >= VISIBLE_SMOKE_PPM
            totals["user_cancels"] += reason == "cancel"
            totals["fuse_trips"] += reason == "fuse"
            totals["cutoffs"] += reason == "cutoff"
            totals["abs_error"] += abs(min(shade, MAX_SHADE) - desired)
            totals["underdone"] += shade < desired - 1.0
            totals["slow_predictions"] += latencies[k] > LATENCY_BUDGET_SECONDS
            totals["model_errors"] += errors[k] is not None
            totals["heating_seconds"] += heated
            telemetry.emit(
                "session_start", session, toaster=int(toaster[k]), readings=readings_list[k]
            )
            telemetry.emit(
                "prediction",
                session,
                predicted_seconds=_finite_or_none(float(predicted[k])),
                error=errors[k],
                latency_seconds=round(latencies[k], 3),
                planned_seconds=_finite_or_none(float(planned[k])),
            )
            if interaction is not None:
                interaction.emit(telemetry, session)
            telemetry.emit(
                "heating_stopped",
                session,
                reason=reason,
                elapsed_seconds=round(heated, 3),
                chamber_temp_c=round(float(outcome["chamber_end_c"][k]), 3),
            )
            telemetry.emit(
                "outcome",
                session,
                desired_level=desired,
                shade=round(min(shade, MAX_SHADE), 3),
                within_1=within,
                burnt=burnt,
                max_smoke_ppm=round(max_smoke, 3),
                fire=fire,
                energy_wh=round(energy, 6),
            )
        done += len(ids)
        simulation.progress(done, n, "toasting")

    model_metrics = regression_metrics(np.array(predictions), np.array(ideal_all))
    system_metrics = {
        "doneness_within_1": totals["within_1"] / n,
        "burnt_rate": totals["burnt"] / n,
        "underdone_rate": totals["underdone"] / n,
        "mean_abs_doneness_error": totals["abs_error"] / n,
        "fires": totals["fires"],
        "fire_rate": totals["fires"] / n,
        "smoke_events": totals["smoke_events"],
        "user_cancels": totals["user_cancels"],
        "fuse_trips": totals["fuse_trips"],
        "cutoffs": totals["cutoffs"],
        "energy_wh": totals["energy_wh"],
        "mean_heating_seconds": totals["heating_seconds"] / n,
        "slow_predictions": totals["slow_predictions"],
        "model_errors": totals["model_errors"],
        "alerts": float(telemetry.alerts),
    }
    if interaction is not None:
        system_metrics.update(interaction.metrics(n))
    return model_metrics, {key: round(float(value), 6) for key, value in system_metrics.items()}


def _interaction(simulation: Simulation, n_toasters: int) -> Any:
    """The users' side of an ``interaction_policy``, when one is filled (else None)."""
    policy = simulation.extensions.get("interaction_policy")
    if policy is None:
        return None
    from mlip.systems.toaster._interaction import ToasterInteraction

    return ToasterInteraction(policy=policy, seed=simulation.seed, n_toasters=n_toasters)


def _heat(
    batch: Any,
    chamber_start: np.ndarray,
    planned: np.ndarray,
    *,
    user_reacts: np.ndarray,
    reaction_seconds: np.ndarray,
    thermal_cutoff: Extension | None,
    sensor_fault: str,
    sensor_rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Heat every session until its controller, cutoff, user or fuse stops it.

    One round's sessions heat side by side, so each simulated second asks ``thermal_cutoff``
    about all still-heating sessions in one batch (one sandbox round trip). Rounds cannot join
    that lock-step: a toaster's next slice starts in the chamber this one leaves warm, so its
    readings, plan and cutoff calls depend on when this round's cutoff stopped heating.
    """
    count = len(planned)
    state = HeatingState(batch, chamber_start)
    planned_steps = np.where(np.isfinite(planned), np.clip(planned, 0.0, None), np.inf)
    active = planned_steps > 0.0
    reason = np.full(count, "planned", dtype=object)
    heating_seconds = np.zeros(count)
    max_smoke = np.zeros(count)
    smoke_seen_seconds = np.zeros(count)
    fire = np.zeros(count, dtype=bool)
    chamber_end = chamber_start.astype(float).copy()
    final_shade = np.zeros(count)
    thermal_sigma = 30.0 if sensor_fault == "noisy_thermal" else 1.0
    elapsed = 0
    while active.any() and elapsed < HORIZON_SECONDS:
        heating = np.where(active, np.clip(planned_steps - elapsed, 0.0, 1.0), 0.0)
        state.step(heating)
        elapsed += 1
        heating_seconds += heating
        max_smoke = np.where(active, np.maximum(max_smoke, state.smoke_ppm), max_smoke)
        fire |= active & state.burning
        smoke_seen_seconds = np.where(
            state.smoke_ppm >= VISIBLE_SMOKE_PPM, smoke_seen_seconds + 1, 0
        )
        thermal_reading = state.chamber_c + sensor_rng.normal(0.0, thermal_sigma, count)
        smoke_reading = np.zeros(count) if sensor_fault == "smoke_dead" else state.smoke_ppm
        surface_reading = np.full(count, 20.0) if sensor_fault == "stuck_ir" else state.surface_c

        stop = np.zeros(count, dtype=bool)
        fuse = active & (state.chamber_c >= FUSE_C)
        reason[fuse] = "fuse"
        stop |= fuse
        if thermal_cutoff is not None:
            asked = np.flatnonzero(active & ~stop).tolist()
            states = [
                {
                    "elapsed_seconds": float(elapsed),
                    "planned_seconds": float(planned[k]),
                    "chamber_temp_c": round(float(thermal_reading[k]), 3),
                    "surface_temp_c": round(float(surface_reading[k]), 3),
                    "smoke_ppm": round(float(smoke_reading[k]), 3),
                }
                for k in asked
            ]
            for k, cut in zip(asked, thermal_cutoff.many([(s,) for s in states]), strict=True):
                if cut:
                    stop[k] = True
                    reason[k] = "cutoff"
        cancel = active & ~stop & user_reacts & (smoke_seen_seconds >= reaction_seconds)
        reason[cancel] = "cancel"
        stop |= cancel
        finished = active & ~stop & (elapsed >= planned_steps)
        stop |= finished
        chamber_end = np.where(stop, state.chamber_c, chamber_end)
        final_shade = np.where(stop, state.shade, final_shade)
        active &= ~stop
    reason[active] = "timeout"
    chamber_end = np.where(active, state.chamber_c, chamber_end)
    final_shade = np.where(active, state.shade, final_shade)
    return {
        "shade": final_shade,
        "fire": fire,
        "reason": reason,
        "heating_seconds": heating_seconds,
        "max_smoke_ppm": max_smoke,
        "chamber_end_c": chamber_end,
    }
