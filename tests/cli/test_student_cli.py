"""The student commands end to end: assignments list, new, check, submit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlip.cli import app, main

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_assignments_list_json_and_table() -> None:
    result = runner.invoke(app, ["assignments", "list", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    ids = [item["id"] for item in data["assignments"]]
    assert {"guards-toaster", "guards-tax", "guards-transcription"} <= set(ids)
    first = data["assignments"][0]
    assert first["chapter"]["url"].startswith("https://mlip-cmu.github.io/book/")
    assert first["hidden_checks"] and first["public_checks"]
    table = runner.invoke(app, ["assignments", "list"])
    assert table.exit_code == 0 and "guards-toaster" in table.stdout


def test_new_check_submit_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    created = runner.invoke(app, ["new", "guards", "--system", "tax", "--dir", str(folder)])
    assert created.exit_code == 0, created.output
    assert (folder / "guards.ipynb").is_file()

    fresh = runner.invoke(app, ["check", str(folder), "--json"])
    assert fresh.exit_code == 1
    report = json.loads(fresh.stdout)
    assert report["passed"] is False and report["points"] == 0
    assert all(r["hint"] for r in report["results"] if not r["passed"])

    shutil.copyfile(ROOT / "assignments" / "guards-tax" / "guards.ipynb", folder / "guards.ipynb")
    solved = runner.invoke(app, ["check", str(folder)])
    assert solved.exit_code == 0, solved.output
    assert "PASS" in solved.stdout and "FAIL" not in solved.stdout

    shutil.copyfile(
        ROOT / "mlip" / "assignments" / "release" / "guards-tax" / "guards.ipynb",
        folder / "guards.ipynb",
    )
    submitted = runner.invoke(app, ["submit", str(folder)])
    assert submitted.exit_code == 0, submitted.output
    assert (folder / "guards-tax-submission.zip").is_file()


@pytest.mark.parametrize("system", ["toaster", "transcription"])
def test_solution_of_other_systems_passes(tmp_path: Path, system: str) -> None:
    from mlip.systems import get_system

    if not get_system(system).checkpoint_path().is_file():
        pytest.skip(f"{system} has no committed checkpoint yet")
    folder = tmp_path / system
    assert main(["new", "guards", "--system", system, "--dir", str(folder)]) == 0
    assert main(["check", str(folder)]) == 1
    shutil.copyfile(
        ROOT / "assignments" / f"guards-{system}" / "guards.ipynb", folder / "guards.ipynb"
    )
    assert main(["check", str(folder)]) == 0


def test_usage_errors_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "guard", "--system", "toaster", "--dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert (
        "unknown topic 'guard'; known topics: " in err
        and "guards, " in err  # every registered topic is listed (more register over time)
        and "Traceback" not in err
    )

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f.txt").write_text("x")
    assert main(["new", "guards", "--system", "tax", "--dir", str(tmp_path / "full")]) == 2
    assert "not empty" in capsys.readouterr().err

    folder = tmp_path / "p"
    assert main(["new", "guards", "--system", "tax", "--dir", str(folder)]) == 0
    (folder / "guards.ipynb").write_text("not json")
    assert main(["check", str(folder)]) == 2
    assert main(["submit", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("not valid notebook JSON") == 2 and "Traceback" not in err


def test_new_accepts_the_id_that_assignments_list_prints(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    created = runner.invoke(app, ["new", "guards-tax", "--dir", str(folder), "--json"])
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["assignment"] == "guards-tax"


def test_new_force_names_the_backup_of_a_solved_notebook(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    assert main(["new", "guards", "--system", "tax", "--dir", str(folder)]) == 0
    shutil.copyfile(ROOT / "assignments" / "guards-tax" / "guards.ipynb", folder / "guards.ipynb")
    again = runner.invoke(
        app, ["new", "guards", "--system", "tax", "--dir", str(folder), "--force"]
    )
    assert again.exit_code == 0, again.output
    backups = sorted(folder.glob("guards.ipynb.bak-*"))
    assert len(backups) == 1
    assert backups[0].name in again.output.replace("\n", "")
    solution = (ROOT / "assignments" / "guards-tax" / "guards.ipynb").read_text()
    assert backups[0].read_text() == solution


def _break_cell(folder: Path, grade_id: str, source: str) -> None:
    path = folder / "guards.ipynb"
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = source
    path.write_text(json.dumps(notebook))


def test_check_shows_the_table_when_a_cell_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failing cell is exit 1 with the table of what did run, not exit 2 with nothing."""
    folder = tmp_path / "p"
    assert main(["new", "guards-tax", "--dir", str(folder)]) == 0
    shutil.copyfile(ROOT / "assignments" / "guards-tax" / "guards.ipynb", folder / "guards.ipynb")
    _break_cell(folder, "advice-guard", "undefined_name\n")
    capsys.readouterr()
    assert main(["check", str(folder)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "problem: cell" in out and "raised NameError" in out
    assert "PASS" in out and "test-prompt-policy" in out  # a test cell that ran still passes
    assert "keeps-revenue" in out  # and every check has its row
    assert "did not finish" in out


def test_check_progress_on_a_terminal_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from rich.console import Console

    import mlip.cli._output as output
    import mlip.cli.check as check_command

    folder = tmp_path / "p"
    assert main(["new", "guards-tax", "--dir", str(folder)]) == 0
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    monkeypatch.setattr(output, "err_console", terminal)
    monkeypatch.setattr(check_command, "err_console", terminal)
    capsys.readouterr()
    assert main(["check", str(folder), "--json"]) == 1
    assert screen.getvalue() == ""  # never with --json
    json.loads(capsys.readouterr().out)
    assert main(["check", str(folder)]) == 1
    assert "running check '" in screen.getvalue()


def test_assignments_list_prints_whole_chapter_urls_at_80_columns() -> None:
    from mlip.assignments import ASSIGNMENTS

    table = runner.invoke(app, ["assignments", "list"], env={"COLUMNS": "80"})
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert max(len(line) for line in lines if "https://" not in line) <= 80
    for assignment in ASSIGNMENTS:
        assert any(line.endswith(assignment.chapter.url) for line in lines), assignment.id


def test_check_in_a_folder_of_projects_lists_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("guards-tax", "guards-toaster"):
        assert main(["new", name, "--dir", str(tmp_path / name)]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "holds 2 projects" in err and "guards-tax" in err and "guards-toaster" in err
    assert f"mlip check {tmp_path / 'guards-tax'}" in err


CRASHES_ON_NONE = """def advice_guard(advice: dict, tax_return: dict, risk: float) -> dict | None:
    income = tax_return["wages"] + tax_return["investment_income"]  # None + 1 raises
    if advice.get("kind") == "change_entry" and income >= 0:
        return {**advice, "kind": "review_entry", "suggested_amount": None}
    return advice
"""


def test_check_shows_a_complete_repro_and_the_margins_of_passing_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "p"
    assert main(["new", "guards-tax", "--dir", str(folder)]) == 0
    shutil.copyfile(ROOT / "assignments" / "guards-tax" / "guards.ipynb", folder / "guards.ipynb")
    _break_cell(folder, "advice-guard", CRASHES_ON_NONE)
    capsys.readouterr()
    assert main(["check", str(folder), "--json"]) == 1
    results = {r["check"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    failed = results["safe-under-data-faults"]
    assert failed["scenario"]["conditions"] == {"data_fault": "missing_fields"}
    repro = failed["repro"]
    assert repro.startswith("advice_guard({") and "None" in repro and "..." not in repro
    namespace: dict[str, object] = {}
    exec(CRASHES_ON_NONE, namespace)  # trusted test code: the repro line reproduces the error
    with pytest.raises(TypeError):
        eval(repro, namespace)
    revenue = results["keeps-revenue"]
    assert revenue["passed"] and {m["figure"] for m in revenue["margins"]} == {
        "revenue",
        "users buying protection",
    }
    assert all(m["value"] >= m["limit"] for m in revenue["margins"])

    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "repro safe-under-data-faults:" in out
    line = next(line for line in out.splitlines() if line.startswith("repro safe-under"))
    assert line.endswith(")") and line.split(": ", 1)[1] == repro  # one unwrapped line
    assert "users buying protection" in " ".join(out.split())
