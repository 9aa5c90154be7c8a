"""mlip: a course kit for teaching Machine Learning in Production.

The package is deliberately light at import time: heavy libraries (torch, scikit-learn,
numpy) are imported inside the functions that need them, so the CLI starts fast.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
