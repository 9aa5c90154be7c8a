"""The check engine: scenario families, verdicts and points.

A :class:`Check` runs one *family* of scenarios (each a :class:`Scenario`: plain data, e.g.
``{"fault": "nan"}``) through a verdict function and turns the credit each scenario earned into
points. The verdict drives a running system with the student's extension functions plugged in and
judges what the *system* did (fires, harmful advice, wrong words published), not what a function
returned. A verdict may give partial credit for one scenario (a drift detected late earns half),
and reports the figures it measured against their limits (:class:`Margin`), so a passing check
shows how much headroom it has.

Trust boundary: the engine never hands the system a student's function directly. Each extension
is wrapped in a :class:`RecordingExtension` that passes only plain copies of the arguments,
coerces the return value to plain data (``float``, ``bool``, ``str``, ``dict``...) and records
any exception as a failure of the current scenario (the system then gets the naive behaviour for
that call). The autograder can therefore replace the student's function by a proxy that calls
into a sandboxed process and nothing in a verdict changes.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from mlip.systems import System

__all__ = [
    "BoundedCache",
    "Check",
    "CheckContext",
    "CheckResult",
    "ExtensionSpec",
    "Margin",
    "RecordingExtension",
    "Scenario",
    "ScenarioOutcome",
    "ScenarioRunner",
    "describe_scenario",
    "plain",
    "python_literal",
    "run_check",
]


class Scenario(TypedDict, total=False):
    """One scenario of a check family: plain JSON data, the same in ``--json`` and across the
    sandbox boundary, and what hidden families draw on secret seeds.

    Every key is optional; a family uses the ones it needs.
    """

    n: int  #: sessions / users / uploads the system runs
    seed: int  #: the simulator's seed (a hidden family draws it from the course secret)
    fault: str  #: a chaos model from :data:`mlip.systems.FAULT_KINDS`
    conditions: dict[str, str]  #: environment conditions, e.g. ``{"sensor_fault": "stuck_ir"}``
    guarded: bool  #: False runs the system without the student's extensions (a baseline)
    stream: str  #: monitoring: the name of the drift stream replayed
    episode: int  #: monitoring: which drift episode of the stream (1-based)
    lead_in: float  #: monitoring: how much longer the normal segment before the drift lasts
    level: str  #: requirements: the goal level judged (system, user, model)
    part: str  #: requirements: a sub-check (being replaced by named verdict functions)
    users: str  #: interaction: the simulated user population (e.g. ``tire_faster``)


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
        """One line for the student: which function, what error, on which input (shortened:
        :meth:`call` is the complete input)."""
        if self.not_written:
            return f"{self.extension} is not written yet (it raises NotImplementedError)"
        shown = ", ".join(_short(argument) for argument in self.arguments)
        return f"{self.extension}({shown}) raised {self.error}"

    def call(self) -> str:
        """The failing call as one line of Python a student can paste into the notebook."""
        if self.not_written:
            return ""
        return f"{self.extension}({', '.join(python_literal(a) for a in self.arguments)})"

    def hint(self) -> str:
        """What to do about it."""
        if self.not_written:
            return (
                f"write {self.extension} in the notebook (replace `raise NotImplementedError()`)."
            )
        return (
            f"{self.extension} must never raise: the system calls it with whatever the model "
            "and the sensors produce. Paste the repro line into a notebook cell to see the "
            "error yourself."
        )


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def python_literal(value: Any) -> str:
    """``value`` (plain data) as Python source that evaluates back to it, NaN and inf included
    (``repr`` gives ``nan``, which a notebook cell cannot run)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({repr(value)!r})"
    if isinstance(value, Mapping):
        items = ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


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
class Margin:
    """A figure a verdict measured against the limit it must respect, e.g. 7 false alarms per
    10,000 events (limit 10), or 93% good toast (needs at least 91%).

    ``higher_is_better`` says which side of ``limit`` passes. A check reports, per figure, the
    scenario where it came closest to (or furthest past) its limit.
    """

    figure: str
    value: float
    limit: float
    unit: str = ""
    higher_is_better: bool = False

    @property
    def headroom(self) -> float:
        """How far the value is from the limit on the passing side (negative: past it)."""
        gap = self.value - self.limit
        return gap if self.higher_is_better else -gap

    def describe(self) -> str:
        """E.g. ``false alarms per 10,000 events: 7.1 (limit <= 10)``."""
        side = ">=" if self.higher_is_better else "<="
        unit = self.unit
        return f"{self.figure}: {self.value:g}{unit} (limit {side} {self.limit:g}{unit})"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "figure": self.figure,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
        }


