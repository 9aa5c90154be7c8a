"""Check families of the *requirements and risk* topic, shared by the three systems.

Students define four functions in their notebook: ``goals()``, ``requirements()`` (REQ, SPEC and
ASM objects), ``fault_tree()`` and ``mitigations()``. The checks call them without arguments,
turn what they return into plain data (:func:`plain_statements`) and rebuild kit objects from that
data, so no student object ever reaches a verdict and the autograder can get the same data from
a sandboxed process.

Every system run here uses the kit's own *reference guards* (simple, deliberately imperfect:
each system's profile says which assumptions they rely on) or no guards at all; no student code
runs inside the system. Runs are therefore cached per process and every check only measures the
student's statements over recorded telemetry.

A :class:`Profile` describes one system for this topic: its reference guards, the scenarios that
stress it, which telemetry is the world and which the software's own output, how to recognise
the top hazard and which *observable facts* (named causes a fault tree's basic events can map
to, each declared controllable by the system's design or not) were true in every session.

Each check is a list of named *rules* (:class:`Rule`): a rule is a verdict function that returns
every problem it finds, each costing a share of the rule's points, so a result lists all that is
wrong with a solution and what each problem cost, not only the first. The checks judge the
idea, not the shape: a REQ must measure the hazard's own outcome in the world, a cut set must
explain hazardous sessions without also describing harmless ones, a mitigation must prevent
something the system controls, an assumption must be about something that hurts a REQ.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlip.checks._engine import Check, CheckContext, ExtensionSpec, ScenarioOutcome, plain

if TYPE_CHECKING:
    from mlip.requirements import (
        Assumption,
        FaultTree,
        Goal,
        Mitigation,
        Requirement,
        Specification,
    )
    from mlip.systems import System

__all__ = [
    "EXTENSIONS",
    "Problem",
    "Profile",
    "Rule",
    "make_checks",
    "plain_statements",
    "recorded_run",
]

Scenario = dict[str, Any]
Events = list[dict[str, Any]]
#: ``(events of one run, the scenario) -> (true facts, hazard happened)`` for every session.
Sessions = Callable[[Events, Scenario], list[tuple[frozenset[str], bool]]]


def plain_statements(value: Any) -> list[dict[str, Any]]:
    """What ``goals()``/``requirements()``/``mitigations()`` returned, as a list of plain dicts."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return [_plain_object(item) for item in value]


def plain_tree(value: Any) -> dict[str, Any]:
    """What ``fault_tree()`` returned, as a plain dict."""
    return _plain_object(value)


def _plain_object(item: Any) -> dict[str, Any]:
    from mlip import requirements as kit

    kit_types = (
        kit.Goal,
        kit.Requirement,
        kit.Specification,
        kit.Assumption,
        kit.FaultTree,
        kit.Mitigation,
    )
    if type(item) in kit_types:  # exact kit classes only: a student subclass is not trusted
        data = plain(item.to_dict())
    elif isinstance(item, Mapping):
        data = plain(item)
    else:
        raise TypeError(f"expected kit objects (Requirement, Goal...), got {type(item).__name__}")
    if not isinstance(data, dict):
        raise TypeError("expected a dict")
    return data


EXTENSIONS: tuple[ExtensionSpec, ...] = (
    ExtensionSpec("goals", coerce=plain_statements, fallback=lambda: []),
    ExtensionSpec("requirements", coerce=plain_statements, fallback=lambda: []),
    ExtensionSpec("fault_tree", coerce=plain_tree, fallback=lambda: {}),
    ExtensionSpec("mitigations", coerce=plain_statements, fallback=lambda: []),
)


@dataclass(frozen=True)
class Profile:
    """How the requirements topic sees one system."""

    assignment: str
    system: str
    hazard: str
    #: Extension functions of the kit's reference guards (trusted code, not a student's).
    reference_guards: Callable[[], dict[str, Callable[..., Any]]]
    #: The normal world: the reference-guarded system, healthy model, default conditions.
    normal: Scenario
    #: Runs a meaningful requirement can fail in (unguarded, chaos models, conditions).
    stress: tuple[Scenario, ...]
    #: Runs of the reference-guarded system with one assumption (or a pair) broken.
    assumption_breaks: tuple[Scenario, ...]
    #: Runs where the simulator produces the top hazard; the fault tree must explain them.
    hazard_runs: tuple[Scenario, ...]
    #: Observable facts a basic event may be ``observed_as``, with what each means.
    facts: Mapping[str, str]
    #: The facts the system's design controls (a guard, a redundant part, a review step can
    #: make them impossible); the others are the environment's, the user's or the model's.
    controllable: frozenset[str]
    sessions: Sessions
    #: Telemetry events that record effects in the world (what a REQ measures)...
    world_events: frozenset[str]
    #: ...and those that record what the software itself did (what a SPEC measures).
    software_events: frozenset[str]
    #: The hazard's own outcome: event -> the fields that measure it (empty: any field).
    hazard_measures: Mapping[str, frozenset[str]]
    #: Runs (changes to ``normal``) where the hazard is rare: a cut set whose facts hold in
    #: their sessions as often as in hazardous ones describes ordinary sessions, not the hazard.
    calm: tuple[Scenario, ...] = field(default=())

    def hazard_paths(self, events: Events, scenario: Scenario) -> list[frozenset[str]]:
        """The true facts of every session of one run that ended in the hazard."""
        return [facts for facts, hazard in self.sessions(events, scenario) if hazard]


