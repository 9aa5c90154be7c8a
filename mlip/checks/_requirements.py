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
stress it, how to recognise the top hazard in telemetry and which *observable facts* (named
causes a fault tree's basic events can map to) were true on each hazardous path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    "Profile",
    "make_checks",
    "plain_statements",
    "recorded_run",
]

Scenario = dict[str, Any]
Events = list[dict[str, Any]]
#: ``(events of one run, the scenario) -> one set of true facts per hazardous session``.
HazardPaths = Callable[[Events, Scenario], list[frozenset[str]]]


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
    hazard_paths: HazardPaths


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


def _valid_statements(
    context: CheckContext,
) -> tuple[list[Requirement | Specification], list[Assumption], list[str]]:
    """Statements that parse and name real telemetry; the rest become problems."""
    from mlip.requirements import schema_problems

    measured, assumptions, problems = _statements(context)
    schema = _schema(context.system)
    valid: list[Requirement | Specification] = []
    for statement in measured:
        found = schema_problems(statement, schema)
        problems += found
        if not found:
            valid.append(statement)
    return valid, assumptions, problems


def _fail(message: str) -> ScenarioOutcome:
    return ScenarioOutcome(False, message)


def _ok(message: str) -> ScenarioOutcome:
    return ScenarioOutcome(True, message)


# --- goals -------------------------------------------------------------------------------


def _goals_verdict(profile: Profile) -> Callable[[CheckContext, Scenario], ScenarioOutcome]:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        from mlip.requirements import GOAL_LEVELS, goal_from_dict

        level = str(scenario["level"])
        goals: list[Goal] = []
        for data in context.extensions["goals"]():
            try:
                goals.append(goal_from_dict(data))
            except ValueError as error:
                return _fail(str(error))
        odd = [goal.level for goal in goals if goal.level not in GOAL_LEVELS]
        if odd:
            return _fail(f"goal level {odd[0]!r} is not one of {', '.join(GOAL_LEVELS)}")
        at_level = [goal for goal in goals if goal.level == level]
        if not at_level:
            return _fail(f"no {level}-level goal")
        _, metrics = recorded_run(context.system, profile, profile.normal)
        schema = _schema(context.system)
        for goal in at_level:
            measure = goal.measured_by
            event, _, field = measure.partition(".")
            if measure in metrics or (field and field in schema.get(event, set())):
                continue
            return _fail(
                f"goal {goal.text!r} is measured by {measure!r}, which is neither a metric the "
                "system reports nor a telemetry field written event.field"
            )
        return _ok(f"{len(at_level)} {level}-level goal(s), each measurable")

    return verdict


# --- requirements ----------------------------------------------------------------------------


def _measurable_verdict(profile: Profile) -> Callable[[CheckContext, Scenario], ScenarioOutcome]:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        from mlip.requirements import evaluate
        from mlip.systems import FAULT_KINDS

        part = scenario["part"]
        measured, assumptions, problems = _statements(context)
        if part == "kinds":
            if problems:
                return _fail(problems[0])
            kinds = {statement.kind for statement in [*measured, *assumptions]}
            missing = [kind for kind in ("REQ", "SPEC", "ASM") if kind not in kinds]
            if missing:
                return _fail(f"no {' and no '.join(missing)} statement")
            ids = [statement.id for statement in [*measured, *assumptions]]
            twice = sorted({name for name in ids if ids.count(name) > 1})
            if twice:
                return _fail(f"the id {twice[0]!r} is used twice")
            return _ok("REQ, SPEC and ASM statements present")
        if part == "real-fields":
            valid, _, found = _valid_statements(context)
            if found:
                return _fail(found[0])
            return _ok(f"{len(valid)} REQ/SPEC statements name real telemetry")
        if part == "evaluates":
            valid, _, _ = _valid_statements(context)
            events, _ = recorded_run(context.system, profile, profile.normal)
            for statement in valid:
                evaluation = evaluate(statement, events)
                if evaluation.value is None:
                    return _fail(
                        f"{statement.kind} {statement.id} measures nothing on a normal run: "
                        f"{evaluation.describe()}"
                    )
            if not valid:
                return _fail("no REQ or SPEC that names real telemetry")
            return _ok("every REQ/SPEC measures something on a normal run")
        declared = {condition.name: condition.values for condition in context.system.conditions()}
        for assumption in assumptions:
            for name, values in assumption.rules_out.items():
                if name not in declared:
                    known = ", ".join(declared)
                    return _fail(
                        f"ASM {assumption.id} rules out condition {name!r}, which the system "
                        f"does not have (conditions: {known})"
                    )
                for value in values:
                    if value not in declared[name][1:]:
                        return _fail(
                            f"ASM {assumption.id}: {name}={value!r} is not a fault value "
                            f"(values: {', '.join(declared[name][1:])})"
                        )
            for kind in assumption.model_faults:
                if kind not in FAULT_KINDS:
                    return _fail(
                        f"ASM {assumption.id}: model fault {kind!r} is not one of "
                        f"{', '.join(FAULT_KINDS)}"
                    )
        return _ok("every ASM names real conditions or model faults")

    return verdict


