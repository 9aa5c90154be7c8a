"""``mlip systems ...`` end to end through the one error handler (``mlip.cli.main``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlip.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from mlip import __version__

    code, out, _ = run_cli(capsys, "--version")
    assert code == 0
    assert __version__ in out


def test_list_json_names_every_system(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "systems", "list", "--json")
    assert code == 0
    names = {s["name"] for s in json.loads(out)}
    assert {"toaster", "tax", "transcription"} <= names


@pytest.mark.parametrize("name", ["toaster", "tax", "transcription"])
def test_show_draws_ml_and_non_ml_components(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, _ = run_cli(capsys, "systems", "show", name)
    assert code == 0
    assert "ML" in out and "non-ML" in out and "extension points" in out
    code, out, _ = run_cli(capsys, "systems", "show", name, "--json")
    data = json.loads(out)
    assert {c["kind"] for c in data["components"]} == {"ml", "non-ml"}


@pytest.mark.parametrize("name", ["toaster", "tax"])
def test_run_json_is_byte_identical_for_equal_seeds(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    _, first, _ = run_cli(capsys, "systems", "run", name, "--n", "200", "--seed", "7", "--json")
    _, second, _ = run_cli(capsys, "systems", "run", name, "--n", "200", "--seed", "7", "--json")
    assert first == second
    data = json.loads(first)
    assert {"system", "n", "seed", "model", "system_metrics"} <= set(data)
    assert (data["system"], data["n"], data["seed"]) == (name, 200, 7)
    _, other, _ = run_cli(capsys, "systems", "run", name, "--n", "200", "--seed", "8", "--json")
    assert other != first


def test_run_writes_telemetry_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "toaster.jsonl"
    code, out, _ = run_cli(
        capsys, "systems", "run", "toaster", "--n", "50", "--telemetry", str(target)
    )
    assert code == 0
    assert "model quality" in out and "system quality" in out
    events = [json.loads(line) for line in target.read_text().splitlines()]
    assert events and all("event" in e and "t" in e for e in events)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["systems", "run", "coffee-machine"], "known systems: tax, toaster, transcription"),
        (["systems", "show", "coffee-machine"], "unknown system"),
        (["systems", "run", "toaster", "--n", "0"], "--n must be a positive"),
        (["systems", "run", "toaster", "--n", "-5"], "--n must be a positive"),
        (
            ["systems", "run", "toaster", "--telemetry", "/nonexistent-dir/x.jsonl"],
            "cannot write telemetry",
        ),
        (["systems", "run", "toaster", "--condition", "bogus"], "NAME=VALUE"),
        (["systems", "run", "toaster", "--condition", "weather=rain"], "unknown condition"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_unwritable_telemetry_path_in_a_real_process(tmp_path: Path) -> None:
    """The console script itself: exit code 2, one line, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "mlip", "systems", "run", "toaster", "--telemetry", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "is a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_course_without_autograder_says_how_to_install() -> None:
    from mlip import cli
    from mlip.errors import MlipError

    with pytest.raises(MlipError, match=r"pip install mlip-autograder"):
        cli._course_missing()


def test_show_prints_bracketed_text_literally(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "systems", "show", "transcription")
    assert code == 0
    assert "alternatives as [text, probability] pairs" in " ".join(out.split())


def _read_only(paths: list[Path]) -> dict[Path, int]:
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return modes


