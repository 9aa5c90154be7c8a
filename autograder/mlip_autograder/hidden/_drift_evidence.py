"""Hidden drift streams grade only drift that the stream itself shows within the budget.

Some drifts show sparsely: the tax system's new home-energy deduction appears mainly as
``advice_shown`` events about the ``home_energy`` field, about one per 100 events. On a secret
seed the first 500 events after the onset (the detection budget) may then carry only one or two
of them, and a short normal segment may carry too few advice events for a monitor to learn which
fields are normal before the drift begins. A correct monitor then loses hidden points to an
unlucky draw, which says nothing about the monitor. A numeric drift can be as faint on some seeds:
the transcription system's noisy rooms lower the recogniser's word confidence, on one secret seed
so little within the budget that even all the normal words as reference barely tell the two apart.
So the hidden drift family redraws a seed whose stream does not carry the evidence; the decision
reads the recorded stream alone (never a solution), and the public streams are what it compares
with.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlip.checks import Scenario
    from mlip.monitoring import DriftStream, StreamSpec
    from mlip.systems import System

__all__ = [
    "DRIFT_DRAWS",
    "EVIDENCE_P",
    "NEW_VALUES_NEEDED",
    "CategoryEvidence",
    "NumericEvidence",
    "category_evidence",
    "numeric_evidence",
    "observable",
    "observable_drift",
]

#: Appearances of never-seen values a drift needs before it is observable: once or twice may be
#: a glitch; three times the new value "keeps appearing".
NEW_VALUES_NEEDED = 3
#: How clearly a numeric drift must show within the budget: a two-sample KS test of the values
#: after the onset against every normal value before it reaches this p-value (a monitor has a
#: smaller reference and window, so it needs a clearer signal than this best case).
EVIDENCE_P = 1e-6
#: Draws tried before the family keeps the last one anyway (about 60 % of the tax system's draws
#: qualify, so running out is vanishingly rare; it never loops for ever).
DRIFT_DRAWS = 25

Draw = Callable[["System", random.Random, list["Scenario"]], list["Scenario"]]


@dataclass(frozen=True)
class CategoryEvidence:
    """A drift of stream ``stream`` that shows as new values of ``field`` in ``event`` events."""

    stream: str
    event: str
    field: str


@dataclass(frozen=True)
class NumericEvidence:
    """A drift of stream ``stream`` that shows as a shift of the number ``field`` of ``event``."""

    stream: str
    event: str
    field: str


@dataclass(frozen=True)
class Evidence:
    """What one recorded stream shows of a categorical drift.

    ``reference`` counts events carrying the field before the onset (what a monitor can learn
    the normal values from); ``needed_at`` is the offset from the onset of the
    :data:`NEW_VALUES_NEEDED`-th event with a value never seen before the onset (None: fewer).
    """

    reference: int
    needed_at: int | None


def category_evidence(stream: DriftStream, event: str, field: str) -> Evidence:
    """How much of a categorical drift ``stream`` shows (see :class:`Evidence`)."""
    onset = stream.onset if stream.onset is not None else len(stream.events)
    carrying = [
        (index, str(item[field]))
        for index, item in enumerate(stream.events)
        if item.get("event") == event and item.get(field) is not None
    ]
    known = {value for index, value in carrying if index < onset}
    new = [index - onset for index, value in carrying if index >= onset and value not in known]
    needed_at = new[NEW_VALUES_NEEDED - 1] if len(new) >= NEW_VALUES_NEEDED else None
    return Evidence(sum(1 for index, _ in carrying if index < onset), needed_at)


def numeric_evidence(stream: DriftStream, event: str, field: str, within: int) -> Evidence:
    """How much of a numeric drift ``stream`` shows in the first ``within`` events after its
    onset: ``needed_at`` is the last of them when a KS test against every value before the
    onset reaches :data:`EVIDENCE_P`, else None; ``reference`` counts the values before it."""
    from mlip.monitoring import ks_drift

    onset = stream.onset if stream.onset is not None else len(stream.events)

    def values(events: tuple[dict[str, Any], ...]) -> list[float]:
        return [
            float(item[field])
            for item in events
            if item.get("event") == event and isinstance(item.get(field), int | float)
        ]

    normal = values(stream.events[:onset])
    drifted = values(stream.events[onset : onset + within])
    shows = len(drifted) > 1 and ks_drift(normal, drifted).p_value < EVIDENCE_P
    return Evidence(len(normal), within - 1 if shows else None)


def _evidence(
    stream: DriftStream, item: CategoryEvidence | NumericEvidence, budget: int
) -> Evidence:
    """What ``stream`` shows of ``item``'s drift, numbers judged on four fifths of ``budget``."""
    if isinstance(item, NumericEvidence):
        return numeric_evidence(stream, item.event, item.field, budget - budget // 5)
    return category_evidence(stream, item.event, item.field)


def _record(system_name: str, spec: StreamSpec) -> DriftStream:
    from mlip.monitoring import build_stream
    from mlip.systems import get_system

    system = get_system(system_name)
    return build_stream(system, spec, model=system.load_model())


def _public(module: str, name: str) -> tuple[StreamSpec, int]:
    checks: Any = import_module(module)
    spec = next(spec for spec in checks.SUDDEN if spec.name == name)
    return spec, int(checks.BUDGET)


@functools.lru_cache(maxsize=16)
def _public_reference(
    system_name: str, module: str, evidence: CategoryEvidence | NumericEvidence
) -> int:
    spec, budget = _public(module, evidence.stream)
    return _evidence(_record(system_name, spec), evidence, budget).reference


@functools.lru_cache(maxsize=256)
def observable(
    system_name: str,
    module: str,
    evidence: CategoryEvidence | NumericEvidence,
    seed: int,
    lead_in: float,
) -> bool:
    """Whether the hidden stream (``seed``, ``lead_in``) shows ``evidence``'s drift in time.

    Its normal segment carries at least as many events with the field as the public stream's
    (the hidden lead-in only grows, so a monitor never gets less to learn from than in public),
    and the drift shows with a fifth of the budget left (the slack a monitor that tests
    periodically needs; the same fifth as the control's): the :data:`NEW_VALUES_NEEDED`-th new
    value of a categorical drift comes before it, a numeric drift reaches :data:`EVIDENCE_P`.
    """
    from mlip.checks import scenario_stream

    spec, budget = _public(module, evidence.stream)
    hidden = scenario_stream(spec, {"seed": seed, "lead_in": lead_in})
    shown = _evidence(_record(system_name, hidden), evidence, budget)
    return (
        shown.reference >= _public_reference(system_name, module, evidence)
        and shown.needed_at is not None
        and shown.needed_at < budget - budget // 5
    )


def observable_drift(
    draw: Draw, module: str, evidence: tuple[CategoryEvidence | NumericEvidence, ...]
) -> Draw:
    """``draw`` (one seed and lead-in for all streams), redrawn until every drift in
    ``evidence`` is observable on it (at most :data:`DRIFT_DRAWS` draws).

    ``module`` is the public checks' module (its ``SUDDEN`` streams and ``BUDGET``).
    """

    def redraw(system: System, rng: random.Random, public: list[Scenario]) -> list[Scenario]:
        scenarios = draw(system, rng, public)
        for _ in range(DRIFT_DRAWS - 1):
            if not scenarios:
                break
            seed, lead_in = int(scenarios[0]["seed"]), float(scenarios[0]["lead_in"])
            if all(observable(system.name, module, item, seed, lead_in) for item in evidence):
                break
            scenarios = draw(system, rng, public)
        return scenarios

    return redraw