@dataclass(frozen=True)
class ScenarioOutcome:
    """What a verdict decided about one scenario.

    ``hint`` is advice derived from the failure the verdict observed (e.g. "the cutoff never
    stopped a runaway heating time"); empty means the check's own hint. ``credit`` is the share
    of the scenario's points earned, in [0, 1]; ``None`` means 1.0 if passed else 0.0.
    ``margins`` are the figures the verdict measured against their limits.
    """

    passed: bool
    message: str
    hint: str = ""
    credit: float | None = None
    margins: tuple[Margin, ...] = ()

    @property
    def earned(self) -> float:
        """The credit in [0, 1] this outcome earns (NaN earns nothing)."""
        credit = (1.0 if self.passed else 0.0) if self.credit is None else float(self.credit)
        return min(max(credit, 0.0), 1.0) if math.isfinite(credit) else 0.0


class BoundedCache(MutableMapping[Hashable, Any]):
    """A dict that forgets its least recently used entries beyond ``max_entries``.

    Checks cache recorded streams, loaded models and system runs; in a long-lived autograder
    worker an unbounded cache would grow with every notebook graded. Forgetting is always safe:
    an entry is recomputed when asked for again.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()

    def __getitem__(self, key: Hashable) -> Any:
        value = self._entries[key]
        self._entries.move_to_end(key)
        return value

    def __setitem__(self, key: Hashable, value: Any) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __delitem__(self, key: Hashable) -> None:
        del self._entries[key]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The entry ``key``, computed (and stored) when missing."""
        if key not in self._entries:
            self[key] = compute()
        return self[key]


#: Entries a check's own cache keeps (the student's answers replayed within one check).
CHECK_CACHE_ENTRIES = 64
#: Entries :attr:`CheckContext.recordings` keeps (models, streams, runs of trusted kit code):
#: one assignment's public and hidden streams are about a dozen; a stream is a few megabytes.
RECORDING_ENTRIES = 32


@dataclass
class CheckContext:
    """What a verdict works with: the system, the wrapped student code and two bounded caches.

    ``cache`` lives for one check (the model, what the student's code answered);
    ``recordings`` holds data only trusted kit code recorded (drift streams and their segments)
    and may be shared by the checks of one run, see :func:`run_check`.
    """

    system: System
    extensions: dict[str, RecordingExtension]
    cache: BoundedCache = field(default_factory=lambda: BoundedCache(CHECK_CACHE_ENTRIES))
    recordings: BoundedCache = field(default_factory=lambda: BoundedCache(RECORDING_ENTRIES))

    def naive_metric(self, key: str, compute: Callable[[], float]) -> float:
        """A baseline figure (e.g. the unguarded system's utility), computed once per check."""
        return float(self.cache.remember(key, compute))

    def model(self) -> Any:
        """The system's committed model, loaded once per check.

        Not shared with other checks: sharing one model object between the checks of a judged
        notebook changed a golden sample's hidden score, so a check never sees what another
        check's runs may have left in it.
        """
        return self.cache.remember(("model", self.system.name), self.system.load_model)


