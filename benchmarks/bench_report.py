"""Benchmark of the report's symbolic stages, cold and warm (fresh processes).

    python benchmarks/bench_report.py [--quick] [--figures 2b ...] [--repeat 1]

Each stage runs in a fresh Python process, so nothing is shared in memory:

* *cold*: with its own empty disk cache (``SYMMAML_CACHE_DIR`` = a new temporary folder);
* *warm*: a second process on the cache the cold one filled (nothing changed in between).

Stages: the derivation records (``derivations/*.md``, :data:`symmaml.records.RECORDS`),
the report's derived numbers (``theorem_summary``), ``verify`` (every claim, with the
JSON records ``symmaml verify --json`` prints) and the LaTeX typesetting
(``symmaml.latex.document()``).  Times are those of the stage inside the process; the
process's total (interpreter start and imports included) is in the last column.

Same-process baseline: the claims' comparison by the previous method (``expand`` of the
numerator of ``derived - printed`` over the product of the denominators) against
:func:`symmaml.claims.exact.is_zero`, on the same derived expressions.

``--figures 2b`` (or more names) adds ``run_report(out, figures=[...], quick=True,
pdf=False)``, cold and warm, with the report's own stage timings.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

STAGES = {
    "derivation records (5 files)": """
from symmaml.records import RECORDS
texts = [render() for render in RECORDS.values()]
""",
    "derived numbers (theorem_summary)": """
from symmaml.experiments.report import theorem_summary
theorem_summary()
""",
    "verify (46 claims + JSON records)": """
import json
from symmaml.claims import verify_all
json.dumps([v.record() for v in verify_all()])
""",
    "LaTeX typesetting (document())": """
from symmaml import latex
latex.document()
""",
}

_RUNNER = """
import json, sys, time
t0 = time.perf_counter()
exec(compile(sys.argv[1], "<stage>", "exec"))
stage = time.perf_counter() - t0
print(json.dumps({"stage": stage}))
"""

_REPORT = """
import json, sys, tempfile, time
from symmaml.experiments.report import run_report
with tempfile.TemporaryDirectory() as out:
    res = run_report(out, figures=sys.argv[1].split(","), quick=True, pdf=False,
                     progress=False, log=lambda *a: None)
print(json.dumps({"timings": res.timings}))
"""


def run(code, cache, *args):
    env = {**os.environ, "SYMMAML_CACHE_DIR": cache, "SYMMAML_NO_DISK_CACHE": "",
           "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, cwd=ROOT)
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"stage failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), total


def cold_warm(code, *args, repeat=1):
    """Best of ``repeat`` (cold, warm) pairs, each pair on a new cache folder."""
    best = None
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="symmaml-bench-cache-") as cache:
            cold = run(code, cache, *args)
            warm = run(code, cache, *args)
        if best is None or cold[1] + warm[1] < best[0][1] + best[1][1]:
            best = (cold, warm)
    return best


def comparison_baseline():
    """(previous method s, fast s, claims) over the scalar and trace claims, same process."""
    from sympy import expand
    from symmaml.claims import CLAIMS
    from symmaml.claims.exact import is_zero, seeded_sympy_random
    from symmaml.theory.optima import expand_traces
    pairs = []
    with seeded_sympy_random():
        for c in CLAIMS:
            if c.compare is not None:
                continue
            d, p = c.derived(), c.printed()
            if getattr(d, "shape", None) is None and getattr(p, "shape", None) is None:
                pairs.append((expand_traces(d), expand_traces(p)))
    t0 = time.perf_counter()
    old = [expand((d - p).as_numer_denom()[0]) == 0 for d, p in pairs]
    t_old = time.perf_counter() - t0
    t0 = time.perf_counter()
    new = [is_zero(d, p) is True for d, p in pairs]
    t_new = time.perf_counter() - t0
    assert old == new, "the two comparisons disagree"
    return t_old, t_new, len(pairs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="skip the derived-numbers stage (mpmath root finding)")
    ap.add_argument("--figures", nargs="*", default=[],
                    help="also time run_report(figures=...), e.g. --figures 2b")
    ap.add_argument("--repeat", type=int, default=1, help="best of N cold/warm pairs")
    args = ap.parse_args(argv)

    rows = []
    for name, code in STAGES.items():
        if args.quick and name.startswith("derived numbers"):
            continue
        print(f"running {name} ...", file=sys.stderr)
        (cold, cold_total), (warm, warm_total) = cold_warm(_RUNNER, code, repeat=args.repeat)
        rows.append((name, cold["stage"], warm["stage"], cold_total, warm_total))

    width = max(len(r[0]) for r in rows)
    print(f"{'stage (fresh process each)':<{width}}  {'cold':>8}  {'warm':>8}  "
          f"{'cold/warm':>9}  process total cold / warm")
    for name, c, w, ct, wt in rows:
        print(f"{name:<{width}}  {c:>7.2f}s  {w:>7.2f}s  {c / w:>8.0f}x  {ct:.2f} s / {wt:.2f} s")

    t_old, t_new, count = comparison_baseline()
    print(f"\nclaims comparison, {count} scalar claims, same process: previous expand-based "
          f"{t_old:.2f} s, polynomial arithmetic over QQ {t_new:.3f} s: {t_old / t_new:.0f}x")

    if args.figures:
        figs = ",".join(args.figures)
        print(f"running run_report(figures={figs}) ...", file=sys.stderr)
        (cold, ct), (warm, wt) = cold_warm(_REPORT, figs, repeat=args.repeat)
        print(f"\nrun_report(figures=[{figs}], quick=True, pdf=False), stage timings:")
        names = list(cold["timings"])
        w2 = max(len(n) for n in names)
        print(f"{'stage':<{w2}}  {'cold':>8}  {'warm':>8}  {'cold/warm':>9}")
        for n in names:
            c, w = cold["timings"][n], warm["timings"].get(n, float("nan"))
            print(f"{n:<{w2}}  {c:>7.2f}s  {w:>7.2f}s  {c / w:>8.1f}x")
        print(f"{'process total':<{w2}}  {ct:>7.2f}s  {wt:>7.2f}s  {ct / wt:>8.1f}x")


if __name__ == "__main__":
    main()
