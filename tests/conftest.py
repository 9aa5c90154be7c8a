"""Fixtures shared across test folders: both wheels, built once per session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"mlip_kit": wheel, "mlip_autograder": wheel}``, built from a copy of the checkout (the
    build writes nothing into it) exactly as ``make wheels`` builds them."""
    scratch = tmp_path_factory.mktemp("wheels")
    tree, dist = scratch / "src", scratch / "dist"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "sources")
    for name in ("mlip", "autograder", "assignments"):
        shutil.copytree(ROOT / name, tree / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    build = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check"]
    for project in (tree, tree / "autograder"):
        subprocess.run(
            [*build, "--outdir", str(dist), str(project)],
            check=True,
            capture_output=True,
        )
    return {path.name.split("-")[0]: path for path in dist.glob("*.whl")}
