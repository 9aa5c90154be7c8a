"""CPU seconds each public check took on its reference solution (written by a script).

Regenerate with ``python benchmarks/measure_check_budgets.py --write`` after changing a check or a
system; ``mlip.services.check`` turns these into per-check budgets.
Measured on a 2-core VM shared with five other jobs (load 5-9).
"""

from __future__ import annotations

#: Per assignment, per public check.
MEASURED_CPU_SECONDS: dict[str, dict[str, float]] = {
    "feedback-loops-tax": {
        "fairness-gap-bounded": 0.1,
        "keeps-model-quality": 0.3,
        "keeps-value": 0.1,
        "labels-within-budget": 0.1,
        "measures-on-a-holdout": 0.1,
        "recovers-from-a-damaged-model": 0.6,
    },
    "feedback-loops-toaster": {
        "fairness-gap-bounded": 0.1,
        "keeps-model-quality": 1.3,
        "keeps-value": 0.1,
        "labels-within-budget": 0.1,
        "measures-on-a-holdout": 0.1,
        "recovers-from-a-damaged-model": 2.2,
    },
    "feedback-loops-transcription": {
        "fairness-gap-bounded": 0.0,
        "improves-on-the-shipped-model": 0.0,
        "keeps-a-better-model": 0.3,
        "keeps-model-quality": 0.2,
        "labels-within-budget": 0.0,
        "measures-on-a-holdout": 0.0,
    },
    "guards-tax": {
        "keeps-revenue": 0.1,
        "no-harmful-advice-under-chaos": 0.2,
        "prompts-bounded": 0.1,
        "safe-under-data-faults": 0.2,
    },
    "guards-toaster": {
        "keeps-good-toast": 0.4,
        "no-fire-under-chaos": 1.5,
        "no-fire-under-sensor-faults": 1.8,
    },
    "guards-transcription": {
        "keeps-transcripts-useful": 1.3,
        "no-doubtful-word-published-under-chaos": 1.1,
        "no-doubtful-word-published-under-faults": 3.2,
    },
    "interaction-tax": {
        "effort-within-budget": 0.1,
        "harm-within-budget": 0.1,
        "keeps-value": 0.1,
    },
    "interaction-toaster": {
        "effort-within-budget": 0.4,
        "harm-within-budget": 1.0,
        "keeps-good-toast": 0.4,
    },
    "interaction-transcription": {
        "effort-within-budget": 1.3,
        "harm-within-budget": 3.1,
        "keeps-customers": 1.0,
    },
    "monitoring-tax": {
        "detects-gradual-drift": 0.2,
        "detects-recurring-drift": 0.2,
        "detects-sudden-drift": 0.2,
        "quiet-without-drift": 0.2,
    },
    "monitoring-toaster": {
        "detects-gradual-drift": 0.4,
        "detects-recurring-drift": 0.6,
        "detects-sudden-drift": 0.7,
        "quiet-without-drift": 0.8,
    },
    "monitoring-transcription": {
        "detects-gradual-drift": 1.5,
        "detects-recurring-drift": 0.8,
        "detects-sudden-drift": 1.4,
        "quiet-without-drift": 2.0,
    },
    "requirements-tax": {
        "assumptions-that-matter": 0.1,
        "fault-tree-covers-hazards": 0.0,
        "fault-tree-well-formed": 0.0,
        "goals-measurable": 0.0,
        "mitigations-break-cut-sets": 0.0,
        "requirements-hold-and-matter": 0.4,
        "requirements-measurable": 0.0,
    },
    "requirements-toaster": {
        "assumptions-that-matter": 0.9,
        "fault-tree-covers-hazards": 0.4,
        "fault-tree-well-formed": 0.0,
        "goals-measurable": 0.2,
        "mitigations-break-cut-sets": 0.0,
        "requirements-hold-and-matter": 3.2,
        "requirements-measurable": 0.0,
    },
    "requirements-transcription": {
        "assumptions-that-matter": 0.3,
        "fault-tree-covers-hazards": 0.3,
        "fault-tree-well-formed": 0.0,
        "goals-measurable": 0.8,
        "mitigations-break-cut-sets": 0.0,
        "requirements-hold-and-matter": 5.3,
        "requirements-measurable": 0.0,
    },
}

#: Per assignment, the slowest code cell of the reference solution.
MEASURED_CELL_CPU_SECONDS: dict[str, float] = {
    "feedback-loops-tax": 1.6,
    "feedback-loops-toaster": 4.2,
    "feedback-loops-transcription": 2.6,
    "guards-tax": 0.2,
    "guards-toaster": 0.5,
    "guards-transcription": 2.9,
    "interaction-tax": 0.1,
    "interaction-toaster": 1.0,
    "interaction-transcription": 2.4,
    "monitoring-tax": 0.9,
    "monitoring-toaster": 1.2,
    "monitoring-transcription": 3.0,
    "requirements-tax": 0.2,
    "requirements-toaster": 0.4,
    "requirements-transcription": 3.0,
}
