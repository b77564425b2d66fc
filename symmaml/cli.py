"""Command-line interface: a thin shell over the library.

Exit codes: 0 success; 1 a claim's verdict differs from the established one (or a stale
record with ``--check``); 2 bad usage or invalid input.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

__all__ = ["main"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _moment_rows(max_degree, sigma, method):
    from .moments import (Moment, expectation, gaussian_matrix, wishart_lhs, wishart_moment,
                          wishart_orders)
    X = gaussian_matrix("X", cov=None if sigma == "identity" else "Sigma")
    rows = []
    for k, traces in wishart_orders(max_degree):
        lhs = wishart_lhs(k, traces, X, scalar=True)
        if sigma == "identity" and method == "recurrence":
            c = wishart_moment(k, traces)
            value = c if k == 0 else c * X.cov
        else:
            value = expectation(lhs, method="fast" if method == "recurrence" else method)
        rows.append((k, traces, Moment(lhs, value)))
    return rows


def cmd_moments(args) -> int:
    rows = _moment_rows(args.max_degree, args.sigma, args.method)
    if args.json:
        print(json.dumps([{"k": k, "traces": list(t), "lhs": str(m.lhs), "value": str(m.value),
                           "latex": m.latex()} for k, t, m in rows], indent=1))
    else:
        for _, _, m in rows:
            print(m.latex() if args.latex else str(m))
    return EXIT_OK


def cmd_verify(args) -> int:
    from .claims import verify_all
    verdicts = verify_all(args.equation or None)
    if args.json:
        print(json.dumps([v.record() for v in verdicts], indent=1))
    else:
        width = max(len(v.claim.equation) for v in verdicts)
        for v in verdicts:
            flag = "" if v.as_expected else "   <-- UNEXPECTED (expected %s)" % v.claim.expected
            print(f"Eq. {v.claim.equation:<{width}}  {v.status:<22} {v.claim.statement}{flag}")
            if v.status != "holds":
                print(f"      {v.detail}")
    return EXIT_OK if all(v.as_expected for v in verdicts) else EXIT_FAIL


def cmd_derivations(args) -> int:
    from .records import stale_records, write_records
    if args.check:
        stale = stale_records(args.out)
        for name in stale:
            print(f"stale: {Path(args.out) / name}")
        return EXIT_FAIL if stale else EXIT_OK
    for path in write_records(args.out):
        print(f"wrote {path}")
    return EXIT_OK


def cmd_report(args) -> int:
    """The main job (grows with later issues): derive, verify, write."""
    from .claims import verify_all
    from .io import atomic_write_text
    from .moments import lemma1_table
    from .records import render_moments
    t0 = time.perf_counter()
    table = lemma1_table()
    verdicts = verify_all()
    elapsed = time.perf_counter() - t0
    lines = ["symmaml report: Lemma 1 (Eqs. 31-42), derived by Wick contraction", ""]
    lines += [str(m) for m in table]
    lines += ["", "Claims:"]
    lines += [f"  Eq. {v.claim.equation:<6} {v.status}" for v in verdicts]
    bad = [v for v in verdicts if not v.as_expected]
    lines += ["", f"derived and verified in {elapsed:.2f} s; "
              f"{len(verdicts) - len(bad)}/{len(verdicts)} verdicts as established"]
    if args.json:
        print(json.dumps({"moments": [{"equation": m.equation, "lhs": str(m.lhs),
                                       "value": str(m.value), "latex": m.latex()} for m in table],
                          "claims": [v.record() for v in verdicts]}, indent=1))
    else:
        print("\n".join(lines))
    if args.out:
        out = Path(args.out)
        atomic_write_text(out / "moments.md", render_moments())
        atomic_write_text(out / "lemma1.tex", "\n".join(
            r"\begin{equation}" + m.latex() + r"\tag{%s}\end{equation}" % m.equation
            for m in table) + "\n")
        atomic_write_text(out / "claims.json", json.dumps([v.record() for v in verdicts],
                                                          indent=1) + "\n")
        if not args.json:
            print(f"wrote {out / 'moments.md'}, {out / 'lemma1.tex'}, {out / 'claims.json'}")
    return EXIT_OK if not bad else EXIT_FAIL


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symmaml",
        description="Re-derive and verify 'Meta-learning with negative learning rates' "
                    "(Bernacchia, ICLR 2021).")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="the main job: derive, verify and write the results",
                       description="Derive Lemma 1 with the moment engine, verify the paper's "
                                   "printed claims, and optionally write the results.")
    p.add_argument("--out", help="folder for moments.md, lemma1.tex, claims.json")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("moments", help="table of E[W^k prod Tr W^l] up to a total degree",
                       description="Exact Gaussian matrix moments E[W^k prod_j Tr W^{l_j}], "
                                   "W = X^T X, for every total degree up to --max-degree.")
    p.add_argument("--max-degree", type=int, default=4)
    p.add_argument("--sigma", choices=("identity", "general"), default="identity",
                   help="row covariance of X: I (polynomials in n, p) or a symbol Sigma")
    p.add_argument("--method", choices=("recurrence", "fast", "reference"),
                   default="recurrence", help="algorithm (recurrence only for Sigma = I)")
    p.add_argument("--latex", action="store_true", help="print LaTeX")
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cmd_moments)

    p = sub.add_parser("verify", help="check the paper's printed claims against derivations",
                       description="Compare every registered claim of the paper with the "
                                   "derived result, exactly. Exit 1 if a verdict changed.")
    p.add_argument("--json", action="store_true", help="one JSON record per claim")
    p.add_argument("--equation", action="append", help="only this equation (repeatable)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("derivations", help="regenerate (or --check) the derivations/ records",
                       description="Write the human-readable derivation records.")
    p.add_argument("--out", default="derivations", help="target folder (default derivations)")
    p.add_argument("--check", action="store_true", help="exit 1 if a record is stale")
    p.set_defaults(func=cmd_derivations)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError) as exc:
        print(f"symmaml: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
