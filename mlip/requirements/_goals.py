"""Goals at several levels, each with how it is measured.

Organisational/system goals (the product earns money, nobody gets hurt), user goals (good toast,
a correct return, a usable transcript) and model goals (accuracy, calibration) are different
things: a model can get better while the system gets worse. Writing down how each is measured
makes that visible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GOAL_LEVELS", "Goal", "goal_from_dict"]

#: The levels a goal can be stated at, from the organisation down to the model.
GOAL_LEVELS: tuple[str, ...] = ("system", "user", "model")


@dataclass(frozen=True)
class Goal:
    """A goal and its measure.

    ``measured_by`` names what the simulator reports for it: a metric of
    :class:`~mlip.systems.RunResult` (e.g. ``"fire_rate"``) or a telemetry field written
    ``"event.field"`` (e.g. ``"outcome.within_1"``).
    """

    level: str
    text: str
    measured_by: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what crosses a process boundary in grading)."""
        return {"level": self.level, "text": self.text, "measured_by": self.measured_by}


def goal_from_dict(data: Mapping[str, Any]) -> Goal:
    """Rebuild a goal from :meth:`Goal.to_dict` output; ``ValueError`` on malformed data."""
    try:
        return Goal(
            level=str(data["level"]).lower(),
            text=str(data["text"]),
            measured_by=str(data["measured_by"]),
        )
    except KeyError as error:
        raise ValueError(f"a goal needs {error.args[0]!r}") from None