def _violated(
    system: System,
    profile: Profile,
    scenario: Scenario,
    statements: list[Requirement | Specification],
) -> list[str]:
    from mlip.requirements import evaluate

    events, _ = recorded_run(system, profile, scenario)
    return [statement.id for statement in statements if not evaluate(statement, events).holds]


def _hold_verdict(profile: Profile) -> Callable[[CheckContext, Scenario], ScenarioOutcome]:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        from mlip.requirements import evaluate

        part = scenario["part"]
        valid, _, _ = _valid_statements(context)
        if not valid:
            return _fail("no REQ or SPEC that names real telemetry")
        if part == "hold":
            events, _ = recorded_run(context.system, profile, profile.normal)
            for statement in valid:
                evaluation = evaluate(statement, events)
                if not evaluation.holds:
                    return _fail(
                        f"{statement.kind} {statement.id} fails for the reference-guarded system "
                        f"in the normal world: {evaluation.describe()}"
                    )
            return _ok("every REQ/SPEC holds in the normal world")
        if part == "not-trivial":
            broken: set[str] = set()
            for stress in profile.stress:
                broken |= set(_violated(context.system, profile, stress, valid))
            for statement in valid:
                if statement.id not in broken:
                    return _fail(
                        f"{statement.kind} {statement.id} ({statement.describe()}) is trivially "
                        "true: it holds in every stress run, even unguarded with chaos models"
                    )
            return _ok("every REQ/SPEC can be violated")
        requirements = [statement for statement in valid if statement.kind == "REQ"]
        for run in profile.hazard_runs:
            if not _violated(context.system, profile, run, requirements):
                return _fail(
                    f"no REQ notices the hazard ({profile.hazard}) in the run "
                    f"'{scenario_label(run)}'"
                )
        return _ok(f"a REQ is violated whenever the hazard ({profile.hazard}) happens")

    return verdict


def _excludes(assumption: Assumption, scenario: Scenario) -> bool:
    conditions = dict(scenario.get("conditions", {}))
    if any(assumption.excludes(name, value) for name, value in conditions.items()):
        return True
    return "fault" in scenario and scenario["fault"] in assumption.model_faults


def _assumption_verdict(profile: Profile) -> Callable[[CheckContext, Scenario], ScenarioOutcome]:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        valid, assumptions, _ = _valid_statements(context)
        requirements = [statement for statement in valid if statement.kind == "REQ"]
        if not requirements:
            return _fail("no REQ that names real telemetry")
        if scenario.get("part") == "no-needless":
            breaking = [
                run
                for run in profile.assumption_breaks
                if _violated(context.system, profile, run, requirements)
            ]
            for assumption in assumptions:
                if not any(_excludes(assumption, run) for run in breaking):
                    return _fail(
                        f"ASM {assumption.id} rules out nothing that breaks a REQ of yours: "
                        "assume only what your requirements need"
                    )
            return _ok("every ASM is needed by some REQ")
        broken = _violated(context.system, profile, scenario, requirements)
        covering = [assumption.id for assumption in assumptions if _excludes(assumption, scenario)]
        if broken and not covering:
            return _fail(
                f"{', '.join(broken)} fail(s) in '{scenario_label(scenario)}' and no ASM "
                "rules that situation out"
            )
        if broken:
            return _ok(f"{', '.join(broken)} fail(s); covered by {', '.join(covering)}")
        return _ok("every REQ holds")

    return verdict