def test_train_writes_to_models_and_never_into_the_package(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped checkpoint is read-only by design (as root, chmod alone would not prove it)."""
    from mlip.systems import get_system

    shipped = get_system("tax").checkpoint_path()
    before = shipped.read_bytes()
    monkeypatch.chdir(tmp_path)
    modes = _read_only([shipped.parent, shipped])
    try:
        code, out, err = run_cli(capsys, "systems", "train", "tax", "--quick", "--seed", "7")
        assert code == 0, err
        inside = run_cli(capsys, "systems", "train", "tax", "--quick", "--checkpoint", str(shipped))
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    assert shipped.read_bytes() == before
    mine = Path("models") / "tax" / shipped.name
    assert mine.is_file()
    flat = " ".join(out.split())
    assert str(mine) in flat and f"--checkpoint {mine}" in flat
    assert inside[0] == 2 and "read-only by design" in inside[2]

    _, shipped_run, _ = run_cli(capsys, "systems", "run", "tax", "--n", "300", "--json")
    _, mine_run, _ = run_cli(
        capsys, "systems", "run", "tax", "--n", "300", "--json", "--checkpoint", str(mine)
    )
    assert json.loads(mine_run)["checkpoint"] == str(mine)
    assert json.loads(mine_run)["model"] != json.loads(shipped_run)["model"]
    _, again, _ = run_cli(capsys, "systems", "run", "tax", "--n", "300", "--json")
    assert again == shipped_run  # training changed nothing for later commands
    _, shown, _ = run_cli(capsys, "systems", "show", "tax", "--json", "--checkpoint", str(mine))
    assert json.loads(shown)["checkpoint"] == str(mine)
    assert json.loads(shown)["shipped_checkpoint"] is False


@pytest.mark.parametrize("command", ["run", "show"])
@pytest.mark.parametrize("system", ["toaster", "tax", "transcription"])
def test_a_missing_or_corrupt_checkpoint_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, system: str
) -> None:
    corrupt = tmp_path / "model.bin"
    corrupt.write_bytes(b"\x00not a model{")
    for path in (tmp_path / "missing.json", corrupt, tmp_path):
        code, _, err = (
            run_cli(capsys, "systems", command, system, "--n", "5", "--checkpoint", str(path))
            if command == "run"
            else run_cli(capsys, "systems", command, system, "--checkpoint", str(path))
        )
        assert code == 2, err
        assert "Traceback" not in err
        assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_run_rounds_reports_the_feedback_loop(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "systems", "run", "tax", "--rounds", "2", "--n", "2000", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["design"]["name"] == "naive" and [r["round"] for r in data["rounds"]] == [0, 1]
    code, out, _ = run_cli(capsys, "systems", "run", "tax", "--rounds", "2", "--n", "2000")
    assert code == 0 and "feedback loop" in out and "round" in out
    code, _, err = run_cli(capsys, "systems", "run", "tax", "--rounds", "2", "--design", "x")
    assert code == 2 and "no loop design" in err
    code, _, err = run_cli(capsys, "systems", "run", "tax", "--design", "reference")
    assert code == 2 and "--rounds" in err


def test_run_rounds_runs_the_transcription_loop(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLIP_CACHE_DIR", str(tmp_path))  # the voice bank, if not yet in memory
    code, out, _ = run_cli(capsys, "systems", "run", "transcription", "--rounds", "2", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["quality_metric"] == "wer" and not data["higher_quality_is_better"]
    assert [r["round"] for r in data["rounds"]] == [0, 1] and data["rounds"][1]["retrained"]
    assert data["rounds"][0]["n"] == 1_000 and data["fairness_metric"]


def test_run_with_a_fault_uses_the_faulty_model(capsys: pytest.CaptureFixture[str]) -> None:
    from mlip.systems import get_system

    code, out, _ = run_cli(
        capsys, "systems", "run", "toaster", "--n", "40", "--fault", "nan", "--json"
    )
    system = get_system("toaster")
    expected = system.run(n=40, seed=0, model=system.faulty_model("nan")).to_dict()
    assert code == 0 and json.loads(out) == expected
    assert expected["model"]["invalid_rate"] == 1.0
    code, _, err = run_cli(capsys, "systems", "run", "toaster", "--n", "40", "--fault", "bogus")
    assert code == 2 and "unknown fault kind 'bogus'" in err


def test_show_lists_the_transcription_vocabulary(capsys: pytest.CaptureFixture[str]) -> None:
    from mlip.systems.transcription import VOCABULARY

    code, out, _ = run_cli(capsys, "systems", "show", "transcription", "--json")
    notes = json.loads(out)["notes"]
    assert code == 0 and notes[0].startswith(f"vocabulary ({len(VOCABULARY)} words")
    code, out, _ = run_cli(capsys, "systems", "show", "toaster", "--json")
    assert code == 0 and json.loads(out)["notes"] == []
