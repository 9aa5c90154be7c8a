"""Checks of the *feedback-loops* topic: a loop design and a deployment gate, run for rounds.

The student owns two functions. ``loop_design(budget)`` answers, once per scenario, which
observations become labels, how many users to explore (their true outcome bought whatever the
model said), how much of that sample to hold out, and the retrain schedule and memory; it gets
the round's size and the label budget, so a good answer is computed, not a constant.
``deploy_retrained(figures)`` is the deployment gate: after each retrain it sees the candidate's
and the current model's quality on the hold-out collected so far (and on the loop's own biased
labels) and decides whether the candidate ships.

Every verdict runs :func:`mlip.systems.loops.run_loop` with the student's (coerced, plain) design
and gate, and judges what the *loop* did over the rounds: model quality on the whole population,
label cost, hold-out labels, value per user, the fairness gap. The checks of one run share the
loop runs through :attr:`CheckContext.recordings`: a recorded run is reused only after the gate,
asked again with the figures it saw, gives the same answers (the run is then the same, since a
loop is deterministic given its design and the gate's answers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlip.checks._engine import (
    Check,
    CheckContext,
    ExtensionSpec,
    Margin,
    Scenario,
    ScenarioOutcome,
    plain,
)
from mlip.checks._families import to_bool

if TYPE_CHECKING:
    from mlip.systems.loops import LoopResult

__all__ = ["EXTENSIONS", "LoopProfile", "budget_of", "make_checks", "to_design"]

#: The knobs a design states, with their type (see :class:`mlip.systems.loops.LoopDesign`).
KNOBS: dict[str, type] = {
    "label_source": str,
    "exploration_share": float,
    "holdout_share": float,
    "retrain_every": int,
    "memory_rounds": int,
    "keep_history": bool,
}


def to_design(value: Any) -> dict[str, Any]:
    """A student's design as plain knobs; raises on a missing knob or a value of the wrong kind
    (the label source and the ranges are checked by the loop itself, see ``design_for``)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a dict of design knobs, got {type(value).__name__}")
    missing = [name for name in KNOBS if name not in value]
    if missing:
        raise ValueError(f"the design has no {', '.join(missing)}")
    design: dict[str, Any] = {}
    for name, kind in KNOBS.items():
        item = plain(value[name])
        if kind is bool:
            design[name] = to_bool(item)
        elif kind is int:
            if isinstance(item, bool) or not isinstance(item, int | float) or item != int(item):
                raise TypeError(f"{name} must be a whole number, got {item!r}")
            design[name] = int(item)
        elif kind is float:
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise TypeError(f"{name} must be a number, got {item!r}")
            if not math.isfinite(item) or not 0.0 <= item <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1, got {item!r}")
            design[name] = float(item)
        else:
            if not isinstance(item, str):
                raise TypeError(f"{name} must be a string, got {item!r}")
            design[name] = item
    if design["retrain_every"] < 0 or design["memory_rounds"] < 0:
        raise ValueError("retrain_every and memory_rounds must be 0 or more")
    return design


def _naive_design(budget: Any) -> dict[str, Any]:
    """What the loop does when the student's design fails: no exploration, no hold-out."""
    source = next(iter(dict(budget.get("label_sources", {"": ""}))), "")
    return {
        "label_source": source,
        "exploration_share": 0.0,
        "holdout_share": 0.0,
        "retrain_every": 1,
        "memory_rounds": 0,
        "keep_history": True,
    }


EXTENSIONS: tuple[ExtensionSpec, ...] = (
    ExtensionSpec("loop_design", coerce=to_design, fallback=_naive_design),
    ExtensionSpec("deploy_retrained", coerce=to_bool, fallback=lambda figures: True),
)


