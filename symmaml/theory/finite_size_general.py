"""Theorem 3 at order 2: the next order of the paper's expansion (general Sigma, Gaussian inputs).

The paper's Theorem 3 (Eqs. 137-141) replaces G = B B^T, Y = B H_r B^T and the noise
covariance Gamma by their means s I, y I, c I (s = Tr H_t, y = Tr H_r H_t) and so gets
E Tr(H_r omega* omega*^T) ~ N c y / s^2.  Here the same expansion is carried one order
further.  With D = G/s - I and E' = Y/y - I (both of mean zero over the inputs),

    omega* = B^T G^-1 gamma,   G^-1 Y G^-1 = (y/s^2)(I + D)^-1 (I + E')(I + D)^-1
           ~ (y/s^2) [I + E' - 2D - D E' - E' D + 3 D^2]                  (to second order)

and every moment of the truncation is computed exactly by the moment engine (Gaussian rows
of covariance Sigma, each task's A_i = I - alpha_t/n_t X_t^T X_t kept, the noise gamma kept
with the rows it is tied to):

    E Tr(H_r omega* omega*^T) ~ (1/s^2) [3 y Q_0 + 3 Q_Y - 6 y Q_G/s + 3 y Q_GG/s^2 - 2 Q_GY/s]

with Q_X = E gamma^T X gamma for X = I, G, Y, G^2, G Y.  Gamma is block-diagonal over tasks
and gamma_i has mean zero given the inputs, so only paths that start and end in one task
contribute: Q_X = m q_X for X = I, G, Y, and for the products a path through a second task
j != i (m - 1 of them) is an average over an independent task:

    Q_GG = m [E gamma_1^T G_11^2 gamma_1 + (m - 1) E gamma_1^T G_12 G_21 gamma_1]

(and the same for G Y).  The result is a rational function of traces of words in Sigma,
Sigma_w (H_r and H_t at their Gaussian values) -- closed form.

**Matched at alpha_t = 0.**  The loss multiplies this truncation by rho_0 = E_0 / E^(2)_0
(:data:`MATCH`), the ratio at alpha_t = alpha_r = 0 of the value E_0 from the corrected
deterministic equivalent (no expansion in D; :mod:`symmaml.numeric.theorem3_alpha0`, exact
at Sigma = I) to the truncation there -- as Theorem 2's order 2 is matched to the exact
inverse-Wishart value.  rho_0 is one number per (Sigma, Sigma_w, n_v, m, sigma), so the loss
stays quadratic in alpha_r; :func:`symmaml.numeric.losses.theorem3_evaluator` with
``order=2`` computes it and evaluates the loss at numeric matrices.

**What it is and is not.**  The terms kept are the first correction in the fluctuations of
G and Y, whose relative size is set by a task's effective dimension p_eff = (Tr K)^2/Tr K^2,
K = A Sigma A (the row covariance of one task).  It is a plain truncation, not a
resummation: where p_eff is not large against n_v m (at Fig. 4b's |alpha_t| >= 0.5 p_eff is
5.5-10.6 against N = 6) the series does not converge usefully and this order overshoots
(README, "Theorem 3 at order 2").  Gaussian inputs only (the paper's F enters at order 1
only; higher input moments enter here), omega0 = w0 as in the paper's Theorem 3.
"""
from __future__ import annotations

from functools import lru_cache

from sympy import Rational, Symbol, Trace

from ..moments import expectation, symmetric_matrix
from ..symbols import alpha_r, alpha_t, m, n_r, n_t, p, sigma
from . import theorem3
from .derivation import Derivation, Step, display
from .model import F, Sigma, Sigma_w, training_task

__all__ = ["derive", "moments", "moment_parts", "assemble", "MOMENTS", "expansion",
           "order1_part", "gaussian_H", "effective_dimension", "REGIME_RATIO", "MATCH"]

#: the truncation is offered as accurate where n_v m / p_eff < REGIME_RATIO: the paper's own
#: line for Theorem 1 (Fig. 6b, n_v m / p = 1/2, is where it says its theory is inaccurate),
#: with p_eff = (Tr H_t)^2 / E Tr K^2 in place of p (:func:`effective_dimension`)
REGIME_RATIO = Rational(1, 2)

#: the moments of the truncation, as display symbols (their LaTeX names)
MOMENTS = {name: Symbol(latex) for name, latex in (
    ("Q0", r"Q_{0}"), ("QG", r"Q_{G}"), ("QY", r"Q_{Y}"), ("QGG", r"Q_{GG}"),
    ("QGY", r"Q_{GY}"))}
