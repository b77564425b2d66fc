"""Exact, non-executing serialisation of cached values as JSON data.

The disk cache (:mod:`~symmaml.moments.cache`) must never run code on load (as pickle
does) nor evaluate text (as ``sympify``/``eval`` do).  A SymPy value is therefore stored
as a tree of JSON lists, ``[tag, child, ...]``, where the tag names one of a fixed set of
constructors and leaves are plain data:

* ``["Integer", "12"]``, ``["Rational", "1", "2"]`` (decimal strings, exact),
* ``["Symbol", "n", {"positive": true}]`` (name and the assumptions it was created with),
* ``["Str", "Sigma"]`` (the name of a matrix symbol),
* ``["Add" | "Mul" | "Pow" | "MatAdd" | "MatMul" | "MatPow" | "Trace" | "Transpose" |
  "Identity" | "ZeroMatrix" | "MatrixSymbol" | "SymmetricMatrixSymbol" |
  "GaussianMatrix", child, ...]``.

These are the classes the engine's results are made of (Lemma 1's polynomials in n, p
times words in Sigma, D, ... and their traces).  Decoding rebuilds each node with its
class's constructor *without evaluation* (``evaluate=False`` for Add/Mul/Pow; the matrix
classes do not evaluate on construction), so the argument order, hence the printed form
and the float summation order of anything compiled from it, is exactly the stored one.
Anything else -- an unknown tag, a wrong arity, a non-string number -- raises ValueError.
"""
from __future__ import annotations

import math
import re

from sympy import (Add, Basic, Identity, Integer, MatAdd, MatMul, MatPow, MatrixSymbol, Mul, Pow,
                   Rational, Symbol, Trace, Transpose, ZeroMatrix)
from sympy.core.assumptions import _assume_defined
from sympy.core.symbol import Str

from .matrices import GaussianMatrix, SymmetricMatrixSymbol

__all__ = ["encode", "decode", "check_json", "check_storable", "storable", "unsupported",
           "SYMPY_TYPES"]

#: exact class -> tag (subclasses are not accepted: they may carry state or behaviour)
_COMPOSITE = {
    Add: "Add", Mul: "Mul", Pow: "Pow", MatAdd: "MatAdd", MatMul: "MatMul",
    MatPow: "MatPow", Trace: "Trace", Transpose: "Transpose", Identity: "Identity",
    ZeroMatrix: "ZeroMatrix", MatrixSymbol: "MatrixSymbol",
    SymmetricMatrixSymbol: "SymmetricMatrixSymbol", GaussianMatrix: "GaussianMatrix",
}
_ARITY = {"Pow": (2, 2), "MatPow": (2, 2), "Trace": (1, 1), "Transpose": (1, 1),
          "Identity": (1, 1), "ZeroMatrix": (2, 2), "MatrixSymbol": (3, 3),
          "SymmetricMatrixSymbol": (3, 3), "GaussianMatrix": (4, 4)}
_BUILD = {
    "Add": lambda *a: Add(*a, evaluate=False),
    "Mul": lambda *a: Mul(*a, evaluate=False),
    "Pow": lambda b, e: Pow(b, e, evaluate=False),
    "MatAdd": lambda *a: MatAdd(*a, evaluate=False),
    "MatMul": lambda *a: MatMul(*a, evaluate=False),
    "MatPow": lambda b, e: MatPow(b, e, evaluate=False),
    "Trace": Trace, "Transpose": Transpose, "Identity": Identity, "ZeroMatrix": ZeroMatrix,
    "MatrixSymbol": MatrixSymbol, "SymmetricMatrixSymbol": SymmetricMatrixSymbol,
    "GaussianMatrix": GaussianMatrix,
}
SYMPY_TYPES = tuple(_COMPOSITE) + (Integer, Rational, Symbol, Str)
_INT = re.compile(r"-?(0|[1-9][0-9]{0,4000})\Z")
_MAX_DEPTH = 400


def _is_atom_type(node) -> bool:
    # Integer/Rational subclasses (Zero, One, Half, ...) are singletons that Integer(v) and
    # Rational(p, q) rebuild; Symbol must be exactly Symbol (not Dummy, Wild, ...)
    return isinstance(node, Rational) or type(node) in (Symbol, Str)


