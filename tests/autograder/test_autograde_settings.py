"""``[autograde]`` settings: the Dask scheduler address and CPU pinning decided from free CPUs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlip.errors import InputError


def test_scheduler_and_pinning_settings(tmp_path: Path) -> None:
    from mlip_autograder._config import COURSE_TOML, default_toml, load_config

    (tmp_path / COURSE_TOML).write_text(default_toml())
    config = load_config(tmp_path)
    assert config.scheduler is None and config.pin_cpus == "auto"
    (tmp_path / COURSE_TOML).write_text(
        '[autograde]\nscheduler = " tcp://head:8786 "\npin_cpus = true\n'
    )
    config = load_config(tmp_path)
    assert config.scheduler == "tcp://head:8786" and config.pin_cpus is True
    for bad in ("scheduler = 8786", 'scheduler = ""', 'pin_cpus = "sometimes"'):
        (tmp_path / COURSE_TOML).write_text(f"[autograde]\n{bad}\n")
        with pytest.raises(InputError, match=r"scheduler|pin_cpus"):
            load_config(tmp_path)


def test_cpu_idle_shares_see_a_busy_neighbour() -> None:
    """A process spinning on one of our CPUs leaves that CPU hardly idle."""
    import os
    import subprocess
    import sys

    from mlip_autograder._cpus import cpu_idle_shares

    if not hasattr(os, "sched_getaffinity") or not Path("/proc/stat").exists():
        pytest.skip("no CPU affinity here")
    cpu = min(os.sched_getaffinity(0))
    spinner = subprocess.Popen(
        [sys.executable, "-c", f"import os\nos.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"]
    )
    try:
        import time

        time.sleep(0.3)
        measured = cpu_idle_shares()
    finally:
        spinner.kill()
        spinner.wait()
    assert measured is not None
    assert set(measured) == os.sched_getaffinity(0) and measured[cpu] < 0.25
