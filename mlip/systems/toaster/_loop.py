"""The toaster's feedback loop: only toasts that came out too light can be corrected.

One round is a month of breakfasts in the same world (no drift: what changes is only the
model and the data it learns from). The toaster heats for
exactly the predicted seconds (the naive controller, without guards). Users see their toast;
some of those whose toast is off by more than one shade react:

* a toast that is too light goes back in until it looks right — the total heating time is a
  real label for that session (the app sees the second press);
* a toast that is too dark cannot be fixed — the app hears at most a complaint, not how long
  would have been right;
* a toast nobody reacts to teaches nothing for sure.

Label sources (:data:`LABEL_SOURCES`):

``corrections_and_silence``
    Re-toasts give their total time; every toast nobody reacted to is taken as proof that the
    model's own seconds were right. The model learns from its own answers, and the only
    corrections it ever sees push towards longer heating: the one-sided loop.
``corrections``
    Only the re-toasted sessions (all of them too light, by construction).
``none``
    No telemetry labels at all; only the exploration sample teaches the model.

Exploration sends a random share of sessions through a test kitchen that measures how long the
slice really needed (at a price per session), whatever the model predicted.

The toaster's real loop is weaker than the tax system's: its model was trained on lab logs, and
nothing in the shipped system retrains it from the field. The loop here shows what would happen
if a team did, with the signals the toaster actually has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlip.systems.loops import LoopDesign, RoundOutcome
from mlip.systems.toaster._model import ToasterModel, regression_metrics
from mlip.systems.toaster._physics import BURNT_SHADE, HORIZON_SECONDS, HeatingState, time_to_shade
from mlip.systems.toaster._population import element_health, read_sensors, sample_sessions

__all__ = ["DESIGNS", "LABEL_SOURCES", "POPULATIONS", "LoopWorld"]

DEFAULT_N = 4_000
QUALITY_METRIC = "mae"  # seconds off the ideal heating time
HIGHER_QUALITY_IS_BETTER = False
VALUE_METRIC = "share of toasts within one shade of the wish"
FAIRNESS_METRIC = "good-toast gap between new and old elements"
#: Logged lab sessions every retrain starts from (the quick size of ``mlip systems train``).
LAB_LOGS = 3_000
#: Sessions in the fixed month every round's model is judged on (against the true seconds).
EVALUATION_SIZE = 4_000
#: Share of users who react to a toast more than one shade off (re-toast or complain).
REACT_SHARE = 0.6
#: What the test kitchen charges per measured session (USD).
TEST_KITCHEN_COST = 2.0
#: Training epochs of a retrain (the quick size of ``mlip systems train``).
RETRAIN_EPOCHS = 40
MIN_LABELS = 200
_OLD_ELEMENT = 0.92

LABEL_SOURCES: dict[str, str] = {
    "corrections_and_silence": "re-toast times, and the model's own seconds where nobody reacted",
    "corrections": "only the total heating time of re-toasted (too light) slices",
    "none": "no telemetry labels; only the exploration sample",
}

#: Households a loop can run on (keyword arguments of ``element_health``): ``usual`` is the
#: public one; ``more_old_elements`` has 30% old heating elements instead of 10% (the group the
#: fairness gap compares; hidden checks run it).
POPULATIONS: dict[str, dict[str, float]] = {"usual": {}, "more_old_elements": {"aged_share": 0.3}}

DESIGNS: dict[str, LoopDesign] = {
    "naive": LoopDesign(name="naive", label_source="corrections_and_silence", keep_history=False),
    "reference": LoopDesign(
        name="reference",
        label_source="none",
        exploration_share=0.1,
        holdout_share=0.2,
        memory_rounds=2,
    ),
}


def _shade_after(batch: object, chamber_start: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """The shade each slice has when it pops up after heating for ``seconds`` (0 if negative)."""
    state = HeatingState(batch, chamber_start)  # type: ignore[arg-type]  # a SessionBatch
    planned = np.clip(np.nan_to_num(seconds, nan=0.0, posinf=0.0), 0.0, HORIZON_SECONDS)
    shade = np.zeros(len(planned))
    for elapsed in range(int(np.ceil(planned.max(initial=0.0)))):
        state.step(np.clip(planned - elapsed, 0.0, 1.0))
        shade = np.where(planned > elapsed, state.shade, shade)
    return shade


class LoopWorld:
    """Months of toasting for one loop run; every retrain starts from the company's lab logs."""

    def __init__(self, *, seed: int, n: int, population: str = "usual") -> None:
        self.seed = seed
        self.n = n
        self.shift = POPULATIONS[population]
        # One fixed month judges every round's model, so ``quality`` moves with the model only.
        rng = np.random.default_rng([seed, 99])
        self.eval_readings, self.eval_ideal = self._month(rng, EVALUATION_SIZE)[2:4]

    def _month(self, rng: np.random.Generator, n: int) -> tuple[Any, ...]:
        """Sessions of one month: (batch, chamber start, readings, ideal seconds, new health)."""
        new_health = element_health(rng, n, "usual", **self.shift)
        ambient = np.clip(rng.normal(21.0, 3.0, n), 10.0, 32.0)
        batch = sample_sessions(rng, new_health, ambient, world="usual")
        chamber_start = ambient + 160.0 * rng.random(n) ** 2
        readings = read_sensors(rng, batch, chamber_start, sensor_fault="none")
        return batch, chamber_start, readings, time_to_shade(batch, chamber_start), new_health

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        """The lab logs the shipped model learned from (a quick-size sample of them)."""
        from mlip.systems.toaster._model import make_training_data

        return make_training_data(self.seed, LAB_LOGS)

    def initial_model(self) -> ToasterModel:
        from mlip.systems.toaster import ToasterSystem

        model: ToasterModel = ToasterSystem().load_model()
        return model

    def act(
        self,
        model: ToasterModel,
        *,
        round_index: int,
        explored: np.ndarray,
        design: LoopDesign,
    ) -> RoundOutcome:
        """Toast one month with ``model``; ``explored`` sessions go to the test kitchen."""
        rng = np.random.default_rng([self.seed, 1_234, round_index])
        n = self.n
        batch, chamber_start, readings, ideal, new_health = self._month(rng, n)
        reacts = rng.random(n) < REACT_SHARE
        retoast_noise = rng.normal(0.0, 2.0, n)

        predicted = model.predict_many(readings)
        shade = _shade_after(batch, chamber_start, predicted)
        desired = batch.desired_shade
        good = np.abs(shade - desired) <= 1.0
        too_light = shade < desired - 1.0
        too_dark = shade > desired + 1.0
        retoasted = too_light & reacts
        complained = too_dark & reacts
        silent = ~(retoasted | complained)

        labels = np.where(retoasted, ideal + retoast_noise, predicted)
        if design.label_source == "corrections_and_silence":
            labelled = retoasted | silent
        elif design.label_source == "corrections":
            labelled = retoasted
        else:
            labelled = np.zeros(n, dtype=bool)
        old = new_health < _OLD_ELEMENT
        gap = float(good[~old].mean() - good[old].mean()) if old.any() and (~old).any() else None
        return RoundOutcome(
            features=readings,
            labels=labels,
            labelled=labelled,
            truth=ideal,
            explored=explored,
            quality=self.quality(model, self.eval_readings, self.eval_ideal),
            fairness_gap=gap,
            label_cost=TEST_KITCHEN_COST * float(explored.sum()),
            value=float(good.mean()),
            extra={
                "burnt_rate": float((shade >= BURNT_SHADE).mean()),
                "too_light_rate": float(too_light.mean()),
                "too_dark_rate": float(too_dark.mean()),
                "complaint_rate": float(complained.mean()),
                "mean_bias_seconds": float(np.mean(predicted - ideal)),
                "round_mae_seconds": regression_metrics(predicted, ideal)["mae_seconds"],
            },
        )

    def quality(self, model: ToasterModel, features: np.ndarray, labels: np.ndarray) -> float:
        """Mean absolute error in seconds against ``labels``."""
        return regression_metrics(model.predict_many(features), labels)["mae_seconds"]

    def fit(
        self, features: np.ndarray, labels: np.ndarray, *, round_index: int
    ) -> ToasterModel | None:
        """Retrain with the system's own fitting code; None with too few labels."""
        from mlip.systems.toaster._model import fit_toaster_model

        if len(labels) < MIN_LABELS:
            return None
        return fit_toaster_model(
            features, labels, seed=self.seed * 1_000 + round_index, epochs=RETRAIN_EPOCHS
        )
