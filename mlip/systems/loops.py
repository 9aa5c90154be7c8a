"""Feedback loops: run a system for several rounds, retraining its model on what it observed.

In production a model's predictions decide which outcomes the team ever gets to see: the tax
software learns about audits mainly from the customers its own upsell sold audit protection to.
Retraining on those labels closes a loop. :func:`run_loop` makes the loop visible: each round the
system acts with the current model on a fresh population, the labels that the chosen
:class:`LoopDesign` produces are collected, the model is retrained on them with the system's own
training code, and the next round uses the new model. Every round reports model quality on the
*whole* population (against the simulator's hidden truth) next to quality on the labelled part
(what the team can measure), the cost of the labels and what the system earned.

The design knobs are what a team owns: which observations become labels, how much to spend on
exploration (outcomes learned for a random sample, whatever the model said), how much of that
sample to hold out for honest measurement, and how often to retrain.

This module stays light; each system's loop (``mlip.systems.<name>._loop``) imports numpy and
its training code when a loop runs.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mlip.errors import InputError
from mlip.systems._contract import ProgressCallback

__all__ = [
    "LOOP_SYSTEMS",
    "LoopDesign",
    "LoopResult",
    "RoundFigures",
    "candidate_figures",
    "design_for",
    "designs",
    "populations",
    "run_loop",
    "with_knobs",
]

#: Systems whose feedback loop is simulated.
LOOP_SYSTEMS: tuple[str, ...] = ("tax", "toaster", "transcription")


@dataclass(frozen=True)
class LoopDesign:
    """How a team collects labels and retrains: the knobs a student will own.

    ``label_source`` names which observations become labels (each system lists its own in
    ``label_sources``). ``exploration_share`` is the share of every round's population whose
    true outcome the team pays to learn regardless of what the model predicted (free audit
    protection for random filers, lab checks of random toasts); ``holdout_share`` of that
    sample is never trained on and measures the model honestly. ``retrain_every`` is the number
    of rounds between retrains (0: never), ``memory_rounds`` how many rounds of labels a retrain
    uses (0: all of them). ``keep_history``: retrains also use the data the shipped model learned
    from, where the system has such data (the toaster's lab logs); otherwise field labels only.
    """

    name: str
    label_source: str
    exploration_share: float = 0.0
    holdout_share: float = 0.0
    retrain_every: int = 1
    memory_rounds: int = 0
    keep_history: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label_source": self.label_source,
            "exploration_share": self.exploration_share,
            "holdout_share": self.holdout_share,
            "retrain_every": self.retrain_every,
            "memory_rounds": self.memory_rounds,
            "keep_history": self.keep_history,
        }


@dataclass(frozen=True)
class RoundFigures:
    """What one round shows: the model next to the labels it produced and the value it made.

    ``quality`` is measured on the whole population against the hidden truth;
    ``labelled_quality`` on the rows this design labelled, against those labels (what the team
    sees); ``holdout_quality`` on this round's unbiased hold-out (None without one).
    ``fairness_gap`` compares the system's treatment of groups (None where a system has none);
    ``value`` is what the system earned per user after paying for labels; ``extra`` holds the
    system's own figures behind it.
    """

    round: int
    n: int
    retrained: bool
    new_labels: int
    training_labels: int
    label_cost: float
    quality: float
    labelled_quality: float | None
    holdout_quality: float | None
    fairness_gap: float | None
    value: float
    extra: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "n": self.n,
            "retrained": self.retrained,
            "new_labels": self.new_labels,
            "training_labels": self.training_labels,
            "label_cost": self.label_cost,
            "quality": self.quality,
            "labelled_quality": self.labelled_quality,
            "holdout_quality": self.holdout_quality,
            "fairness_gap": self.fairness_gap,
            "value": self.value,
            "extra": dict(sorted(self.extra.items())),
        }


@dataclass(frozen=True)
class LoopResult:
    """Every round of one loop run, with what the figures mean."""

    system: str
    seed: int
    design: LoopDesign
    quality_metric: str
    higher_quality_is_better: bool
    value_metric: str
    fairness_metric: str | None
    rounds: tuple[RoundFigures, ...]
    seconds: float = 0.0
    #: The model the last round used (not part of the figures: kit code starts loops from it).
    final_model: Any = field(default=None, repr=False, compare=False)

    def series(self, figure: str) -> list[Any]:
        """One figure over the rounds, e.g. ``result.series("quality")``."""
        return [getattr(r, figure) for r in self.rounds]

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "seed": self.seed,
            "design": self.design.to_dict(),
            "quality_metric": self.quality_metric,
            "higher_quality_is_better": self.higher_quality_is_better,
            "value_metric": self.value_metric,
            "fairness_metric": self.fairness_metric,
            "rounds": [r.to_dict() for r in self.rounds],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class RoundOutcome:
    """What a system's loop returns for one round (one class for every system's loop)."""

    features: Any  # rows as the model sees them
    labels: Any  # the observed label of each row (meaningful where ``labelled``)
    labelled: Any  # rows whose outcome this design's label source reveals
    truth: Any  # the hidden true outcome of each row
    explored: Any  # rows in the exploration sample (their label is the truth)
    quality: float
    fairness_gap: float | None
    label_cost: float
    value: float
    extra: dict[str, float]


def _loop_module(system: str) -> Any:
    if system not in LOOP_SYSTEMS:
        known = ", ".join(LOOP_SYSTEMS)
        raise InputError(f"no feedback loop is simulated for {system!r} (loops exist for {known})")
    return importlib.import_module(f"mlip.systems.{system}._loop")


def designs(system: str) -> dict[str, LoopDesign]:
    """The named designs a system ships (``naive`` and ``reference``)."""
    return dict(_loop_module(system).DESIGNS)


def design_for(system: str, design: str | LoopDesign) -> LoopDesign:
    """A named design of ``system``, or ``design`` itself once its knobs are checked."""
    module = _loop_module(system)
    if isinstance(design, str):
        if design not in module.DESIGNS:
            names = ", ".join(sorted(module.DESIGNS))
            raise InputError(f"{system} has no loop design {design!r} (known: {names})")
        return module.DESIGNS[design]
    if design.label_source not in module.LABEL_SOURCES:
        names = ", ".join(sorted(module.LABEL_SOURCES))
        raise InputError(f"{system} has no label source {design.label_source!r} (known: {names})")
    for name in ("exploration_share", "holdout_share"):
        value = getattr(design, name)
        if not 0.0 <= value <= 1.0:
            raise InputError(f"{name} must be between 0 and 1, got {value}")
    if design.retrain_every < 0 or design.memory_rounds < 0:
        raise InputError("retrain_every and memory_rounds must be 0 or more")
    return design


def populations(system: str) -> tuple[str, ...]:
    """The user populations a system's loop can run on, ``"usual"`` (the public one) first."""
    return ("usual", *(p for p in getattr(_loop_module(system), "POPULATIONS", ()) if p != "usual"))


