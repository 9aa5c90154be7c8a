"""The interaction extension points: simulated users who tire, overlook and spend effort.

The naive policy changes nothing (the conformance suite proves it for every system); these tests
show that the simulated users respond the way the assignments rely on: prompts are followed
less as they pile up, highlights are overlooked, effort is counted, automation harms when the
prediction is wrong.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from mlip.errors import UsageError
from mlip.systems import RunResult, get_system

#: One pytest-xdist worker for the whole module: runs are cached per process (functools.cache).
pytestmark = pytest.mark.xdist_group("test_interaction")

TAX_USERS = 600


def _always(action: str, users: str = "usual") -> Any:
    def policy(suggestion: dict[str, Any]) -> str:
        return action

    policy.users = users  # type: ignore[attr-defined]
    return policy


@functools.cache
def _tax(action: str, users: str = "usual") -> RunResult:
    return get_system("tax").run(
        n=TAX_USERS, seed=3, extensions={"interaction_policy": _always(action, users)}
    )


def test_tax_interaction_metrics_only_with_the_policy() -> None:
    plain = get_system("tax").run(n=TAX_USERS, seed=3)
    assert "wrong_entries_kept" not in plain.system_metrics
    nothing = _tax("none").system_metrics
    assert nothing["wrong_entries_kept"] > 0.05  # about one deduction in seventeen is mistyped
    assert nothing["harmful_changes"] == nothing["check_prompts_per_user"] == 0.0
    assert {k: v for k, v in nothing.items() if k in plain.system_metrics} == plain.system_metrics


def test_tax_users_answer_prompts_overlook_highlights_and_tire() -> None:
    prompt, annotate, order = _tax("prompt"), _tax("annotate"), _tax("order")
    kept = {name: run.system_metrics["wrong_entries_kept"] for name, run in
            (("prompt", prompt), ("annotate", annotate), ("order", order))}  # fmt: skip
    assert (
        kept["prompt"]
        < kept["order"]
        < kept["annotate"]
        < _tax("none").system_metrics["wrong_entries_kept"]
    )
    # effort is counted, and every prompt makes some users give up
    assert prompt.system_metrics["effort_seconds_per_user"] > 10
    assert prompt.system_metrics["check_prompts_per_user"] > 1
    assert prompt.system_metrics["abandon_rate"] > _tax("none").system_metrics["abandon_rate"]
    # users who tire faster leave more mistakes in when prompted over and over
    tired = _tax("prompt", "tire_faster").system_metrics
    assert tired["wrong_entries_kept"] > kept["prompt"]


def test_tax_automation_fixes_typos_and_harms_correct_entries() -> None:
    change = _tax("change").system_metrics
    assert change["wrong_entries_kept"] == 0.0
    assert change["harmful_changes"] > 0.5  # most suspicions are of correct entries
    assert change["effort_seconds_per_user"] == 0.0


def test_tax_interaction_events_name_action_and_outcome() -> None:
    events: list[dict[str, Any]] = []
    get_system("tax").run(
        n=200, seed=3, extensions={"interaction_policy": _always("prompt")}, telemetry=events.append
    )
    seen = [event for event in events if event["event"] == "entry_interaction"]
    assert seen and {event["action"] for event in seen} == {"prompt"}
    assert {event["outcome"] for event in seen} <= {"corrected", "confirmed", "dismissed"}
    assert {"corrected", "dismissed"} <= {event["outcome"] for event in seen}


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (_always("shout"), "must return one of"),
        (_always("none", "sleepy"), "unknown user population"),
    ],
)
def test_tax_refuses_unknown_actions_and_populations(policy: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        get_system("tax").run(n=40, seed=0, extensions={"interaction_policy": policy})


TOASTER_SESSIONS = 240


@functools.cache
def _toaster(action: str, fault: str | None = None, users: str = "usual") -> RunResult:
    toaster = get_system("toaster")
    model = toaster.faulty_model(fault) if fault else None
    return toaster.run(
        n=TOASTER_SESSIONS,
        seed=3,
        model=model,
        extensions={"interaction_policy": _always(action, users)},
    )


def test_toaster_stop_is_the_naive_toaster_plus_effort_metrics() -> None:
    plain = get_system("toaster").run(n=TOASTER_SESSIONS, seed=3).system_metrics
    stop = _toaster("stop").system_metrics
    assert "prompts_per_session" not in plain
    assert stop["prompts_per_session"] == stop["effort_seconds_per_session"] == 0.0
    assert {k: v for k, v in stop.items() if k in plain} == plain


def test_toaster_users_answer_tire_and_set_the_dial_roughly() -> None:
    ask, show = _toaster("ask").system_metrics, _toaster("show").system_metrics
    stop = _toaster("stop").system_metrics
    assert ask["prompts_per_session"] == 1.0 and ask["effort_seconds_per_session"] > 2
    # a household answers fewer questions as they pile up, and tired ones fewer still
    assert 0 < ask["prompts_answered"] < 0.6 * TOASTER_SESSIONS
    tired = _toaster("ask", users="tire_faster").system_metrics
    assert tired["prompts_answered"] < ask["prompts_answered"]
    # users setting the dial make worse toast than a right model, and spend seconds on it
    assert show["user_set_times"] == TOASTER_SESSIONS
    assert show["doneness_within_1"] < stop["doneness_within_1"]


def test_toaster_automating_a_broken_model_burns_and_an_unanswered_question_too() -> None:
    assert _toaster("stop", "nan").system_metrics["fires"] > 0.5 * TOASTER_SESSIONS
    assert _toaster("show", "nan").system_metrics["fires"] == 0
    # questions nobody answers let the broken plan go ahead
    assert _toaster("ask", "nan").system_metrics["fires"] > 0.3 * TOASTER_SESSIONS


TRANSCRIPTION_UPLOADS = 40


@functools.cache
def _transcription(action: str, users: str = "usual") -> RunResult:
    return get_system("transcription").run(
        n=TRANSCRIPTION_UPLOADS,
        seed=3,
        conditions={"voices": "new"},
        extensions={"interaction_policy": _always(action, users)},
    )


def test_transcription_naive_policy_is_the_editor_plus_effort_metrics() -> None:
    from mlip.systems.transcription import naive_interaction_policy

    service = get_system("transcription")
    plain = service.run(n=TRANSCRIPTION_UPLOADS, seed=3, conditions={"voices": "new"})
    naive = service.run(
        n=TRANSCRIPTION_UPLOADS,
        seed=3,
        conditions={"voices": "new"},
        extensions={"interaction_policy": naive_interaction_policy},
    ).system_metrics
    assert "mistakes_left" not in plain.system_metrics
    assert {k: v for k, v in naive.items() if k in plain.system_metrics} == plain.system_metrics
    assert naive["questions_per_minute"] == 0.0
    assert naive["retained_revenue_per_minute"] == plain.system_metrics["revenue_per_minute"]
    # the model is wrong often with new voices, and the old rule lets some mistakes through
    assert 0.1 < naive["mistakes_left"] < 0.6


def test_transcription_customers_tire_of_questions_and_leave() -> None:
    ask, publish = _transcription("ask").system_metrics, _transcription("publish").system_metrics
    highlight = _transcription("highlight").system_metrics
    # a question for every word: careless answers keep the model's word, customers leave
    assert ask["questions_per_minute"] > 30
    assert ask["mistakes_left"] > publish["mistakes_left"]
    assert ask["retained_revenue_per_minute"] < 0.97 * ask["revenue_per_minute"]
    # highlights catch most mistakes (not all), and checking them costs the customer time
    assert highlight["mistakes_left"] < 0.3 < publish["mistakes_left"]
    assert highlight["effort_seconds_per_minute"] > 5 * publish["effort_seconds_per_minute"]
    # customers who skim leave more mistakes in a highlighted transcript
    skim = _transcription("highlight", "skim").system_metrics
    assert skim["mistakes_left"] > highlight["mistakes_left"]


def test_transcription_questions_are_events_with_their_outcome() -> None:
    events: list[dict[str, Any]] = []
    get_system("transcription").run(
        n=10, seed=3, extensions={"interaction_policy": _always("ask")}, telemetry=events.append
    )
    questions = [event for event in events if event["event"] == "question"]
    assert questions and {e["outcome"] for e in questions} <= {
        "chosen",
        "typed",
        "clicked through",
    }
    assert {"chosen", "clicked through"} <= {e["outcome"] for e in questions}
    assert all(len(e["offered"]) == 3 for e in questions)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (_always("correct"), "must return one of"),
        (_always("publish", "sleepy"), "unknown user population"),
    ],
)
def test_transcription_refuses_unknown_actions_and_populations(policy: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        get_system("transcription").run(n=3, seed=0, extensions={"interaction_policy": policy})
