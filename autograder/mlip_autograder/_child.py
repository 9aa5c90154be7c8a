"""The untrusted side: runs a student's notebook inside the sandbox and answers calls.

This file is executed as a script *inside* the sandbox (it is bind-mounted read-only; nothing
else of ``mlip_autograder`` is visible there). It uses only the standard library and
:mod:`mlip.notebooks` (mounted read-only with the rest of ``mlip``), whose cell runner is the one
``mlip check`` uses: ``%magics`` run and shell commands are skipped the same way in both.
Protocol on the original stdin/stdout:

- parent -> child: one message per frame, a 4-byte little-endian length and a pickle of plain
  data (dicts, lists, numbers, strings). Pickle only ever travels *into* the sandbox: the judge
  is trusted, and binary floats cost a tenth of JSON text on the hot path of a simulation.
- child -> parent: one JSON object per line. The judge never unpickles anything.

1. parent: ``{"notebook": PATH, "skip": [cell indices], "cell_seconds": S, "call_seconds": S,
   "max_output_chars": N, "path": [import roots]}`` (``path``: where packages registering
   systems or assignments live outside site-packages; ``python -I`` ignores ``PYTHONPATH``)
2. child: ``{"cell": i, "started": true}`` and ``{"cell": i, "outputs": [...]}`` around each
   executed code cell, then ``{"done": true, "functions": [names]}``.
3. parent: ``{"call": NAME, "batch": [ARGS, ...], "stop_on_error": BOOL}``; child: ``{"ok":
   [VALUE, ...], "errors": [[INDEX, "Type: message"], ...]}`` (a failed call's value is null).
   Calls run in order, each under its own ``call_seconds`` limit (a call stopped by it answers
   ``"CallTimeout: ..."``). With ``stop_on_error`` the
   calls after the first error are not run and answer that same error.
   ``{"groups": [[NAME, [ARGS, ...], STOP_ON_ERROR], ...]}`` sends several such batches at
   once (the judge's side-by-side scenarios); child: ``{"groups": [{"ok": ..., "errors":
   ...}, ...]}``, one answer per batch, the batches run in order.
   ``{"exit": true}`` ends the process.

NaN and infinities travel as Python's JSON extensions (``NaN``, ``Infinity``). Only plain
JSON leaves this process: a returned object is converted here (numbers, strings,
booleans, lists, dicts) or reported as an error, so no object with a lying ``__eq__`` can ever
reach the judge.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import struct
import sys
import time
import traceback
from collections.abc import Iterator
from typing import Any, ClassVar

NOBODY = 65534


class CellTimeout(BaseException):
    """Raised by the alarm when a cell or a call runs longer than allowed."""


class _Alarm:
    """The time limits: one timer for a cell; one periodic timer for the whole call phase.

    The judge makes tens of thousands of batches of calls per submission, and arming a timer
    costs system calls. So once the cells have run, one periodic timer ticks every
    ``call_seconds``; each call only notes when it started (``running[0]``, a list item: the
    cheapest store). A tick between calls does nothing; a tick during a call that still has
    time left re-arms the timer for the rest; a call past its limit is stopped.
    """

    calls = False  # cells raise at once; in the call phase a call is judged by its start
    running: ClassVar[list[float | None]] = [None]  # the running call's start; None: no call
    seconds = 0.0

    @classmethod
    def on_signal(cls, signum: int, frame: object) -> None:
        if cls.calls:
            started = cls.running[0]
            if started is None:  # between calls, or waiting for the judge's next batch
                return
            remaining = started + cls.seconds - time.monotonic()
            if remaining > 0.0005:
                signal.setitimer(signal.ITIMER_REAL, remaining, cls.seconds)
                return
        raise CellTimeout("took longer than the time limit")

    @classmethod
    def start_calls(cls, seconds: float) -> None:
        """Enter the call phase: every call limited to ``seconds``."""
        cls.seconds, cls.calls, cls.running[0] = seconds, True, None
        signal.setitimer(signal.ITIMER_REAL, seconds, seconds)


def _drop_privileges() -> None:
    """When started as root (bubblewrap without a user namespace), become ``nobody``.

    Process limits (RLIMIT_NPROC) are not enforced for root, so a fork bomb is only contained
    once the student's code runs under an unprivileged uid.
    """
    if os.environ.get("MLIP_SANDBOX_DROP") == "1" and os.getuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        if os.getuid() == 0:  # pragma: no cover - setuid silently failed
            raise SystemExit("could not drop privileges")


_ATOMS = frozenset({type(None), bool, int, float, str})


def _plain(value: Any, depth: int = 0) -> Any:
    if type(value) in _ATOMS and depth <= 20:  # the common answer: a bool or a float
        return value
    if depth > 20:
        raise TypeError("value is nested too deeply")
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, depth + 1) for item in value]
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return _plain(item(), depth + 1)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and type(value).__module__.split(".")[0] == "mlip":
        # kit objects (Requirement, FaultTree...) travel as their data; the judge rebuilds and
        # re-validates them, so a forged object gains nothing
        return _plain(to_dict(), depth + 1)
    raise TypeError(f"returned a {type(value).__name__} object, not plain data")


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... output truncated ({len(text) - limit} more characters)"


class Runner:
    """Executes cells in one namespace with :class:`mlip.notebooks.CellRunner` (the runner
    ``mlip check`` uses too), turning each cell's run into nbformat outputs."""

    def __init__(self, max_output_chars: int) -> None:
        import types

        from mlip.notebooks import CellRunner

        main = types.ModuleType("__main__")
        sys.modules["__main__"] = main  # where notebook helpers look for the student's names
        self.cells = CellRunner(main)
        self.namespace = self.cells.namespace
        self.max_output_chars = max_output_chars
        self.count = 0

    def run(self, index: int, source: str, seconds: float) -> list[dict[str, Any]]:
        self.count += 1
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            ran = self.cells.run(source, filename=f"<cell {index}>")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        outputs: list[dict[str, Any]] = []
        for name, text in (("stdout", ran.stdout), ("stderr", ran.stderr)):
            if text:
                outputs.append(
                    {
                        "output_type": "stream",
                        "name": name,
                        "text": _clip(text, self.max_output_chars),
                    }
                )
        if ran.error is not None:
            exc = ran.error
            outputs.append(
                {
                    "output_type": "error",
                    "ename": type(exc).__name__,
                    "evalue": _clip(str(exc), 2000),
                    "traceback": _clip(
                        "".join(traceback.format_exception(exc)), self.max_output_chars
                    ).splitlines(),
                }
            )
        elif ran.value is not None:
            try:
                shown = repr(ran.value)
            except BaseException as exc:
                shown = f"<unprintable {type(exc).__name__}>"
            outputs.append(
                {
                    "output_type": "execute_result",
                    "execution_count": self.count,
                    "data": {"text/plain": _clip(shown, self.max_output_chars)},
                    "metadata": {},
                }
            )
        return outputs


