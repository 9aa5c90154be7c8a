"""Notebooks, read and run one way everywhere: ``mlip check``, ``mlip submit`` and the judge.

- reading: :func:`load_notebook` (one-line :class:`~mlip.errors.InputError` for a file that is
  not a usable notebook), :func:`source_text`, :func:`nbgrader_meta`;
- which cell is what: :func:`grade_cells`, :func:`check_cells` (graded cells calling
  ``system_check("ID", "NAME")`` / ``hidden_check(...)``), :func:`unit_test_cells`,
  :func:`cell_role`;
- running: :class:`CellRunner` executes cells as a Jupyter kernel would (IPython's
  ``transform_cell``: ``%magics``, ``%%cell magics``, ``x?``), except that shell commands
  (``!ls``, ``%pip``, ``%%bash``...) are skipped with a message, identically in every place.

The judge wraps the same runner in its jail; ``mlip check`` runs it in a child process.
"""

from mlip.notebooks._cells import (
    CheckCell,
    cell_role,
    check_call,
    check_cells,
    grade_cells,
    load_notebook,
    nbgrader_meta,
    source_text,
    unit_test_cells,
)
from mlip.notebooks._runner import SHELL_SKIPPED, CellRun, CellRunner

__all__ = [
    "SHELL_SKIPPED",
    "CellRun",
    "CellRunner",
    "CheckCell",
    "cell_role",
    "check_call",
    "check_cells",
    "grade_cells",
    "load_notebook",
    "nbgrader_meta",
    "source_text",
    "unit_test_cells",
]
