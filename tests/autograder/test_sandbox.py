"""The sandbox and the judge's plumbing, without a course: fast unit tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlip.errors import InputError


def _notebook(*sources: str) -> dict[str, Any]:
    return {"cells": [{"cell_type": "code", "source": s, "metadata": {}} for s in sources]}


def _sandbox(notebook: dict[str, Any], **limits: Any) -> Any:
    from mlip_autograder._config import Limits
    from mlip_autograder._sandbox import SandboxedNotebook, detect_isolation

    settings = {"wall_seconds": 20.0, "cell_seconds": 5.0, "call_seconds": 2.0, **limits}
    return SandboxedNotebook(notebook, Limits(**settings), detect_isolation())


def test_calls_cross_as_plain_json_in_order() -> None:
    from mlip_autograder.judge import ScenarioProxies

    code = (
        "calls = []\n"
        "def f(x, d):\n"
        "    calls.append(x)\n"
        "    if x < 0:\n"
        "        raise ValueError('negative')\n"
        "    return {'x': x * 2, 'n': len(calls), 'k': sorted(d)}"
    )
    with _sandbox(_notebook(code)) as sandbox:
        sandbox.start()
        proxies = ScenarioProxies(sandbox, ["f"])
        assert list(proxies) == ["f"]
        assert proxies["f"](2, {"b": 1, "a": 2}) == {"x": 4, "n": 1, "k": ["a", "b"]}
        answers = proxies["f"].many([(3, {}), (-1, {}), (float("nan"), {})])
        assert answers[0] == {"x": 6, "n": 2, "k": []}
        assert type(answers[1]).__name__ == "ValueError" and str(answers[1]) == "negative"
        # the batch stops at its first failure: the last call is not run, it repeats the error
        assert type(answers[2]).__name__ == "ValueError" and str(answers[2]) == "negative"
        assert proxies["f"](0, {})["n"] == 4
        one = proxies["f"]
        with pytest.raises(Exception, match="negative"):
            one(-5, {})
        with pytest.raises(Exception, match="negative"):  # fails fast: no round trip
            one(5, {})
        assert [str(answer) for answer in one.many([(6, {}), (7, {})])] == ["negative"] * 2
        assert proxies["f"](1, {})["n"] == 6  # a new scenario's proxy calls again
        assert proxies["f"].many([]) == []


def test_a_batch_counts_as_many_calls_for_the_time_limit() -> None:
    """Each call of a batch has its own alarm; a hang stops the batch at that call."""
    from mlip_autograder.judge import ScenarioProxies

    code = (
        "import time\n"
        "def f(x):\n"
        "    if x == 2:\n"
        "        while True:\n"
        "            pass\n"
        "    time.sleep(0.3)\n"
        "    return x"
    )
    with _sandbox(_notebook(code), call_seconds=1.0) as sandbox:
        sandbox.start()
        # five calls of 0.3 s each take longer than one call's limit, not than five calls'
        answers = sandbox.call_many("f", [[x] for x in (0, 1, 3, 4, 5)])
        assert (answers.values, answers.errors) == ([0, 1, 3, 4, 5], {})
        answers = ScenarioProxies(sandbox, ["f"])["f"].many([(x,) for x in range(6)])
        assert answers[:2] == [0, 1]
        assert all("time limit" in str(answer) for answer in answers[2:])
        assert sandbox.call("f", [1]) == 1  # the sandbox still answers


def test_arguments_cross_as_plain_copies() -> None:
    """The judge's encoder sends plain data: numpy scalars as numbers, other objects as reprs."""
    import pickle

    import numpy as np
    from mlip_autograder._sandbox import _encode

    message = {"batch": [({"t": np.float64(1.5), "n": np.int64(3), "ok": np.bool_(True)},)]}
    decoded = pickle.loads(_encode(message))
    (state,) = decoded["batch"][0]
    assert state == {"t": 1.5, "n": 3, "ok": True}
    assert [type(value) for value in state.values()] == [float, int, bool]
    odd = pickle.loads(_encode({"batch": [(object(), [1, 2])]}))
    assert odd["batch"][0][0].startswith("<object object") and odd["batch"][0][1] == [1, 2]
    with _sandbox(_notebook("def f(d):\n    d['seen'] = True\n    return sorted(d)")) as sandbox:
        sandbox.start()
        original = {"t": np.float64(2.0)}
        assert sandbox.call("f", [original]) == ["seen", "t"]
        assert original == {"t": 2.0}  # the student's function got a copy


def _can_pin() -> bool:
    import os

    if not hasattr(os, "sched_setaffinity"):
        return False
    try:
        os.sched_setaffinity(0, os.sched_getaffinity(0))
    except OSError:
        return False
    return True