#: the alpha_t = 0 matching factor rho_0 = E_0 / E^(2)_0 (a positive number given Sigma,
#: Sigma_w, n_v, m, sigma; :func:`symmaml.numeric.losses.theorem3_evaluator` computes it)
MATCH = Symbol("rho_0", positive=True)
#: display symbols of s = Tr H_t and y = Tr H_r H_t
s_sym, y_sym = Symbol("s"), Symbol("y")
#: a fixed symmetric matrix standing for H_r inside the engine's averages (substituted after)
_M = symmetric_matrix("M", p)


def expansion(Q, s, y):
    """E Tr(H_r omega* omega*^T) to second order in D, E' from the moments ``Q`` (a dict
    with keys of :data:`MOMENTS`) and s, y -- the formula of the module doc.

    (y/s^2) E gamma^T [I + E' - 2D - D E' - E' D + 3 D^2] gamma with D = G/s - I,
    E' = Y/y - I; gamma^T E' D gamma = gamma^T D E' gamma (all symmetric), collected."""
    return (3 * y * Q["Q0"] + 3 * Q["QY"] - 6 * y * Q["QG"] / s
            + 3 * y * Q["QGG"] / s ** 2 - 2 * Q["QGY"] / s) / s ** 2


def order1_part(Q, s, y):
    """The paper's Eq. 141, N c y/s^2 = y Q_0/s^2 (the zeroth order of the same expansion)."""
    return y * Q["Q0"] / s ** 2


@lru_cache(maxsize=None)
def moment_parts() -> dict:
    """The engine's averages per task path, H_r as the fixed symbol M: {name: (q, q_cross)}
    with q = E gamma_1^T X_11 gamma_1 and q_cross the path through a second task (None for
    X = I, G, Y); Q = m (q + (m - 1) q_cross)."""
    t1, t2 = training_task(1, general=True), training_task(2, general=True)
    g, B1, B2 = t1.dgamma, t1.B, t2.B
    same = {"Q0": g.T * g, "QG": g.T * B1 * B1.T * g, "QY": g.T * B1 * _M * B1.T * g,
            "QGG": g.T * B1 * B1.T * B1 * B1.T * g,
            "QGY": g.T * B1 * B1.T * B1 * _M * B1.T * g}
    # a path through another task j != i: G_ij G_ji, G_ij Y_ji (task 2 averaged independently)
    cross = {"QGG": g.T * B1 * B2.T * B2 * B1.T * g,
             "QGY": g.T * B1 * B2.T * B2 * _M * B1.T * g}
    return {name: (expectation(Trace(e)),
                   expectation(Trace(cross[name])) if name in cross else None)
            for name, e in same.items()}


def assemble(parts, Hr) -> dict:
    """Q_X = m (q + (m - 1) q_cross) with H_r substituted for the stand-in M."""
    out = {}
    for name, (q, q_cross) in parts.items():
        total = q if q_cross is None else q + (m - 1) * q_cross
        out[name] = (m * total).xreplace({_M: Hr})
    return out


@lru_cache(maxsize=None)
def moments() -> dict:
    """Q_0, Q_G, Q_Y, Q_GG, Q_GY (module doc), exact for Gaussian inputs, in Sigma, Sigma_w
    and H_r's Gaussian value."""
    return assemble(moment_parts(), gaussian_H(alpha_r, n_r))


def gaussian_H(alpha, size):
    """H_t or H_r (Eqs. 15-16) for Gaussian inputs: F at the engine's value F_G (Eq. 111)."""
    return theorem3.H(alpha, size).xreplace({F: theorem3.gaussian_F()})


@lru_cache(maxsize=None)
def effective_dimension():
    """p_eff = (E Tr K)^2 / E Tr K^2 of one task's row covariance K = A Sigma A
    (A = I - alpha_t/n_t X_t^T X_t, Gaussian rows; E Tr K = Tr H_t): the dimension the
    fluctuations of G = B B^T are measured against.  Equals Tr(Sigma)^2/Tr(Sigma^2) at
    alpha_t = 0 (Sigma = I: p).  At Fig. 4b's alpha_t = -1.5 ... 1.5 it is 7.2, 8.0,
    10.3, 29.8, 27.4 (alpha_t = 0.2, Fig. 4a), 7.2, 5.1, 5.2 against n_v m = 6."""
    t = training_task(1, general=True)
    K = t.A * Sigma * t.A
    return Trace(gaussian_H(alpha_t, n_t)) ** 2 / expectation(Trace(K * K))


