"""The Monte Carlo layer is a pure array layer: no SymPy, torch only imported on demand."""
import ast
import pathlib
import subprocess
import sys

import symmaml.montecarlo

PKG = pathlib.Path(symmaml.montecarlo.__file__).parent


def _imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_sympy_in_montecarlo():
    files = sorted(PKG.glob("*.py"))
    assert files
    for f in files:
        bad = [m for m in _imported_modules(f) if m.split(".")[0] in ("sympy", "torch")]
        assert not bad, f"{f.name} imports {bad} at module level or inside functions"


def test_torch_is_lazy():
    code = ("import sys, symmaml.montecarlo as mc; "
            "mc.simulate(n_t=3, n_v=2, n_r=2, m=2, p=5, sigma=1, nu=.5, alpha_t=.1, alpha_r=.1, "
            "runs=2, seed=0, test_tasks=2, n_s=2); "
            "assert 'torch' not in sys.modules and 'sympy' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PKG.parent.parent)
