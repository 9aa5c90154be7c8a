"""mlip-autograder: the instructor's side of the mlip course kit.

Grades a class on a standard nbgrader course with a trusted judge: students' notebook cells run
only inside a sandboxed child process, the judge draws the scenarios (hidden ones from a
per-course secret seed), calls the student's functions through a plain-JSON channel and decides
the points itself. Importing this package is cheap; nbgrader and matplotlib load on demand.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
