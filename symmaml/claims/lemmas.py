"""Claims from the lemmas (Lemma 1, Eqs. 31-42; Lemmas 2-3; F of Eq. 111).

This is the only place where formulas are *typed in* from the paper (Bernacchia, ICLR 2021,
arXiv 2102.00940).  Each :class:`Claim` pairs a transcription with a builder for the
quantity the package derives, and :func:`verify` compares the two exactly
(``expand(derived - printed) == 0`` basis term by basis term).  A claim that does not hold
is reported with the difference, never silently corrected.

Statuses: ``"holds"``, ``"fails"`` (with the difference), ``"holds under condition"``
(with the condition).  ``expected`` records the status we established, so that a change in
a verdict is caught by ``symmaml verify`` and the tests.
"""
from __future__ import annotations

from sympy import Identity, Trace

from ..moments import expectation, gaussian_matrix, symmetric_matrix, wishart_lhs
from ..symbols import n, n_t, n_v, p
from .base import Claim

__all__ = ["CLAIMS", "lemma23_lhs"]


def _moment_claim(equation, statement, lhs, printed, **kw):
    return Claim(equation, kw.pop("section", "Lemma 1"), statement,
                 derived=lambda: expectation(lhs()), printed=printed, **kw)


def _X():
    return gaussian_matrix("X")


def _I():
    return Identity(p)


# Eqs. 31-40 (Lemma 1, Sigma = I), transcribed from Section 7.2.
_LEMMA1 = [
    ("31", "E[X^T X] = n I_p", lambda: wishart_lhs(1), lambda: n * _I()),
    ("32", "E[(X^T X)^2] = n (n + p + 1) I_p", lambda: wishart_lhs(2),
     lambda: n * (n + p + 1) * _I()),
    ("33", "E[(X^T X)^3] = n (n^2 + p^2 + 3np + 3n + 3p + 4) I_p", lambda: wishart_lhs(3),
     lambda: n * (n**2 + p**2 + 3*n*p + 3*n + 3*p + 4) * _I()),
    ("34-35", "E[(X^T X)^4] = n (n^3 + p^3 + 6n^2p + 6np^2 + 6n^2 + 6p^2 + 17np + 21n + 21p + 20) I_p",
     lambda: wishart_lhs(4),
     lambda: n * (n**3 + p**3 + 6*n**2*p + 6*n*p**2 + 6*n**2 + 6*p**2 + 17*n*p + 21*n
                  + 21*p + 20) * _I()),
    ("36", "E[X^T X Tr(X^T X)] = (n^2 p + 2n) I_p", lambda: wishart_lhs(1, (1,)),
     lambda: (n**2 * p + 2 * n) * _I()),
    ("37", "E[(X^T X)^2 Tr(X^T X)] = n (n^2 p + n p^2 + n p + 4n + 4p + 4) I_p",
     lambda: wishart_lhs(2, (1,)),
     lambda: n * (n**2*p + n*p**2 + n*p + 4*n + 4*p + 4) * _I()),
    ("38", "E[X^T X Tr((X^T X)^2)] = n (n^2 p + n p^2 + n p + 4n + 4p + 4) I_p",
     lambda: wishart_lhs(1, (2,)),
     lambda: n * (n**2*p + n*p**2 + n*p + 4*n + 4*p + 4) * _I()),
    ("39-40", "E[(X^T X)^2 Tr((X^T X)^2)] = n (n^3 p + n p^3 + 2n^2p^2 + 2n^2p + 2np^2 + 8n^2 + 8p^2 + 21np + 20n + 20p + 20) I_p",
     lambda: wishart_lhs(2, (2,)),
     lambda: n * (n**3*p + n*p**3 + 2*n**2*p**2 + 2*n**2*p + 2*n*p**2 + 8*n**2 + 8*p**2
                  + 21*n*p + 20*n + 20*p + 20) * _I()),
]


def _lemma1_41():
    X = _X()
    C = symmetric_matrix("C", n)
    return X.T * C * X


