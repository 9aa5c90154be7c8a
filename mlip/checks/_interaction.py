"""What the interaction checks share: runs against a chosen population of simulated users.

An interaction policy is graded on what the simulated users end up with (harm, their effort,
the business's value), and a policy tuned to one population may fail another: the hidden checks
face users who tire of prompts faster, or overlook more. A scenario names the population in
``users``; the run hands it to the system as the ``users`` attribute of the policy, which is
how the systems' interaction simulations read it (``usual`` without it).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from mlip.checks._engine import CheckContext, Margin, Scenario, ScenarioOutcome
from mlip.checks._families import healthy_model

if TYPE_CHECKING:
    from mlip.systems import RunResult

__all__ = [
    "RememberedRecognition",
    "UserPopulation",
    "budget",
    "full_size_runs",
    "held_to",
    "run_interaction",
    "to_action",
]


class UserPopulation:
    """A wrapped policy that tells the system which user population it faces."""

    def __init__(self, policy: Any, users: str) -> None:
        self.policy = policy
        self.users = users
        self.__name__ = getattr(policy, "__name__", "policy")

    def __call__(self, *args: Any) -> Any:
        return self.policy(*args)

    def many(self, calls: Sequence[Sequence[Any]]) -> list[Any]:
        offered = getattr(self.policy, "many", None)
        if callable(offered):
            return list(offered(calls))
        return [self.policy(*args) for args in calls]


class RememberedRecognition:
    """The kit's speech model (or a chaos model around it) remembering what it heard.

    What the model makes of an upload does not depend on the interaction policy (it acts on
    the words afterwards), so runs of the same uploads under several policies (the baseline and
    the student's, the validity cases) transcribe each upload once. Kept in the checks'
    ``recordings``, which only kit code fills, keyed by the fault and the audio's digest.
    """

    def __init__(self, model: Any, recordings: MutableMapping[Any, Any], fault: str) -> None:
        self.model = model
        self.heard = recordings.setdefault(("speech-model-heard", fault), {})

    def recognize(self, pieces: Sequence[Any]) -> Any:
        import hashlib

        import numpy as np

        digest = hashlib.blake2b(digest_size=16)
        for piece in pieces:
            samples = np.ascontiguousarray(piece)
            digest.update(f"{samples.dtype}{samples.shape}".encode())
            digest.update(samples.tobytes())
        key = digest.hexdigest()
        if key not in self.heard:
            self.heard[key] = self.model.recognize(pieces)
        return self.heard[key]


def run_interaction(
    context: CheckContext,
    scenario: Scenario,
    *,
    policy: str,
    guarded: bool = True,
    telemetry: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """Run ``scenario`` with the student's extensions, the ``policy`` facing ``users``.

    ``guarded=False`` runs the naive system (no extension at all), the value baseline.
    """
    model = healthy_model(context)
    if "fault" in scenario:
        model = context.system.faulty_model(str(scenario["fault"]), model=model)
    if callable(getattr(model, "recognize", None)):
        model = RememberedRecognition(model, context.recordings, str(scenario.get("fault", "")))
    extensions: dict[str, Any] = dict(context.extensions) if guarded else {}
    users = scenario.get("users")
    if guarded and users is not None and policy in extensions:
        extensions[policy] = UserPopulation(extensions[policy], str(users))
    return context.system.run(
        n=int(scenario["n"]),
        seed=int(scenario["seed"]),
        model=model,
        extensions=extensions or None,
        conditions={str(k): str(v) for k, v in dict(scenario.get("conditions", {})).items()},
        telemetry=telemetry,
    )


def budget(figure: str, value: float, limit: float, unit: str = "") -> Margin:
    """A figure that must stay at or under its budget (rounded for reading)."""
    return Margin(figure, round(value, 3), limit, unit)


def to_action(actions: tuple[str, ...]) -> Callable[[Any], str]:
    """A coercion accepting exactly one of ``actions`` (a string)."""

    def coerce(value: Any) -> str:
        text = str.__str__(value) if isinstance(value, str) else None  # a plain copy
        if text in actions:
            return str(text)
        raise ValueError(f"expected one of {', '.join(map(repr, actions))}, got {value!r}")

    return coerce


def held_to(
    message: str, margins: tuple[Margin, ...], *failures: tuple[bool, str, str]
) -> ScenarioOutcome:
    """A run held to budgets: the first of ``failures`` (failed, what the budget is, hint) that
    holds fails the scenario; margins are shown either way."""
    for failed, limit, hint in failures:
        if failed:
            return ScenarioOutcome(False, f"{message}; {limit}", hint=hint, margins=margins)
    return ScenarioOutcome(True, message, margins=margins)


def full_size_runs(n: int, seed: int, *scenarios: Scenario) -> list[Scenario]:
    """Each scenario at the public size, on the public seed unless it names its own."""
    runs: list[Scenario] = []
    for scenario in scenarios:
        run: Scenario = {"n": n, "seed": seed}
        run.update(scenario)
        runs.append(run)
    return runs