#: Judges one scenario. Kit verdicts take a :class:`Scenario`; the parameter is ``Any`` so that
#: verdicts typed with a plain ``dict[str, Any]`` (a course's own checks) fit as well.
Verdict = Callable[[CheckContext, Any], ScenarioOutcome]
#: The scenarios of a family for a system: :class:`Scenario` dicts (or plain dicts).
Scenarios = Callable[["System"], Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class Check:
    """A named scenario family + a verdict + points (+ partial credit) + a hint.

    ``scenarios`` returns the family's scenarios for the given system; ``verdict`` judges one
    scenario. With ``partial_credit`` the points are ``max_points`` times the mean credit over
    the scenarios, otherwise every scenario must earn full credit.

    ``side_by_side`` says the scenarios' runs may share the student's process at once (calls
    of different runs interleave, each run's own calls stay in order): the autograder's judge
    then runs them side by side and sends their waiting calls to the sandbox in one message.
    Set it only where the task promises students no more order than that.
    """

    name: str
    assignment: str
    summary: str
    max_points: float
    hint: str
    extensions: tuple[ExtensionSpec, ...]
    scenarios: Scenarios
    verdict: Verdict
    public: bool = True
    partial_credit: bool = True
    side_by_side: bool = False


@dataclass(frozen=True)
class CheckResult:
    """The result of one check, plain and JSON-able.

    ``scenario`` is the first scenario that did not earn full credit, complete. ``repro`` is
    one line of Python that reproduces the failure in the notebook: the failing call of the
    student's function, complete, or (public checks) a :func:`mlip.checks.repro.replay` of the
    scenario; empty when there is none. ``margins`` are the figures the
    verdict measured, each at the scenario where it came closest to its limit, so a passing
    check shows its headroom.
    """

    check: str
    points: float
    max_points: float
    passed: bool
    message: str
    hint: str
    scenario: dict[str, Any] | None
    repro: str = ""
    margins: tuple[Margin, ...] = ()

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
            "repro": self.repro,
            "margins": [margin.to_dict() for margin in self.margins],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        """Rebuild a result from :meth:`to_dict` output (coercing every field)."""
        scenario = data.get("scenario")
        margins = data.get("margins") or []
        return cls(
            check=str(data["check"]),
            points=float(data["points"]),
            max_points=float(data["max_points"]),
            passed=bool(data["passed"]),
            message=str(data["message"]),
            hint=str(data.get("hint", "")),
            scenario=plain(scenario) if isinstance(scenario, Mapping) else None,
            repro=str(data.get("repro") or ""),
            margins=tuple(
                Margin(
                    figure=str(item["figure"]),
                    value=float(item["value"]),
                    limit=float(item["limit"]),
                    unit=str(item.get("unit", "")),
                    higher_is_better=bool(item.get("higher_is_better", False)),
                )
                for item in margins
                if isinstance(item, Mapping)
            ),
        )

    def margin_lines(self) -> list[str]:
        """One line per measured figure, e.g. ``delay: 120 events (limit <= 300 events)``."""
        return [margin.describe() for margin in self.margins]


def describe_scenario(scenario: Mapping[str, Any]) -> str:
    """A scenario as one short line, e.g. ``fault=nan, sensor_fault=stuck_ir, seed=1, n=200``."""
    parts: list[str] = []
    for key, value in scenario.items():
        if isinstance(value, Mapping):
            parts.extend(f"{inner}={item}" for inner, item in value.items())
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts) or "default"


@dataclass(frozen=True)
class _Failure:
    """A scenario that did not earn full credit, and what the student reads about it."""

    scenario: Mapping[str, Any]
    message: str
    hint: str
    repro: str
    #: True when the system's behaviour failed (not a student's function that raised or is
    #: not written yet): replaying the scenario then shows what happened.
    replayable: bool


#: Runs independent thunks (one per scenario) and returns their results in the thunks' order;
#: the judge's runs them side by side (see :attr:`Check.side_by_side`).
ScenarioRunner = Callable[[Sequence[Callable[[], Any]]], list[Any]]