def unsupported(expr):
    """The first node of ``expr`` whose class :func:`encode` does not know, else None."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if _is_atom_type(node):
            continue
        if type(node) not in _COMPOSITE:
            return node
        stack.extend(node.args)
    return None


def storable(expr) -> bool:
    """Whether every node of the SymPy object ``expr`` is of a class :func:`encode` knows."""
    return unsupported(expr) is None


def _unsupported_error(node) -> TypeError:
    return TypeError(f"cannot store a SymPy {type(node).__name__} ({node}) in the disk cache: "
                     f"supported classes are {sorted(c.__name__ for c in SYMPY_TYPES)}")


def check_storable(value) -> None:
    """TypeError unless :func:`encode` or JSON can store ``value`` (a cheap type check)."""
    if isinstance(value, Basic):
        node = unsupported(value)
        if node is not None:
            raise _unsupported_error(node)
    else:
        check_json(value)


def encode(expr, _depth=0):
    """The JSON tree of a SymPy object; TypeError names the first unsupported class."""
    if _depth > _MAX_DEPTH:
        raise TypeError(f"cannot store an expression nested deeper than {_MAX_DEPTH} levels")
    if isinstance(expr, Integer):
        return ["Integer", str(int(expr))]
    if isinstance(expr, Rational):
        return ["Rational", str(int(expr.p)), str(int(expr.q))]
    if type(expr) is Symbol:
        assumptions = dict(getattr(expr, "_assumptions_orig", {}) or {})
        return ["Symbol", expr.name, {k: bool(v) for k, v in sorted(assumptions.items())}]
    if type(expr) is Str:
        return ["Str", expr.name]
    tag = _COMPOSITE.get(type(expr))
    if tag is None:
        raise _unsupported_error(expr)
    return [tag] + [encode(a, _depth + 1) for a in expr.args]


def _int(text) -> int:
    if not isinstance(text, str) or not _INT.match(text):
        raise ValueError(f"not an integer literal: {text!r}")
    return int(text)


def decode(tree, _depth=0):
    """Rebuild a SymPy object from :func:`encode`'s tree; ValueError on anything else."""
    if _depth > _MAX_DEPTH:
        raise ValueError(f"tree nested deeper than {_MAX_DEPTH} levels")
    if not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
        raise ValueError("a node must be a non-empty list starting with its tag")
    tag, args = tree[0], tree[1:]
    if tag == "Integer":
        if len(args) != 1:
            raise ValueError("Integer takes one literal")
        return Integer(_int(args[0]))
    if tag == "Rational":
        if len(args) != 2:
            raise ValueError("Rational takes two literals")
        p, q = _int(args[0]), _int(args[1])
        if q <= 1 or math.gcd(p, q) != 1:
            raise ValueError("a Rational must be in lowest terms with q > 1")
        return Rational(p, q)
    if tag == "Symbol":
        if len(args) != 2 or not isinstance(args[0], str) or not isinstance(args[1], dict):
            raise ValueError("Symbol takes a name and an assumptions object")
        assumptions = args[1]
        for k, v in assumptions.items():
            if k not in _assume_defined or not isinstance(v, bool):
                raise ValueError(f"unknown assumption {k!r}={v!r}")
        return Symbol(args[0], **assumptions)
    if tag == "Str":
        if len(args) != 1 or not isinstance(args[0], str):
            raise ValueError("Str takes one name")
        return Str(args[0])
    build = _BUILD.get(tag)
    if build is None:
        raise ValueError(f"unknown node {tag!r}")
    lo, hi = _ARITY.get(tag, (1, None))
    if len(args) < lo or (hi is not None and len(args) > hi):
        raise ValueError(f"{tag} takes {lo}..{hi} arguments, got {len(args)}")
    return build(*[decode(a, _depth + 1) for a in args])


def check_json(value, _depth=0) -> None:
    """TypeError unless ``value`` is JSON data that loads back equal and of the same types:
    None, bool, int, finite float, str, list, and dict with str keys (no tuples: JSON would
    turn them into lists)."""
    if _depth > _MAX_DEPTH:
        raise TypeError(f"cannot store a value nested deeper than {_MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return
    if type(value) is int:
        return
    if type(value) is float:
        if not math.isfinite(value):
            raise TypeError(f"cannot store the non-finite float {value!r} in the disk cache")
        return
    if type(value) is list:
        for v in value:
            check_json(v, _depth + 1)
        return
    if type(value) is dict:
        for k, v in value.items():
            if type(k) is not str:
                raise TypeError(f"cannot store a dict with a {type(k).__name__} key in the disk "
                                "cache: keys must be str")
            check_json(v, _depth + 1)
        return
    raise TypeError(f"cannot store a {type(value).__name__} in the disk cache: supported are "
                    "SymPy expressions of the engine's classes, and None, bool, int, float, "
                    "str, list, dict (str keys) of those")