def test_a_judge_claims_a_cpu_no_other_judge_holds_and_gives_it_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A claim pins this process (so the sandbox it starts) to the first CPU nobody holds;
    with every CPU held by other judges it floats; leaving restores the affinity and frees
    the CPU for the next claim."""
    import fcntl
    import os

    from mlip_autograder import _cpus

    if not _can_pin():
        pytest.skip("this system does not allow changing CPU affinity")
    folder = tmp_path / "claims"
    monkeypatch.setattr(_cpus, "claims_folder", lambda: folder)
    before = os.sched_getaffinity(0)
    cpus = sorted(before)
    with _cpus.claimed_cpu("auto") as cpu:
        assert cpu == cpus[0] and os.sched_getaffinity(0) == {cpus[0]}
    assert os.sched_getaffinity(0) == before
    others = []  # other judges' claims: separate open files, as in other processes
    try:
        for held in cpus:
            others.append(os.open(folder / f"cpu{held}.lock", os.O_RDWR | os.O_CREAT))
            fcntl.flock(others[-1], fcntl.LOCK_EX | fcntl.LOCK_NB)
            with _cpus.claimed_cpu(True) as cpu:
                expected = cpus[len(others)] if len(others) < len(cpus) else None
                assert cpu == expected  # the next free CPU; none left: unpinned
                assert os.sched_getaffinity(0) == (before if cpu is None else {cpu})
    finally:
        for descriptor in others:
            os.close(descriptor)
    with _cpus.claimed_cpu(False) as never:
        assert never is None and os.sched_getaffinity(0) == before


def test_a_dead_judges_claim_is_free_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Another process's claim is respected while it lives and released when it is killed
    (the kernel drops its lock with its file descriptors): no stale claim outlives a judge."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from mlip_autograder import _cpus

    if not _can_pin():
        pytest.skip("this system does not allow changing CPU affinity")
    folder = tmp_path / "claims"
    monkeypatch.setattr(_cpus, "claims_folder", lambda: folder)
    first = min(os.sched_getaffinity(0))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from mlip_autograder import _cpus\n"
            "from pathlib import Path\n"
            f"_cpus.claims_folder = lambda: Path({str(folder)!r})\n"
            "with _cpus.claimed_cpu('auto') as cpu:\n"
            "    print(cpu, flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert int(holder.stdout.readline()) == first
        with _cpus.claimed_cpu("auto") as cpu:
            assert cpu != first
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        time.sleep(0.05)
        with _cpus.claimed_cpu("auto") as cpu:
            assert cpu == first
    finally:
        holder.kill()
        holder.wait()


def test_claims_refuse_a_folder_that_is_not_ours(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """In a shared /tmp someone may plant a link where our claims folder goes: no pinning,
    and nothing is created through the link."""
    import os

    from mlip_autograder import _cpus

    if not _can_pin():
        pytest.skip("this system does not allow changing CPU affinity")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    planted = tmp_path / "claims"
    planted.symlink_to(elsewhere)
    monkeypatch.setattr(_cpus, "claims_folder", lambda: planted)
    with _cpus.claimed_cpu("auto") as cpu:
        assert cpu is None
    assert list(elsewhere.iterdir()) == [] and os.sched_getaffinity(0)


def test_forged_answers_are_a_crash_not_a_judge_error() -> None:
    """Student code that writes its own protocol lines gets a crash verdict, nothing worse."""
    from mlip_autograder._sandbox import ChildFailure

    forged = '{"ok": [1], "errors": [[7, "IndexError"]]}'
    code = (
        "import os\n"
        "def f():\n"
        "    for fd in range(3, 10):  # the judge's pipe is one of these\n"
        "        try:\n"
        f"            os.write(fd, b'{forged}\\n')\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 1"
    )
    with _sandbox(_notebook(code)) as sandbox:
        sandbox.start()
        with pytest.raises(ChildFailure, match="garbled") as failure:
            sandbox.call("f", [])
        assert failure.value.kind == "crash"


def test_objects_never_cross() -> None:
    code = (
        "class Liar:\n    def __eq__(self, other):\n        return True\n"
        "def f():\n    return Liar()"
    )
    with _sandbox(_notebook(code)) as sandbox:
        sandbox.start()
        with pytest.raises(RuntimeError, match="not plain data"):
            sandbox.call("f", [])


def test_output_limit_is_a_verdict() -> None:
    from mlip_autograder._sandbox import ChildFailure

    with (
        _sandbox(_notebook("print('x' * 15000)"), output_kb=4) as sandbox,
        pytest.raises(ChildFailure) as failure,
    ):
        sandbox.start()
    assert failure.value.kind == "output"


def test_function_that_hangs_when_called_times_out() -> None:
    from mlip_autograder._sandbox import ChildFailure

    with _sandbox(
        _notebook("def f():\n    while True:\n        pass"), call_seconds=1.0, wall_seconds=3.0
    ) as sandbox:
        sandbox.start()
        with pytest.raises(RuntimeError, match="CallTimeout"):
            sandbox.call("f", [])
        with pytest.raises(ChildFailure) as failure:
            for _ in range(5):
                try:
                    sandbox.call("f", [])
                except RuntimeError:
                    continue
        assert failure.value.kind == "timeout"


def test_opted_out_course_runs_as_plain_processes_labelled_so() -> None:
    from mlip_autograder._config import Limits
    from mlip_autograder._sandbox import WITHOUT_ISOLATION, SandboxedNotebook, detect_isolation

    isolation = detect_isolation(setting="none")
    assert isolation.kind == "process" and not isolation.jailed
    assert isolation.label == WITHOUT_ISOLATION == "graded without isolation"
    sandbox = SandboxedNotebook(_notebook("x = 41", "x + 1"), Limits(wall_seconds=20), isolation)
    with sandbox:
        sandbox.start()
        assert sandbox.outputs[1][0]["data"]["text/plain"] == "42"


def test_course_settings(tmp_path: Path) -> None:
    from mlip_autograder._config import COURSE_TOML, default_toml, load_config

    (tmp_path / COURSE_TOML).write_text(
        default_toml().replace("memory_mb = 2048", "memory_mb = 512")
    )
    config = load_config(tmp_path)
    assert config.limits.memory_mb == 512 and config.workers == 2 and config.pin_cpus
    (tmp_path / COURSE_TOML).write_text("[autograde]\npin_cpus = false\n")
    assert not load_config(tmp_path).pin_cpus
    (tmp_path / COURSE_TOML).write_text("[autograde]\npin_cpus = 1\n")
    with pytest.raises(InputError, match="true or false"):
        load_config(tmp_path)
    (tmp_path / COURSE_TOML).write_text("[autograde]\nthreads = 4\n")
    with pytest.raises(InputError, match="unknown"):
        load_config(tmp_path)
    (tmp_path / COURSE_TOML).write_text("[sandbox]\nmemory = 5\n")
    with pytest.raises(InputError, match="unknown"):
        load_config(tmp_path)
    (tmp_path / COURSE_TOML).write_text("[sandbox]\nwall_seconds = -1\n")
    with pytest.raises(InputError, match="positive"):
        load_config(tmp_path)
    assert config.isolation == "bubblewrap"  # the default demands a jail
    (tmp_path / COURSE_TOML).write_text('[sandbox]\nisolation = "none"\n')
    assert load_config(tmp_path).isolation == "none"
    (tmp_path / COURSE_TOML).write_text('[sandbox]\nisolation = "process"\n')
    with pytest.raises(InputError, match='isolation must be one of: "bubblewrap", "none"'):
        load_config(tmp_path)


def test_atomic_write_replaces_whole_files(tmp_path: Path) -> None:
    from mlip_autograder._store import read_json, write_json_atomic

    target = tmp_path / "a" / "result.json"
    write_json_atomic(target, {"v": 1})
    write_json_atomic(target, {"v": 2})
    assert read_json(target) == {"v": 2}
    assert [path.name for path in target.parent.iterdir()] == ["result.json"]
    target.write_text('{"half": ')
    assert read_json(target) is None


def test_locked_cells_are_restored_from_the_source() -> None:
    from mlip_autograder._notebook import check_cells, restore_locked_cells

    def cell(source: str, **nbgrader: Any) -> dict[str, Any]:
        return {"cell_type": "code", "source": source, "metadata": {"nbgrader": nbgrader}}

    source = {
        "cells": [
            cell("def f(): ...", grade_id="sol", solution=True),
            cell("assert f() == 1", grade_id="t", grade=True, locked=True, points=1),
            cell(
                'system_check("guards-toaster", "keeps-good-toast")',
                grade_id="c",
                grade=True,
                locked=True,
                points=3,
            ),
        ]
    }
    submitted = json.loads(json.dumps(source))
    submitted["cells"][0]["source"] = "def f(): return 1"
    submitted["cells"][1]["source"] = "pass  # tests deleted"
    submitted["cells"][2]["source"] = "1.0e9"
    restored = restore_locked_cells(submitted, source)
    assert [c["source"] for c in restored["cells"]] == [
        "def f(): return 1",
        "assert f() == 1",
        source["cells"][2]["source"],
    ]
    (check,) = check_cells(restored)
    assert (check.index, check.check, check.public, check.points) == (
        2,
        "keeps-good-toast",
        True,
        3.0,
    )


def test_a_batch_gives_each_call_its_own_output_allowance_not_one_call_all_of_it() -> None:
    """Batching must not change the output limit: eight 3 kB answers pass under 4 kB per call,
    one 20 kB answer in a batch of eight fails as it would alone."""
    from mlip_autograder._sandbox import ChildFailure

    code = "def f(n):\n    return 'x' * n"
    with _sandbox(_notebook(code), output_kb=4) as sandbox:
        sandbox.start()
        answers = sandbox.call_many("f", [[3000]] * 8)
        assert answers.values == ["x" * 3000] * 8 and not answers.errors
        with pytest.raises(ChildFailure) as failure:
            sandbox.call_many("f", [[10]] * 7 + [[20_000]])
        assert failure.value.kind == "output" and "one answer" in str(failure.value)
