"""What every system's ``interaction_policy`` extension point shares: reading the policy's
answer and the user population a check asked for. Light: no numpy."""

from __future__ import annotations

from collections.abc import Sequence

from mlip.errors import UsageError
from mlip.systems._contract import Extension

__all__ = ["checked_action", "population_of"]


def population_of(policy: Extension) -> str:
    """The user population a check asked for (an attribute ``users`` of the policy)."""
    users = getattr(policy.function, "users", "usual")
    return users if isinstance(users, str) else "usual"


def checked_action(answer: object, actions: Sequence[str]) -> str:
    """The policy's answer, which must be one of the system's ``actions``."""
    if not isinstance(answer, str) or answer not in actions:
        raise UsageError(
            f"interaction_policy must return one of {', '.join(actions)}; it returned {answer!r}"
        )
    return str(answer)
