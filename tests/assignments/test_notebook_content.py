"""What the released notebooks say and show (issue 14, item 4).

Every name a notebook mentions can be imported as written; every assignment lets the student
try their functions on the running system; Markdown tables render the same in JupyterLab,
nbconvert/nbgrader feedback and the docs site; the architecture diagram is embedded; the
transcription notebooks publish the model's vocabulary.
"""

from __future__ import annotations

import ast
import base64
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from mlip.assignments import ASSIGNMENTS, get_assignment, release_dir

ROOT = Path(__file__).resolve().parents[2]
#: Modules whose public names a notebook may mention.
PUBLIC_MODULES = ("mlip.systems", "mlip.monitoring", "mlip.requirements", "mlip.checks.notebook")
IDS = [assignment.id for assignment in ASSIGNMENTS]


def release_notebook(assignment_id: str) -> dict[str, Any]:
    name = get_assignment(assignment_id).notebooks[0]
    data: dict[str, Any] = json.loads((release_dir(assignment_id) / name).read_text("utf-8"))
    return data


def text(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else str(source)


def cells(notebook: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == kind]


def code_trees(notebook: dict[str, Any]) -> list[ast.Module]:
    trees = []
    for cell in cells(notebook, "code"):
        try:
            trees.append(ast.parse(text(cell)))
        except SyntaxError:  # a cell with IPython syntax binds nothing we check
            continue
    return trees


def bound_names(notebook: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for tree in code_trees(notebook):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def mentioned_names(notebook: dict[str, Any]) -> set[str]:
    """The leading identifier of every inline code span of the Markdown cells."""
    found: set[str] = set()
    for cell in cells(notebook, "markdown"):
        for span in re.findall(r"`([^`]+)`", text(cell)):
            match = re.match(r"[A-Za-z_]\w*", span)
            if match:
                found.add(match.group(0))
    return found


def public_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            names.setdefault(name, module_name)
    return names


@pytest.mark.parametrize("assignment_id", IDS)
def test_every_kit_name_a_notebook_mentions_is_imported(assignment_id: str) -> None:
    notebook = release_notebook(assignment_id)
    public = public_names()
    missing = sorted(
        f"{name} (from {public[name]})"
        for name in mentioned_names(notebook) & set(public)
        if name not in bound_names(notebook)
    )
    assert not missing, f"{assignment_id} mentions but never imports: {missing}"


@pytest.mark.parametrize("assignment_id", IDS)
def test_every_import_line_of_a_notebook_works_as_written(assignment_id: str) -> None:
    for tree in code_trees(release_notebook(assignment_id)):
        imports: list[ast.stmt] = [
            node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
        ]
        code = compile(ast.Module(body=imports, type_ignores=[]), assignment_id, "exec")
        exec(code, {})  # raises ImportError for a name that is not where the notebook says


@pytest.mark.parametrize("assignment_id", IDS)
def test_every_assignment_has_a_try_it_cell_on_the_running_system(assignment_id: str) -> None:
    assignment = get_assignment(assignment_id)
    notebook = release_notebook(assignment_id)
    (try_it,) = [cell for cell in notebook["cells"] if cell.get("id") == "try-it"]
    source = text(try_it)
    runs_system = "system.run(" in source and "extensions=" in source
    runs_loop = "run_loop(" in source and "deploy=deploy_retrained" in source  # feedback loops
    assert runs_system or runs_loop
    assert "nbgrader" not in try_it["metadata"], "the playground is neither locked nor graded"
    from mlip.systems import get_system

    points = {point.name for point in get_system(assignment.system).extension_points()}
    for task in assignment.tasks:
        if task.extension in points:
            assert f'"{task.extension}": {task.extension}' in source, task.extension


def _tables(html: str) -> list[str]:
    return re.findall(r"<table>.*?</table>", html, flags=re.DOTALL)


@pytest.mark.parametrize("assignment_id", IDS)
def test_markdown_tables_render_without_stray_backslashes(assignment_id: str) -> None:
    """nbconvert's HTML (what nbgrader's feedback uses) shows pipes as pipes, and the diagram."""
    import nbformat
    from nbconvert import HTMLExporter

    name = get_assignment(assignment_id).notebooks[0]
    notebook = nbformat.read(release_dir(assignment_id) / name, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    tables = _tables(html)
    assert tables and 'src="data:image/svg+xml;base64,' in html
    for table in tables:
        assert "\\|" not in table, table
        header = len(re.findall(r"<th[ >]", table))
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.DOTALL)[1:]:
            assert len(re.findall(r"<td[ >]", row)) == header, row


def test_a_signature_with_a_pipe_renders_as_a_pipe_on_the_docs_site() -> None:
    import markdown

    sys.path.insert(0, str(ROOT / "docs"))
    from mlip_docs._markdown import code, table

    page = table(["name", "signature"], [[code("monitor"), code("monitor(e) -> str | None")]])
    html = markdown.markdown(page, extensions=["tables"])
    assert "\\|" not in html and "str &#124; None" in html


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_architecture_diagram_is_embedded(assignment_id: str) -> None:
    from mlip.systems import get_system

    system = get_system(get_assignment(assignment_id).system)
    intro = release_notebook(assignment_id)["cells"][0]
    assert "](attachment:architecture.svg)" in text(intro)
    data = intro["attachments"]["architecture.svg"]["image/svg+xml"]  # nbformat may split lines
    svg = base64.b64decode("".join(data) if isinstance(data, list) else data).decode()
    assert svg.lstrip().startswith("<svg") and system.title in svg


@pytest.mark.parametrize("assignment_id", [i for i in IDS if i.endswith("-transcription")])
def test_transcription_notebooks_publish_the_vocabulary(assignment_id: str) -> None:
    sys.path.insert(0, str(ROOT / "docs"))
    from mlip_docs.vocabulary import system_vocabulary

    words = system_vocabulary("transcription")
    assert words and len(words) > 50
    intro = text(release_notebook(assignment_id)["cells"][0])
    assert all(f"`{word}`" in intro for word in words)


@pytest.mark.parametrize("assignment_id", [i for i in IDS if not i.startswith("guards-")])
def test_only_the_guards_notebooks_speak_of_guards_the_student_wrote(assignment_id: str) -> None:
    notebook = release_notebook(assignment_id)
    assert not any("your guard" in text(cell).lower() for cell in notebook["cells"])


def test_hidden_check_announcement_fits_every_topic(capsys: pytest.CaptureFixture[str]) -> None:
    from mlip.checks.notebook import hidden_check

    hidden_check("monitoring-tax", "hidden-drift")
    assert "guard" not in capsys.readouterr().out