def run_loop(
    system: str,
    *,
    rounds: int = 5,
    seed: int = 0,
    design: str | LoopDesign = "naive",
    n: int | None = None,
    progress: ProgressCallback | None = None,
    deploy: Callable[[dict[str, Any]], bool] | None = None,
    model: Any = None,
    population: str = "usual",
) -> LoopResult:
    """Run ``rounds`` rounds of ``system`` under ``design``; same seed, same figures.

    Round 0 uses the shipped model (or ``model``, e.g. one an earlier loop damaged); after each
    round the model is retrained (when the design's schedule says so) on the labels collected
    so far, and the next round uses it.

    ``deploy`` is a deployment gate: after each retrain it gets :func:`candidate_figures` (the
    candidate's and the current model's quality on every hold-out label collected so far, which
    no model trained on) and answers whether the candidate replaces the current model. Without
    it every retrained model is deployed.

    ``population`` names who the users are (:func:`populations`): ``"usual"`` is the system's
    public world; others shift it (e.g. more customers in voices the model finds hard).

    >>> result = run_loop("tax", rounds=2, n=2_000, design="reference")
    >>> [r.round for r in result.rounds]
    [0, 1]
    """
    import numpy as np

    module = _loop_module(system)
    chosen = design_for(system, design)
    if rounds < 1:
        raise InputError(f"--rounds must be at least 1, got {rounds}")
    size = module.DEFAULT_N if n is None else n
    if size < 100:
        raise InputError(f"a loop round needs at least 100 users, got {size}")
    known = populations(system)
    if population not in known:
        raise InputError(
            f"{system} has no loop population {population!r} (known: {', '.join(known)})"
        )
    started = time.perf_counter()
    # Worlds that shift only get the argument when asked to: the usual world is the public one.
    shifted = {} if population == "usual" else {"population": population}
    world = module.LoopWorld(seed=seed, n=size, **shifted)
    if model is None:
        model = world.initial_model()
    pool_x: list[Any] = []  # one block per round
    pool_y: list[Any] = []
    holdout_x: list[Any] = []  # every hold-out label so far: the gate's honest measure
    holdout_y: list[Any] = []
    # Systems whose team keeps the data the shipped model learned from retrain on it too.
    keeps = chosen.keep_history and hasattr(world, "history")
    base_x, base_y = world.history() if keeps else (None, None)
    figures: list[RoundFigures] = []
    retrained = False
    for index in range(rounds):
        rng = np.random.default_rng([seed, 16, index])
        explored = rng.random(size) < chosen.exploration_share
        holdout = explored & (rng.random(size) < chosen.holdout_share)
        outcome = world.act(model, round_index=index, explored=explored, design=chosen)
        labelled = np.asarray(outcome.labelled, dtype=bool)
        labels = np.asarray(outcome.labels, dtype=float)
        labels = np.where(explored, np.asarray(outcome.truth, dtype=float), labels)
        train_rows = (labelled | explored) & ~holdout
        labelled_quality = (
            world.quality(model, outcome.features[labelled], labels[labelled])
            if labelled.any()
            else None
        )
        holdout_quality = (
            world.quality(model, outcome.features[holdout], labels[holdout])
            if holdout.any()
            else None
        )
        pool_x.append(outcome.features[train_rows])
        pool_y.append(labels[train_rows])
        if deploy is not None:
            holdout_x.append(outcome.features[holdout])
            holdout_y.append(labels[holdout])
        if chosen.memory_rounds:
            del pool_x[: -chosen.memory_rounds], pool_y[: -chosen.memory_rounds]
        training_labels = sum(len(block) for block in pool_y)
        figures.append(
            RoundFigures(
                round=index,
                n=size,
                retrained=retrained,
                new_labels=int(train_rows.sum() + holdout.sum()),
                training_labels=training_labels,
                label_cost=round(float(outcome.label_cost), 2),
                quality=round(float(outcome.quality), 4),
                labelled_quality=None if labelled_quality is None else round(labelled_quality, 4),
                holdout_quality=None if holdout_quality is None else round(holdout_quality, 4),
                fairness_gap=None
                if outcome.fairness_gap is None
                else round(float(outcome.fairness_gap), 4),
                value=round(float(outcome.value), 4),
                extra={k: round(float(v), 4) for k, v in outcome.extra.items()}
                | ({"holdout_labels": float(holdout.sum())} if deploy is not None else {}),
            )
        )
        retrained = False
        due = chosen.retrain_every > 0 and (index + 1) % chosen.retrain_every == 0
        if due and index + 1 < rounds:
            blocks_x = pool_x if base_x is None else [base_x, *pool_x]
            blocks_y = pool_y if base_y is None else [base_y, *pool_y]
            new_model = world.fit(np.vstack(blocks_x), np.concatenate(blocks_y), round_index=index)
            if new_model is not None and deploy is not None:
                figures_seen = candidate_figures(
                    world,
                    module,
                    candidate=new_model,
                    current=model,
                    holdout=(np.vstack(holdout_x), np.concatenate(holdout_y)),
                    labelled=(outcome.features[labelled], labels[labelled]),
                    round_index=index + 1,
                    training_labels=training_labels,
                )
                if not deploy(figures_seen):
                    new_model = None
            if new_model is not None:
                model, retrained = new_model, True
        if progress is not None:
            progress(index + 1, rounds, f"{system}: round {index + 1} of {rounds}")
    return LoopResult(
        system=system,
        seed=seed,
        design=chosen,
        quality_metric=module.QUALITY_METRIC,
        higher_quality_is_better=module.HIGHER_QUALITY_IS_BETTER,
        value_metric=module.VALUE_METRIC,
        fairness_metric=module.FAIRNESS_METRIC,
        rounds=tuple(figures),
        seconds=time.perf_counter() - started,
        final_model=model,
    )


