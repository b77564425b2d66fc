"""A sweep specification: a TOML file read with the standard library (:mod:`tomllib`).

A spec names the fixed model parameters, a grid over some of them, the theory's alpha_t
grid and the Monte Carlo to run at every grid point.  :func:`load_spec` parses and checks
it; every error is a :class:`SpecError` (a ``ValueError``) whose message names the key::

    name = "sign of alpha_t* over sigma and nu"
    seed = 2026
    theorem = "auto"     # "auto": Theorem 1 where p > n_v m, Theorem 2 where p < n_v m; 1; 2
    order = 1            # 1: the paper's theorems; 2: the finite-size theory (where derived)

    [params]             # the fixed parameters (defaults: Fig. 2's, alpha_r = 0.2, w0 = omega0 = 0)
    n_t = 5
    p = 30

    [grid]               # swept parameters: a list, or {start, stop, num[, log]}
    sigma = {start = 0.0, stop = 1.0, num = 5}
    nu = [0.1, 0.5, 1.0]

    [alpha_t]            # the theory's grid (alpha_t* = its grid argmin; the Monte Carlo
                         # rates 0 and the chosen ones join it), in segments or values
    start = -0.2
    stop = 0.1
    num = 301
    chunk = 301          # alpha_t values per theory unit (any value: the same bits)

    [mc]                 # optional: Monte Carlo at alpha_t*, 0 and chosen rates
    runs = 200
    chunk = 100          # runs per unit (any value: the same bits)
    estimator = "rao_blackwell"
    alpha_t = ["optimum", 0.0, 0.05]

    [figure]             # optional: the phase diagram's axes (default: the first two swept)
    x = "sigma"
    y = "nu"

Grid axes are model parameters (``n_t, n_v, n_r, m, p, sigma, nu, alpha_r, w0, omega0,
steps_t, steps_r``) or one of the ratios of :data:`RATIOS`, which set a size from the
others: ``p_over_n_t`` sets n_t = round(p / value), ``nvm_over_p`` sets m = round(value p /
n_v) (the realised ratios are recorded per point).  Nothing read is evaluated.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["SpecError", "Spec", "Point", "load_spec", "parse_spec", "PARAMS", "RATIOS",
           "SPEC_DIR", "shipped_specs", "resolve_spec"]

#: folder of the specs shipped with the package (``symmaml sweep NAME``)
SPEC_DIR = Path(__file__).parent / "specs"

#: the model parameters a spec may set or sweep, with their kind
PARAMS = {"n_t": "size", "n_v": "size", "n_r": "size", "m": "size", "p": "size",
          "sigma": "nonneg", "nu": "nonneg", "alpha_r": "real", "w0": "real",
          "omega0": "real", "steps_t": "steps", "steps_r": "steps"}
#: ratio axes: name -> (the size it sets, in words)
RATIOS = {"p_over_n_t": ("n_t", "n_t = round(p / value)"),
          "nvm_over_p": ("m", "m = round(value * p / n_v)")}

_TOP = {"name", "seed", "theorem", "order", "params", "grid", "alpha_t", "mc", "figure"}
_ALPHA_KEYS = {"start", "stop", "num", "values", "segments", "chunk"}
_MC_KEYS = {"runs", "chunk", "estimator", "alpha_t"}
_FIG_KEYS = {"x", "y", "log_x", "log_y"}
_AXIS_KEYS = {"start", "stop", "num", "log"}
_MAX_POINTS = 1_000_000
_MAX_ALPHAS = 100_000


class SpecError(ValueError):
    """A malformed sweep spec; the message names the key (``spec key 'grid.sgma': ...``)."""


def _err(key: str, msg: str) -> SpecError:
    return SpecError(f"spec key {key!r}: {msg}")


def _defaults() -> dict:
    """The fixed parameters' defaults: Fig. 2's (the registry is their one home)."""
    from ..experiments.paper import FIG2_PARAMS
    return dict(FIG2_PARAMS, alpha_r=0.2, w0=0.0, omega0=0.0, steps_t=1, steps_r=1)


@dataclass(frozen=True)
class Point:
    """One grid point: its index (row-major over the grid's axes), the axis values, the
    model parameters (ratios resolved to integer sizes) and the theorem that applies, or the
    reason why none does (``theorem`` None)."""
    index: int
    axes: dict
    params: dict
    theorem: int | None
    reason: str = ""

    @property
    def possible(self) -> bool:
        """Whether the point can be computed (a theorem applies and its loss exists)."""
        return self.theorem is not None


@dataclass(frozen=True)
class Spec:
    """A checked sweep spec (see the module docstring).  ``data``: the normalised spec
    (defaults filled in), whose canonical JSON gives :attr:`hash`; ``text``: the source."""
    name: str
    seed: int
    theorem: str
    order: int
    params: dict
    axes: dict                      # name -> tuple of values, in the spec's order
    alpha_t: np.ndarray
    alpha_chunk: int
    mc_runs: int
    mc_chunk: int
    estimator: str
    mc_alpha_t: tuple               # "optimum" or floats
    figure: dict
    data: dict
    text: str = ""
    points: tuple = field(default=(), repr=False)

    @property
    def hash(self) -> str:
        """SHA-256 of the normalised spec without its cosmetic keys (name, figure)."""
        d = {k: v for k, v in self.data.items() if k not in ("name", "figure")}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()

    @property
    def shape(self) -> tuple:
        """The grid's shape (one entry per axis)."""
        return tuple(len(v) for v in self.axes.values())

    @property
    def has_mc(self) -> bool:
        """Whether Monte Carlo runs at each point."""
        return self.mc_runs > 0

    @property
    def mc_labels(self) -> tuple:
        """Labels of the Monte Carlo rates: "optimum" or the number as text."""
        return tuple(a if isinstance(a, str) else f"{a:g}" for a in self.mc_alpha_t)


# ----------------------------------------------------------------------------- values
def _number(key, v, kind):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _err(key, f"must be a number, got {v!r}")
    if not math.isfinite(v):
        raise _err(key, f"must be finite, got {v!r}")
    if kind in ("size", "steps"):
        if v != int(v) or v < 1:
            raise _err(key, f"must be a positive integer, got {v!r}")
        if kind == "steps" and v > 1000:
            raise _err(key, f"must be at most 1000, got {v!r}")
        return int(v)
    if kind == "nonneg" and v < 0:
        raise _err(key, f"must be non-negative, got {v!r}")
    return float(v)


def _range(key, d, *, integer=False):
    unknown = set(d) - _AXIS_KEYS
    if unknown:
        raise _err(f"{key}.{sorted(unknown)[0]}", f"unknown key; a range has {sorted(_AXIS_KEYS)}")
    for k in ("start", "stop", "num"):
        if k not in d:
            raise _err(key, f"a range needs start, stop and num (missing {k})")
    start, stop = _number(f"{key}.start", d["start"], "real"), _number(f"{key}.stop", d["stop"], "real")
    num = d["num"]
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise _err(f"{key}.num", f"must be a positive integer, got {num!r}")
    log = d.get("log", False)
    if not isinstance(log, bool):
        raise _err(f"{key}.log", f"must be true or false, got {log!r}")
    if log and (start <= 0 or stop <= 0):
        raise _err(key, "a log range needs positive start and stop")
    vals = np.geomspace(start, stop, num) if log else np.linspace(start, stop, num)
    vals = [float(x) + 0.0 for x in np.round(vals, 12)]
    return [int(round(x)) for x in vals] if integer else vals


def _axis(key, name, v):
    if name in RATIOS:
        kind = "positive"
    elif name in PARAMS:
        kind = PARAMS[name]
    else:
        raise _err(key, f"unknown parameter; known: {sorted(PARAMS) + sorted(RATIOS)}")
    integer = kind in ("size", "steps")
    if isinstance(v, dict):
        vals = _range(key, v, integer=integer)
    elif isinstance(v, list):
        vals = v
    else:
        raise _err(key, f"must be a list of values or a range {{start, stop, num}}, got {v!r}")
    if not vals:
        raise _err(key, "empty grid: give at least one value")
    out = []
    for i, x in enumerate(vals):
        if kind == "positive":
            x = _number(f"{key}[{i}]", x, "real")
            if x <= 0:
                raise _err(f"{key}[{i}]", f"a ratio must be positive, got {x!r}")
        else:
            x = _number(f"{key}[{i}]", x, kind)
        out.append(x)
    return tuple(out)


def _alpha_grid(d) -> tuple[np.ndarray, int]:
    if not isinstance(d, dict):
        raise _err("alpha_t", "must be a table: {start, stop, num}, {values} or {segments}")
    unknown = set(d) - _ALPHA_KEYS
    if unknown:
        raise _err(f"alpha_t.{sorted(unknown)[0]}", f"unknown key; known: {sorted(_ALPHA_KEYS)}")
    ways = [k for k in ("values", "segments") if k in d] + (["start"] if "start" in d else [])
    if len(ways) != 1:
        raise _err("alpha_t", "give exactly one of: start/stop/num, values, segments")
    if "values" in d:
        if not isinstance(d["values"], list):
            raise _err("alpha_t.values", "must be a list of numbers")
        vals = [_number(f"alpha_t.values[{i}]", x, "real") for i, x in enumerate(d["values"])]
    elif "segments" in d:
        segs = d["segments"]
        if not isinstance(segs, list) or not segs:
            raise _err("alpha_t.segments", "must be a non-empty list of {start, stop, num}")
        vals = []
        for i, s in enumerate(segs):
            if not isinstance(s, dict):
                raise _err(f"alpha_t.segments[{i}]", "must be a table {start, stop, num}")
            if s.get("log"):
                raise _err(f"alpha_t.segments[{i}].log", "alpha_t ranges are linear")
            vals += _range(f"alpha_t.segments[{i}]", s)
    else:
        if d.get("log"):
            raise _err("alpha_t.log", "alpha_t ranges are linear")
        vals = _range("alpha_t", {k: d[k] for k in d if k in _AXIS_KEYS})
    a = np.unique(np.asarray(vals, dtype=float))
    if a.size < 3:
        raise _err("alpha_t", f"the grid needs at least 3 distinct values, got {a.size}")
    if a.size > _MAX_ALPHAS:
        raise _err("alpha_t", f"at most {_MAX_ALPHAS} values, got {a.size}")
    chunk = d.get("chunk", int(a.size))
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise _err("alpha_t.chunk", f"must be a positive integer, got {chunk!r}")
    return a, min(chunk, int(a.size))


def _mc(d):
    from ..montecarlo.sampling import ESTIMATORS
    if d is None:
        return 0, 1, "rao_blackwell", ()
    if not isinstance(d, dict):
        raise _err("mc", "must be a table")
    unknown = set(d) - _MC_KEYS
    if unknown:
        raise _err(f"mc.{sorted(unknown)[0]}", f"unknown key; known: {sorted(_MC_KEYS)}")
    runs = d.get("runs", 100)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise _err("mc.runs", f"must be an integer of at least 2 (a standard error needs two "
                              f"runs), got {runs!r}")
    chunk = d.get("chunk", runs)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 2:
        raise _err("mc.chunk", f"must be an integer of at least 2, got {chunk!r}")
    est = d.get("estimator", "rao_blackwell")
    if est not in ESTIMATORS:
        raise _err("mc.estimator", f"must be one of {list(ESTIMATORS)}, got {est!r}")
    al = d.get("alpha_t", ["optimum", 0.0])
    if not isinstance(al, list) or not al:
        raise _err("mc.alpha_t", 'must be a non-empty list of "optimum" and numbers')
    out = []
    for i, a in enumerate(al):
        if a == "optimum":
            out.append("optimum")
        elif isinstance(a, str):
            raise _err(f"mc.alpha_t[{i}]", f'must be "optimum" or a number, got {a!r}')
        else:
            out.append(_number(f"mc.alpha_t[{i}]", a, "real"))
    if "optimum" not in out or 0.0 not in out:
        raise _err("mc.alpha_t", 'must contain "optimum" and 0 (the sign of alpha_t* is '
                                 "decided by L(alpha) - L(0))")
    return runs, min(chunk, runs), est, tuple(out)


# ----------------------------------------------------------------------------- points
def _resolve(params: dict, axes: dict) -> dict:
    """Model parameters at one point (ratios -> integer sizes)."""
    P = dict(params)
    for name, v in axes.items():
        if name not in RATIOS:
            P[name] = v
    for name, v in axes.items():
        if name == "p_over_n_t":
            P["n_t"] = max(1, int(round(P["p"] / v)))
        elif name == "nvm_over_p":
            P["m"] = max(1, int(round(v * P["p"] / P["n_v"])))
    return P


def _theorem_at(spec_theorem: str, P: dict, order: int, alphas: np.ndarray) -> tuple[int | None, str]:
    """The theorem for the point (or None) and, if none, why (the theory's own rules:
    :func:`symmaml.theory.regime.check_arrays`)."""
    from ..theory.regime import check_arrays, check_steps_values
    N = P["n_v"] * P["m"]
    t = (1 if P["p"] > N else 2) if spec_theorem == "auto" else int(spec_theorem)
    if spec_theorem == "auto" and P["p"] == N:
        return None, f"p = n_v m = {N}: neither theorem applies (the loss is infinite)"
    try:
        check_arrays(str(t), {k: np.asarray(float(P[k])) for k in ("n_t", "n_v", "n_r", "m", "p",
                                                                 "sigma", "nu")}
                     | {"alpha_t": alphas})
        if order == 2:
            from ..theory.finite_size import DERIVED_FOR
            if str(t) not in DERIVED_FOR:
                return None, (f"order 2: Theorem {t} has no finite-size theory yet "
                              f"(derived for Theorem(s) {', '.join(DERIVED_FOR)})")
            if (P["steps_t"], P["steps_r"]) != (1, 1):
                return None, "order 2 is derived for one-step MAML only (steps_t = steps_r = 1)"
            from ..numeric.finite_size import check_order2_sizes
            check_order2_sizes(t, **{k: int(P[k]) for k in ("n_t", "n_v", "m", "p")})
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_steps_values(dict(P, alpha_t=alphas), P["steps_t"], P["steps_r"])
    except (ValueError, TypeError) as exc:
        return None, str(exc)
    return t, ""


def _points(spec_theorem, params, axes, order, alphas) -> tuple:
    names = list(axes)
    out = []
    for k, combo in enumerate(itertools.product(*axes.values())):
        ax = dict(zip(names, combo))
        P = _resolve(params, ax)
        t, why = _theorem_at(spec_theorem, P, order, alphas)
        out.append(Point(k, ax, P, t, why))
    return tuple(out)


# ----------------------------------------------------------------------------- parse
def parse_spec(text: str, *, source: str = "spec") -> Spec:
    """Parse and check a spec's TOML text; :class:`SpecError` naming the key otherwise."""
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML ({exc})") from None
    unknown = set(d) - _TOP
    if unknown:
        raise _err(sorted(unknown)[0], f"unknown key; known: {sorted(_TOP)}")
    name = d.get("name", "")
    if not isinstance(name, str):
        raise _err("name", "must be a string")
    seed = d.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _err("seed", f"must be a non-negative integer, got {seed!r}")
    theorem = d.get("theorem", "auto")
    if theorem not in ("auto", 1, 2, "1", "2"):
        raise _err("theorem", f'must be "auto", 1 or 2 (Theorem 3 needs covariance matrices, '
                              f"which a sweep does not draw), got {theorem!r}")
    theorem = str(theorem)
    order = d.get("order", 1)
    if order not in (1, 2) or isinstance(order, bool):
        raise _err("order", f"must be 1 (the paper's theorems) or 2 (finite-size), got {order!r}")
    raw_params = d.get("params", {})
    if not isinstance(raw_params, dict):
        raise _err("params", "must be a table")
    params = _defaults()
    for k, v in raw_params.items():
        if k not in PARAMS:
            raise _err(f"params.{k}", f"unknown parameter; known: {sorted(PARAMS)}")
        params[k] = _number(f"params.{k}", v, PARAMS[k])
    raw_grid = d.get("grid", {})
    if not isinstance(raw_grid, dict) or not raw_grid:
        raise _err("grid", "must be a table with at least one swept parameter")
    axes = {k: _axis(f"grid.{k}", k, v) for k, v in raw_grid.items()}
    for r, (size, _) in RATIOS.items():
        if r in axes and size in axes:
            raise _err(f"grid.{r}", f"sets {size}, which is also swept; sweep one of the two")
    n_points = math.prod(len(v) for v in axes.values())
    if n_points > _MAX_POINTS:
        raise _err("grid", f"{n_points} points is more than {_MAX_POINTS}")
    alphas, alpha_chunk = _alpha_grid(d.get("alpha_t", {"start": -1.5, "stop": 1.5, "num": 301}))
    runs, chunk, est, mc_alpha = _mc(d.get("mc"))
    # the theory at every Monte Carlo rate is read off the grid: 0 and the chosen rates join it
    alphas = np.union1d(alphas, [a for a in mc_alpha if not isinstance(a, str)])
    fig = d.get("figure", {})
    if not isinstance(fig, dict):
        raise _err("figure", "must be a table")
    for k in set(fig) - _FIG_KEYS:
        raise _err(f"figure.{k}", f"unknown key; known: {sorted(_FIG_KEYS)}")
    for k in ("x", "y"):
        if k in fig and fig[k] not in axes:
            raise _err(f"figure.{k}", f"must be a swept parameter ({list(axes)}), got {fig[k]!r}")
    data = dict(name=name, seed=seed, theorem=theorem, order=order, params=params,
                grid={k: list(v) for k, v in axes.items()}, alpha_t=alphas.tolist(),
                alpha_chunk=alpha_chunk,
                mc=dict(runs=runs, chunk=chunk, estimator=est, alpha_t=list(mc_alpha)),
                figure=fig)
    points = _points(theorem, params, axes, order, alphas)
    return Spec(name=name, seed=seed, theorem=theorem, order=order, params=params, axes=axes,
                alpha_t=alphas, alpha_chunk=alpha_chunk, mc_runs=runs, mc_chunk=chunk,
                estimator=est, mc_alpha_t=mc_alpha, figure=dict(fig), data=data, text=text,
                points=points)


def shipped_specs() -> dict:
    """{name: path} of the specs shipped with the package (``symmaml sweep NAME``)."""
    return {f.stem: f for f in sorted(SPEC_DIR.glob("*.toml"))}


def resolve_spec(name_or_path) -> Path:
    """A spec file: an existing path, or the name of a shipped spec; ValueError otherwise."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = shipped_specs()
    key = str(name_or_path).removesuffix(".toml")
    if key in shipped:
        return shipped[key]
    raise SpecError(f"SPEC {str(name_or_path)!r}: no such file, nor a shipped spec "
                    f"({', '.join(shipped)})")


def load_spec(name_or_path) -> Spec:
    """:func:`parse_spec` of a spec file (or of a shipped spec, by name)."""
    path = resolve_spec(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"SPEC {str(path)!r}: cannot read it ({exc})") from None
    return parse_spec(text, source=str(path))