_RUNS: dict[str, tuple[Events, dict[str, float]]] = {}


def recorded_run(
    system: System, profile: Profile, scenario: Scenario
) -> tuple[Events, dict[str, float]]:
    """Telemetry and metrics of one scenario (cached: only trusted kit code runs)."""
    key = json.dumps([profile.system, scenario], sort_keys=True)
    if key not in _RUNS:
        model = _RUNS_MODELS.get(profile.system)
        if model is None:
            model = _RUNS_MODELS[profile.system] = system.load_model()
        if "fault" in scenario:
            model = system.faulty_model(str(scenario["fault"]), model=model)
        events: Events = []
        result = system.run(
            n=int(scenario["n"]),
            seed=int(scenario["seed"]),
            model=model,
            extensions=profile.reference_guards() if scenario.get("guarded", True) else None,
            conditions=dict(scenario.get("conditions", {})),
            telemetry=events.append,
        )
        metrics = {**dict(result.model), **dict(result.system_metrics)}
        _RUNS[key] = (events, {key: float(value) for key, value in metrics.items()})
    return _RUNS[key]


_RUNS_MODELS: dict[str, Any] = {}


def scenario_label(scenario: Scenario) -> str:
    """A run in words, e.g. ``unguarded, model fault nan, sensor_fault=smoke_dead``."""
    parts = ["reference guards" if scenario.get("guarded", True) else "unguarded"]
    if "fault" in scenario:
        parts.append(f"model fault {scenario['fault']}")
    parts += [f"{key}={value}" for key, value in dict(scenario.get("conditions", {})).items()]
    return ", ".join(parts)


# --- rules: named verdict functions that report every problem --------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a solution; ``share`` is the part of its rule's points it costs."""

    message: str
    share: float = 1.0


#: A rule's verdict: every problem it finds in the student's answers for one scenario.
RuleVerdict = Callable[["Answers", Scenario], list[Problem]]


@dataclass(frozen=True)
class Rule:
    """A named sub-check: ``weight`` is its share of each scenario's points."""

    name: str
    weight: float
    verdict: RuleVerdict


