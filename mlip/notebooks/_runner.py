"""One cell runner: a notebook's cells run the way a Jupyter kernel runs them.

Cells are transformed by IPython (``transform_cell``), so ``%time``, ``%%capture``,
``%matplotlib``, ``x?`` and ``%load_ext`` behave as in JupyterLab. Shell commands are the one
exception: ``!ls``, ``x = !ls``, ``%pip``/``%conda``/``%uv``, shell aliases (``%ls``, ``%cp``...)
and script cell magics (``%%bash``, ``%%script``...) do not run; each prints
``SHELL_SKIPPED``'s one line instead and the cell goes on. The same rule holds in ``mlip check``
and in the autograder's jail, so a notebook never passes in one and fails in the other because
of a shell command (installing packages belongs in a terminal, not in a graded notebook).

The runner does not time or isolate anything: ``mlip check`` wraps it in CPU budgets, the judge
in its jail and alarms. Errors are returned, not raised, so the caller decides what a
``KeyboardInterrupt`` or its own timeout exception means.
"""

from __future__ import annotations

import ast
import io
import types
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

__all__ = ["SHELL_SKIPPED", "CellRun", "CellRunner"]

#: What a skipped shell command prints (on stdout: nbgrader zeroes a test cell writing stderr).
SHELL_SKIPPED = (
    "[mlip] skipped shell command {command!r}: shell commands do not run in `mlip check` or the "
    "autograder (install packages in a terminal, not in the notebook)"
)

#: Line magics that run a shell command or a package installer.
_SHELL_LINE_MAGICS = ("sx", "system", "sc", "pip", "conda", "mamba", "micromamba", "uv")
#: Cell magics that start another program (IPython's ScriptMagics, and ``%%!``/``%%sx``).
_SHELL_CELL_MAGICS = (
    "!",
    "sx",
    "system",
    "script",
    "sh",
    "bash",
    "perl",
    "ruby",
    "python",
    "python2",
    "python3",
    "pypy",
)


@dataclass(frozen=True)
class CellRun:
    """What one cell did: its printed text, the value of its last expression, its error."""

    stdout: str
    stderr: str
    #: The value of the cell's last line when it is an expression (``None`` otherwise).
    value: Any = None
    #: The exception the cell raised (a ``SyntaxError`` when it did not compile), if any.
    error: BaseException | None = None


def _skip(command: str) -> None:
    print(SHELL_SKIPPED.format(command=command.strip()))


def _make_shell(module: types.ModuleType) -> Any:
    """An IPython shell bound to ``module``'s namespace whose shell commands are skipped."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class NotebookShell(InteractiveShell):
        def init_sys_modules(self) -> None:
            """Leave ``sys.modules['__main__']`` alone: the caller decides what it is."""

        def system(self, cmd: str) -> None:
            _skip(f"!{cmd}")

        system_raw = system_piped = system

        def getoutput(self, cmd: str, split: bool = True, depth: int = 0) -> list[str]:
            _skip(f"!{cmd}")
            return []

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"  # the same plain text in every report
    shell = NotebookShell(config=config, user_module=module)
    for name in _SHELL_LINE_MAGICS:
        shell.register_magic_function(_line_skipper(name), "line", name)
    for name in _SHELL_CELL_MAGICS:
        shell.register_magic_function(_cell_skipper(name), "cell", name)
    return shell


def _line_skipper(name: str) -> Any:
    def skipped(line: str) -> None:
        _skip(f"%{name} {line}".strip())

    return skipped


def _cell_skipper(name: str) -> Any:
    def skipped(line: str, cell: str) -> None:
        first = cell.strip().splitlines()[0] if cell.strip() else ""
        magic = f"%%{name} {line}".strip()
        _skip(f"{magic}: {first}" if first else magic)

    return skipped


class CellRunner:
    """Runs cells one after another in one namespace (``namespace``), like a kernel.

    ``module`` is the namespace's module (a fresh ``__main__`` by default); callers that let
    helpers find the notebook's functions through ``sys.modules["__main__"]`` install it there.
    The IPython shell is made on first use of a magic, so plain cells cost no IPython start-up.
    """

    def __init__(self, module: types.ModuleType | None = None) -> None:
        from IPython.core.inputtransformer2 import TransformerManager

        self.module = module if module is not None else types.ModuleType("__main__")
        self.module.__dict__.setdefault("__builtins__", __builtins__)
        self.namespace: dict[str, Any] = self.module.__dict__
        self.namespace["get_ipython"] = self._get_ipython
        self._transformer = TransformerManager()
        self._shell: Any = None

    def _get_ipython(self) -> Any:
        if self._shell is None:
            self._shell = _make_shell(self.module)
        return self._shell

    def transform(self, source: str) -> str:
        """The plain Python a cell becomes (magics turned into ``get_ipython()`` calls)."""
        return str(self._transformer.transform_cell(source))

    def run(self, source: str, *, filename: str = "<cell>") -> CellRun:
        """Run one cell; its output is captured, its error returned (never raised)."""
        stdout, stderr = io.StringIO(), io.StringIO()
        value: Any = None
        error: BaseException | None = None
        try:
            with redirect_stdout(stdout), redirect_stderr(stderr):
                tree = ast.parse(self.transform(source), filename=filename)
                last = None
                final = tree.body[-1] if tree.body else None
                if isinstance(final, ast.Expr):
                    tree.body.pop()
                    last = ast.Expression(final.value)
                exec(compile(tree, filename, "exec"), self.namespace)
                if last is not None:
                    value = eval(compile(last, filename, "eval"), self.namespace)
        except BaseException as exc:  # the cell's error is its result, as in a kernel
            error = exc
        return CellRun(stdout.getvalue(), stderr.getvalue(), value, error)
