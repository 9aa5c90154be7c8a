"""``assignments/build.py``: jupytext percent sources rendered by jinja2, strictly.

The home-made engine this replaced stopped substituting after three passes and had no escape;
these cases pin what the new one does instead.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mlip_build", ROOT / "assignments" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mlip_build"] = module
    spec.loader.exec_module(module)
    return module


def write(root: Path, **templates: str) -> Path:
    for name, text in templates.items():
        (root / f"{name}.py.j2").write_text(text, encoding="utf-8")
    return root


def test_an_undefined_variable_fails_the_build_and_is_named(
    build: ModuleType, tmp_path: Path
) -> None:
    root = write(tmp_path, page='# %% [markdown]\n"""\n# {{ title }} for {{ sytem }}\n"""\n')
    with pytest.raises(build.TemplateError, match="sytem"):
        build.render_template("page.py.j2", {"title": "T", "system": "toaster"}, root=root)


def test_a_four_level_chain_renders_completely(build: ModuleType, tmp_path: Path) -> None:
    root = write(
        tmp_path,
        a='# %%\nx = "{% block b %}{% endblock %}"\n',
        b='{% extends "a.py.j2" %}{% block b %}b-{% block c %}{% endblock %}{% endblock %}',
        c='{% extends "b.py.j2" %}{% block c %}c-{% block d %}{% endblock %}{% endblock %}',
        d='{% extends "c.py.j2" %}{% block d %}{{ d }}{% endblock %}',
    )
    text = build.render_template("d.py.j2", {"d": "done"}, root=root)
    assert 'x = "b-c-done"' in text and "{{" not in text


def test_braces_in_code_are_escaped_not_substituted(build: ModuleType, tmp_path: Path) -> None:
    root = write(
        tmp_path,
        page='# %%\n{% raw %}\nlabel = f"{{name}}"\n{% endraw %}\nother = "{{ "{{" }}x}}"\n',
    )
    cells = build.notebook_cells(build.render_template("page.py.j2", {}, root=root))
    assert cells[0]["source"] == 'label = f"{{name}}"\nother = "{{x}}"'


def test_cell_options_become_nbgrader_metadata(build: ModuleType) -> None:
    text = (
        '# %% [markdown] id="intro" locked=true\n"""\n# Title | with a pipe\n"""\n\n'
        '# %% id="task" solution=true\ndef f():\n    ### BEGIN SOLUTION\n    return 1\n'
        '    ### END SOLUTION\n\n# %% id="test-task" test=true points=3\nassert f() == 1\n\n'
        "# %%\n%time f()\n"
    )
    intro, task, test, plain = build.notebook_cells(text)
    assert intro["metadata"]["nbgrader"]["locked"] is True and intro["id"] == "intro"
    assert intro["source"] == "# Title | with a pipe"
    assert task["metadata"]["nbgrader"]["solution"] is True
    assert test["metadata"]["nbgrader"] == {
        "grade": True,
        "grade_id": "test-task",
        "locked": True,
        "points": 3.0,
        "schema_version": 3,
        "solution": False,
    }
    assert plain["metadata"] == {} and plain["source"] == "%time f()"


def test_an_unknown_cell_option_fails(build: ModuleType) -> None:
    with pytest.raises(build.TemplateError, match="lockd"):
        build.notebook_cells('# %% id="setup" lockd=true\nx = 1\n')