@dataclass
class Answers:
    """The student's answers, read once per scenario, with the profile and the system."""

    context: CheckContext
    profile: Profile
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def system(self) -> System:
        return self.context.system

    def run(self, scenario: Scenario) -> tuple[Events, dict[str, float]]:
        return recorded_run(self.context.system, self.profile, scenario)

    def statements(self) -> tuple[list[Requirement | Specification], list[Assumption], list[str]]:
        if "statements" not in self._cache:
            self._cache["statements"] = _statements(self.context)
        found: tuple[list[Requirement | Specification], list[Assumption], list[str]]
        found = self._cache["statements"]
        return found

    def valid(self) -> tuple[list[Requirement | Specification], list[str]]:
        """REQ/SPEC statements that parse and name real telemetry, and the schema problems."""
        if "valid" not in self._cache:
            from mlip.requirements import schema_problems

            measured, _, _ = self.statements()
            schema = _schema(self.system)
            valid: list[Requirement | Specification] = []
            problems: list[str] = []
            for statement in measured:
                found = schema_problems(statement, schema)
                problems += found
                if not found:
                    valid.append(statement)
            self._cache["valid"] = (valid, problems)
        result: tuple[list[Requirement | Specification], list[str]] = self._cache["valid"]
        return result

    def requirements(self) -> list[Requirement | Specification]:
        return [statement for statement in self.valid()[0] if statement.kind == "REQ"]

    def tree(self) -> FaultTree:
        """The student's tree (``ValueError`` if malformed; read and judged once)."""
        from mlip.requirements import fault_tree_from_dict

        tree: FaultTree = self._once(
            "tree", lambda: fault_tree_from_dict(self.context.extensions["fault_tree"]())
        )
        return tree

    def cut_sets(self) -> list[frozenset[str]]:
        """The tree's minimal cut sets (``ValueError``/``FaultTreeError`` if unusable)."""
        from mlip.requirements import minimal_cut_sets

        cut_sets: list[frozenset[str]] = self._once(
            "cut_sets", lambda: minimal_cut_sets(self.tree())
        )
        return cut_sets

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per scenario, its error included (a broken tree is analysed once
        however many rules look at it)."""
        if key not in self._cache:
            try:
                self._cache[key] = (compute(), None)
            except ValueError as error:
                self._cache[key] = (None, error)
        value, failure = self._cache[key]
        if failure is not None:
            raise failure
        return value


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _rule_hint(rule: Rule) -> str:
    """What the first rule that found a problem asks for: its docstring's first paragraph."""
    text = (rule.verdict.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(text.split())


def _judge(
    rules: Sequence[Rule], *, points_per_scenario: float | None
) -> Callable[[Profile], Callable[[CheckContext, Scenario], ScenarioOutcome]]:
    """A check's verdict from its rules: every problem listed with what it cost.

    ``points_per_scenario`` shows costs in points (a check judged once); ``None`` shows them as
    a share of one run (a check judged on many runs).
    """

    def make(profile: Profile) -> Callable[[CheckContext, Scenario], ScenarioOutcome]:
        def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
            answers = Answers(context, profile)
            lost = 0.0
            lines: list[str] = []
            hint = ""
            for rule in rules:
                problems = rule.verdict(answers, scenario)
                if problems and not hint:
                    hint = _rule_hint(rule)
                rule_lost = 0.0
                for problem in problems:
                    cost = min(rule.weight * problem.share, rule.weight - rule_lost)
                    rule_lost += cost
                    if points_per_scenario is None:
                        shown = f"-{cost:.0%} of this run"
                    else:
                        shown = f"-{_points(cost * points_per_scenario)} pt"
                    lines.append(f"{rule.name}: {problem.message} ({shown})")
                lost += rule_lost
            credit = max(0.0, 1.0 - lost)
            if not lines:
                return ScenarioOutcome(True, f"{len(rules)} rule(s) satisfied", credit=1.0)
            return ScenarioOutcome(False, "; ".join(lines), hint=hint, credit=round(credit, 6))

        return verdict

    return make


# --- reading the student's answers ---------------------------------------------------------


def _statements(
    context: CheckContext,
) -> tuple[list[Requirement | Specification], list[Assumption], list[str]]:
    from mlip.requirements import Assumption, requirement_from_dict

    measured: list[Requirement | Specification] = []
    assumptions: list[Assumption] = []
    problems: list[str] = []
    for data in context.extensions["requirements"]():
        try:
            statement = requirement_from_dict(data)
        except ValueError as error:
            problems.append(str(error))
            continue
        if isinstance(statement, Assumption):
            assumptions.append(statement)
        else:
            measured.append(statement)
    return measured, assumptions, problems


def _schema(system: System) -> dict[str, set[str]]:
    return {
        schema.event: {field.name for field in schema.fields}
        for schema in system.telemetry_schema()
    }


def _each(messages: Sequence[str], out_of: int) -> list[Problem]:
    """One problem per message, each costing its share of ``out_of`` items."""
    return [Problem(message, 1.0 / max(out_of, len(messages), 1)) for message in messages]


# --- goals -------------------------------------------------------------------------------


def goals_at_every_level(answers: Answers, scenario: Scenario) -> list[Problem]:
    """A goal at each level (system, user, model), each measured by something the system
    reports: a metric of ``system.run()`` or a telemetry field ``event.field``."""
    from mlip.requirements import GOAL_LEVELS, goal_from_dict

    problems: list[str] = []
    goals: list[Goal] = []
    for data in answers.context.extensions["goals"]():
        try:
            goals.append(goal_from_dict(data))
        except ValueError as error:
            problems.append(str(error))
    problems += [
        f"goal level {goal.level!r} is not one of {', '.join(GOAL_LEVELS)}"
        for goal in goals
        if goal.level not in GOAL_LEVELS
    ]
    _, metrics = answers.run(answers.profile.normal)
    schema = _schema(answers.system)
    for level in GOAL_LEVELS:
        at_level = [goal for goal in goals if goal.level == level]
        if not at_level:
            problems.append(f"no {level}-level goal")
        for goal in at_level:
            event, _, name = goal.measured_by.partition(".")
            if goal.measured_by in metrics or (name and name in schema.get(event, set())):
                continue
            problems.append(
                f"goal {goal.text!r} is measured by {goal.measured_by!r}, which is neither a "
                "metric the system reports nor a telemetry field written event.field"
            )
    return _each(problems, len(GOAL_LEVELS))


# --- requirements: are they statements the checks can measure? --------------------------------


def every_kind_stated(answers: Answers, scenario: Scenario) -> list[Problem]:
    """REQ, SPEC and ASM statements, each parsed, with unique ids."""
    measured, assumptions, malformed = answers.statements()
    problems = [Problem(message, 1 / 3) for message in malformed]
    kinds = {statement.kind for statement in [*measured, *assumptions]}
    problems += [
        Problem(f"no {kind} statement", 1 / 3)
        for kind in ("REQ", "SPEC", "ASM")
        if kind not in kinds
    ]
    ids = [statement.id for statement in [*measured, *assumptions]]
    problems += [
        Problem(f"the id {name!r} is used twice", 1 / 3)
        for name in sorted({name for name in ids if ids.count(name) > 1})
    ]
    return problems


def statements_name_real_telemetry(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Every REQ/SPEC names an event and field of the telemetry schema and a valid measure."""
    measured, _, _ = answers.statements()
    _, problems = answers.valid()
    return _each(problems, len(measured))


def statements_measure_something(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Every REQ/SPEC sees events on a normal run (a measure of nothing checks nothing)."""
    from mlip.requirements import evaluate

    valid, _ = answers.valid()
    if not valid:
        return [Problem("no REQ or SPEC that names real telemetry")]
    events, _ = answers.run(answers.profile.normal)
    problems = []
    for statement in valid:
        evaluation = evaluate(statement, events)
        if evaluation.value is None:
            problems.append(
                f"{statement.kind} {statement.id} measures nothing on a normal run: "
                f"{evaluation.describe()}"
            )
    return _each(problems, len(valid))


def reqs_measure_the_world(answers: Answers, scenario: Scenario) -> list[Problem]:
    """A REQ measures an effect in the world, a SPEC what the software itself did.

    The profile sorts the telemetry events: e.g. a toaster's ``outcome`` (fire, shade) is the
    world, its ``prediction`` (the planned heating time) the software's own output.
    """
    profile = answers.profile
    valid, _ = answers.valid()
    world = ", ".join(sorted(profile.world_events))
    software = ", ".join(sorted(profile.software_events))
    problems = []
    for statement in valid:
        where = f"{statement.event}.{statement.field}"
        if statement.kind == "REQ" and statement.event not in profile.world_events:
            what = (
                "the software's own output: that is a SPEC posing as a REQ"
                if statement.event in profile.software_events
                else "not an effect in the world"
            )
            problems.append(f"REQ {statement.id} measures {where}, {what} (world events: {world})")
        if statement.kind == "SPEC" and statement.event not in profile.software_events:
            what = (
                "an effect in the world, which the software cannot promise: that is a REQ"
                if statement.event in profile.world_events
                else "not something the software outputs"
            )
            problems.append(
                f"SPEC {statement.id} measures {where}, {what} (software events: {software})"
            )
    return _each(problems, len(valid))


def _situations(system: System) -> list[tuple[str, str]]:
    """Everything an assumption can rule out: each fault value of a condition, each model
    fault (as ``("model", kind)``)."""
    from mlip.systems import FAULT_KINDS

    found = [(c.name, value) for c in system.conditions() for value in c.values[1:]]
    return found + [("model", kind) for kind in FAULT_KINDS]


def assumptions_name_real_situations(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Every ASM rules out conditions and model faults the system really has."""
    from mlip.systems import FAULT_KINDS

    _, assumptions, _ = answers.statements()
    declared = {c.name: c.values for c in answers.system.conditions()}
    problems = []
    for assumption in assumptions:
        for name, values in assumption.rules_out.items():
            if name not in declared:
                problems.append(
                    f"ASM {assumption.id} rules out condition {name!r}, which the system does "
                    f"not have (conditions: {', '.join(declared)})"
                )
                continue
            problems += [
                f"ASM {assumption.id}: {name}={value!r} is not a fault value "
                f"(values: {', '.join(declared[name][1:])})"
                for value in values
                if value not in declared[name][1:]
            ]
        problems += [
            f"ASM {assumption.id}: model fault {kind!r} is not one of {', '.join(FAULT_KINDS)}"
            for kind in assumption.model_faults
            if kind not in FAULT_KINDS
        ]
    return _each(problems, len(assumptions))


#: An assumption that rules out more than this share of what can go wrong assumes the problem
#: away: the REQs it protects then promise nothing.
MOST_SITUATIONS = 0.5


def assumptions_rule_out_little(answers: Answers, scenario: Scenario) -> list[Problem]:
    """No ASM rules out most of what can go wrong (every condition and every model fault)."""
    _, assumptions, _ = answers.statements()
    situations = _situations(answers.system)
    problems = []
    for assumption in assumptions:
        ruled = [
            (name, value)
            for name, value in situations
            if (name == "model" and value in assumption.model_faults)
            or assumption.excludes(name, value)
        ]
        if len(ruled) > MOST_SITUATIONS * len(situations):
            problems.append(
                f"ASM {assumption.id} rules out {len(ruled)} of the {len(situations)} things "
                "that can go wrong (condition values and model faults): a requirement that "
                "needs this much assumed promises nothing"
            )
    return _each(problems, len(assumptions))


# --- requirements: do they hold, can they fail, do they see the hazard? -----------------------


def _violated(
    answers: Answers, scenario: Scenario, statements: Sequence[Requirement | Specification]
) -> list[str]:
    from mlip.requirements import evaluate

    events, _ = answers.run(scenario)
    return [statement.id for statement in statements if not evaluate(statement, events).holds]


def hold_in_the_normal_world(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Every REQ/SPEC holds for the reference-guarded system with a healthy model."""
    from mlip.requirements import evaluate

    valid, _ = answers.valid()
    if not valid:
        return [Problem("no REQ or SPEC that names real telemetry")]
    events, _ = answers.run(answers.profile.normal)
    problems = []
    for statement in valid:
        evaluation = evaluate(statement, events)
        if not evaluation.holds:
            problems.append(
                f"{statement.kind} {statement.id} fails for the reference-guarded system in the "
                f"normal world: {evaluation.describe()}"
            )
    return _each(problems, len(valid))


def falsifiable(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Every REQ/SPEC is violated in some run of the system (unguarded, chaos models, broken
    conditions): a bound that no run comes near is vacuous."""
    profile = answers.profile
    valid, _ = answers.valid()
    broken: set[str] = set()
    for run in (*profile.stress, *profile.hazard_runs, *profile.assumption_breaks):
        broken |= set(_violated(answers, run, valid))
    problems = [
        f"{statement.kind} {statement.id} ({statement.describe()}) is trivially true: no run "
        "violates it, even unguarded with chaos models or broken conditions"
        for statement in valid
        if statement.id not in broken
    ]
    return _each(problems, len(valid))


def _measures_hazard(profile: Profile, statement: Requirement | Specification) -> bool:
    fields = profile.hazard_measures.get(statement.event)
    if fields is None:
        return False
    return (not fields or statement.field in fields) and statement.bound in ("<=", "<")


def a_req_measures_the_hazard(answers: Answers, scenario: Scenario) -> list[Problem]:
    """A REQ bounds the hazard's own outcome in the world from above and is violated in every
    run where the hazard happens (a REQ on a side effect, such as burnt toast or prompts, is
    not one: a hazard-free system can break it, a hazardous one can keep it)."""
    profile = answers.profile
    measures = ", ".join(
        f"{event}.{'|'.join(sorted(fields)) if fields else '*'}"
        for event, fields in profile.hazard_measures.items()
    )
    hazard_reqs = [
        statement for statement in answers.requirements() if _measures_hazard(profile, statement)
    ]
    if not hazard_reqs:
        return [
            Problem(
                f"no REQ bounds the hazard ({profile.hazard}) itself from above: measure "
                f"{measures}, not a side effect of it"
            )
        ]
    missed = [
        f"no REQ on the hazard is violated in the run '{scenario_label(run)}', where "
        f"{profile.hazard} happened"
        for run in profile.hazard_runs
        if not _violated(answers, run, hazard_reqs)
    ]
    return _each(missed, len(profile.hazard_runs))


# --- assumptions: one per situation that breaks a REQ, none for harmless ones ----------------


def _harms(
    answers: Answers,
    situation: Scenario,
    baseline: Scenario,
    requirements: Sequence[Requirement | Specification],
) -> bool:
    """Whether some REQ is worse in ``situation`` than in ``baseline`` (or fails in it), on
    the situation's own seed or on the public one.

    Two seeds keep the verdict stable: an assumption the public run shows to matter is never
    called needless on a secret seed whose noise happens to favour it.
    """
    from mlip.requirements import evaluate

    public_seed = int(answers.profile.normal["seed"])
    for seed in sorted({int(situation["seed"]), public_seed}):
        events, _ = answers.run({**situation, "seed": seed})
        normal, _ = answers.run({**baseline, "n": situation["n"], "seed": seed})
        for statement in requirements:
            now, before = evaluate(statement, events), evaluate(statement, normal)
            if not now.holds:
                return True
            if now.value is None or before.value is None:
                continue
            upward = statement.bound in ("<=", "<")
            if (now.value - before.value) * (1 if upward else -1) > 1e-12:
                return True
    return False


def _excludes(assumption: Assumption, scenario: Scenario) -> bool:
    conditions = dict(scenario.get("conditions", {}))
    if any(assumption.excludes(name, value) for name, value in conditions.items()):
        return True
    return "fault" in scenario and scenario["fault"] in assumption.model_faults


def broken_reqs_are_assumed_away(answers: Answers, scenario: Scenario) -> list[Problem]:
    """When a broken condition or model fault breaks a REQ, an ASM rules that situation out."""
    requirements = answers.requirements()
    if not requirements:
        return [Problem("no REQ that names real telemetry")]
    broken = _violated(answers, scenario, requirements)
    _, assumptions, _ = answers.statements()
    if broken and not any(_excludes(assumption, scenario) for assumption in assumptions):
        return [
            Problem(
                f"{', '.join(broken)} fail(s) in '{scenario_label(scenario)}' and no ASM rules "
                "that situation out"
            )
        ]
    return []


def _split(assumption: Assumption, scenario: Scenario) -> tuple[Scenario, Scenario]:
    """A run split into the part an assumption rules out (the conditions and model fault it
    excludes) and the rest, both on the run's seed."""
    conditions = dict(scenario.get("conditions", {}))
    ruled = {name: value for name, value in conditions.items() if assumption.excludes(name, value)}
    part: Scenario = {**scenario, "conditions": ruled}
    rest: Scenario = {
        **scenario,
        "conditions": {name: value for name, value in conditions.items() if name not in ruled},
    }
    if scenario.get("fault") in assumption.model_faults:
        rest.pop("fault", None)
    else:
        part.pop("fault", None)
    return part, rest


def assumptions_are_needed(answers: Answers, scenario: Scenario) -> list[Problem]:
    """An ASM that rules out (part of) this run is needed: what it rules out makes some REQ
    worse, on its own (than the normal world) or on top of the rest of the run (a confident
    model matters only once names are new). Assume only what your requirements need."""
    requirements = answers.requirements()
    if not requirements:
        return []
    _, assumptions, _ = answers.statements()
    problems = []
    for assumption in assumptions:
        if not _excludes(assumption, scenario):
            continue
        part, rest = _split(assumption, scenario)
        normal = {**answers.profile.normal, "n": scenario["n"]}
        if not (
            _harms(answers, part, normal, requirements)
            or _harms(answers, scenario, rest, requirements)
        ):
            problems.append(
                Problem(
                    f"ASM {assumption.id} rules out '{scenario_label(part)}', which harms none "
                    "of your REQs",
                    0.5,
                )
            )
    return problems


# --- fault trees -------------------------------------------------------------------------------


def _unusable_tree(answers: Answers) -> list[Problem]:
    """The tree's parse or analysis error as a problem costing everything (or nothing)."""
    from mlip.requirements import FaultTreeError

    try:
        answers.cut_sets()
    except (ValueError, FaultTreeError) as error:
        return [Problem(f"the fault tree is not usable: {error}")]
    return []


def tree_is_well_formed(answers: Answers, scenario: Scenario) -> list[Problem]:
    """AND/OR/ATLEAST gates with defined inputs, unique names, no cycle, all connected."""
    from mlip.requirements import tree_problems

    try:
        tree = answers.tree()
    except ValueError as error:
        return [Problem(str(error))]
    problems = tree_problems(tree)
    if not problems and not tree.gates:
        problems = ["the tree has no gates: a hazard rarely has a single cause"]
    return [Problem(message, 1 / max(len(problems), 1)) for message in problems]


def events_tied_to_facts(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Basic events are tied to the system's observable facts (at least two of them)."""
    try:
        tree = answers.tree()
    except ValueError:
        return [Problem("the fault tree is not usable")]
    facts = answers.profile.facts
    problems = [
        Problem(
            f"basic event {event.name!r} is observed_as {event.observed_as!r}, which is not one "
            "of the system's observable facts",
            0.5,
        )
        for event in tree.basic_events
        if event.observed_as is not None and event.observed_as not in facts
    ]
    observed = [event for event in tree.basic_events if event.observed_as in facts]
    if len(observed) < 2:
        problems.append(Problem("fewer than two basic events are tied to observable facts"))
    return problems


def _observed(tree: FaultTree, cut_set: frozenset[str]) -> frozenset[str]:
    events = [tree.basic_event(name) for name in cut_set]
    return frozenset(event.observed_as for event in events if event and event.observed_as)


def explains_every_hazard(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Every hazardous session of the run is explained by a minimal cut set whose facts were
    all true in it."""
    unusable = _unusable_tree(answers)
    if unusable:
        return unusable
    tree, cut_sets = answers.tree(), answers.cut_sets()
    observed = [found for found in (_observed(tree, cut) for cut in cut_sets) if found]
    events, _ = answers.run(scenario)
    paths = sorted(set(answers.profile.hazard_paths(events, scenario)), key=sorted)
    missed = [
        f"{answers.profile.hazard} happened with only these facts true: {', '.join(sorted(path))}"
        "; no minimal cut set of your tree explains it"
        for path in paths
        if not any(facts <= path for facts in observed)
    ]
    return _each(missed, len(paths))


def _session_pool(answers: Answers, scenario: Scenario) -> list[tuple[frozenset[str], bool]]:
    """The run's sessions and those of the profile's calm runs (on the public seed: they are
    the same contrast for every secret, and recorded once)."""
    profile = answers.profile
    pool: list[tuple[frozenset[str], bool]] = []
    for run in (scenario, *({**profile.normal, **calm} for calm in profile.calm)):
        events, _ = answers.run(run)
        pool += profile.sessions(events, run)
    return pool


#: A cut set explains the hazard only if most sessions in which all its facts were true ended
#: in the hazard (sessions also end well by luck: a user cancels, a slice is thin).
SPECIFIC = 0.5


def cut_sets_are_specific(answers: Answers, scenario: Scenario) -> list[Problem]:
    """A minimal cut set describes the hazard, not ordinary sessions: where all its facts were
    true, the hazard mostly happened (a flat OR of every fact explains everything and nothing)."""
    if _unusable_tree(answers):
        return []  # explains_every_hazard reports it
    tree, cut_sets = answers.tree(), answers.cut_sets()
    pool = _session_pool(answers, scenario)
    problems = []
    for cut in cut_sets:
        facts = _observed(tree, cut)
        if not facts:
            problems.append(
                f"cut set {{{', '.join(sorted(cut))}}} is tied to no observable fact, so it "
                "describes every session"
            )
            continue
        matching = [hazard for session, hazard in pool if facts <= session]
        if matching and sum(matching) < SPECIFIC * len(matching):
            problems.append(
                f"cut set {{{', '.join(sorted(cut))}}} holds in {len(matching)} sessions, only "
                f"{sum(matching)} of which ended in {answers.profile.hazard}: it describes "
                "ordinary sessions, not the hazard"
            )
    return _each(problems, len(cut_sets))


# --- mitigations -----------------------------------------------------------------------------


def _mitigations(answers: Answers) -> tuple[list[Mitigation], list[str]]:
    from mlip.requirements import mitigation_from_dict

    found: list[Mitigation] = []
    problems: list[str] = []
    for data in answers.context.extensions["mitigations"]():
        try:
            found.append(mitigation_from_dict(data))
        except ValueError as error:
            problems.append(str(error))
    return found, problems


def _controlled(answers: Answers, mitigation: Mitigation) -> Mitigation:
    """The mitigation restricted to the events it can really prevent (controllable facts)."""
    from mlip.requirements import Mitigation

    tree = answers.tree()
    kept = []
    for name in mitigation.prevents:
        event = tree.basic_event(name)
        if event is not None and event.observed_as in answers.profile.controllable:
            kept.append(name)
    return Mitigation(mitigation.name, tuple(kept), mitigation.description)


def mitigations_name_tree_events(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Mitigations exist, parse and prevent basic events of the tree."""
    unusable = _unusable_tree(answers)
    if unusable:
        return unusable
    mitigations, malformed = _mitigations(answers)
    if not mitigations and not malformed:
        return [Problem("no mitigations")]
    names = {event.name for event in answers.tree().basic_events}
    problems = malformed + [
        f"mitigation {mitigation.name!r} prevents unknown event {name!r}"
        for mitigation in mitigations
        for name in mitigation.prevents
        if name not in names
    ]
    return _each(problems, len(mitigations) + len(malformed))


def mitigations_prevent_what_the_system_controls(
    answers: Answers, scenario: Scenario
) -> list[Problem]:
    """A mitigation is a change the system can make: it prevents events tied to facts the
    system's design controls (a missing guard, a sensor that can be doubled), not the model's
    errors ("retrain the model"), the user's choices or the world (a customer says a name)."""
    if _unusable_tree(answers):
        return []
    mitigations, _ = _mitigations(answers)
    tree = answers.tree()
    controllable = answers.profile.controllable
    problems = []
    for mitigation in mitigations:
        for name in mitigation.prevents:
            event = tree.basic_event(name)
            if event is None:
                continue
            if event.observed_as is None:
                problems.append(
                    f"mitigation {mitigation.name!r} prevents {name!r}, which is tied to no "
                    "observable fact: nothing shows the system can prevent it"
                )
            elif event.observed_as not in controllable:
                problems.append(
                    f"mitigation {mitigation.name!r} prevents {name!r} "
                    f"({event.observed_as}: {answers.profile.facts.get(event.observed_as, '')}),"
                    " which the system cannot control: guard against it instead"
                )
    return _each(problems, len(mitigations))


def each_mitigation_breaks_a_cut_set(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Each mitigation breaks at least one minimal cut set through an event it controls."""
    from mlip.requirements import removed_cut_sets

    if _unusable_tree(answers):
        return []
    mitigations, _ = _mitigations(answers)
    cut_sets = answers.cut_sets()
    problems = [
        f"mitigation {mitigation.name!r} breaks no minimal cut set through an event the "
        "system controls"
        for mitigation in mitigations
        if not removed_cut_sets(cut_sets, _controlled(answers, mitigation))
    ]
    return _each(problems, len(mitigations))


def every_cut_set_broken(answers: Answers, scenario: Scenario) -> list[Problem]:
    """Together the mitigations break every minimal cut set (through controllable events)."""
    from mlip.requirements import removed_cut_sets

    if _unusable_tree(answers):
        return []
    mitigations = [_controlled(answers, mitigation) for mitigation in _mitigations(answers)[0]]
    cut_sets = answers.cut_sets()
    left = [
        cut
        for cut in cut_sets
        if not any(removed_cut_sets([cut], mitigation) for mitigation in mitigations)
    ]
    if not left:
        return []
    return [
        Problem(
            f"{len(left)} of {len(cut_sets)} minimal cut sets survive every mitigation, e.g. "
            f"{{{', '.join(sorted(left[0]))}}}",
            len(left) / len(cut_sets),
        )
    ]


# --- the checks ------------------------------------------------------------------------------

GOALS_RULES = (Rule("goals at every level", 1.0, goals_at_every_level),)
MEASURABLE_RULES = (
    Rule("every kind stated", 0.2, every_kind_stated),
    Rule("real telemetry", 0.2, statements_name_real_telemetry),
    Rule("measures something", 0.1, statements_measure_something),
    Rule("REQ measures the world, SPEC the software", 0.25, reqs_measure_the_world),
    Rule("real assumptions", 0.05, assumptions_name_real_situations),
    Rule("assumptions rule out little", 0.2, assumptions_rule_out_little),
)
HOLD_RULES = (
    Rule("hold in the normal world", 0.25, hold_in_the_normal_world),
    Rule("falsifiable", 0.25, falsifiable),
    Rule("a REQ on the hazard", 0.5, a_req_measures_the_hazard),
)
ASSUMPTION_RULES = (
    Rule("breaks assumed away", 1.0, broken_reqs_are_assumed_away),
    Rule("assumptions needed", 0.5, assumptions_are_needed),
)
TREE_RULES = (
    Rule("well formed", 0.5, tree_is_well_formed),
    Rule("tied to facts", 0.5, events_tied_to_facts),
)
COVERAGE_RULES = (
    Rule("explains every hazard", 0.5, explains_every_hazard),
    Rule("specific cut sets", 0.5, cut_sets_are_specific),
)
MITIGATION_RULES = (
    Rule("name tree events", 0.25, mitigations_name_tree_events),
    Rule("controllable events only", 0.25, mitigations_prevent_what_the_system_controls),
    Rule("each breaks a cut set", 0.25, each_mitigation_breaks_a_cut_set),
    Rule("all cut sets broken", 0.25, every_cut_set_broken),
)


def make_checks(profile: Profile) -> tuple[Check, ...]:
    """The public checks of one ``requirements-<system>`` assignment.

    Checks about the statements themselves are judged once, on the normal world; the
    assumption and coverage checks are judged on each of their runs (the hidden families
    redraw those runs from the course secret).
    """
    once = lambda system: [dict(profile.normal)]  # noqa: E731

    def check(
        name: str,
        summary: str,
        points: float,
        hint: str,
        rules: Sequence[Rule],
        scenarios: Callable[[System], list[Scenario]] = once,
        judged_once: bool = True,
    ) -> Check:
        verdict = _judge(rules, points_per_scenario=points if judged_once else None)(profile)
        return Check(
            name=name,
            assignment=profile.assignment,
            summary=summary,
            max_points=points,
            hint=hint,
            extensions=EXTENSIONS,
            scenarios=scenarios,
            verdict=verdict,
        )

    return (
        check(
            "goals-measurable",
            "goals at system, user and model level, each measured by a real metric",
            2,
            "State one goal per level and measure it with a metric `system.run()` reports "
            "or a telemetry field written event.field (see `mlip systems show`).",
            GOALS_RULES,
        ),
        check(
            "requirements-measurable",
            "REQ (world), SPEC (software) and ASM statements naming real telemetry and conditions",
            4,
            "Every REQ/SPEC needs an event and field from the telemetry schema and an "
            "aggregate that sees events on a normal run. A REQ measures what happens in the "
            "world, a SPEC what the software outputs. Every ASM names conditions or model "
            "faults the system really has, and only a few of them.",
            MEASURABLE_RULES,
        ),
        check(
            "requirements-hold-and-matter",
            "the set holds for the guarded system, each can be violated, a REQ bounds the hazard",
            4,
            "A requirement must hold in the normal world yet be breakable: a bound nothing "
            f"can violate checks nothing. One REQ must bound the top hazard ({profile.hazard}) "
            "itself, not a side effect of it.",
            HOLD_RULES,
        ),
        check(
            "assumptions-that-matter",
            "each situation that breaks a REQ is ruled out by an ASM; no ASM rules out a "
            "harmless one",
            4,
            "Ask which conditions or model faults make your REQs fail (or bring them close to "
            "failing: secret seeds may push them over) even though the software does what the "
            "SPECs say; each needs an ASM that rules it out. Do not assume away situations that "
            "harm none of your REQs.",
            ASSUMPTION_RULES,
            scenarios=lambda system: [dict(run) for run in profile.assumption_breaks],
            judged_once=False,
        ),
        check(
            "fault-tree-well-formed",
            "AND/OR gates with inputs, named basic events tied to facts, no cycle",
            2,
            "Every gate needs a kind (AND/OR) and inputs that are defined gates or basic "
            "events; no gate may (indirectly) contain itself; tie basic events to the "
            "system's observable facts.",
            TREE_RULES,
        ),
        check(
            "fault-tree-covers-hazards",
            "the minimal cut sets explain every way the simulator produced the hazard, and "
            "only the hazard",
            4,
            "Look at the facts listed for the failing run: which combination of causes does "
            "your tree miss, and where would an OR gate add it? A cut set whose facts are "
            "also true in sessions that went fine needs an AND with what made the difference.",
            COVERAGE_RULES,
            scenarios=lambda system: [dict(run) for run in profile.hazard_runs],
            judged_once=False,
        ),
        check(
            "mitigations-break-cut-sets",
            "mitigations prevent events the system controls and break every minimal cut set",
            2,
            "A mitigation prevents basic events the system controls (the facts list says "
            "which); it helps only if those events appear in a minimal cut set. Single points "
            "of failure need a mitigation of their own.",
            MITIGATION_RULES,
        ),
    )
