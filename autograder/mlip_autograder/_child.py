"""The untrusted side: runs a student's notebook inside the sandbox and answers calls.

This file is executed as a script *inside* the sandbox (it is bind-mounted read-only; nothing
else of ``mlip_autograder`` is visible there). It uses only the standard library and IPython (to
understand ``%magics``). Protocol, one JSON object per line on the original stdin/stdout:

1. parent -> child: ``{"notebook": PATH, "skip": [cell indices], "cell_seconds": S,
   "call_seconds": S, "max_output_chars": N}``
2. child -> parent: ``{"cell": i, "outputs": [...]}`` after each executed code cell, then
   ``{"done": true, "functions": [names]}``.
3. parent -> child: ``{"call": NAME, "args": [...]}``; child -> parent ``{"ok": VALUE}`` or
   ``{"error": "..."}``. A batch ``{"call": [[NAME, ARGS], ...]}`` gets a list of such answers
   (calls run in order, each under its own ``call_seconds`` alarm, exactly like single calls).
   With ``"stop_on_error": true`` the calls after the first error are not run: their answers
   repeat that error with ``"skipped": true``. ``{"exit": true}`` ends the process.

NaN and infinities travel as Python's JSON extensions (``NaN``, ``Infinity``). Only plain
JSON leaves this process: a returned object is converted here (numbers, strings,
booleans, lists, dicts) or reported as an error, so no object with a lying ``__eq__`` can ever
reach the judge.
"""

from __future__ import annotations

import ast
import io
import json
import os
import signal
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

NOBODY = 65534


class CellTimeout(BaseException):
    """Raised by the alarm when a cell or a call runs longer than allowed."""


def _on_alarm(signum: int, frame: object) -> None:
    raise CellTimeout("took longer than the time limit")


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


def _plain(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        raise TypeError("value is nested too deeply")
    if value is None or type(value) in (bool, str):
        return value
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
    """Executes cells in one namespace, the way a Jupyter kernel would."""

    def __init__(self, max_output_chars: int) -> None:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        self.shell = InteractiveShell.instance(config=config)
        self.namespace = self.shell.user_ns
        self.max_output_chars = max_output_chars
        self.count = 0

    def run(self, index: int, source: str, seconds: float) -> list[dict[str, Any]]:
        self.count += 1
        stdout, stderr = io.StringIO(), io.StringIO()
        outputs: list[dict[str, Any]] = []
        value: Any = None
        error: dict[str, Any] | None = None
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            with redirect_stdout(stdout), redirect_stderr(stderr):
                code = self.shell.transform_cell(source)
                tree = ast.parse(code, filename=f"<cell {index}>")
                last = None
                if tree.body and isinstance(tree.body[-1], ast.Expr):
                    last = ast.Expression(tree.body.pop().value)
                exec(compile(tree, f"<cell {index}>", "exec"), self.namespace)
                if last is not None:
                    value = eval(compile(last, f"<cell {index}>", "eval"), self.namespace)
        except BaseException as exc:  # the student's error is an output, like in a kernel
            error = {
                "output_type": "error",
                "ename": type(exc).__name__,
                "evalue": _clip(str(exc), 2000),
                "traceback": _clip(traceback.format_exc(), self.max_output_chars).splitlines(),
            }
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for name, stream in (("stdout", stdout), ("stderr", stderr)):
            text = stream.getvalue()
            if text:
                outputs.append(
                    {
                        "output_type": "stream",
                        "name": name,
                        "text": _clip(text, self.max_output_chars),
                    }
                )
        if error is not None:
            outputs.append(error)
        elif value is not None:
            try:
                shown = repr(value)
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


def main() -> None:
    _drop_privileges()
    protocol_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdin = io.StringIO()
    signal.signal(signal.SIGALRM, _on_alarm)

    def send(message: dict[str, Any]) -> None:
        protocol_out.write(json.dumps(message) + "\n")
        protocol_out.flush()

    request = json.loads(protocol_in.readline())
    with open(request["notebook"], encoding="utf-8") as handle:
        notebook = json.load(handle)
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
    sink = io.StringIO()
    sys.stdout = sys.stderr = sink  # prints inside calls are dropped, not sent to the judge
    namespace = runner.namespace
    dumps = json.dumps
    for line in protocol_in:
        message = json.loads(line)
        if "call" not in message:
            break
        calls = message["call"]
        batch = isinstance(calls, list)
        answers = []
        failed: dict[str, Any] | None = None
        for name, args in calls if batch else [(calls, message.get("args", []))]:
            if failed is not None:  # stop_on_error: the rest are not run
                answers.append({**failed, "skipped": True})
                continue
            answer = _answer(namespace, name, args, call_seconds)
            answers.append(answer)
            if "error" in answer and message.get("stop_on_error"):
                failed = answer
        protocol_out.write(dumps(answers if batch else answers[0]) + "\n")
        protocol_out.flush()
        if sink.tell() > 1_000_000:
            sink.seek(0)
            sink.truncate()


def _answer(namespace: dict[str, Any], name: str, args: list[Any], seconds: float) -> Any:
    function = namespace.get(name)
    if not callable(function):
        return {"error": f"NameError: no function {name!r}"}
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return {"ok": _plain(function(*args))}
    except BaseException as exc:
        text = str(exc)
        return {"error": f"{type(exc).__name__}: {text}" if text else type(exc).__name__}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


if __name__ == "__main__":
    main()