@dataclass(frozen=True)
class LoopProfile:
    """How the feedback-loops topic sees one system: the public run and the stated budgets.

    Quality tolerances are in the system's metric (AUC points, seconds of MAE, WER).
    ``damage_rounds`` is the length of the naive loop that damages the model a recovery scenario
    starts from (run on another seed, so the damage is not tuned to the judged world).
    ``checks`` names the checks the system is judged by, with their points (empty: every check
    of :data:`POINTS`): a loop that cannot damage its model has no recovery scenario, one whose
    labels cost no value has no value floor. ``min_gain`` is how much better than the shipped
    model the last round must be (``improves-on-the-shipped-model``); ``improved_by`` the number
    of professional labels the better model of ``keeps-a-better-model`` learned from.
    """

    assignment: str
    system: str
    users: int
    rounds: int
    seed: int
    budget_per_user: float  #: label budget per round, USD per user of the round
    price_per_explored_user: float
    min_holdout_per_round: int
    quality_tolerance: float
    recovery_tolerance: float
    value_share: float
    fairness_tolerance: float
    damage_rounds: int = 2
    damage: float = 0.0  #: how much worse than the shipped model the damaged one is at least
    checks: tuple[tuple[str, float], ...] = ()
    min_gain: float = 0.0
    improved_by: int = 0

    def points(self) -> dict[str, float]:
        """Points of each check this system is judged by."""
        return dict(self.checks) if self.checks else dict(POINTS)

    def scenario(self, start: str = "shipped") -> Scenario:
        """The public scenario: the shipped model (or a damaged one) for ``rounds`` rounds."""
        scenario: dict[str, Any] = {
            "seed": self.seed,
            "n": self.users,
            "rounds": self.rounds,
            "budget_per_user": self.budget_per_user,
            "start": start,
        }
        return scenario  # type: ignore[return-value]  # a Scenario with the topic's own keys

    def budget(self) -> dict[str, Any]:
        """What ``loop_design`` is told in the public scenario (see :func:`budget_of`)."""
        return budget_of(self, self.scenario())

    def stated(self) -> str:
        """The budgets and tolerances the checks hold a loop to, as the notebook states them."""
        from mlip.systems.loops import _loop_module

        metric = _loop_module(self.system).QUALITY_METRIC
        checked = self.points()
        lines = {
            "keeps-model-quality": f"quality: {metric} never more than "
            f"{self.quality_tolerance:g} worse than in round 0",
            "improves-on-the-shipped-model": f"learning: {metric} after the last round at least "
            f"{self.min_gain:g} better than the shipped model's",
            "keeps-a-better-model": f"a better model: started from a model trained on "
            f"{self.improved_by:,} professional labels, {metric} never more than "
            f"{self.quality_tolerance:g} worse than in round 0",
            "recovers-from-a-damaged-model": f"recovery: from a damaged model, {metric} after "
            f"the last round within {self.recovery_tolerance:g} of the shipped model's",
            "measures-on-a-holdout": f"hold-out: at least {self.min_holdout_per_round} hold-out "
            "labels per round on average",
            "keeps-value": f"value per user: at least {self.value_share:.0%} of the shipped "
            "system's (no exploration) in every round",
            "fairness-gap-bounded": f"fairness gap: never more than {self.fairness_tolerance:g} "
            "above the shipped system's",
        }
        return "\n".join(
            [
                f"rounds: {self.rounds} of {self.users} users (hidden checks: other seeds, sizes, "
                "budgets and more rounds)",
                f"label budget: {self.budget_per_user:g} USD per user per round "
                f"({self.budget_per_user * self.users:g} USD in the public run); an explored "
                f"user costs {self.price_per_explored_user:g} USD",
                *(line for name, line in lines.items() if name in checked),
            ]
        )


def budget_of(profile: LoopProfile, scenario: Mapping[str, Any]) -> dict[str, Any]:
    """What ``loop_design`` is told about one scenario: sizes, money, label sources, metric."""
    from mlip.systems.loops import _loop_module

    module = _loop_module(profile.system)
    users = int(scenario["n"])
    return {
        "system": profile.system,
        "users_per_round": users,
        "rounds": int(scenario["rounds"]),
        "label_budget_per_round": round(float(scenario["budget_per_user"]) * users, 2),
        "price_per_explored_user": profile.price_per_explored_user,
        "min_holdout_per_round": profile.min_holdout_per_round,
        "label_sources": dict(module.LABEL_SOURCES),
        "metric": module.QUALITY_METRIC,
        "higher_is_better": module.HIGHER_QUALITY_IS_BETTER,
    }


