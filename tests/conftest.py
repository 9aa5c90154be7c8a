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


#: Session fixtures that take tens of seconds to build. ``make test`` spreads the suite over the
#: machine's cores with pytest-xdist (``--dist loadgroup``); every test that uses one of these
#: joins that fixture's group, so each is built once per run instead of once per worker.
SHARED_FIXTURES = {
    "installed": "wheels",
    "built_wheels": "wheels",
    "graded_class": "graded-class",
    "built_site": "site",
    "loopback_cluster": "dask-cluster",
    "coffee_path": "coffee",
}


def _xdist_group(item: pytest.Item) -> str | None:
    """The worker group ``item`` must share: an expensive session fixture's, else its module's
    when it uses a module-scoped fixture (built once per module per worker), else none."""
    names = getattr(item, "fixturenames", ())
    shared = [SHARED_FIXTURES[name] for name in names if name in SHARED_FIXTURES]
    if shared:
        return shared[0]
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(chain and chain[-1].scope == "module" for chain in definitions):
        return item.nodeid.split("::")[0]
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue  # the test module groups it itself (results it caches per case)
        group = _xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