def run_check(
    check: Check,
    extensions: Extensions,
    *,
    system: System | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    recordings: BoundedCache | None = None,
    scenario_runner: ScenarioRunner | None = None,
) -> CheckResult:
    """Run every scenario of ``check`` with the student's ``extensions`` and score it.

    A missing extension function, an extension that raises, or a system that crashes with the
    student's code plugged in all count as that scenario failing, with a message saying why.
    ``recordings`` lets the checks of one run share what trusted kit code recorded (models,
    drift streams); without it this check records its own. ``scenario_runner`` runs the
    scenarios of a :attr:`~Check.side_by_side` check (each with its own context and wrapped
    extensions, sharing the check's caches); the results are assembled in scenario order, so
    the score is the same as one scenario after the other. Without it, or for other checks,
    the scenarios run one after the other here.
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
    if system is None:
        from mlip.assignments import get_assignment

        system = get_system(get_assignment(check.assignment).system)
    context = CheckContext(system=system, extensions={})
    if recordings is not None:
        context.recordings = recordings
    scenarios = list(check.scenarios(context.system))

    def judge(
        index: int, scenario: Mapping[str, Any]
    ) -> tuple[ScenarioOutcome, ExtensionFailure | None]:
        if progress is not None:
            progress(index, len(scenarios), f"{check.name}: {describe_scenario(scenario)}")
        own = CheckContext(
            system=context.system,
            extensions={
                spec.name: RecordingExtension(spec, extensions[spec.name])
                for spec in check.extensions
            },
            cache=context.cache,
            recordings=context.recordings,
        )
        return _judge_scenario(check, own, scenario)

    if scenario_runner is not None and check.side_by_side and len(scenarios) > 1:
        judged = scenario_runner(
            [partial(judge, index, scenario) for index, scenario in enumerate(scenarios)]
        )
    else:
        judged = [judge(index, scenario) for index, scenario in enumerate(scenarios)]
    credits: list[float] = []
    failures: list[_Failure] = []
    tightest: dict[str, Margin] = {}
    for scenario, (outcome, failure) in zip(scenarios, judged, strict=True):
        credits.append(outcome.earned)
        for margin in outcome.margins:
            known = tightest.get(margin.figure)
            if known is None or margin.headroom < known.headroom:
                tightest[margin.figure] = margin
        if outcome.earned < 1.0:
            hint = failure.hint() if failure is not None else outcome.hint or check.hint
            repro = failure.call() if failure is not None else ""
            failures.append(_Failure(scenario, outcome.message, hint, repro, failure is None))
    if progress is not None:
        progress(len(scenarios), len(scenarios), check.name)
    return _score(check, credits, failures, tuple(tightest.values()))


def _judge_scenario(
    check: Check, context: CheckContext, scenario: Mapping[str, Any]
) -> tuple[ScenarioOutcome, ExtensionFailure | None]:
    """One scenario's outcome, and the first failure of a student's function in it."""
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
    return outcome, failure


def _score(
    check: Check,
    credits: list[float],
    failures: list[_Failure],
    margins: tuple[Margin, ...],
) -> CheckResult:
    total = len(credits)
    if not failures:
        fraction = 1.0
    elif check.partial_credit and total:
        fraction = sum(credits) / total
    else:
        fraction = 0.0
    points = round(check.max_points * fraction, 2)
    if not math.isfinite(points):
        points = 0.0
    if not failures:
        plural = "s" if total != 1 else ""
        message = f"{total} scenario{plural} passed"
        return CheckResult(
            check.name, points, check.max_points, True, message, "", None, margins=margins
        )
    first = failures[0]
    repro = first.repro
    if first.replayable and check.public:
        from mlip.checks.repro import replay_line

        repro = replay_line(check.assignment, check.name, first.scenario)
    summary = f"{describe_scenario(first.scenario)}: {first.message}"
    if total > 1:
        passed_count = total - len(failures)
        summary += f" ({passed_count}/{total} scenarios passed"
        partial = len([credit for credit in credits if 0.0 < credit < 1.0])
        summary += f", {partial} for part of their points)" if partial else ")"
    return CheckResult(
        check.name,
        points,
        check.max_points,
        False,
        summary,
        first.hint,
        plain(first.scenario),
        repro=repro,
        margins=margins,
    )