def _key(scenario: Mapping[str, Any]) -> str:
    return json.dumps(plain(dict(scenario)), sort_keys=True)


#: Seeds of the naive loops that damage a model (not the judged world's: the damage is inherited).
DAMAGE_SEEDS = range(500, 506)


def _damaged_model(context: CheckContext, profile: LoopProfile, scenario: Mapping[str, Any]) -> Any:
    """A model a naive loop damaged by at least ``profile.damage`` (kit code only; one per
    system and round size, shared by every check and scenario of a run). A naive loop's damage
    varies from seed to seed; a model only slightly worse would judge the gate's luck, not its
    design, so the first loop that did enough damage (else the worst) is taken.
    """
    from mlip.systems.loops import run_loop

    users = int(scenario["n"])

    def damage() -> Any:
        worst = None
        for seed in DAMAGE_SEEDS:
            naive = run_loop(profile.system, rounds=profile.damage_rounds, seed=seed, n=users)
            lost = _worse_by(naive, naive.rounds[-1].quality, naive.rounds[0].quality)
            if worst is None or lost > worst[0]:
                worst = (lost, naive.final_model)
            if lost >= profile.damage:
                break
        return worst[1] if worst is not None else None

    return context.recordings.remember(("loops-damaged", profile.system, users), damage)


#: Seed of the loop whose professional sample trains the better model (not the judged world's).
IMPROVED_SEED = 500


def _improved_model(context: CheckContext, profile: LoopProfile) -> Any:
    """A model better than the loop's own retrains are likely to be: retrained on
    ``profile.improved_by`` professional labels of a random sample of the usual users (kit code
    only; one per system, shared by every check and scenario of a run). The team that ships
    such a model has paid for it; a loop must not swap it for a candidate it only believes
    better."""
    from mlip.systems.loops import LoopDesign, run_loop

    def improve() -> Any:
        professional = LoopDesign("professional", label_source="none", exploration_share=1.0)
        return run_loop(
            profile.system, rounds=2, seed=IMPROVED_SEED, n=profile.improved_by, design=professional
        ).final_model

    return context.recordings.remember(("loops-improved", profile.system), improve)


def baseline(context: CheckContext, profile: LoopProfile, scenario: Mapping[str, Any]) -> Any:
    """Round 0 of the shipped system without any exploration: the value and gap to keep."""
    from mlip.systems.loops import run_loop

    seed, users = int(scenario["seed"]), int(scenario["n"])
    population = str(scenario.get("population", "usual"))
    return context.recordings.remember(
        ("loops-baseline", profile.system, seed, users, population),
        lambda: run_loop(
            profile.system, rounds=1, seed=seed, n=users, design="naive", population=population
        ).rounds[0],
    )


def loop_run(
    context: CheckContext, profile: LoopProfile, scenario: Mapping[str, Any]
) -> LoopResult | None:
    """The loop under the student's design and gate (recorded once per run of checks); None
    when ``loop_design`` failed (the engine reports the failure, a naive loop would tell
    nothing)."""
    from mlip.systems.loops import LoopDesign, design_for, run_loop

    designer = context.extensions["loop_design"]
    knobs = designer(budget_of(profile, scenario))
    if designer.failure is not None:
        return None
    design = design_for(profile.system, LoopDesign(name="yours", **knobs))
    gate = context.extensions["deploy_retrained"]
    key = ("loops-run", profile.system, _key(scenario), json.dumps(knobs, sort_keys=True))
    recorded = context.recordings.get(key)
    if recorded is not None:
        result, asked, answers = recorded
        if not asked or gate.many([(figures,) for figures in asked]) == answers:
            return result
    asked, answers = [], []

    def deploy(figures: dict[str, Any]) -> bool:
        answer = bool(gate(figures))
        asked.append(figures)
        answers.append(answer)
        return answer

    start = scenario.get("start")
    model = (
        _damaged_model(context, profile, scenario)
        if start == "damaged"
        else _improved_model(context, profile)
        if start == "improved"
        else None
    )
    result = run_loop(
        profile.system,
        rounds=int(scenario["rounds"]),
        seed=int(scenario["seed"]),
        n=int(scenario["n"]),
        design=design,
        deploy=deploy,
        model=model,
        population=str(scenario.get("population", "usual")),
    )
    context.recordings[key] = (result, asked, answers)
    return result


