"""`render` paints before TensorFlow loads, so none of its modules may pull in a heavy framework."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_pure_modules_do_not_import_tensorflow() -> None:
    # Every module of the package, found at run time, so a new module is covered without an edit.
    code = (
        "import importlib, pkgutil, sys, bilstm_lab.render as render; "
        "[importlib.import_module(m.name) for m in pkgutil.iter_modules(render.__path__, 'bilstm_lab.render.')]; "
        "bad = [m for m in ('tensorflow', 'keras', 'streamlit', 'torch') if m in sys.modules]; "
        "sys.exit(str(bad) if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout
