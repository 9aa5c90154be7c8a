"""Services behind ``mlip systems ...``: list, describe, run and train the example systems.

The checkpoint shipped inside the package is read-only by design: ``train_system`` writes to a
folder of the user's (``./models/<system>/`` by default) and refuses any path inside the
installed package, and ``run_system`` / ``describe_system`` load such a checkpoint when given
one, so a retrained model never silently changes what every later command reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import InputError, MlipError, UsageError
from mlip.systems import (
    Component,
    Condition,
    EventSchema,
    ExtensionPoint,
    ProgressCallback,
    RunResult,
    TelemetrySink,
    TrainReport,
    get_system,
    system_names,
)

__all__ = [
    "DEFAULT_MODELS_DIR",
    "SystemDescription",
    "SystemSummary",
    "default_checkpoint",
    "describe_system",
    "list_systems",
    "load_checkpoint",
    "run_system",
    "run_system_loop",
    "train_system",
]


#: Where ``mlip systems train`` writes by default, relative to the current folder.
DEFAULT_MODELS_DIR = Path("models")


@dataclass(frozen=True)
class SystemSummary:
    """One line of ``mlip systems list``."""

    name: str
    title: str
    summary: str
    default_n: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "summary": self.summary,
            "default_n": self.default_n,
        }


@dataclass(frozen=True)
class SystemDescription:
    """Everything ``mlip systems show`` draws: architecture, extension points, telemetry."""

    name: str
    title: str
    summary: str
    components: tuple[Component, ...]
    extension_points: tuple[ExtensionPoint, ...]
    conditions: tuple[Condition, ...]
    telemetry: tuple[EventSchema, ...]
    metrics: tuple[tuple[str, str], ...] = ()
    #: The model checkpoint the ML component loads (the shipped one unless one was given).
    checkpoint: str = ""
    shipped_checkpoint: bool = True
    #: Further facts from :meth:`System.notes` (e.g. the transcription model's vocabulary).
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "summary": self.summary,
            "checkpoint": self.checkpoint,
            "shipped_checkpoint": self.shipped_checkpoint,
            "components": [
                {
                    "name": c.name,
                    "kind": c.kind.value,
                    "description": c.description,
                    "consumes": list(c.consumes),
                    "produces": list(c.produces),
                }
                for c in self.components
            ],
            "extension_points": [
                {
                    "name": e.name,
                    "kind": e.kind,
                    "signature": e.signature,
                    "description": e.description,
                    "attaches_to": e.attaches_to,
                }
                for e in self.extension_points
            ],
            "conditions": [
                {"name": c.name, "values": list(c.values), "description": c.description}
                for c in self.conditions
            ],
            "metrics": dict(self.metrics),
            "notes": list(self.notes),
            "telemetry": [
                {
                    "event": s.event,
                    "description": s.description,
                    "fields": [
                        {"name": f.name, "type": f.type, "description": f.description}
                        for f in s.fields
                    ],
                }
                for s in self.telemetry
            ],
        }


def list_systems() -> tuple[SystemSummary, ...]:
    """Every installed system (the kit's and any registered by a course)."""
    out = []
    for name in system_names():
        system = get_system(name)
        out.append(SystemSummary(name, system.title, system.summary, system.default_n))
    return tuple(out)


def _package_dir() -> Path:
    import mlip

    return Path(mlip.__file__).resolve().parent


def load_checkpoint(system: Any, checkpoint: Path) -> Any:
    """The model in ``checkpoint`` for ``system``; a missing or unusable file is an InputError."""
    if not checkpoint.exists():
        raise InputError(f"checkpoint {checkpoint} does not exist")
    if checkpoint.is_dir():
        raise InputError(f"checkpoint {checkpoint} is a folder; give the model file")
    try:
        return system.load_model(checkpoint)
    except MlipError:
        raise
    except Exception as error:  # any unreadable file is the user's input problem
        raise InputError(
            f"{checkpoint} is not a {system.name} checkpoint: {type(error).__name__}"
        ) from None


def describe_system(*, name: str, checkpoint: Path | None = None) -> SystemDescription:
    """The architecture and interfaces of one system (and which checkpoint its model uses).

    With ``checkpoint`` the file is loaded, so a broken one fails here rather than in a run.
    """
    system = get_system(name)
    if checkpoint is not None:
        load_checkpoint(system, checkpoint)
    return SystemDescription(
        name=system.name,
        title=system.title,
        summary=system.summary,
        components=tuple(system.components()),
        extension_points=tuple(system.extension_points()),
        conditions=tuple(system.conditions()),
        telemetry=tuple(system.telemetry_schema()),
        metrics=tuple(sorted(system.metric_descriptions().items())),
        checkpoint=str(checkpoint if checkpoint is not None else system.checkpoint_path()),
        shipped_checkpoint=checkpoint is None,
        notes=tuple(system.notes()),
    )


@contextmanager
def _telemetry_file(path: Path | None) -> Iterator[TelemetrySink | None]:
    """Open ``path`` for JSON-lines telemetry, failing early with a clear message."""
    if path is None:
        yield None
        return
    if path.is_dir():
        raise InputError(f"telemetry path {path} is a directory; give a file name")
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write telemetry to {path}: {error.strerror}") from None

    def sink(event: dict[str, Any]) -> None:
        handle.write(json.dumps(event, separators=(",", ":")) + "\n")

    with handle:
        yield sink


def run_system(
    *,
    name: str,
    n: int | None = None,
    seed: int = 0,
    conditions: dict[str, str] | None = None,
    telemetry_path: Path | None = None,
    checkpoint: Path | None = None,
    fault: str | None = None,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Simulate ``n`` sessions of system ``name`` (its default size when ``n`` is None).

    ``checkpoint`` replaces the shipped model by one ``mlip systems train`` wrote; ``fault``
    wraps the model in a misbehaving one of that kind (see ``FAULT_KINDS``). Validates the
    arguments before any work starts, so a bad telemetry path, checkpoint or ``n`` fails fast.
    """
    system = get_system(name)
    if n is None:
        n = system.default_n
    if n <= 0:
        raise UsageError(f"--n must be a positive number of sessions, got {n}")
    if seed < 0:
        raise UsageError(f"--seed must be zero or positive, got {seed}")
    checked = system.resolve_conditions(conditions)
    if fault is not None:
        system.check_fault_kind(fault)
    model = load_checkpoint(system, checkpoint) if checkpoint is not None else None
    with _telemetry_file(telemetry_path) as sink:
        return system.run(
            n=n,
            seed=seed,
            model=model,
            fault=fault,
            conditions=checked or None,
            telemetry=sink,
            progress=progress,
        )


def run_system_loop(
    *,
    name: str,
    rounds: int,
    seed: int = 0,
    design: str = "naive",
    n: int | None = None,
    progress: ProgressCallback | None = None,
) -> Any:
    """Run system ``name`` for ``rounds`` rounds of its feedback loop (a ``LoopResult``).

    Each round the system acts with the current model, collects the labels ``design``
    produces and retrains on them (see :mod:`mlip.systems.loops`).
    """
    from mlip.systems.loops import run_loop

    get_system(name)  # unknown names fail the same way as for every other command
    if seed < 0:
        raise UsageError(f"--seed must be zero or positive, got {seed}")
    return run_loop(name, rounds=rounds, seed=seed, design=design, n=n, progress=progress)


def default_checkpoint(name: str) -> Path:
    """Where ``mlip systems train NAME`` writes by default: ``./models/NAME/<shipped name>``."""
    return DEFAULT_MODELS_DIR / name / get_system(name).checkpoint_path().name


def train_system(
    *,
    name: str,
    seed: int = 0,
    quick: bool = False,
    checkpoint: Path | None = None,
    progress: ProgressCallback | None = None,
) -> TrainReport:
    """Retrain the ML component of system ``name`` from data its own environment generates.

    Writes ``checkpoint`` (default :func:`default_checkpoint`, whose folder is created); never a
    file inside the installed package, whose shipped checkpoint every other command relies on.
    """
    system = get_system(name)
    if checkpoint is None:
        checkpoint = default_checkpoint(name)
        try:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"cannot create {checkpoint.parent}: {error.strerror}") from None
    if checkpoint.is_dir():
        raise InputError(f"checkpoint path {checkpoint} is a directory; give a file name")
    if not checkpoint.parent.exists():
        raise InputError(f"cannot write checkpoint: folder {checkpoint.parent} does not exist")
    if checkpoint.resolve().is_relative_to(_package_dir()):
        raise UsageError(
            f"{checkpoint} is inside the installed mlip package, whose shipped checkpoint is "
            "read-only by design; write your model elsewhere (e.g. the default ./models/)"
        )
    return system.train(seed=seed, quick=quick, checkpoint=checkpoint, progress=progress)
