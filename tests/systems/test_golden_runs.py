"""The golden runs: fixed ``System.run`` calls whose metrics and telemetry must never change.

Refactoring the run pipeline (the base class, batched extension calls) must not change what a
run computes. ``python tests/systems/test_golden_runs.py`` records ``data/golden_runs.json``; only
re-record it for a change that is *meant* to alter a run, and say so in the CHANGELOG.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlip.systems import get_system

DATA = Path(__file__).with_name("data") / "golden_runs.json"


def _every_seventh() -> Callable[[dict[str, Any]], str | None]:
    seen = [0]

    def monitor(event: dict[str, Any]) -> str | None:
        seen[0] += 1
        return f"event {seen[0]}" if seen[0] % 7 == 0 else None

    return monitor


def _heating_guard(predicted: float, readings: dict[str, float]) -> float:
    return 120.0 if not math.isfinite(predicted) else min(max(predicted, 0.0), 300.0)


def _thermal_cutoff(state: dict[str, float]) -> bool:
    return state["smoke_ppm"] > 60.0 or state["chamber_temp_c"] > 260.0


def _advice_guard(advice: dict[str, Any], tax_return: dict[str, Any], risk: float) -> Any:
    if advice["kind"] == "change_entry":
        return {**advice, "kind": "review_entry"}
    return None if tax_return["return_id"] % 3 == 0 else advice


def _prompt_policy(risk: float, prompts_shown: int, step: str) -> bool:
    return risk == risk and risk >= 0.04 and prompts_shown < 1 and step != "income"


def _publish_guard(word: dict[str, Any]) -> str:
    confidence = word["confidence"]
    ok = isinstance(confidence, float) and math.isfinite(confidence) and confidence >= 0.8
    return "publish" if ok else "review"


def _extensions(system: str) -> dict[str, Any]:
    own: dict[str, dict[str, Any]] = {
        "toaster": {"heating_guard": _heating_guard, "thermal_cutoff": _thermal_cutoff},
        "tax": {"advice_guard": _advice_guard, "prompt_policy": _prompt_policy},
        "transcription": {"publish_guard": _publish_guard},
    }
    return {**own[system], "monitor": _every_seventh()}


#: (case name, system, n, seed, fault kind or None, conditions, with extensions)
CASES: tuple[tuple[str, str, int, int, str | None, dict[str, str], bool], ...] = (
    ("toaster-plain", "toaster", 240, 5, None, {}, False),
    ("toaster-nan", "toaster", 240, 5, "nan", {}, False),
    ("toaster-extended", "toaster", 240, 6, None, {"bread": "unseen"}, True),
    ("toaster-extended-slow", "toaster", 120, 7, "slow", {"sensor_fault": "smoke_dead"}, True),
    ("tax-plain", "tax", 600, 5, None, {}, False),
    ("tax-huge", "tax", 600, 5, "huge", {}, False),
    ("tax-extended", "tax", 600, 6, None, {"deduction_pattern": "new"}, True),
    ("tax-extended-huge", "tax", 300, 7, "huge", {"income_shift": "sudden"}, True),
    ("transcription-plain", "transcription", 10, 5, None, {}, False),
    ("transcription-inf", "transcription", 10, 5, "inf", {}, False),
    ("transcription-extended", "transcription", 10, 6, None, {"noise": "babble"}, True),
    ("transcription-extended-silence", "transcription", 6, 7, None, {"audio_fault": "silence"},
     True),
)  # fmt: skip


def record(case: tuple[str, str, int, int, str | None, dict[str, str], bool]) -> dict[str, Any]:
    """What one golden case computes: its result and a digest of its telemetry."""
    _, name, n, seed, fault, conditions, extended = case
    system = get_system(name)
    model = system.faulty_model(fault) if fault else None
    lines: list[str] = []
    result = system.run(
        n=n,
        seed=seed,
        model=model,
        conditions=conditions,
        extensions=_extensions(name) if extended else None,
        telemetry=lambda event: lines.append(json.dumps(event, sort_keys=True)),
    )
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return {"result": result.to_dict(), "events": len(lines), "telemetry_sha256": digest}


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_golden_run_computes_what_it_always_did(
    case: tuple[str, str, int, int, str | None, dict[str, str], bool],
) -> None:
    expected = json.loads(DATA.read_text())[case[0]]
    assert record(case) == expected


def main() -> None:
    DATA.write_text(
        json.dumps({case[0]: record(case) for case in CASES}, indent=1, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    main()