def _lemma1_42():
    X = _X()
    D = symmetric_matrix("D", p)
    return X.T * X * D * X.T * X


def lemma23_lhs(kind):
    """The random matrix averaged in Lemma 2/3 claim ``kind`` (an equation number: 43-46
    for Lemma 2, 55-57 for Lemma 3), whose expectation is the concentration statement's
    centre.  Raises ``KeyError`` for any other equation."""
    Xt = gaussian_matrix("X_t", n_t, p)
    Xv = gaussian_matrix("X_v", n_v, p)
    Xv2 = gaussian_matrix("X_v2", n_v, p)
    Wt = Xt.T * Xt
    return {
        "43": Xv * Xv.T,
        "44": Xv * Wt * Xv.T,
        "45": Xv * Wt * Wt * Xv.T,
        "46": Xv * Xv2.T,
        "55": Xv.T * Xv,
        "56": Wt * Xv.T * Xv,
        "57": Wt * Xv.T * Xv * Wt,
    }[kind]


def _gaussian_F():
    """F = E[(x^T Sigma x) x x^T] for one Gaussian row x ~ N(0, Sigma) (Eq. 111)."""
    x = gaussian_matrix("x", 1, p, cov="Sigma")
    S = x.cov
    return Trace(x * S * x.T) * x.T * x


def _sigma():
    return symmetric_matrix("Sigma", p)


CLAIMS: list[Claim] = [
    _moment_claim(eq, text, lhs, printed) for eq, text, lhs, printed in _LEMMA1
] + [
    _moment_claim("41", "E[X^T C X] = Tr(C) I_p  (C symmetric n x n)", _lemma1_41,
                  lambda: Trace(symmetric_matrix("C", n)) * _I()),
    _moment_claim("42", "E[X^T X D X^T X] = n (n + 1) D + n Tr(D) I_p  (D symmetric p x p)",
                  _lemma1_42,
                  lambda: n * (n + 1) * symmetric_matrix("D", p)
                  + n * Trace(symmetric_matrix("D", p)) * _I()),
    _moment_claim("43", "E[X^v X^v^T] = p I_{n_v} (centre of the concentration statement)",
                  lambda: lemma23_lhs("43"), lambda: p * Identity(n_v), section="Lemma 2"),
    _moment_claim("44", "E[X^v X^t^T X^t X^v^T] = p n_t I_{n_v}",
                  lambda: lemma23_lhs("44"), lambda: p * n_t * Identity(n_v), section="Lemma 2"),
    _moment_claim("45", "E[X^v (X^t^T X^t)^2 X^v^T] = p n_t (n_t + p + 1) I_{n_v}",
                  lambda: lemma23_lhs("45"), lambda: p * n_t * (n_t + p + 1) * Identity(n_v),
                  section="Lemma 2"),
    _moment_claim("46", "E[X^v(i) X^v(j)^T] = 0 for i != j (the O(xi^1/2) term has zero mean)",
                  lambda: lemma23_lhs("46"), lambda: 0 * Identity(n_v), section="Lemma 2"),
    _moment_claim("55", "E[X^v^T X^v] = n_v I_p", lambda: lemma23_lhs("55"),
                  lambda: n_v * _I(), section="Lemma 3"),
    _moment_claim("56", "E[X^t^T X^t X^v^T X^v] = n_t n_v I_p", lambda: lemma23_lhs("56"),
                  lambda: n_t * n_v * _I(), section="Lemma 3"),
    _moment_claim("57", "E[X^t^T X^t X^v^T X^v X^t^T X^t] = n_v n_t (n_t + p + 1) I_p",
                  lambda: lemma23_lhs("57"), lambda: n_v * n_t * (n_t + p + 1) * _I(),
                  section="Lemma 3"),
    _moment_claim("111", "F = E[(x^T Sigma x) x x^T] = 2 Sigma^3 + Sigma Tr(Sigma^2) for Gaussian x",
                  _gaussian_F,
                  lambda: 2 * _sigma() ** 3 + Trace(_sigma() ** 2) * _sigma(),
                  section="Theorem 3"),
]


