"""Requirements checks: a solution passes; cycles, unknown fields and trivial bounds lose points."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlip.checks import run_check
from mlip.checks.requirements_toaster import CHECKS
from mlip.cli import app
from mlip.requirements import (
    Assumption,
    BasicEvent,
    FaultTree,
    Goal,
    Mitigation,
    Requirement,
    Specification,
    and_gate,
    or_gate,
)

ROOT = Path(__file__).resolve().parents[2]


def _fire(**overrides: Any) -> Requirement:
    fields: dict[str, Any] = dict(
        id="REQ1", text="no fire", event="outcome", field="fire", aggregate="rate", bound="<=",
        threshold=0.0,
    )  # fmt: skip
    fields.update(overrides)
    return Requirement(**fields)


def _solution(**replace: Any) -> dict[str, Any]:
    statements = [
        _fire(),
        Specification("SPEC1", "plan <= 300 s", "prediction", "planned_seconds", "max", "<=", 300),
        Assumption("ASM1", "smoke sensor works", rules_out={"sensor_fault": ("smoke_dead",)}),
    ]
    tree = FaultTree(
        "fire",
        (and_gate("fire", "too_long", "no_stop"), or_gate("too_long", "failed", "over"),
         or_gate("no_stop", "no_cutoff", "smoke_dead")),
        (BasicEvent("failed", observed_as="model_failed"),
         BasicEvent("over", observed_as="model_overestimated"),
         BasicEvent("no_cutoff", observed_as="no_thermal_cutoff"),
         BasicEvent("smoke_dead", observed_as="smoke_sensor_dead")),
    )  # fmt: skip
    functions = {
        "goals": lambda: [
            Goal("system", "no fire", "fire_rate"),
            Goal("user", "good toast", "doneness_within_1"),
            Goal("model", "good times", "prediction.predicted_seconds"),
        ],
        "requirements": lambda: statements,
        "fault_tree": lambda: tree,
        "mitigations": lambda: [
            Mitigation("cutoff", ("no_cutoff",)),
            Mitigation("second sensor", ("smoke_dead",)),
        ],
    }
    functions.update(replace)
    return functions


def _result(name: str, functions: dict[str, Any]) -> Any:
    check = next(check for check in CHECKS if check.name == name)
    return run_check(check, functions)


def test_reference_answer_passes_the_tree_and_requirement_checks() -> None:
    for name in ("requirements-hold-and-matter", "fault-tree-covers-hazards"):
        assert _result(name, _solution()).passed, name


def test_a_fault_tree_with_a_cycle_loses_points() -> None:
    cyclic = FaultTree(
        "fire", (and_gate("fire", "loop", "a"), or_gate("loop", "fire", "b")),
        (BasicEvent("a"), BasicEvent("b")),
    )  # fmt: skip
    result = _result("fault-tree-well-formed", _solution(fault_tree=lambda: cyclic))
    assert result.points < result.max_points
    assert "cycle: fire -> loop -> fire" in result.message


def test_a_requirement_on_a_missing_field_loses_points() -> None:
    broken = [_fire(field="flames"), *_solution()["requirements"]()[1:]]
    result = _result("requirements-measurable", _solution(requirements=lambda: broken))
    assert result.points < result.max_points
    assert "no field 'flames'" in json.dumps(result.to_dict())


def test_a_trivially_true_requirement_loses_points() -> None:
    trivial = [_fire(threshold=1.0), *_solution()["requirements"]()[1:]]
    result = _result("requirements-hold-and-matter", _solution(requirements=lambda: trivial))
    assert result.points < result.max_points
    assert "trivially true" in result.message


@pytest.mark.parametrize("system", ["toaster", "tax"])
def test_cli_fresh_release_fails_and_solution_passes(system: str, tmp_path: Path) -> None:
    runner = CliRunner()
    project = tmp_path / "project"
    created = runner.invoke(app, ["new", "requirements", "--system", system, "--dir", str(project)])
    assert created.exit_code == 0, created.output
    assert runner.invoke(app, ["check", str(project)]).exit_code == 1
    source = ROOT / "assignments" / f"requirements-{system}" / "requirements.ipynb"
    shutil.copy(source, project / "requirements.ipynb")
    solved = runner.invoke(app, ["check", str(project)])
    assert solved.exit_code == 0, solved.output


def test_a_solution_unlike_the_reference_keeps_every_point() -> None:
    for check in CHECKS:
        result = run_check(check, _solution())
        assert result.passed, (check.name, result.message)


def test_every_problem_of_a_check_is_listed_with_what_it_cost() -> None:
    statements = [
        _fire(),
        Requirement("REQ2", "plans stay short", "prediction", "planned_seconds", "max", "<=", 300),
        Specification("SPEC1", "no fire", "outcome", "fire", "rate", "<=", 0.0),
        Specification("SPEC2", "flames", "outcome", "flames", "rate", "<=", 0.0),
        Assumption("ASM1", "smoke sensor works", rules_out={"sensor_fault": ("smoke_dead",)}),
    ]
    result = _result("requirements-measurable", _solution(requirements=lambda: statements))
    assert result.points < result.max_points
    assert "REQ REQ2 measures prediction.planned_seconds" in result.message
    assert "SPEC posing as a REQ" in result.message
    assert "SPEC SPEC1 measures outcome.fire" in result.message
    assert "no field 'flames'" in result.message
    assert result.message.count(" pt)") >= 3  # each problem says what it cost


def test_a_req_on_a_side_effect_of_the_hazard_does_not_count_as_the_hazard_req() -> None:
    burnt = [_fire(field="burnt", threshold=0.05), *_solution()["requirements"]()[1:]]
    result = _result("requirements-hold-and-matter", _solution(requirements=lambda: burnt))
    assert result.points == pytest.approx(result.max_points / 2)
    assert "no REQ bounds the hazard (a kitchen fire) itself" in result.message
    assert "outcome.fire" in result.message


def test_an_assumption_for_a_harmless_situation_is_one_too_many() -> None:
    statements = [
        *_solution()["requirements"](),
        Assumption("ASM2", "bread like the training bread", rules_out={"bread": ("unseen",)}),
    ]
    result = _result("assumptions-that-matter", _solution(requirements=lambda: statements))
    assert result.points < result.max_points
    assert "ASM ASM2 rules out 'reference guards, bread=unseen', which harms none" in result.message


def test_an_assumption_that_rules_out_everything_loses_points() -> None:
    from mlip.systems import FAULT_KINDS

    everything = Assumption(
        "ASM1",
        "nothing goes wrong",
        rules_out={"sensor_fault": ("stuck_ir", "noisy_thermal", "smoke_dead")},
        model_faults=FAULT_KINDS,
    )
    statements = [*_solution()["requirements"]()[:2], everything]
    result = _result("requirements-measurable", _solution(requirements=lambda: statements))
    assert result.points < result.max_points
    assert "ASM ASM1 rules out 10 of the 13 things that can go wrong" in result.message


def _flat_or() -> FaultTree:
    facts = ("model_failed", "model_overestimated", "no_heating_guard", "no_thermal_cutoff")
    return FaultTree(
        "fire",
        (or_gate("fire", *facts),),
        tuple(BasicEvent(fact, observed_as=fact) for fact in facts),
    )


def test_a_flat_or_explains_every_hazard_but_is_not_specific() -> None:
    result = _result("fault-tree-covers-hazards", _solution(fault_tree=_flat_or))
    assert result.points < result.max_points
    assert "no minimal cut set" not in result.message  # every hazard is "explained"...
    assert "describes ordinary sessions, not the hazard" in result.message  # ...by everything


def test_mitigations_must_prevent_what_the_system_controls() -> None:
    retrain = lambda: [  # noqa: E731
        Mitigation("retrain the model", ("failed", "over")),
        Mitigation("cutoff", ("no_cutoff",)),
    ]
    result = _result("mitigations-break-cut-sets", _solution(mitigations=retrain))
    assert result.points < result.max_points
    assert "prevents 'failed' (model_failed" in result.message
    assert "which the system cannot control" in result.message
    assert "breaks no minimal cut set through an event the system controls" in result.message
    assert "minimal cut sets survive every mitigation" in result.message


def test_a_mitigation_of_an_unobserved_event_removes_a_cut_set_by_fiat() -> None:
    tree = FaultTree(
        "fire",
        (and_gate("fire", "over", "no_cutoff", "bad_luck"),),
        (BasicEvent("over", observed_as="model_overestimated"),
         BasicEvent("no_cutoff", observed_as="no_thermal_cutoff"), BasicEvent("bad_luck")),
    )  # fmt: skip
    fiat = lambda: [Mitigation("good luck", ("bad_luck",))]  # noqa: E731
    result = _result(
        "mitigations-break-cut-sets", _solution(fault_tree=lambda: tree, mitigations=fiat)
    )
    assert "prevents 'bad_luck', which is tied to no observable fact" in result.message
    assert result.points <= result.max_points / 4


def test_an_assumption_on_a_pair_of_breaks_is_judged_on_its_own_part() -> None:
    from mlip.checks._requirements import _split

    asm = Assumption("ASM1", "confidence means something", model_faults=("huge",))
    pair = {"n": 40, "seed": 5, "fault": "huge", "conditions": {"vocabulary": "new_words"}}
    part, rest = _split(asm, pair)
    assert part == {"n": 40, "seed": 5, "fault": "huge", "conditions": {}}
    assert rest == {"n": 40, "seed": 5, "conditions": {"vocabulary": "new_words"}}


def test_facts_say_which_ones_the_system_controls() -> None:
    from mlip.checks import requirements_tax, requirements_toaster, requirements_transcription

    for module in (requirements_toaster, requirements_tax, requirements_transcription):
        assert set(module.FACTS) >= module.CONTROLLABLE
        for fact, meaning in module.FACTS.items():
            assert ("[the system controls this]" in meaning) == (fact in module.CONTROLLABLE)


def test_the_docs_page_names_every_rule_of_every_check() -> None:
    from mlip.checks import _requirements as topic

    page = (ROOT / "docs" / "requirements-checks.md").read_text(encoding="utf-8")
    for check in CHECKS:
        assert f"## `{check.name}`" in page, check.name
    for rules in (
        topic.GOALS_RULES,
        topic.MEASURABLE_RULES,
        topic.HOLD_RULES,
        topic.ASSUMPTION_RULES,
        topic.TREE_RULES,
        topic.COVERAGE_RULES,
        topic.MITIGATION_RULES,
    ):
        for rule in rules:
            assert f"**{rule.name}**" in page, rule.name


def test_the_hint_says_what_the_first_broken_rule_asks_for() -> None:
    burnt = [_fire(field="burnt", threshold=0.05), *_solution()["requirements"]()[1:]]
    result = _result("requirements-hold-and-matter", _solution(requirements=lambda: burnt))
    assert result.hint.startswith("A REQ bounds the hazard's own outcome in the world")