# --- fault trees -------------------------------------------------------------------------------


def _tree(context: CheckContext) -> FaultTree:
    from mlip.requirements import fault_tree_from_dict

    return fault_tree_from_dict(context.extensions["fault_tree"]())


def _tree_verdict(profile: Profile) -> Callable[[CheckContext, Scenario], ScenarioOutcome]:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        from mlip.requirements import tree_problems

        try:
            tree = _tree(context)
        except ValueError as error:
            return _fail(str(error))
        if scenario["part"] == "structure":
            problems = tree_problems(tree)
            if problems:
                more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
                return _fail(problems[0] + more)
            if not tree.gates:
                return _fail("the tree has no gates: a hazard rarely has a single cause")
            return _ok(f"{len(tree.gates)} gates over {len(tree.basic_events)} basic events")
        for event in tree.basic_events:
            if event.observed_as is not None and event.observed_as not in profile.facts:
                return _fail(
                    f"basic event {event.name!r} is observed_as {event.observed_as!r}, which is "
                    "not one of the system's observable facts"
                )
        observed = [event for event in tree.basic_events if event.observed_as is not None]
        if len(observed) < 2:
            return _fail("fewer than two basic events are tied to observable facts")
        return _ok(f"{len(observed)} basic events tied to observable facts")

    return verdict


def _cut_sets(context: CheckContext) -> tuple[FaultTree, list[frozenset[str]]]:
    from mlip.requirements import minimal_cut_sets

    tree = _tree(context)
    return tree, minimal_cut_sets(tree)


def _covers(tree: FaultTree, cut_set: frozenset[str], path: frozenset[str]) -> bool:
    facts = [tree.basic_event(name) for name in cut_set]
    observed = {event.observed_as for event in facts if event and event.observed_as}
    return bool(observed) and observed <= path


def _coverage_verdict(profile: Profile) -> Callable[[CheckContext, Scenario], ScenarioOutcome]:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        from mlip.requirements import FaultTreeError

        try:
            tree, cut_sets = _cut_sets(context)
        except (ValueError, FaultTreeError) as error:
            return _fail(f"the fault tree is not usable: {error}")
        events, _ = recorded_run(context.system, profile, scenario)
        paths = profile.hazard_paths(events, scenario)
        if not paths:
            return _ok("no hazard in this run")
        for path in sorted(set(paths), key=sorted):
            if not any(_covers(tree, cut_set, path) for cut_set in cut_sets):
                return _fail(
                    f"{profile.hazard} happened with only these facts true: "
                    f"{', '.join(sorted(path))}; no minimal cut set of your tree explains it"
                )
        return _ok(f"{len(paths)} hazardous session(s), each explained by a cut set")

    return verdict


def _mitigation_verdict(profile: Profile) -> Callable[[CheckContext, Scenario], ScenarioOutcome]:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        from mlip.requirements import FaultTreeError, mitigation_from_dict, removed_cut_sets

        try:
            tree, cut_sets = _cut_sets(context)
        except (ValueError, FaultTreeError) as error:
            return _fail(f"the fault tree is not usable: {error}")
        mitigations: list[Mitigation] = []
        for data in context.extensions["mitigations"]():
            try:
                mitigations.append(mitigation_from_dict(data))
            except ValueError as error:
                return _fail(str(error))
        if not mitigations:
            return _fail("no mitigations")
        names = {event.name for event in tree.basic_events}
        for mitigation in mitigations:
            unknown = [name for name in mitigation.prevents if name not in names]
            if unknown:
                return _fail(
                    f"mitigation {mitigation.name!r} prevents unknown event {unknown[0]!r}"
                )
            if scenario["part"] == "each-removes" and not removed_cut_sets(cut_sets, mitigation):
                return _fail(f"mitigation {mitigation.name!r} breaks no minimal cut set")
        if scenario["part"] == "each-removes":
            return _ok("every mitigation breaks at least one minimal cut set")
        left = [
            cut
            for cut in cut_sets
            if not any(removed_cut_sets([cut], mitigation) for mitigation in mitigations)
        ]
        if left:
            return _fail(
                f"{len(left)} of {len(cut_sets)} minimal cut sets survive every mitigation, "
                f"e.g. {{{', '.join(sorted(left[0]))}}}"
            )
        return _ok(f"all {len(cut_sets)} minimal cut sets broken")

    return verdict


