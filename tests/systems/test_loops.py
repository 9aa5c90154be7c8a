"""Feedback loops (``mlip.systems.loops``): a naive loop visibly degrades, the reference holds.

Each system's runs are computed once per module (a few seconds each) and shared by the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlip.errors import InputError
from mlip.systems.loops import LoopDesign, LoopResult, design_for, run_loop

TAX_N, TAX_ROUNDS = 10_000, 3


@pytest.fixture(scope="module")
def tax_runs() -> dict[str, LoopResult]:
    return {
        name: run_loop("tax", rounds=TAX_ROUNDS, seed=0, design=name, n=TAX_N)
        for name in ("naive", "reference")
    }


def test_tax_naive_loop_collapses_after_learning_only_from_protected_customers(
    tax_runs: dict[str, LoopResult],
) -> None:
    naive = tax_runs["naive"]
    quality = naive.series("quality")
    flagged = [r.extra["flagged_rate"] for r in naive.rounds]
    # Trained only on the returns its own upsell protected, the model rates almost everyone
    # risky: whole-population AUC falls and the upsell floods the population.
    assert min(quality[1:]) <= quality[0] - 0.05
    assert max(flagged[1:]) >= 3 * flagged[0]
    assert (
        max(r.extra["abandon_rate"] for r in naive.rounds[1:])
        >= 2 * naive.rounds[0].extra["abandon_rate"]
    )
    # The team's own view (AUC on the rows it labelled) never shows the collapse.
    assert all(r.labelled_quality is not None for r in naive.rounds)


def test_tax_reference_loop_holds_its_quality_and_pays_for_labels(
    tax_runs: dict[str, LoopResult],
) -> None:
    reference, naive = tax_runs["reference"], tax_runs["naive"]
    quality = reference.series("quality")
    assert min(quality) >= quality[0] - 0.02
    assert min(quality[1:]) >= min(naive.series("quality")[1:]) + 0.04
    assert all(r.holdout_quality is not None for r in reference.rounds)
    assert all(r.label_cost > 0 for r in reference.rounds)
    assert all(r.label_cost == 0 for r in naive.rounds)
    # More accuracy is not more value: the collapsing naive loop earns more per user.
    assert sum(naive.series("value")) > sum(reference.series("value"))


def test_tax_loop_is_deterministic(tax_runs: dict[str, LoopResult]) -> None:
    again = run_loop("tax", rounds=2, seed=0, design="naive", n=TAX_N)
    first = [r.to_dict() for r in tax_runs["naive"].rounds[:2]]
    assert [r.to_dict() for r in again.rounds] == first


def test_round_zero_uses_the_shipped_model_and_later_rounds_a_retrained_one(
    tax_runs: dict[str, LoopResult],
) -> None:
    rounds = tax_runs["reference"].rounds
    assert [r.retrained for r in rounds] == [False, True, True]
    data = tax_runs["reference"].to_dict()
    assert data["design"]["name"] == "reference" and len(data["rounds"]) == TAX_ROUNDS


def test_bad_designs_and_systems_are_input_errors() -> None:
    with pytest.raises(InputError, match="no loop design"):
        design_for("tax", "clever")
    with pytest.raises(InputError, match="label source"):
        design_for("tax", LoopDesign(name="x", label_source="rumours"))
    with pytest.raises(InputError, match="between 0 and 1"):
        design_for("tax", LoopDesign(name="x", label_source="reports", exploration_share=2.0))
    with pytest.raises(InputError, match="no feedback loop"):
        run_loop("nonexistent", rounds=2)
    with pytest.raises(InputError, match="at least 1"):
        run_loop("tax", rounds=0)


TOASTER_N, TOASTER_ROUNDS = 2_000, 4


@pytest.fixture(scope="module")
def toaster_runs() -> dict[str, LoopResult]:
    return {
        name: run_loop("toaster", rounds=TOASTER_ROUNDS, seed=0, design=name, n=TOASTER_N)
        for name in ("naive", "reference")
    }


def test_toaster_naive_loop_drifts_while_its_own_labels_look_perfect(
    toaster_runs: dict[str, LoopResult],
) -> None:
    naive = toaster_runs["naive"]
    mae = naive.series("quality")
    assert min(mae[1:]) >= mae[0] + 1.0  # seconds off the ideal, whole population
    assert mae[-1] >= mae[0] + 1.5
    assert naive.rounds[-1].value <= naive.rounds[0].value - 0.08  # fewer good toasts
    assert naive.rounds[-1].extra["burnt_rate"] >= 2 * naive.rounds[0].extra["burnt_rate"]
    # Its own labels (mostly its own answers) make the model look far better than it is.
    assert all(r.labelled_quality is not None and r.labelled_quality < 3.5 for r in naive.rounds)


def test_toaster_reference_loop_holds_with_a_test_kitchen_sample(
    toaster_runs: dict[str, LoopResult],
) -> None:
    reference, naive = toaster_runs["reference"], toaster_runs["naive"]
    mae = reference.series("quality")
    assert max(mae) <= mae[0] + 1.0
    assert mae[-1] <= naive.series("quality")[-1] - 1.0
    assert reference.rounds[-1].value >= naive.rounds[-1].value + 0.05
    assert all(r.label_cost > 0 and r.holdout_quality is not None for r in reference.rounds)


def test_the_loops_module_doctests_hold() -> None:
    import doctest

    import mlip.systems.loops

    failed, attempted = doctest.testmod(mlip.systems.loops)
    assert attempted >= 2 and failed == 0


def test_a_custom_design_is_checked_and_runs() -> None:
    from mlip.systems.loops import designs, with_knobs

    custom = with_knobs(designs("tax")["naive"], exploration_share=0.1, retrain_every=0)
    assert design_for("tax", custom) is custom
    result = run_loop("tax", rounds=2, seed=1, design=custom, n=1_000)
    assert [r.retrained for r in result.rounds] == [False, False]
    assert result.rounds[0].label_cost > 0 and result.design.name == "naive*"


def test_toaster_loop_is_deterministic() -> None:
    first, again = (run_loop("toaster", rounds=2, seed=3, n=600) for _ in range(2))
    assert first.rounds[1].retrained
    assert [r.to_dict() for r in first.rounds] == [r.to_dict() for r in again.rounds]


TRANSCRIPTION_ROUNDS = 3


@pytest.fixture(scope="module")
def transcription_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LoopResult]]:
    """Both designs at the default size; the voice bank is built once, into a scratch cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLIP_CACHE_DIR", str(tmp_path_factory.mktemp("mlip-cache")))
        yield {
            name: run_loop("transcription", rounds=TRANSCRIPTION_ROUNDS, seed=0, design=name)
            for name in ("naive", "reference")
        }


