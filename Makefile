# The README's two commands: `make demo` and `make test`. Both create or reuse .venv by themselves.
# torch==2.13.0 is installed first and explicitly: it is the CPU build on this machine's disk, and
# any other spelling (or letting another package pull torch) fetches a multi-GB CUDA build.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mlip-installed
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck unit docs bench clean venv wheels

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(wildcard autograder/pyproject.toml) | $(BIN)/python
	$(PIP) install "torch==2.13.0"
	$(PIP) uninstall -y -q mlip 2>/dev/null || true  # the distribution's name before mlip-kit
	$(PIP) install -e ".[dev]"
	if [ -f autograder/pyproject.toml ]; then $(PIP) install -e "./autograder[cluster]"; fi
	touch $(STAMP)

demo: $(STAMP)
	@if $(BIN)/mlip course --help >/dev/null 2>&1; then \
		$(BIN)/mlip course demo; \
	else \
		$(BIN)/mlip systems run toaster && $(BIN)/mlip systems run tax; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# On every core (at most four): tests/conftest.py keeps the users of each expensive session
# fixture on one worker. pytest<9.2 in the dev extra: 9.2 silently breaks that grouping.
unit: $(STAMP)
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist loadgroup --durations=30

# The strict docs build, the browser test and every chapter lab run inside `unit` (tests/docs).
test: lint typecheck unit

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Both distributions as wheels in dist/ (the instructor wheel carries the nbgrader sources).
wheels: $(STAMP)
	$(BIN)/python -m build --wheel --no-isolation --skip-dependency-check --outdir dist .
	$(BIN)/python -m build --wheel --no-isolation --skip-dependency-check --outdir dist autograder

bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
