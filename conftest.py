"""Test-session policy shared by tests/, the doctests of symmaml/ and notebooks/.

* Notebooks run at reduced size under pytest (``SYMMAML_QUICK=1``, inherited by nbmake's
  kernels), so a newcomer's ``python -m pytest -q`` needs no environment variable.
* Optional dependencies: without PyTorch (``pip install torch==2.13.0``, the CPU wheel),
  the sweep extra (``pip install -e ".[sweep]"``: dask.distributed and pyarrow) or pdflatex
  (Debian: ``texlive-latex-base``) the tests that need them are *skipped with that reason*
  (``-ra`` prints it).  In CI (``CI=true``) nothing may be skipped for a
  missing dependency: the session stops at once if one is absent, since ``.ci/run``
  installs them all.
"""
import importlib.util
import os
import shutil

import pytest

os.environ.setdefault("SYMMAML_QUICK", "1")

#: files (by name) that cannot run at all without an optional dependency
_NEEDS_TORCH = {"nonlinear.ipynb"}
_TORCH_HINT = "needs PyTorch: pip install torch==2.13.0 (the CPU wheel; CI installs it)"


def _missing_optional() -> list[str]:
    missing = []
    for mod, how in (("torch", "pip install torch==2.13.0"),
                     ("array_api_strict", 'pip install -e ".[test]"'),
                     ("distributed", 'pip install -e ".[sweep]"'),
                     ("pyarrow", 'pip install -e ".[sweep]"')):
        if importlib.util.find_spec(mod) is None:
            missing.append(f"{mod} ({how})")
    if shutil.which("pdflatex") is None:
        missing.append("pdflatex (apt-get install texlive-latex-base)")
    return missing


def pytest_sessionstart(session):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        missing = _missing_optional()
        if missing:
            pytest.exit("CI runs every test, but these are missing: " + ", ".join(missing)
                        + " (.ci/run installs them)", returncode=3)


def pytest_collection_modifyitems(config, items):
    if importlib.util.find_spec("torch") is not None:
        return
    skip = pytest.mark.skip(reason=_TORCH_HINT)
    for item in items:
        if item.path.name in _NEEDS_TORCH:
            item.add_marker(skip)