def make_checks(profile: Profile) -> tuple[Check, ...]:
    """The public checks of one ``requirements-<system>`` assignment."""
    parts = lambda *names: lambda system: [{"part": name} for name in names]  # noqa: E731
    return (
        Check(
            name="goals-measurable",
            assignment=profile.assignment,
            summary="goals at system, user and model level, each measured by a real metric",
            max_points=2,
            hint="State one goal per level and measure it with a metric `system.run()` reports "
            "or a telemetry field written event.field (see `mlip systems show`).",
            extensions=EXTENSIONS,
            scenarios=lambda system: [{"level": level} for level in ("system", "user", "model")],
            verdict=_goals_verdict(profile),
        ),
        Check(
            name="requirements-measurable",
            assignment=profile.assignment,
            summary="REQ, SPEC and ASM statements naming real telemetry and conditions",
            max_points=4,
            hint="Every REQ/SPEC needs an event and field from the telemetry schema and an "
            "aggregate that sees events on a normal run; every ASM names conditions or model "
            "faults the system really has.",
            extensions=EXTENSIONS,
            scenarios=parts("kinds", "real-fields", "evaluates", "assumption-names"),
            verdict=_measurable_verdict(profile),
        ),
        Check(
            name="requirements-hold-and-matter",
            assignment=profile.assignment,
            summary="the set holds for the guarded system, none is trivially true, the hazard "
            "is covered",
            max_points=4,
            hint="A requirement must hold in the normal world yet be breakable: a bound nothing "
            f"can violate checks nothing. Make sure one REQ is about the top hazard "
            f"({profile.hazard}).",
            extensions=EXTENSIONS,
            scenarios=parts("hold", "not-trivial", "hazard"),
            verdict=_hold_verdict(profile),
        ),
        Check(
            name="assumptions-that-matter",
            assignment=profile.assignment,
            summary="each broken environment assumption is stated as an ASM, and no more",
            max_points=4,
            hint="Ask which conditions or model faults would make your REQs fail even though "
            "the software does what the SPECs say; each needs an ASM that rules it out.",
            extensions=EXTENSIONS,
            scenarios=lambda system: [*profile.assumption_breaks, {"part": "no-needless"}],
            verdict=_assumption_verdict(profile),
        ),
        Check(
            name="fault-tree-well-formed",
            assignment=profile.assignment,
            summary="AND/OR gates with inputs, named basic events, no cycle",
            max_points=2,
            hint="Every gate needs a kind (AND/OR) and inputs that are defined gates or basic "
            "events; no gate may (indirectly) contain itself.",
            extensions=EXTENSIONS,
            scenarios=parts("structure", "observable"),
            verdict=_tree_verdict(profile),
        ),
        Check(
            name="fault-tree-covers-hazards",
            assignment=profile.assignment,
            summary="the minimal cut sets explain every way the simulator produced the hazard",
            max_points=4,
            hint="Look at the facts listed for the failing run: which combination of causes "
            "does your tree miss, and where would an OR gate add it?",
            extensions=EXTENSIONS,
            scenarios=lambda system: list(profile.hazard_runs),
            verdict=_coverage_verdict(profile),
        ),
        Check(
            name="mitigations-break-cut-sets",
            assignment=profile.assignment,
            summary="each mitigation breaks a minimal cut set; together they break all",
            max_points=2,
            hint="A mitigation prevents basic events; it helps only if those events appear in "
            "a minimal cut set. Single points of failure need a mitigation of their own.",
            extensions=EXTENSIONS,
            scenarios=parts("each-removes", "all-broken"),
            verdict=_mitigation_verdict(profile),
        ),
    )