def _reader(stream: Any) -> Iterator[Any]:
    """Frames from the judge: a 4-byte length, then a pickle of plain data."""
    while True:
        header = stream.read(4)
        if len(header) < 4:
            return
        (size,) = struct.unpack("<I", header)
        yield pickle.loads(stream.read(size))


def main() -> None:
    _drop_privileges()
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdin = io.StringIO()
    signal.signal(signal.SIGALRM, _Alarm.on_signal)

    dumps = json.JSONEncoder().encode

    def send(message: Any) -> None:
        frame = memoryview((dumps(message) + "\n").encode())
        while frame:  # one system call per message, short writes resumed
            frame = frame[os.write(protocol_out, frame) :]

    messages = _reader(protocol_in)
    request = next(messages, None)
    if not isinstance(request, dict):
        return
    with open(request["notebook"], encoding="utf-8") as handle:
        notebook = json.load(handle)
    sys.path.extend(str(entry) for entry in request.get("path", []) if entry not in sys.path)
    skip = set(request.get("skip", []))
    runner = Runner(int(request.get("max_output_chars", 10_000)))
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code" or index in skip:
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        send({"cell": index, "started": True})
        outputs = runner.run(index, source, float(request.get("cell_seconds", 30)))
        send({"cell": index, "outputs": outputs})
    functions = sorted(
        name
        for name, item in runner.namespace.items()
        if callable(item) and not name.startswith("_")
    )
    send({"done": True, "functions": functions})

    call_seconds = float(request.get("call_seconds", 5))
    _Alarm.start_calls(call_seconds)
    sink = io.StringIO()
    sys.stdout = sys.stderr = sink  # prints inside calls are dropped, not sent to the judge
    for message in messages:
        if not isinstance(message, dict) or not ("call" in message or "groups" in message):
            break
        if "groups" in message:  # several scenarios' batches, answered together
            answers = []
            for name, batch, stop_on_error in message["groups"]:
                values, errors = _run_batch(
                    runner.namespace.get(name),
                    str(name),
                    batch,
                    call_seconds,
                    stop_on_error=bool(stop_on_error),
                )
                answers.append({"ok": values, "errors": errors})
                if sink.tell() > 1_000_000:  # as after a single batch: printing costs alike
                    sink.seek(0)
                    sink.truncate()
            send({"groups": answers})
        else:
            values, errors = _run_batch(
                runner.namespace.get(message["call"]),
                str(message["call"]),
                message.get("batch", []),
                call_seconds,
                stop_on_error=bool(message.get("stop_on_error")),
            )
            send({"ok": values, "errors": errors})
        if sink.tell() > 1_000_000:
            sink.seek(0)
            sink.truncate()


def _error_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _run_batch(
    function: Any, name: str, batch: list[Any], seconds: float, *, stop_on_error: bool
) -> tuple[list[Any], list[list[Any]]]:
    """Call ``function(*args)`` for each args of ``batch``; (plain values, [index, error]).

    The loop is the hot path of grading (tens of thousands of batches per submission): per call
    it only notes the start time (the periodic timer of :class:`_Alarm` does the rest), calls
    and stores the answer by index, so a time limit that strikes anywhere in a call's step
    still leaves exactly one answer per call.
    """
    if not callable(function):
        text = f"NameError: no function {name!r}"
        return [None] * len(batch), [[index, text] for index in range(len(batch))]
    values: list[Any] = [None] * len(batch)
    errors: list[list[Any]] = []
    monotonic = time.monotonic
    running = _Alarm.running
    atoms = _ATOMS
    for index, args in enumerate(batch):
        if errors and stop_on_error:  # the rest are not run: they answer the same error
            errors.append([index, errors[0][1]])
            continue
        try:
            running[0] = monotonic()
            value = function(*args)
            values[index] = value if type(value) in atoms else _plain(value)
            running[0] = None
        except CellTimeout:  # the judge reports this call as a timeout
            running[0] = values[index] = None
            errors.append([index, f"CallTimeout: took longer than the time limit ({seconds:g} s)"])
        except BaseException as exc:  # the student's error is this answer
            running[0] = values[index] = None
            errors.append([index, _error_text(exc)])
    return values, errors


if __name__ == "__main__":
    main()
