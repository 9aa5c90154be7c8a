"""The feedback-loops checks: the gate hook of ``run_loop``, the student's answers coerced, the
loop runs shared between checks only when the gate answers the same, naive against reference.

Runs are small (tax, 2,000 filers, three seasons) except the public-scenario test, which is the
one that shows the naive loop losing the quality check the reference design passes.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlip.checks import BoundedCache, get_check, run_check
from mlip.checks._loops import to_design
from mlip.systems.loops import LoopDesign, designs, run_loop

SMALL: dict[str, Any] = {"rounds": 3, "seed": 2, "n": 2_000}
REPORTS = LoopDesign("r", "reports", exploration_share=0.1, holdout_share=0.8)


def test_a_gate_that_never_deploys_keeps_the_round_zero_model_and_sees_the_hold_out() -> None:
    seen: list[dict[str, Any]] = []

    def never(figures: dict[str, Any]) -> bool:
        seen.append(figures)
        return False

    result = run_loop("tax", design=REPORTS, deploy=never, **SMALL)
    assert len(set(result.series("quality"))) == 1  # the shipped model, every season
    assert not any(result.series("retrained"))
    assert [f["round"] for f in seen] == [1, 2]
    assert seen[1]["holdout_size"] > seen[0]["holdout_size"] > 0  # every hold-out label so far
    assert {"candidate_holdout_quality", "current_holdout_quality", "holdout_positives"} <= set(
        seen[0]
    )
    assert all(r.extra["holdout_labels"] > 0 for r in result.rounds)


def test_a_gate_that_always_deploys_is_the_loop_without_a_gate() -> None:
    gated = run_loop("tax", design=REPORTS, deploy=lambda f: True, **SMALL)
    plain = run_loop("tax", design=REPORTS, **SMALL)
    assert "holdout_labels" not in plain.rounds[0].extra  # without a gate: the figures as before
    assert gated.series("quality") == plain.series("quality")
    assert gated.series("retrained") == plain.series("retrained")


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"label_source": "reports"}, "has no exploration_share"),
        ([], "expected a dict"),
        (
            {
                "label_source": "reports",
                "exploration_share": 1.5,
                "holdout_share": 0.1,
                "retrain_every": 1,
                "memory_rounds": 0,
                "keep_history": True,
            },
            "between 0 and 1",
        ),
    ],
)
def test_a_malformed_design_is_refused(answer: Any, problem: str) -> None:
    with pytest.raises((TypeError, ValueError), match=problem):
        to_design(answer)


def test_a_design_that_raises_fails_every_check_without_running_a_loop() -> None:
    def loop_design(budget: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("users")

    check = get_check("feedback-loops-tax", "keeps-model-quality")
    result = run_check(check, {"loop_design": loop_design, "deploy_retrained": lambda f: True})
    assert result.points == 0 and "loop_design" in result.message


def _design(name: str) -> Any:
    knobs = designs("tax")[name].to_dict()
    knobs.pop("name")
    return lambda budget: dict(knobs)


def test_naive_loop_loses_the_quality_check_the_reference_design_with_a_gate_passes() -> None:
    recordings = BoundedCache()
    check = get_check("feedback-loops-tax", "keeps-model-quality")
    naive = run_check(
        check,
        {"loop_design": _design("naive"), "deploy_retrained": lambda f: True},
        recordings=recordings,
    )
    assert naive.points == 0
    assert "labels were chosen by the model" in naive.hint

    def gate(figures: dict[str, Any]) -> bool:
        new, old = figures["candidate_holdout_quality"], figures["current_holdout_quality"]
        return new is not None and old is not None and new > old + 0.05

    reference = run_check(
        check,
        {"loop_design": _design("reference"), "deploy_retrained": gate},
        recordings=recordings,
    )
    assert reference.passed, reference.message


def test_a_recorded_loop_is_reused_only_when_the_gate_answers_the_same() -> None:
    calls: list[bool] = []

    def flipping_gate(figures: dict[str, Any]) -> bool:
        calls.append(True)
        return len(calls) % 2 == 1  # answers differently when asked again

    steady_calls: list[bool] = []

    def steady_gate(figures: dict[str, Any]) -> bool:
        steady_calls.append(True)
        return False

    design = _design("reference")
    first, second = (
        get_check("feedback-loops-tax", name) for name in ("labels-within-budget", "keeps-value")
    )
    for gate, log in ((steady_gate, steady_calls), (flipping_gate, calls)):
        recordings = BoundedCache()
        run_check(first, {"loop_design": design, "deploy_retrained": gate}, recordings=recordings)
        after_first = len(log)
        run_check(second, {"loop_design": design, "deploy_retrained": gate}, recordings=recordings)
        replayed = len(log) - after_first
        if gate is steady_gate:
            assert replayed == after_first  # asked once more per retrain, the run reused
        else:
            assert replayed > after_first  # a different answer: the loop ran again


def test_a_loop_population_shifts_who_speaks_and_the_usual_one_is_the_public_run() -> None:
    from mlip.errors import InputError
    from mlip.systems.loops import populations

    assert populations("tax") == ("usual", "older_filers")
    assert populations("toaster") == ("usual", "more_old_elements")
    assert populations("transcription") == ("usual", "more_unfamiliar")
    small: dict[str, Any] = {"rounds": 1, "seed": 3, "n": 200, "design": "naive"}
    public = run_loop("transcription", **small)
    again = run_loop("transcription", population="usual", **small)
    assert again.rounds == public.rounds
    shifted = run_loop("transcription", population="more_unfamiliar", **small)
    # the same model on more words in voices it finds hard: more errors, same per-group rates
    assert shifted.rounds[0].quality > public.rounds[0].quality
    assert shifted.rounds[0].extra["wer_unfamiliar"] == public.rounds[0].extra["wer_unfamiliar"]
    with pytest.raises(InputError, match="no loop population"):
        run_loop("tax", population="more_unfamiliar", **small)
    # the tax and toaster shifts draw the same random numbers: older filers, more old elements
    tax: dict[str, Any] = {"rounds": 1, "seed": 3, "n": 1_000, "design": "naive"}
    assert run_loop("tax", population="usual", **tax).rounds == run_loop("tax", **tax).rounds
    older = run_loop("tax", population="older_filers", **tax)
    assert older.rounds != run_loop("tax", **tax).rounds


@pytest.mark.parametrize(
    ("assignment", "family", "verdict", "population"),
    [
        (
            "feedback-loops-transcription",
            "hidden-shifted-voices",
            "keeps-a-better-model",
            "more_unfamiliar",
        ),
        ("feedback-loops-tax", "hidden-shifted-population", "keeps-model-quality", "older_filers"),
        (
            "feedback-loops-toaster",
            "hidden-shifted-population",
            "keeps-model-quality",
            "more_old_elements",
        ),
    ],
)
def test_a_shifted_population_family_runs_the_public_loop_on_secret_seeds(
    assignment: str, family: str, verdict: str, population: str
) -> None:
    from mlip_autograder.hidden import hidden_check

    from mlip.systems import get_system

    system = get_system(assignment.rsplit("-", 1)[1])
    public = get_check(assignment, verdict).scenarios(system)
    drawn = hidden_check(assignment, family, secret="one").scenarios(system)
    assert drawn == hidden_check(assignment, family, secret="one").scenarios(system)
    assert [s["population"] for s in drawn] == [population] * len(public)
    assert all(s["start"] == public[0]["start"] and s["seed"] != public[0]["seed"] for s in drawn)
    assert all("population" not in s for s in public)  # public runs: the usual users