@lru_cache(maxsize=None)
def derive() -> Derivation:
    """Theorem 3 at order 2 (module doc) as a :class:`Derivation`; the loss is Eq. 14 with
    E Tr(H_r omega* omega*^T) carried to the second order of the expansion."""
    order1 = theorem3.derive()
    by_eq = {s.equation: s for s in order1.steps}
    D = display()
    Hr_s, om = D["H_r"], D["omega"]
    Ht, Hr = gaussian_H(alpha_t, n_t), gaussian_H(alpha_r, n_r)
    s, y = Trace(Ht), Trace(Hr * Ht)
    Q = moments()
    e2 = expansion(Q, s, y)
    Dd, Ed = Symbol("D"), Symbol("E'")
    steps = [by_eq["115-124"], by_eq["130-131"],
             Step("15-16", "H_t, H_r for Gaussian inputs (F = F_G)", Symbol("H_t"), Ht,
                  "exact"),
             Step("137-139", "G = B B^T, Y = B H_r B^T about their means", Symbol("G, Y"),
                  Symbol("s (I + D), y (I + E')"), "definition",
                  note="s = Tr H_t, y = Tr H_r H_t; D, E' have mean zero"),
             Step("140", "G^-1 Y G^-1 to second order in D, E' (extends Eq. 140)",
                  Symbol("G^{-1} Y G^{-1}"),
                  y_sym / s_sym ** 2 * (1 + Ed - 2 * Dd - 2 * Dd * Ed + 3 * Dd ** 2),
                  "approximation", "O(p_eff^-2) relative (the D^3, D^4 terms); "
                  "p_eff = (Tr K)^2/Tr K^2, K = A Sigma A",
                  note="D E' stands for the symmetrised (D E' + E' D)/2 inside "
                       "gamma^T . gamma"),
             Step("141", "the moments Q_X = E gamma^T X gamma, X = I, G, Y, G^2, G Y (exact)",
                  Symbol("Q_X"), Symbol("m q_X + m (m - 1) q_X^{cross}"), "exact",
                  note="moment engine, Gaussian rows; a path through a second task is an "
                       "average over an independent task; equations below"),
             Step("141", "E Tr(H_r omega* omega*^T) at order 2 (extends Eq. 141)",
                  Trace(Hr_s * om * om.T), expansion(MOMENTS, s_sym, y_sym),
                  "approximation", "O(p_eff^-2) relative",
                  note="the zeroth order y Q_0/s^2 is the paper's N c y/s^2")]
    # matched at alpha_t = 0 (as Theorem 2's step 5): there the cDE gives the value without
    # expanding in D (numeric.theorem3_alpha0), and the truncation is rescaled by its ratio
    e2_00 = e2.subs({alpha_t: 0, alpha_r: 0})
    steps.append(Step(
        "141", "matched at alpha_t = 0 (as Theorem 2's order 2 is, to the inverse-Wishart "
        "value)", MATCH, Symbol(r"\mathcal{E}_0") / Symbol(r"\mathbb{E}^{(2)}_{0}"),
        "approximation", "exact at Sigma = I, alpha_t = 0; elsewhere the relative "
        "next-order correction is taken at alpha_t = alpha_r = 0",
        note="E_0 = E Tr(Sigma omega* omega*^T) at alpha_t = 0 by the corrected deterministic "
             "equivalent with N rows and M = Sigma (residual O(p_eff^-2) relative; "
             "numeric.theorem3_alpha0); E^(2)_0 the truncation there (alpha_t = alpha_r = 0); "
             "rho_0 multiplies the truncation at every alpha_t, alpha_r, so the loss stays "
             "quadratic in alpha_r"))
    loss = (sigma ** 2 / 2 * (1 + alpha_r ** 2 / n_r * Trace(Sigma ** 2))
            + Trace(Sigma_w * Hr) / 2 + MATCH * e2 / 2)
    steps.append(Step("14", "average test loss at order 2", D["L"],
                      sigma ** 2 / 2 * (1 + alpha_r ** 2 / n_r * Trace(Sigma ** 2))
                      + Trace(Sigma_w * Symbol("H_r")) / 2
                      + MATCH * Symbol(r"\mathbb{E}\,\mathrm{Tr}(H_r \omega^* \omega^{*T})") / 2,
                      "approximation", "O(p_eff^-2) relative"))
    return Derivation("3 (order 2)", "p > n_v m + 1, general Sigma, Sigma_w, Gaussian inputs, "
                      "omega0 = w0; p_eff large against n_v m", tuple(steps), loss,
                      extras={"order": 2, "E_h": e2, "E_h_order1": order1_part(Q, s, y),
                              "E_h_at_00": e2_00, "match": MATCH,
                              "moments": Q, "s": s, "y": y})