def test_transcription_naive_loop_learns_from_edits_but_measures_itself_on_its_own_answers(
    transcription_runs: dict[str, LoopResult],
) -> None:
    naive = transcription_runs["naive"]
    wer = naive.series("quality")
    # Customers fix most errors they are shown, and every fix is a true label: WER falls.
    assert wer[-1] <= wer[0] - 0.03
    # On its own labels (mostly its own words) the team sees far fewer errors than there are.
    for figures in naive.rounds:
        assert figures.labelled_quality is not None
        assert figures.labelled_quality <= figures.quality - 0.02
        assert figures.label_cost == 0 and figures.holdout_quality is None
    # The gains go mostly to the voices it already served well.
    first, last = naive.rounds[0].extra, naive.rounds[-1].extra
    assert (
        last["wer_unfamiliar"] / last["wer_familiar"]
        > first["wer_unfamiliar"] / first["wer_familiar"]
    )


def test_transcription_reference_loop_holds_and_pays_for_a_hold_out(
    transcription_runs: dict[str, LoopResult],
) -> None:
    reference = transcription_runs["reference"]
    wer = reference.series("quality")
    assert max(wer) <= wer[0] + 0.01
    assert all(r.label_cost > 0 and r.holdout_quality is not None for r in reference.rounds)
    # Its telemetry labels are only corrections, so the model is wrong on every one of them.
    assert all(r.labelled_quality == 1.0 for r in reference.rounds)
    gaps = reference.series("fairness_gap")
    assert max(gaps) <= gaps[0] + 0.01


def test_transcription_more_accuracy_is_not_more_value(
    transcription_runs: dict[str, LoopResult],
) -> None:
    """Chapter 02 quotes it: the less accurate, less confident model delivers more right words."""
    naive, reference = (transcription_runs[name].rounds[-1] for name in ("naive", "reference"))
    assert reference.quality > naive.quality + 0.02  # a worse word error rate ...
    assert reference.value > naive.value  # ... yet more words right once customers have edited
    assert reference.extra["highlighted_rate"] > naive.extra["highlighted_rate"]
    assert reference.extra["edit_rate"] > naive.extra["edit_rate"]  # paid with customers' effort


def test_transcription_loop_is_deterministic(transcription_runs: dict[str, LoopResult]) -> None:
    again = run_loop("transcription", rounds=2, seed=0, design="naive")
    first = [r.to_dict() for r in transcription_runs["naive"].rounds[:2]]
    assert [r.to_dict() for r in again.rounds] == first


def test_the_voice_bank_is_read_from_the_disk_cache_and_a_broken_file_is_rebuilt(
    transcription_runs: dict[str, LoopResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from mlip.systems.transcription import TranscriptionSystem, _loop

    built = _loop.voice_bank()  # in memory since the fixture ran
    arrays = {"features": built.features, "word": built.word, "voice": built.voice}
    arrays["room"] = built.room
    features, word, voice, room = built.features, built.word, built.voice, built.room
    monkeypatch.setenv("MLIP_CACHE_DIR", str(tmp_path))
    key = _loop._bank_key(TranscriptionSystem().checkpoint_path())
    stored = tmp_path / f"transcription-loop-bank-{key}.npz"
    np.savez(stored, features=features, word=word, voice=voice, room=room)

    def must_not_record(*_: object) -> dict[str, np.ndarray]:
        raise AssertionError("the bank was recorded again instead of read from the cache")

    monkeypatch.setattr(_loop, "_record_bank", must_not_record)
    path = TranscriptionSystem().checkpoint_path()
    read = _loop._voice_bank.__wrapped__  # past the in-memory cache the other tests share
    assert np.array_equal(read(path).features, built.features)
    stored.write_bytes(b"not a bank")  # corrupt or half-written: rebuilt, then replaced
    monkeypatch.setattr(_loop, "_record_bank", lambda *_: {k: v[:3] for k, v in arrays.items()})
    assert len(read(path).word) == 3
    with np.load(stored) as rewritten:
        assert len(rewritten["word"]) == 3
