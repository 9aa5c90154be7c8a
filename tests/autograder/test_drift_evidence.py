"""Hidden drift streams carry the drift they grade: a correct monitor never loses to a bad draw.

monitoring-tax's new deduction shows mainly as advice about a new field, about one per 100
events; secret seeds whose stream showed it too late in the budget (957470) or whose normal
segment held too few advice events to learn the normal fields from (89193) cost the reference
hidden points. The family now redraws those, deciding from the recorded stream alone (and
monitoring-transcription's, whose noisy rooms show only faintly on some seeds).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pytest

#: One pytest-xdist worker for the whole module: draws are cached per process (functools.cache).
pytestmark = pytest.mark.xdist_group("test_drift_evidence")

if TYPE_CHECKING:
    from mlip.monitoring import DriftStream

TAX = "mlip.checks.monitoring_tax"
#: The two draws measured to cost correct monitors hidden points, and the secrets that drew them.
UNLUCKY = {"spread-15": (957470, 1.27), "spread-12": (89193, 1.25)}
#: A handful of secrets: the validity suite's and the two above.
SECRETS = ("validity-one", "validity-two", "validity-three", *UNLUCKY)


def _stream(text: str, onset: int) -> DriftStream:
    """A fake stream: one advice event per letter of ``text`` (``.`` is another kind)."""
    from mlip.monitoring import DriftStream, StreamSpec

    events = tuple(
        {"event": "tick", "t": index}
        if letter == "."
        else {"event": "advice_shown", "t": index, "field": letter}
        for index, letter in enumerate(text)
    )
    spec = StreamSpec("fake", "sudden", ())
    return DriftStream(spec=spec, events=events, episodes=((onset, len(events)),))


def test_category_evidence_counts_the_reference_and_where_new_values_add_up() -> None:
    from mlip_autograder.hidden._drift_evidence import category_evidence

    # normal part "ab.ab" (4 advice events), then new values z, y, z at offsets 1, 3, 5
    stream = _stream("ab.ab" + ".za.y.z", onset=5)
    evidence = category_evidence(stream, "advice_shown", "field")
    assert (evidence.reference, evidence.needed_at) == (4, 6)
    sparse = category_evidence(_stream("ab.ab" + ".z....", onset=5), "advice_shown", "field")
    assert sparse.needed_at is None


def test_numeric_evidence_needs_a_clear_shift_within_four_fifths_of_the_budget() -> None:
    import random

    from mlip_autograder.hidden._drift_evidence import numeric_evidence

    from mlip.monitoring import DriftStream, StreamSpec

    rng = random.Random(3)

    def stream(shift: float) -> DriftStream:
        normal = [rng.gauss(0.0, 1.0) for _ in range(300)]
        after = [rng.gauss(shift, 1.0) for _ in range(300)]
        events = tuple(
            {"event": "word", "t": index, "confidence": value}
            for index, value in enumerate(normal + after)
        )
        return DriftStream(StreamSpec("fake", "sudden", ()), events, ((300, 600),))

    clear = numeric_evidence(stream(1.0), "word", "confidence", within=240)
    assert (clear.reference, clear.needed_at) == (300, 239)
    assert numeric_evidence(stream(0.1), "word", "confidence", within=240).needed_at is None


@functools.cache
def _drawn(secret: str) -> tuple[int, float]:
    from mlip_autograder.hidden import hidden_check

    from mlip.systems import get_system

    check = hidden_check("monitoring-tax", "hidden-drift-seeds", secret=secret)
    scenarios = check.scenarios(get_system("tax"))
    assert len({(s["seed"], s["lead_in"]) for s in scenarios}) == 1  # one draw for all streams
    return int(scenarios[0]["seed"]), float(scenarios[0]["lead_in"])


def test_the_measured_unlucky_draws_are_redrawn() -> None:
    from mlip_autograder.hidden._drift_evidence import CategoryEvidence, observable

    evidence = CategoryEvidence("new-deduction", "advice_shown", "field")
    for secret, (seed, lead_in) in UNLUCKY.items():
        assert not observable("tax", TAX, evidence, seed, lead_in)
        assert _drawn(secret) != (seed, lead_in)


@pytest.mark.parametrize("secret", SECRETS)
def test_every_drawn_new_deduction_shows_within_the_budget(secret: str) -> None:
    """Recomputed from the recorded streams, apart from the family's own decision."""
    from mlip_autograder.hidden._drift_evidence import NEW_VALUES_NEEDED, category_evidence

    from mlip.checks import scenario_stream
    from mlip.checks.monitoring_tax import BUDGET, SUDDEN
    from mlip.monitoring import build_stream
    from mlip.systems import get_system

    system = get_system("tax")
    seed, lead_in = _drawn(secret)
    public = next(spec for spec in SUDDEN if spec.name == "new-deduction")
    hidden = scenario_stream(public, {"seed": seed, "lead_in": lead_in})
    stream = build_stream(system, hidden, model=system.load_model())
    onset = stream.onset
    assert onset is not None
    known = {e["field"] for e in stream.events[:onset] if e["event"] == "advice_shown"}
    new = [
        offset
        for offset, event in enumerate(stream.events[onset : onset + BUDGET])
        if event["event"] == "advice_shown" and event["field"] not in known
    ]
    assert len(new) >= NEW_VALUES_NEEDED and new[NEW_VALUES_NEEDED - 1] < BUDGET - BUDGET // 5
    reference = category_evidence(
        build_stream(system, public, model=system.load_model()), "advice_shown", "field"
    ).reference
    advice_before = sum(1 for e in stream.events[:onset] if e["event"] == "advice_shown")
    assert advice_before >= reference >= 40  # the reference monitor learns from 40
