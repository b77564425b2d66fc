"""The Monte Carlo layer is a pure array layer: no SymPy, torch only imported on demand.

Theory vs simulation (which reaches SymPy through symmaml.numeric) lives outside the
package, in symmaml.experiments.validation; no module of symmaml.montecarlo is allowed to
reach SymPy, nor to import the validation.
"""
import ast
import pathlib
import subprocess
import sys

import symmaml.montecarlo

PKG = pathlib.Path(symmaml.montecarlo.__file__).parent
ROOT = PKG.parent                       # the symmaml package
LAZY = {"symmaml.experiments.validation", "symmaml.experiments.paper",
        "symmaml.experiments.scaling"}    # theory vs simulation: never imported by the simulator
FORBIDDEN = ("sympy", "torch")


def _module_name(path):
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """Absolute names of every module ``path`` imports, relative imports resolved (module
    level and inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            yield mod
            yield from (f"{mod}.{a.name}" for a in node.names)   # "from . import sampling"


def _path(module):
    """The source file of a symmaml module, or None (not symmaml's, or not a module)."""
    top, *rest = module.split(".")
    if top != "symmaml":
        return None
    if not rest:
        return ROOT / "__init__.py"
    rel = pathlib.Path(*rest)
    for cand in (ROOT / rel.with_suffix(".py"), ROOT / rel / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _closure(start):
    """Every module reachable from ``start`` through symmaml-internal imports (parent
    packages included), with the chain that reaches it."""
    seen, todo = {start: [start]}, [start]
    while todo:
        mod = todo.pop()
        path = _path(mod)
        if path is None:
            continue
        deps = list(_imports(path))
        deps += [".".join(d.split(".")[:i]) for d in deps for i in range(1, d.count(".") + 1)]
        for dep in deps:                # importing a.b.c runs a and a.b first
            top = dep.split(".")[0]
            if dep in seen or (top != "symmaml" and top not in FORBIDDEN):
                continue
            if top == "symmaml" and _path(dep) is None:
                continue
            seen[dep] = seen[mod] + [dep]
            todo.append(dep)
    return seen


def test_no_sympy_in_montecarlo():
    """No module of symmaml.montecarlo reaches SymPy or torch (or the validation) through
    any chain of imports (relative ones followed, imports inside functions included)."""
    modules = sorted(_module_name(f) for f in PKG.glob("*.py"))
    assert "symmaml.montecarlo.simulate" in modules
    for mod in modules:
        if mod in LAZY:
            continue
        for dep, chain in _closure(mod).items():
            assert dep not in LAZY, f"{' -> '.join(chain)}: {dep} must stay lazy"
            assert dep.split(".")[0] not in FORBIDDEN, f"{' -> '.join(chain)}"


def test_no_sympy_in_sys_modules():
    """Importing the package and every eager submodule, and simulating, loads no SymPy."""
    eager = [_module_name(f) for f in sorted(PKG.glob("*.py")) if _module_name(f) not in LAZY]
    code = ("import sys, importlib\n"
            f"for m in {eager!r}: importlib.import_module(m)\n"
            "import symmaml.montecarlo as mc\n"
            "mc.simulate(n_t=3, n_v=2, n_r=2, m=2, p=8, sigma=1, nu=.5, alpha_t=.1, alpha_r=.1, "
            "runs=2, seed=0, estimator='rao_blackwell')\n"
            "bad = [m for m in sys.modules if m.split('.')[0] == 'sympy' or m in "
            f"{sorted(LAZY)!r}]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT.parent)


def test_validation_lives_outside_montecarlo():
    """The simulator no longer exposes the validation (it moved to
    ``symmaml.experiments.validation``); importing that loads the simulator, not the
    other way round."""
    assert not (PKG / "validate.py").exists()
    code = ("import sys\n"
            "import symmaml.montecarlo as mc\n"
            "assert 'symmaml.experiments.validation' not in sys.modules\n"
            "assert 'validate' not in dir(mc)\n"
            "from symmaml.experiments import validation\n"
            "from symmaml.experiments.paper import FIGURES\n"
            "assert validation.FIGURES is FIGURES\n"
            "assert validation.simulate is mc.simulate\n"
            "try:\n    mc.validate\nexcept AttributeError:\n    pass\n"
            "else:\n    raise AssertionError('no AttributeError')\n"
            "try:\n    mc.no_such_name\nexcept AttributeError:\n    pass\n"
            "else:\n    raise AssertionError('no AttributeError')\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT.parent)


def test_torch_is_lazy():
    code = ("import sys, symmaml.montecarlo as mc; "
            "mc.simulate(n_t=3, n_v=2, n_r=2, m=2, p=8, sigma=1, nu=.5, alpha_t=.1, alpha_r=.1, "
            "runs=2, seed=0, test_tasks=2, n_s=2); "
            "assert 'torch' not in sys.modules and 'sympy' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PKG.parent.parent)
