"""The check engine: scenario families, verdicts and points.

A :class:`Check` runs one *family* of scenarios (each scenario is plain data, e.g. ``{"fault":
"nan"}``) through a verdict function and turns the scenarios that passed into points. The verdict
drives a running system with the student's extension functions plugged in and judges what the
*system* did (fires, harmful advice, wrong words published), not what a function returned.

Trust boundary: the engine never hands the system a student's function directly. Each extension
is wrapped in a :class:`RecordingExtension` that passes only plain copies of the arguments,
coerces the return value to plain data (``float``, ``bool``, ``str``, ``dict``...) and records
any exception as a failure of the current scenario (the system then gets the naive behaviour for
that call). The autograder can therefore replace the student's function by a proxy that calls
into a sandboxed process and nothing in a verdict changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlip.systems import System

__all__ = [
    "Check",
    "CheckContext",
    "CheckResult",
    "ExtensionSpec",
    "RecordingExtension",
    "ScenarioOutcome",
    "describe_scenario",
    "plain",
    "run_check",
]

#: Student functions by extension-point name (``{"heating_guard": heating_guard, ...}``).
Extensions = Mapping[str, Callable[..., Any]]


#: Exact types ``plain`` returns unchanged (subclasses take the slow path and are converted).
_ATOMS = frozenset({type(None), bool, int, float, str})


def plain(value: Any, *, depth: int = 0) -> Any:
    """A copy of ``value`` made of JSON-native types only (numpy scalars become Python numbers).

    Raises ``TypeError`` for anything else, so a student object never reaches a verdict.
    """
    kind = type(value)
    if (
        kind in _ATOMS and depth <= 20
    ):  # the common case, e.g. a state dict of floats: no copy needed
        return value
    if kind is dict and depth < 20 and all(type(item) in _ATOMS for item in value.values()):
        return {str(key): item for key, item in value.items()}
    if depth > 20:
        raise TypeError("value is nested too deeply")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item, depth=depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item, depth=depth + 1) for item in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and type(value).__module__ == "numpy":
        return plain(item(), depth=depth + 1)
    raise TypeError(f"expected plain data, got {type(value).__name__}")


@dataclass(frozen=True)
class ExtensionSpec:
    """How to call one extension point safely.

    ``coerce`` turns the student's return value into the plain value the system expects (raising
    on nonsense); ``fallback`` computes the naive value from the call's arguments, used when the
    student's function fails so the run can finish and the failure is reported instead.
    """

    name: str
    coerce: Callable[[Any], Any]
    fallback: Callable[..., Any]


class ExtensionFailure:
    """The first failure of a student's extension within one scenario."""

    def __init__(self, extension: str, error: BaseException, arguments: list[Any]) -> None:
        self.extension = extension
        self.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        self.arguments = arguments

    @property
    def not_written(self) -> bool:
        """True when the function is still the release stub (``raise NotImplementedError``)."""
        return self.error.startswith("NotImplementedError")

    def describe(self) -> str:
        """One line for the student: which function, what error, on which input."""
        if self.not_written:
            return f"{self.extension} is not written yet (it raises NotImplementedError)"
        shown = ", ".join(_short(argument) for argument in self.arguments)
        return f"{self.extension}({shown}) raised {self.error}"

    def hint(self) -> str:
        """What to do about it."""
        if self.not_written:
            return (
                f"write {self.extension} in the notebook (replace `raise NotImplementedError()`)."
            )
        return (
            f"{self.extension} must never raise: the system calls it with whatever the model "
            "and the sensors produce. Call it yourself with the input shown to reproduce."
        )


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RecordingExtension:
    """Calls a student's function with plain copies and records failures instead of crashing."""

    def __init__(self, spec: ExtensionSpec, function: Callable[..., Any]) -> None:
        self.spec = spec
        self.function = function
        self.__name__ = spec.name
        self.calls = 0
        self.failure: ExtensionFailure | None = None

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        arguments = _plain_arguments(args)
        try:
            return self.spec.coerce(self.function(*arguments))
        except Exception as error:
            if self.failure is None:
                self.failure = ExtensionFailure(self.spec.name, error, arguments)
            return self.spec.fallback(*args)

    def many(self, calls: Sequence[Sequence[Any]]) -> list[Any]:
        """Answers to several independent calls, in order, exactly as if called one by one.

        When the wrapped function offers ``many`` (the autograder's proxy sends a whole batch to
        the sandbox in one message), the batch goes there in one go: its answers are coerced like
        single answers, and a slot holding an exception is a failed call (the first one is
        recorded, the call gets the fallback). Otherwise, or once the scenario has already
        failed, the calls are made one by one.
        """
        batch = getattr(self.function, "many", None)
        if not callable(batch) or self.failure is not None:
            return [self(*args) for args in calls]
        self.calls += len(calls)
        if getattr(self.function, "sends_plain_copies", False):
            # the function copies plain data across a process boundary itself (the
            # autograder's sandbox proxy): a second copy here would only cost time
            plain_calls: Sequence[Sequence[Any]] = calls
            answers = list(batch(calls))
        else:
            plain_calls = [_plain_arguments(args) for args in calls]
            answers = list(batch([tuple(arguments) for arguments in plain_calls]))
        if len(answers) != len(calls):
            raise RuntimeError(f"{self.spec.name}: {len(answers)} answers to {len(calls)} calls")
        coerce = self.spec.coerce
        results: list[Any] = []
        for index, answer in enumerate(answers):
            try:
                if isinstance(answer, BaseException):
                    raise answer
                results.append(coerce(answer))
            except Exception as error:
                if self.failure is None:
                    arguments = _plain_arguments(plain_calls[index])
                    self.failure = ExtensionFailure(self.spec.name, error, arguments)
                results.append(self.spec.fallback(*calls[index]))
        return results


