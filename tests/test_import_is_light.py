"""``import mlip.cli`` must not import heavy libraries, so ``mlip --help`` stays fast."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "sklearn", "numpy", "scipy", "nbgrader", "matplotlib")


def test_import_cli_loads_no_heavy_module() -> None:
    code = f"import sys, mlip.cli; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import mlip.cli loaded: {out.stdout.strip()}"
    assert "warning" not in out.stderr, out.stderr


def test_help_loads_no_heavy_module() -> None:
    code = (
        "import sys\nfrom mlip.cli import main\nmain(['--help'])\n"
        f"print('HEAVY:' + ' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY:\n" in out.stdout or out.stdout.rstrip().endswith("HEAVY:"), out.stdout[-300:]