def candidate_figures(
    world: Any,
    module: Any,
    *,
    candidate: Any,
    current: Any,
    holdout: tuple[Any, Any],
    labelled: tuple[Any, Any],
    round_index: int,
    training_labels: int,
) -> dict[str, Any]:
    """What a deployment gate sees about one retrained candidate: plain data only.

    ``*_holdout_quality`` is measured on every hold-out label collected so far (None without
    any); ``*_labelled_quality`` on the last round's labelled rows, the view the loop's own
    labels give (biased wherever the model chose who is labelled).
    """

    def measured(model: Any, rows: tuple[Any, Any]) -> float | None:
        features, labels = rows
        return round(float(world.quality(model, features, labels)), 4) if len(labels) else None

    classifies = module.QUALITY_METRIC == "auc"  # hold-out positives bound how exact AUC is
    return {
        "round": round_index,
        "metric": module.QUALITY_METRIC,
        "higher_is_better": module.HIGHER_QUALITY_IS_BETTER,
        "holdout_size": len(holdout[1]),
        "holdout_positives": int((holdout[1] > 0).sum()) if classifies else None,
        "candidate_holdout_quality": measured(candidate, holdout),
        "current_holdout_quality": measured(current, holdout),
        "labelled_size": len(labelled[1]),
        "candidate_labelled_quality": measured(candidate, labelled),
        "current_labelled_quality": measured(current, labelled),
        "training_labels": training_labels,
    }


def with_knobs(design: LoopDesign, **knobs: Any) -> LoopDesign:
    """A copy of ``design`` with some knobs changed (``name`` says it is custom).

    >>> with_knobs(designs("toaster")["naive"], exploration_share=0.05).name
    'naive*'
    """
    return replace(design, **{"name": f"{design.name}*", **knobs})