def _plain_arguments(args: Sequence[Any]) -> list[Any]:
    """Plain copies of a call's arguments; unusual values (never from our systems) as reprs."""
    try:
        return [plain(argument) for argument in args]
    except TypeError:
        return [repr(argument) for argument in args]


@dataclass(frozen=True)
class ScenarioOutcome:
    """What a verdict decided about one scenario.

    ``hint`` is advice derived from the failure the verdict observed (e.g. "the cutoff never
    stopped a runaway heating time"); empty means the check's own hint. ``credit`` is the share
    of the scenario's points earned, in [0, 1]; ``None`` means 1.0 if passed else 0.0.
    """

    passed: bool
    message: str
    hint: str = ""
    credit: float | None = None


@dataclass
class CheckContext:
    """What a verdict works with: the system, the wrapped student code and a run cache."""

    system: System
    extensions: dict[str, RecordingExtension]
    cache: dict[str, Any] = field(default_factory=dict)

    def naive_metric(self, key: str, compute: Callable[[], float]) -> float:
        """A baseline figure (e.g. the unguarded system's utility), computed once per check."""
        if key not in self.cache:
            self.cache[key] = compute()
        return float(self.cache[key])


Verdict = Callable[[CheckContext, dict[str, Any]], ScenarioOutcome]


@dataclass(frozen=True)
class Check:
    """A named scenario family + a verdict + points (+ partial credit) + a hint.

    ``scenarios`` returns the family's scenarios (plain dicts) for the given system; ``verdict``
    judges one scenario. With ``partial_credit`` the points are proportional to the scenarios
    that passed, otherwise all must pass.
    """

    name: str
    assignment: str
    summary: str
    max_points: float
    hint: str
    extensions: tuple[ExtensionSpec, ...]
    scenarios: Callable[[System], Sequence[dict[str, Any]]]
    verdict: Verdict
    public: bool = True
    partial_credit: bool = True


@dataclass(frozen=True)
class CheckResult:
    """The result of one check, plain and JSON-able."""

    check: str
    points: float
    max_points: float
    passed: bool
    message: str
    hint: str
    scenario: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and for crossing a process boundary."""
        return {
            "check": self.check,
            "points": self.points,
            "max_points": self.max_points,
            "passed": self.passed,
            "message": self.message,
            "hint": self.hint,
            "scenario": self.scenario,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        """Rebuild a result from :meth:`to_dict` output (coercing every field)."""
        scenario = data.get("scenario")
        return cls(
            check=str(data["check"]),
            points=float(data["points"]),
            max_points=float(data["max_points"]),
            passed=bool(data["passed"]),
            message=str(data["message"]),
            hint=str(data.get("hint", "")),
            scenario=plain(scenario) if isinstance(scenario, Mapping) else None,
        )


def describe_scenario(scenario: Mapping[str, Any]) -> str:
    """A scenario as one short line, e.g. ``fault=nan, sensor_fault=stuck_ir, seed=1, n=200``."""
    parts: list[str] = []
    for key, value in scenario.items():
        if isinstance(value, Mapping):
            parts.extend(f"{inner}={item}" for inner, item in value.items())
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts) or "default"


def run_check(
    check: Check,
    extensions: Extensions,
    *,
    system: System | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> CheckResult:
    """Run every scenario of ``check`` with the student's ``extensions`` and score it.

    A missing extension function, an extension that raises, or a system that crashes with the
    student's code plugged in all count as that scenario failing, with a message saying why.
    """
    from mlip.systems import get_system

    missing = [spec.name for spec in check.extensions if not callable(extensions.get(spec.name))]
    if missing:
        names = ", ".join(missing)
        return CheckResult(
            check=check.name,
            points=0.0,
            max_points=check.max_points,
            passed=False,
            message=f"the notebook defines no function {names}",
            hint=f"define {names} with the signature given in the task (keep the name).",
            scenario=None,
        )
    context = CheckContext(
        system=system or get_system(check.assignment.split("-", 1)[1]), extensions={}
    )
    scenarios = list(check.scenarios(context.system))
    failures: list[tuple[dict[str, Any], str]] = []
    credits: list[float] = []
    hints: list[str] = []  # one per failure: the check's hint, or how to fix a crash
    for index, scenario in enumerate(scenarios):
        if progress is not None:
            progress(index, len(scenarios), f"{check.name}: {describe_scenario(scenario)}")
        context.extensions = {
            spec.name: RecordingExtension(spec, extensions[spec.name]) for spec in check.extensions
        }
        try:
            outcome = check.verdict(context, scenario)
        except Exception as error:
            outcome = ScenarioOutcome(
                False,
                f"the system crashed with your code plugged in: {type(error).__name__}: {error}",
            )
        failure = next(
            (ext.failure for ext in context.extensions.values() if ext.failure is not None), None
        )
        if failure is not None:
            outcome = ScenarioOutcome(False, failure.describe())
        credits.append(_credit(outcome))
        if not outcome.passed:
            failures.append((scenario, outcome.message))
            hints.append(failure.hint() if failure is not None else outcome.hint or check.hint)
    if progress is not None:
        progress(len(scenarios), len(scenarios), check.name)
    return _score(
        check, scenarios, failures, hint=hints[0] if hints else check.hint, credits=credits
    )


def _credit(outcome: ScenarioOutcome) -> float:
    """The share of a scenario's points an outcome earned (a failed one without credit: 0)."""
    if outcome.credit is None:
        return 1.0 if outcome.passed else 0.0
    credit = float(outcome.credit)
    return min(1.0, max(0.0, credit)) if math.isfinite(credit) else 0.0


def _score(
    check: Check,
    scenarios: list[dict[str, Any]],
    failures: list[tuple[dict[str, Any], str]],
    *,
    hint: str,
    credits: list[float] | None = None,
) -> CheckResult:
    total = len(scenarios)
    passed_count = total - len(failures)
    if not failures:
        fraction = 1.0
    elif check.partial_credit and total:
        fraction = sum(credits) / total if credits else passed_count / total
    else:
        fraction = 0.0
    points = round(check.max_points * fraction, 2)
    if not math.isfinite(points):
        points = 0.0
    if not failures:
        plural = "s" if total != 1 else ""
        return CheckResult(
            check.name, points, check.max_points, True, f"{total} scenario{plural} passed", "", None
        )
    scenario, message = failures[0]
    summary = f"{describe_scenario(scenario)}: {message}"
    if total > 1:
        summary += f" ({passed_count}/{total} scenarios passed)"
    return CheckResult(check.name, points, check.max_points, False, summary, hint, plain(scenario))
