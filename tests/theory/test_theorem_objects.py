"""A theorem is an object: theory.theorem(t), its methods, and the thin public functions."""
import ast
import pathlib

import pytest
from sympy import Rational

from symmaml import theory
from symmaml.theory import Theorem, Theorem1, Theorem2, Theorem3, theorem

THEORY = pathlib.Path(theory.__file__).parent
FIG3 = dict(n_t=5, n_v=25, n_r=10, m=40, p=30, sigma=Rational(1, 5), nu=Rational(1, 5),
            alpha_r=Rational(1, 5))


@pytest.mark.parametrize("t,cls,regime", [(1, Theorem1, "over"), (2, Theorem2, "under"),
                                          (3, Theorem3, "over")])
def test_factory_accepts_ints_and_strings(t, cls, regime):
    T = theorem(t)
    assert isinstance(T, cls) and isinstance(T, Theorem)
    assert theorem(str(t)) is T and theorem(T) is T and theorem(cls()) is T
    assert T.number == t and T.key == str(t) and T.regime == regime
    assert T == cls() and hash(T) == hash(cls()) and T != theorem(t % 3 + 1)
    assert T.derivation() is theory.derivation(t) and T.loss() is theory.loss(str(t))


@pytest.mark.parametrize("bad", [0, 4, "4", "one", None, 1.0, True, " 1"])
def test_factory_refuses_anything_else(bad):
    with pytest.raises(ValueError, match="theorem must be one of 1, 2, 3"):
        theorem(bad)
    with pytest.raises(ValueError, match="theorem must be one of"):
        theory.dloss_dalpha_t_at_zero(bad)


def test_check_delegates_to_regime():
    with pytest.raises(ValueError, match="Theorem 2 needs p < n_v m"):
        theorem(2).check(dict(p=60, n_v=2, m=3))
    got = theorem(2).check(dict(FIG3, nu="1/5"))
    assert got == theory.check_values("2", dict(FIG3, nu="1/5"))


@pytest.mark.parametrize("t", [1, 2, 3])
def test_int_and_string_give_the_identical_cached_object(t):
    assert theory.dloss_dalpha_t_at_zero(t) is theory.dloss_dalpha_t_at_zero(str(t))
    assert theory.dloss_dalpha_t_at_zero(t) is theorem(t).dloss_dalpha_t_at_zero()
    assert theory.optimal_alpha_r(t) is theory.optimal_alpha_r(str(t))
    assert theory.phase(t) == theory.phase(str(t))


def test_extrema_only_for_theorem1():
    assert theory.alpha_t_extrema() is theory.alpha_t_extrema(1) is theorem("1").alpha_t_extrema()
    for t in (2, "3"):
        with pytest.raises(ValueError, match="Theorem 1's closed form"):
            theorem(t).alpha_t_extrema()
        with pytest.raises(ValueError, match="argmin_alpha_t"):
            theory.alpha_t_extrema(t)


def test_argmin_and_loss_are_thin_calls():
    a = theory.argmin_alpha_t(2, FIG3, dps=20)
    assert a == theory.argmin_alpha_t("2", FIG3, dps=20) == theorem(2).argmin_alpha_t(FIG3, dps=20)
    assert theory.loss(1, p=60, n_v=2, m=3) == theorem(1).loss(p=60, n_v=2, m=3)
    with pytest.raises(ValueError, match="unknown parameter 'q' for Theorem 2"):
        theorem(2).loss(q=1)


def test_theorem3_expands_traces_others_do_not():
    L3 = theory.loss(3)
    assert theorem(3).expand_traces(L3) == theory.expand_traces(L3)
    L1 = theory.loss(1)
    assert theorem(1).expand_traces(L1) is L1


def _modules():
    return {f.stem: ast.parse(f.read_text()) for f in THEORY.glob("*.py")}


def test_no_function_level_imports_and_no_import_cycles():
    imports = {}
    for name, tree in _modules().items():
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"function-level import in theory/{name}.py:{node.name}"
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps |= {node.module} if node.module else {a.name for a in node.names}
        imports[name] = deps
    for a, deps in imports.items():
        for b in deps:
            assert a not in imports.get(b, ()), f"theory/{a}.py and {b}.py import each other"
    init = _modules()["__init__"]
    assert all(isinstance(n, (ast.ImportFrom, ast.Assign, ast.Expr)) for n in init.body)


def _is_literal(node):
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and all(
        isinstance(e, ast.Constant) for e in node.elts)


def test_no_theorem_branches_outside_the_classes():
    """No ``theorem == "3"`` / ``t in ("1", "2")``-style comparisons in theory/: per-theorem
    behaviour lives in the Theorem subclasses."""
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", None)
                         for n in sides}
                if {"theorem", "t", "key", "number"} & names:
                    assert not any(_is_literal(n) for n in sides), \
                        f"theorem branch in theory/{name}.py:{node.lineno}"
