"""Build hook: the instructor wheel carries the kit's nbgrader sources.

``mlip course init`` copies the nbgrader source notebooks (with solutions and hidden-check
cells) into a new course. They are authored in the repository's ``assignments/`` folder
(``assignments/build.py --check`` keeps them fresh), which lies outside this package, so the
build copies ``../assignments/<id>/*.ipynb`` into ``mlip_autograder/sources/<id>/`` of the wheel,
and into the sdist so that a wheel built from the sdist has them too. An editable install reads
``assignments/`` in place instead (``mlip_autograder.course.default_sources``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
KIT_SOURCES = HERE.parent / "assignments"
PACKAGED = Path("mlip_autograder") / "sources"


def _copy_sources(target: Path) -> None:
    """Copy every assignment's source notebooks under ``target`` (``<id>/<name>.ipynb``)."""
    if not KIT_SOURCES.is_dir():
        return  # building from an sdist: the sources are already inside the package
    for notebook in sorted(KIT_SOURCES.glob("*/*.ipynb")):
        if notebook.parent.name.startswith(("_", ".")):
            continue
        destination = target / notebook.parent.name / notebook.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, destination)


class BuildPyWithSources(build_py):
    """``build_py`` that also puts the nbgrader sources into the built package."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            _copy_sources(Path(self.build_lib) / PACKAGED)


class SdistWithSources(sdist):
    """``sdist`` that also puts the nbgrader sources into the source tree it packs."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        _copy_sources(Path(base_dir) / PACKAGED)


setup(cmdclass={"build_py": BuildPyWithSources, "sdist": SdistWithSources})