#: What a verdict says when the design failed (the engine replaces it with the failure).
_NOT_RUN = ScenarioOutcome(False, "loop_design failed: the loop did not run")


def _worse_by(result: LoopResult, value: float, reference: float) -> float:
    """How much worse ``value`` is than ``reference`` in the system's metric (negative: better)."""
    return reference - value if result.higher_quality_is_better else value - reference


def _shown(value: float) -> str:
    return f"{value:.4g}"


#: Points of each public check of the tax and toaster loops (the topic weighs the same ideas);
#: a profile's ``checks`` chooses its own (:meth:`LoopProfile.points`).
POINTS: Mapping[str, float] = {
    "keeps-model-quality": 4,
    "recovers-from-a-damaged-model": 3,
    "labels-within-budget": 2,
    "measures-on-a-holdout": 2,
    "keeps-value": 2,
    "fairness-gap-bounded": 2,
}


def make_checks(
    profile: LoopProfile, *, points: Mapping[str, float] | None = None
) -> tuple[Check, ...]:
    """The topic's public checks for one system: those named in ``points`` (default: the
    profile's :meth:`~LoopProfile.points`), with those points, in the topic's order."""
    p = profile
    points = p.points() if points is None else points

    def static(system: Any) -> list[Scenario]:
        return [p.scenario()]

    def damaged(system: Any) -> list[Scenario]:
        return [p.scenario("damaged")]

    def improved(system: Any) -> list[Scenario]:
        return [p.scenario("improved")]

    def keeps_quality(context: CheckContext, scenario: Mapping[str, Any]) -> ScenarioOutcome:
        result = loop_run(context, p, scenario)
        if result is None:
            return _NOT_RUN
        start = result.rounds[0].quality
        worst = max(result.rounds, key=lambda r: _worse_by(result, r.quality, start))
        lost = _worse_by(result, worst.quality, start)
        margin = Margin(
            f"{result.quality_metric} lost against round 0",
            round(lost, 4),
            p.quality_tolerance,
        )
        message = (
            f"whole-population {result.quality_metric} went from {_shown(start)} to "
            f"{_shown(worst.quality)} in round {worst.round}"
        )
        if lost <= p.quality_tolerance:
            return ScenarioOutcome(True, message, margins=(margin,))
        labelled = worst.labelled_quality
        hint = (
            "the retrained model looked fine on the loop's own labels "
            f"({result.quality_metric} {_shown(labelled)}) but not on everyone: those labels "
            "were chosen by the model. Label from a source the model does not choose, and let "
            "the gate compare candidates on an unbiased hold-out."
            if labelled is not None
            else "a worse model was deployed: give the gate a hold-out to compare on, and do not "
            "deploy a candidate the hold-out does not show to be at least as good."
        )
        return ScenarioOutcome(False, message, hint=hint, margins=(margin,))

    def improves(context: CheckContext, scenario: Mapping[str, Any]) -> ScenarioOutcome:
        result = loop_run(context, p, scenario)
        if result is None:
            return _NOT_RUN
        shipped = baseline(context, p, scenario).quality
        final = result.rounds[-1].quality
        gain = -_worse_by(result, final, shipped)
        margin = Margin(
            f"{result.quality_metric} gained on the shipped model by the last round",
            round(gain, 4),
            p.min_gain,
            higher_is_better=True,
        )
        message = (
            f"whole-population {result.quality_metric} went from {_shown(shipped)} (shipped "
            f"model) to {_shown(final)} after the last round"
        )
        if gain >= p.min_gain:
            return ScenarioOutcome(True, message, margins=(margin,))
        deployed = sum(1 for r in result.rounds if r.retrained)
        hint = (
            "no retrained model was ever deployed: the loop paid for labels and learned "
            "nothing. A candidate the hold-out shows to be clearly better should ship."
            if deployed == 0
            else "the deployed models gained too little: they learned from too few labels. "
            "Customers' corrections are true words; train on them, and buy professional "
            "labels mainly to measure."
        )
        return ScenarioOutcome(False, message, hint=hint, margins=(margin,))

    def keeps_better(context: CheckContext, scenario: Mapping[str, Any]) -> ScenarioOutcome:
        result = loop_run(context, p, scenario)
        if result is None:
            return _NOT_RUN
        start = result.rounds[0].quality
        worst = max(result.rounds, key=lambda r: _worse_by(result, r.quality, start))
        lost = _worse_by(result, worst.quality, start)
        margin = Margin(
            f"{result.quality_metric} lost against the better model",
            round(lost, 4),
            p.quality_tolerance,
        )
        message = (
            f"started from a model trained on {p.improved_by:,} professional labels "
            f"({result.quality_metric} {_shown(start)}), the loop reached "
            f"{_shown(worst.quality)} in round {worst.round}"
        )
        if lost <= p.quality_tolerance:
            return ScenarioOutcome(True, message, margins=(margin,))
        return ScenarioOutcome(
            False,
            message,
            hint="the gate replaced a better model with a worse candidate. On the loop's own "
            "labels a candidate trained on them looks good and the current model looks only as "
            "good as what customers happened to fix: compare the two on the hold-out, and keep "
            "the current model unless the hold-out shows the candidate clearly better.",
            margins=(margin,),
        )

    def recovers(context: CheckContext, scenario: Mapping[str, Any]) -> ScenarioOutcome:
        result = loop_run(context, p, scenario)
        if result is None:
            return _NOT_RUN
        shipped = baseline(context, p, scenario).quality
        final = result.rounds[-1].quality
        behind = _worse_by(result, final, shipped)
        margin = Margin(
            f"{result.quality_metric} behind the shipped model after the last round",
            round(behind, 4),
            p.recovery_tolerance,
        )
        message = (
            f"from a damaged model ({result.quality_metric} {_shown(result.rounds[0].quality)}) "
            f"the loop reached {_shown(final)} (shipped model: {_shown(shipped)})"
        )
        if behind <= p.recovery_tolerance:
            return ScenarioOutcome(True, message, margins=(margin,))
        deployed = sum(1 for r in result.rounds if r.retrained)
        hint = (
            "no retrained model was ever deployed: a gate that never deploys keeps a damaged "
            "model forever."
            if deployed == 0
            else "the retrained models did not get better: they learn from labels the damaged "
            "model chose. Buy unbiased labels (exploration) and train on a source that covers "
            "everyone."
        )
        return ScenarioOutcome(False, message, hint=hint, margins=(margin,))

    def within_budget(context: CheckContext, scenario: Mapping[str, Any]) -> ScenarioOutcome:
        result = loop_run(context, p, scenario)
        if result is None:
            return _NOT_RUN
        limit = float(scenario["budget_per_user"]) * int(scenario["n"])
        dearest = max(result.rounds, key=lambda r: r.label_cost)
        margin = Margin("label cost per round", dearest.label_cost, round(limit, 2), " USD")
        message = f"the dearest round (round {dearest.round}) paid {dearest.label_cost:.0f} USD"
        if dearest.label_cost <= limit:
            return ScenarioOutcome(True, message + f" (budget {limit:.0f})", margins=(margin,))
        return ScenarioOutcome(
            False,
            message + f", over the budget of {limit:.0f} USD",
            hint="compute the exploration share from the budget you are given (budget / "
            "(users x price)), with a safety margin: the explored sample is random.",
            margins=(margin,),
        )

    def holds_out(context: CheckContext, scenario: Mapping[str, Any]) -> ScenarioOutcome:
        result = loop_run(context, p, scenario)
        if result is None:
            return _NOT_RUN
        counts = [r.extra.get("holdout_labels", 0.0) for r in result.rounds]
        mean = sum(counts) / len(counts)
        margin = Margin(
            "hold-out labels per round",
            round(mean, 1),
            p.min_holdout_per_round,
            higher_is_better=True,
        )
        message = f"{mean:.0f} hold-out labels per round on average"
        if mean >= p.min_holdout_per_round:
            return ScenarioOutcome(True, message, margins=(margin,))
        return ScenarioOutcome(
            False,
            message + f" (at least {p.min_holdout_per_round} needed)",
            hint="without unbiased hold-out labels nobody can tell whether a retrained model "
            "is better: explore a random share and hold part of it out (exploration share x "
            "hold-out share x users per round).",
            margins=(margin,),
        )

    def keeps_value(context: CheckContext, scenario: Mapping[str, Any]) -> ScenarioOutcome:
        result = loop_run(context, p, scenario)
        if result is None:
            return _NOT_RUN
        floor = p.value_share * baseline(context, p, scenario).value
        poorest = min(result.rounds, key=lambda r: r.value)
        margin = Margin(result.value_metric, poorest.value, round(floor, 4), higher_is_better=True)
        message = (
            f"the poorest round (round {poorest.round}) made {poorest.value:.4g} "
            f"({result.value_metric}); floor {floor:.4g}"
        )
        if poorest.value >= floor:
            return ScenarioOutcome(True, message, margins=(margin,))
        return ScenarioOutcome(
            False,
            message,
            hint="labels and accuracy cost money: every explored user is paid for, and a model "
            "that is a little more accurate rarely earns that back. Explore only what the "
            "hold-out and retraining need.",
            margins=(margin,),
        )

    def fair(context: CheckContext, scenario: Mapping[str, Any]) -> ScenarioOutcome:
        result = loop_run(context, p, scenario)
        if result is None:
            return _NOT_RUN
        start = baseline(context, p, scenario).fairness_gap or 0.0
        widest = max(result.rounds, key=lambda r: r.fairness_gap or 0.0)
        gap = widest.fairness_gap or 0.0
        limit = round(start + p.fairness_tolerance, 4)
        margin = Margin(str(result.fairness_metric), gap, limit)
        message = f"the widest gap was {gap:.3f} in round {widest.round} (shipped: {start:.3f})"
        if gap <= limit:
            return ScenarioOutcome(True, message, margins=(margin,))
        return ScenarioOutcome(
            False,
            message,
            hint="a retrained model treats one group differently from the shipped one: compare "
            "candidates per group on the hold-out, or keep the model that was fairer.",
            margins=(margin,),
        )

    def check(name: str, summary: str, hint: str, scenarios: Any, verdict: Any) -> Check:
        return Check(
            name=name,
            assignment=p.assignment,
            summary=summary,
            max_points=points.get(name, 0.0),
            hint=hint,
            extensions=EXTENSIONS,
            scenarios=scenarios,
            verdict=verdict,
        )

    every = (
        check(
            "keeps-model-quality",
            "the loop never lets whole-population quality fall behind round 0",
            "judge candidates on unbiased hold-out labels, not on the labels the model chose.",
            static,
            keeps_quality,
        ),
        check(
            "improves-on-the-shipped-model",
            "the loop learns: after the last round the model beats the shipped one",
            "deploy candidates the hold-out shows to be better.",
            static,
            improves,
        ),
        check(
            "keeps-a-better-model",
            "started from a model better than its retrains, the gate keeps it",
            "judge candidates on the hold-out, not on the loop's own labels.",
            improved,
            keeps_better,
        ),
        check(
            "recovers-from-a-damaged-model",
            "started from a model a naive loop damaged, the loop recovers",
            "the gate must deploy candidates the hold-out shows to be better.",
            damaged,
            recovers,
        ),
        check(
            "labels-within-budget",
            "label cost per round stays within the stated budget",
            "compute the exploration share from the budget.",
            static,
            within_budget,
        ),
        check(
            "measures-on-a-holdout",
            "enough unbiased hold-out labels every round to judge a retrained model",
            "hold out part of the explored sample.",
            static,
            holds_out,
        ),
        check(
            "keeps-value",
            "value per user stays above the stated share of the shipped system's",
            "spend on labels only what the loop needs.",
            static,
            keeps_value,
        ),
        check(
            "fairness-gap-bounded",
            "the fairness gap never widens beyond the stated tolerance",
            "compare the groups' treatment before deploying a candidate.",
            static,
            fair,
        ),
    )
    return tuple(c for c in every if c.name in points)
