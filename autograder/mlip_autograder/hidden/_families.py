"""Hidden check families: what one is, how their scenarios are drawn, and the kit's own.

The kit's families register through the ``mlip_autograder.grading`` entry-point group (see
``autograder/pyproject.toml`` and :mod:`mlip_autograder.hidden._registry`), exactly like a
course's own package registers the hidden families of its assignments.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from mlip.errors import UsageError
from mlip_autograder.hidden._drift_evidence import (
    CategoryEvidence,
    NumericEvidence,
    observable_drift,
)

if TYPE_CHECKING:
    from mlip.checks import Check, Scenario
    from mlip.systems import System

__all__ = [
    "KIT_GRADING",
    "AssignmentGrading",
    "HiddenFamily",
    "combined_conditions",
    "hidden_check",
    "reseeded",
    "reseeded_runs",
    "scenario_seed",
]

#: Sessions per hidden scenario: fewer than the public checks, as the hidden families have
#: more scenarios and every call of a student's function crosses the sandbox boundary.
SESSIONS = 100


@dataclass(frozen=True)
class HiddenFamily:
    """A hidden check: the public check whose verdict it reuses and how scenarios are drawn.

    ``draw`` gets the system, a private random generator seeded from the course secret and the
    public check's own scenarios, and returns the hidden scenarios (typed, plain dicts).
    """

    assignment: str
    name: str
    verdict_of: str
    draw: Callable[[System, random.Random, list[Scenario]], list[Scenario]]


@dataclass(frozen=True)
class AssignmentGrading:
    """The instructor's half of one assignment, registered under ``mlip_autograder.grading``.

    ``families`` are its hidden checks (each family's ``assignment`` is this one);
    ``sources`` locates the nbgrader source notebooks (with solutions): ``"package:folder"``
    inside an installed package, or a function returning the folder. Neither ever ships in the
    student wheel: the student side (:class:`mlip.assignments.Assignment`) only names the
    hidden checks and their points.
    """

    assignment: str
    families: tuple[HiddenFamily, ...]
    sources: str | Callable[[], Path]

    def source_dir(self) -> Path:
        """The folder holding the assignment's nbgrader source notebooks."""
        if callable(self.sources):
            return self.sources()
        from mlip.assignments import resource_dir

        return resource_dir(self.sources)


def scenario_seed(secret: str, assignment: str, check: str) -> int:
    """A per-check seed derived from the course secret (stable, not guessable without it)."""
    digest = hashlib.sha256(f"{secret}:{assignment}:{check}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 1_000_000 + 1_000


def _reseeded(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
    """The public scenarios again, each on a fresh secret seed."""
    return [{**scenario, "n": SESSIONS, "seed": rng.randrange(1_000, 10**6)} for scenario in public]


def _combined_conditions(
    system: System, rng: random.Random, public: list[Scenario]
) -> list[Scenario]:
    """Several faults at once: one non-default value of every condition, plus chaos models."""
    from mlip.systems import FAULT_KINDS

    declared = [(c.name, c.values[1:]) for c in system.conditions() if len(c.values) > 1]
    scenarios: list[Scenario] = []
    for _ in range(4):
        conditions = {name: rng.choice(values) for name, values in declared}
        scenario: Scenario = {
            "conditions": conditions,
            "n": SESSIONS,
            "seed": rng.randrange(1_000, 10**6),
        }
        if rng.random() < 0.5:
            scenario["fault"] = rng.choice(FAULT_KINDS)
        scenarios.append(scenario)
    return scenarios


def _combined_with(
    conditions: dict[str, str], faults: tuple[str, ...], *, never_with: tuple[str, ...] = ()
) -> Callable[[System, random.Random, list[Scenario]], list[Scenario]]:
    """:func:`_combined_conditions`, plus one scenario that always holds ``conditions`` and one
    of ``faults`` (the other conditions drawn at random).

    For a combination a public check names and the guard must survive on every secret (a dead
    smoke sensor with a runaway (huge) model - an infinite one would only test NaN handling;
    missing entries with a score that asks for advice): left
    to chance, it would be drawn on some secrets only and a hole caught on a few of them.
    ``never_with`` names faults no scenario holding ``conditions`` gets (one of ``faults``
    instead): a hole the assignment declares out of reach (a toaster model that is wrong by a
    plausible amount while the smoke sensor is dead) must not cost points on a few secrets.
    """

    def draw(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
        scenarios = _combined_conditions(system, rng, public)
        for scenario in scenarios:
            held = conditions.items() <= dict(scenario["conditions"]).items()
            if held and scenario.get("fault") in never_with:
                scenario["fault"] = rng.choice(faults)
        declared = [(c.name, c.values[1:]) for c in system.conditions() if len(c.values) > 1]
        drawn = {name: rng.choice(values) for name, values in declared}
        scenarios.append(
            {
                "conditions": {**drawn, **conditions},
                "fault": rng.choice(faults),
                "n": SESSIONS,
                "seed": rng.randrange(1_000, 10**6),
            }
        )
        return scenarios

    return draw


def _combined_and_clean(
    silent: Mapping[str, tuple[str, ...]],
) -> Callable[[System, random.Random, list[Scenario]], list[Scenario]]:
    """:func:`_combined_conditions`, plus two scenarios with the real model under drawn conditions.

    Left to chance, every scenario of a secret could hold a chaos model or a condition that
    silences the system (``silent``: e.g. a recording of silence has no words to judge), and a
    guard that trusts a too-low confidence would be caught on some secrets only.
    """

    def draw(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
        scenarios = _combined_conditions(system, rng, public)
        declared = [
            (c.name, [value for value in c.values[1:] if value not in silent.get(c.name, ())])
            for c in system.conditions()
            if len(c.values) > 1
        ]
        for _ in range(2):
            conditions = {name: rng.choice(values) for name, values in declared if values}
            scenarios.append(
                {"conditions": conditions, "n": SESSIONS, "seed": rng.randrange(1_000, 10**6)}
            )
        return scenarios

    return draw


def _drift_seeds(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
    """The public drift streams on one secret seed, with the drift starting later.

    All streams share the seed (their normal first segment is then recorded once, as in the
    public checks) and the lead-in factor, so a monitor tuned to where the public drift starts
    or to the public seed's noise gains nothing. The lead-in only grows: a shorter one would
    judge how long a monitor warms up, which the public streams never asked about. A drift that
    shows sparsely is redrawn until the stream shows it (:mod:`._drift_evidence`).
    """
    seed = rng.randrange(1_000, 10**6)
    lead_in = round(rng.uniform(1.1, 1.5), 2)
    return [{**scenario, "seed": seed, "lead_in": lead_in} for scenario in public]


def _runs(public: list[Scenario]) -> list[Scenario]:
    """The system runs among a check's scenarios (not its bookkeeping parts such as ``part``)."""
    return [scenario for scenario in public if "seed" in scenario and "part" not in scenario]


def _reseeded_runs(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
    """The public runs again at their own size, each on a fresh secret seed."""
    return [{**run, "seed": rng.randrange(1_000, 10**6)} for run in _runs(public)]


def _compatible(first: Scenario, second: Scenario) -> bool:
    """Two runs can happen at once: no condition set twice, at most one model fault."""
    shared = set(first.get("conditions", {})) & set(second.get("conditions", {}))
    return not shared and not ("fault" in first and "fault" in second)


def _assumption_breaks(
    system: System, rng: random.Random, public: list[Scenario]
) -> list[Scenario]:
    """Every public assumption break on a secret seed, plus two pairs of them at once.

    A pair is the union of two compatible public breaks (all their conditions, their one model
    fault), a combination no public run uses. Each break keeps its conditions and fault
    together, so a pair's REQ violations are ruled out by any ASM that covers either break.
    """
    runs = _runs(public)
    scenarios = _reseeded_runs(system, rng, runs)
    pairs = [
        (first, second)
        for index, first in enumerate(runs)
        for second in runs[index + 1 :]
        if _compatible(first, second)
    ]
    for first, second in rng.sample(pairs, min(2, len(pairs))):
        pair: Scenario = {
            **first,
            **second,
            "conditions": {**first.get("conditions", {}), **second.get("conditions", {})},
            "seed": rng.randrange(1_000, 10**6),
        }
        scenarios.append(pair)
    return scenarios


KIT_FAMILIES: tuple[HiddenFamily, ...] = (
    HiddenFamily("guards-toaster", "hidden-chaos-seeds", "no-fire-under-chaos", _reseeded),
    HiddenFamily(
        "guards-toaster",
        "hidden-sensor-faults",
        "no-fire-under-sensor-faults",
        _combined_with({"sensor_fault": "smoke_dead"}, ("huge",), never_with=("constant",)),
    ),
    HiddenFamily("guards-tax", "hidden-chaos-seeds", "no-harmful-advice-under-chaos", _reseeded),
    HiddenFamily(
        "guards-tax",
        "hidden-drift",
        "safe-under-data-faults",
        _combined_with({"data_fault": "missing_fields"}, ("constant", "inf")),
    ),
    HiddenFamily(
        "guards-transcription",
        "hidden-chaos-seeds",
        "no-doubtful-word-published-under-chaos",
        _reseeded,
    ),
    HiddenFamily(
        "guards-transcription",
        "hidden-new-voices",
        "no-doubtful-word-published-under-faults",
        _combined_and_clean({"audio_fault": ("silence",)}),
    ),
    *(
        HiddenFamily(
            f"monitoring-{system}",
            "hidden-drift-seeds",
            "detects-sudden-drift",
            observable_drift(_drift_seeds, f"mlip.checks.monitoring_{system}", evidence),
        )
        for system, evidence in (
            ("toaster", ()),
            # the new deduction shows mainly as advice about the new home_energy field
            ("tax", (CategoryEvidence("new-deduction", "advice_shown", "field"),)),
            # noisy rooms lower the recogniser's word confidence, on some seeds only faintly
            ("transcription", (NumericEvidence("noisy-rooms", "word", "confidence"),)),
        )
    ),
    *(
        family
        for system in ("toaster", "tax", "transcription")
        for family in (
            HiddenFamily(
                f"requirements-{system}",
                "hidden-assumption-breaks",
                "assumptions-that-matter",
                _assumption_breaks,
            ),
            HiddenFamily(
                f"requirements-{system}",
                "hidden-hazard-paths",
                "fault-tree-covers-hazards",
                _reseeded_runs,
            ),
        )
    ),
)


def hidden_seeds(assignment: str, secret: str) -> dict[str, int]:
    """Every hidden check's scenario seed for ``assignment``: what a remote judge needs.

    A Dask worker gets these instead of the secret, so a worker host never holds what would
    reveal the hidden scenarios of other assignments or terms.
    """
    from mlip_autograder.hidden._registry import families_of

    return {
        family.name: scenario_seed(secret, assignment, family.name)
        for family in families_of(assignment)
    }


def hidden_check(
    assignment: str, name: str, *, secret: str = "", seeds: Mapping[str, int] | None = None
) -> Check:
    """The hidden check ``name`` of ``assignment`` with its scenarios drawn from ``secret``
    (or from the seed :func:`hidden_seeds` derived from it, when ``seeds`` is given)."""
    from mlip.assignments import get_assignment
    from mlip.checks import get_check
    from mlip_autograder.hidden._registry import families_of

    families = families_of(assignment)
    family = next((f for f in families if f.name == name), None)
    if family is None:
        known = ", ".join(f.name for f in families)
        raise UsageError(f"{assignment} has no hidden check {name!r}; hidden checks: {known}")
    public = get_check(assignment, family.verdict_of)
    declared = {c.name: c for c in get_assignment(assignment).hidden_checks}
    declaration = declared.get(name)
    seed = seeds[name] if seeds is not None else scenario_seed(secret, assignment, name)

    def scenarios(system: System) -> list[Scenario]:
        drawn = [cast("Scenario", dict(scenario)) for scenario in public.scenarios(system)]
        return family.draw(system, random.Random(seed), drawn)

    return replace(
        public,
        name=name,
        summary=declaration.summary if declaration else public.summary,
        max_points=float(declaration.points) if declaration else public.max_points,
        scenarios=scenarios,
        public=False,
    )


#: Public names of the draw functions a course's own hidden families may reuse.
reseeded = _reseeded
combined_conditions = _combined_conditions
reseeded_runs = _reseeded_runs


def _kit_sources(assignment: str) -> Callable[[], Path]:
    def folder() -> Path:
        from mlip_autograder.course import default_sources

        return default_sources() / assignment

    return folder


def _kit_grading() -> tuple[AssignmentGrading, ...]:
    ids = list(dict.fromkeys(family.assignment for family in KIT_FAMILIES))
    return tuple(
        AssignmentGrading(
            assignment=assignment,
            families=tuple(f for f in KIT_FAMILIES if f.assignment == assignment),
            sources=_kit_sources(assignment),
        )
        for assignment in ids
    )


# -- interaction topic (issue 16): budgets on secret seeds and shifted user populations --------


def _secret_seeds_with_a_fault(
    faults: tuple[str, ...] | None = None,
) -> Callable[[System, random.Random, list[Scenario]], list[Scenario]]:
    """The public runs at their own size on secret seeds, plus one with a chaos model drawn
    from ``faults`` (default: every kind).

    Interaction budgets are rates: runs as large as the public ones let a right policy pass
    every secret (the 100 sessions of :func:`reseeded` would leave it to chance). A toaster
    model that answers a plausible constant is out of an interaction policy's reach (its
    confidence looks fine on many slices), so the toaster draws from the other kinds.
    """

    def draw(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
        from mlip.systems import FAULT_KINDS

        scenarios = _reseeded_runs(system, rng, public)
        extra: Scenario = {
            **public[0],
            "seed": rng.randrange(1_000, 10**6),
            "fault": rng.choice(faults or FAULT_KINDS),
        }
        return [*scenarios, extra]

    return draw


def _shifted_users(
    populations: tuple[str, ...], *, with_faults: bool = False, run: int = 0, times: int = 2
) -> Callable[[System, random.Random, list[Scenario]], list[Scenario]]:
    """Public runs on secret seeds, faced by each user population of ``populations`` (users
    who tire of prompts faster, users who overlook more): a policy tuned to the usual users'
    patience must hold its budgets with others too.

    By default the first public run (``run`` names another), twice (``times``) per population.
    ``with_faults``: instead every public run that holds a broken model, once per population:
    where an unanswered question lets a broken plan go ahead, tired users are the ones who pay.
    """

    def draw(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
        if with_faults:
            runs = [scenario for scenario in public if "fault" in scenario]
        else:
            first = {key: value for key, value in public[run].items() if key != "fault"}
            runs = [cast("Scenario", first)] * times
        return [
            cast("Scenario", {**run, "seed": rng.randrange(1_000, 10**6), "users": users})
            for users in populations
            for run in runs
        ]

    return draw


INTERACTION_FAMILIES: tuple[HiddenFamily, ...] = (
    HiddenFamily(
        "interaction-tax",
        "hidden-secret-seeds",
        "harm-within-budget",
        _secret_seeds_with_a_fault(),
    ),
    HiddenFamily(
        "interaction-tax",
        "hidden-user-populations",
        "harm-within-budget",
        _shifted_users(("tire_faster", "inattentive")),
    ),
    HiddenFamily(
        "interaction-toaster",
        "hidden-secret-seeds",
        "harm-within-budget",
        _secret_seeds_with_a_fault(("nan", "inf", "negative", "huge", "exception", "slow")),
    ),
    HiddenFamily(
        "interaction-toaster",
        "hidden-user-populations",
        "harm-within-budget",
        _shifted_users(("tire_faster", "inattentive"), with_faults=True),
    ),
    # a transcript's confidences broken by any model fault that leaves the words (constant
    # words look confident, a crash leaves no words); customers shifted in the moderate world
    # (the second public run): in the hardest one, skimmers miss too much under any policy
    HiddenFamily(
        "interaction-transcription",
        "hidden-secret-seeds",
        "harm-within-budget",
        _secret_seeds_with_a_fault(("nan", "inf", "negative", "huge")),
    ),
    HiddenFamily(
        "interaction-transcription",
        "hidden-user-populations",
        "harm-within-budget",
        _shifted_users(("tire_faster", "skim"), run=1, times=1),
    ),
)


# -- feedback-loops topic (issue 16): the loop on secret seeds, longer, with other budgets -----
# The feedback-loops topic (appended: one family per verdict, drawn around the public run).


def _loop_rounds(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
    """The public loop on a secret seed, a round longer, another round size and budget."""
    return [
        cast(
            "Scenario",
            {
                **scenario,
                "seed": rng.randrange(1_000, 10**6),
                "rounds": int(cast("dict[str, int]", scenario)["rounds"]) + 1,
                "n": int(scenario["n"] * rng.uniform(0.85, 1.15)),
                "budget_per_user": round(
                    cast("dict[str, float]", scenario)["budget_per_user"] * rng.uniform(0.8, 1.3),
                    3,
                ),
            },
        )
        for scenario in public
    ]


def _loop_seeds(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
    """The public loop on a secret seed (the world the damaged model must recover in), two
    rounds longer: on a few seeds the hold-out favours the damaged model for several rounds,
    and a sound gate then needs more labels before it may replace it."""
    return [
        cast(
            "Scenario",
            {
                **scenario,
                "seed": rng.randrange(1_000, 10**6),
                "rounds": int(cast("dict[str, int]", scenario)["rounds"]) + 2,
            },
        )
        for scenario in public
    ]


def _loop_budgets(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
    """Two seasons with a budget half as large and two with a larger one, other sizes and seeds
    (the budget verdict needs no long loop)."""
    return [
        cast(
            "Scenario",
            {
                **scenario,
                "seed": rng.randrange(1_000, 10**6),
                "n": int(scenario["n"] * rng.uniform(0.7, 1.3)),
                "rounds": 2,
                "budget_per_user": round(
                    cast("dict[str, float]", scenario)["budget_per_user"] * factor, 3
                ),
            },
        )
        for scenario in public
        for factor in (0.5, rng.uniform(1.3, 1.8))
    ]


LOOP_ASSIGNMENT_SYSTEMS = ("tax", "toaster")
FEEDBACK_LOOPS_FAMILIES: tuple[HiddenFamily, ...] = tuple(
    family
    for system in LOOP_ASSIGNMENT_SYSTEMS
    for family in (
        HiddenFamily(
            f"feedback-loops-{system}", "hidden-more-rounds", "keeps-model-quality", _loop_rounds
        ),
        HiddenFamily(
            f"feedback-loops-{system}",
            "hidden-recovery-seeds",
            "recovers-from-a-damaged-model",
            _loop_seeds,
        ),
        HiddenFamily(
            f"feedback-loops-{system}", "hidden-budgets", "labels-within-budget", _loop_budgets
        ),
    )
)


def _shifted_population(
    population: str,
) -> Callable[[System, random.Random, list[Scenario]], list[Scenario]]:
    """The public loop at its own length on a secret seed, its users drawn from another
    ``population`` of the system's loop (:func:`mlip.systems.loops.populations`): a design and
    gate tuned to the usual users must hold with others too."""

    def draw(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
        return [
            cast("Scenario", {**scenario, "population": population})
            for scenario in _reseeded_runs(system, rng, public)
        ]

    return draw


#: The tax and toaster loops with their users shifted (the families above run the usual ones).
SHIFTED_POPULATIONS = {"tax": "older_filers", "toaster": "more_old_elements"}
FEEDBACK_LOOPS_SHIFTED_FAMILIES: tuple[HiddenFamily, ...] = tuple(
    HiddenFamily(
        f"feedback-loops-{system}",
        "hidden-shifted-population",
        "keeps-model-quality",
        _shifted_population(population),
    )
    for system, population in SHIFTED_POPULATIONS.items()
)


#: The transcription loop does not damage its model: its gate must keep a better one instead
#: (on secret seeds, at the public length: the better model is far ahead of a week's retrains,
#: so no longer run is needed to judge the gate), also when more customers speak in the voices
#: the model finds hard.
FEEDBACK_LOOPS_TRANSCRIPTION_FAMILIES: tuple[HiddenFamily, ...] = (
    HiddenFamily(
        "feedback-loops-transcription",
        "hidden-more-rounds",
        "improves-on-the-shipped-model",
        _loop_rounds,
    ),
    HiddenFamily(
        "feedback-loops-transcription",
        "hidden-better-model-seeds",
        "keeps-a-better-model",
        _reseeded_runs,
    ),
    HiddenFamily(
        "feedback-loops-transcription", "hidden-budgets", "labels-within-budget", _loop_budgets
    ),
    HiddenFamily(
        "feedback-loops-transcription",
        "hidden-shifted-voices",
        "keeps-a-better-model",
        _shifted_population("more_unfamiliar"),
    ),
)

KIT_FAMILIES = (
    *KIT_FAMILIES,
    *INTERACTION_FAMILIES,
    *FEEDBACK_LOOPS_FAMILIES,
    *FEEDBACK_LOOPS_SHIFTED_FAMILIES,
    *FEEDBACK_LOOPS_TRANSCRIPTION_FAMILIES,
)

#: The instructor side of the kit's assignments (entry point ``kit`` of the group).
KIT_GRADING: tuple[AssignmentGrading, ...] = _kit_grading()
