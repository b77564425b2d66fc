"""Command-line interface: a thin shell over the library.

Exit codes: 0 success; 1 a claim's verdict differs from the established one, a validation
disagrees (or a stale record with ``--check``); 2 bad usage or invalid input (one line on
stderr, before any work starts); 130 interrupted by Ctrl-C (what was written is kept).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

__all__ = ["main"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE = 141      # 128 + SIGPIPE, as a C program killed by the pipe's reader


def cmd_moments(args) -> int:
    """Exact Gaussian matrix moments up to ``--max-degree`` (Lemma 1 and beyond)."""
    from .experiments.outputs import moment_table
    table = moment_table(args.max_degree, args.sigma, args.method)
    text = table.to_json() if args.json else table.summary_text(latex=args.latex)
    if text or args.json:
        print(text)
    return EXIT_OK


def cmd_verify(args) -> int:
    """The paper's printed claims against the derivations."""
    from .experiments.outputs import verify_claims
    claims = verify_claims(args.equation)
    print(claims.to_json() if args.json else claims.summary_text())
    return EXIT_OK if claims.ok else EXIT_FAIL


def cmd_derivations(args) -> int:
    """Write the derivation records into ``--out`` (or, with ``--check``, list the stale ones)."""
    from .records import stale_records, write_records
    if args.check:
        stale = stale_records(args.out)
        for name in stale:
            print(f"stale: {Path(args.out) / name}")
        return EXIT_FAIL if stale else EXIT_OK
    from .io import prepare_dir
    prepare_dir(args.out)
    for path in write_records(args.out):
        print(f"wrote {path}")
    return EXIT_OK


def _steps_options(p):
    p.add_argument("--steps-t", type=int, default=1, metavar="K",
                   help="inner gradient steps in meta-training (default 1, the paper)")
    p.add_argument("--steps-r", type=int, default=1, metavar="K",
                   help="adaptation steps at test time (default 1, the paper)")


def cmd_validate(args) -> int:
    """Theory vs Monte Carlo for the paper's figures (z-scores, relative gaps, verdicts)."""
    from .experiments.validation import run_validation
    run = run_validation(args.figure, args.runs, args.seed, backend=args.backend,
                         progress=args.progress, scaling=args.scaling,
                         scaling_runs=args.scaling_runs, steps_t=args.steps_t,
                         steps_r=args.steps_r, order=args.order, optimum=args.optimum,
                         optimum_runs=args.optimum_runs)
    print(run.to_json() if args.json else run.summary_text())
    return EXIT_OK if run.ok else EXIT_FAIL


def cmd_latex(args) -> int:
    """Write the standalone LaTeX document of every result (and, with ``--pdf``, compile it)."""
    import shutil
    from .io import check_file_target
    from .latex import compile_pdf, write_document
    check_file_target(args.out)
    if args.pdf and shutil.which("pdflatex") is None:
        raise ValueError("--pdf needs pdflatex, which is not installed (Debian/Ubuntu: "
                         "apt-get install texlive-latex-base); without --pdf the .tex is "
                         "written")
    path = write_document(args.out)
    print(f"wrote {path}")
    if args.pdf:
        print(f"wrote {compile_pdf(path)}")
    return EXIT_OK


def _nonlinear_run(**kw):
    """:func:`symmaml.experiments.nonlinear_figure.run_nonlinear`, or ``ValueError`` without torch."""
    try:
        from .experiments.nonlinear_figure import run_nonlinear
        return run_nonlinear(**kw)
    except ImportError as exc:
        raise ValueError(f"the nonlinear experiment needs PyTorch ({exc}); "
                         "pip install torch==2.13.0 (or symmaml[torch])") from exc


def cmd_nonlinear(args) -> int:
    """Fig. 5: MAML with a ReLU network on y = (w^T x + b)^2 + z, swept over alpha_t."""
    if args.runs is not None and args.runs < 2:
        raise ValueError(f"--runs must be at least 2 (the argmin's uncertainty is over runs), got {args.runs}")
    if args.alpha_lr is not None and not (args.alpha_lr > 0 and math.isfinite(args.alpha_lr)):
        raise ValueError(f"--alpha-lr must be positive and finite, got {args.alpha_lr}")
    if any(h < 1 for h in args.hidden):
        raise ValueError(f"--hidden widths must be positive, got {args.hidden}")
    if args.max_epochs is not None and args.max_epochs < 1:
        raise ValueError(f"--max-epochs must be positive, got {args.max_epochs}")
    if args.quick and args.full:
        raise ValueError("--quick and --full exclude each other")
    if args.scheduler is not None or args.workers is not None:
        return _nonlinear_cluster(args)
    if args.alpha_t is not None or args.run_chunk is not None or args.time_budget is not None:
        raise ValueError("--alpha-t, --run-chunk and --time-budget belong to the distributed "
                         "study: add --workers [N] or --scheduler ADDRESS")
    run = _nonlinear_run(quick=not args.full, seed=args.seed, out_dir=args.out, ntk=args.ntk,
                         metasgd=args.metasgd, progress=not args.json, regime=args.regime,
                         runs=args.runs, max_epochs=args.max_epochs, hidden=tuple(args.hidden),
                         alpha_lr=args.alpha_lr)
    print(run.to_json() if args.json else run.summary_text())
    return EXIT_OK


def _nonlinear_cluster(args) -> int:
    """``symmaml nonlinear --workers/--scheduler``: the study distributed over runs x alpha_t."""
    if args.ntk or args.metasgd:
        raise ValueError("--ntk and --metasgd run in-process only; drop --workers/--scheduler")
    if args.run_chunk is not None and args.run_chunk < 1:
        raise ValueError(f"--run-chunk must be positive, got {args.run_chunk}")
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise ValueError(f"the nonlinear experiment needs PyTorch ({exc}); "
                         "pip install torch==2.13.0 (or symmaml[torch])") from exc
    from .sweep.nonlinear import run_nonlinear_study
    study = run_nonlinear_study(
        runs=args.runs if args.runs is not None else 20, alpha_t=args.alpha_t, seed=args.seed,
        run_chunk=args.run_chunk or 1, scheduler=args.scheduler,
        workers=None if args.workers == -1 else args.workers,
        quick=not args.full, hidden=tuple(args.hidden), regime=args.regime,
        max_epochs=args.max_epochs, progress=not args.json, out_dir=args.out,
        log=lambda msg: print(msg, file=sys.stderr), time_budget=args.time_budget)
    print(study.to_json() if args.json else study.summary_text())
    return EXIT_INTERRUPTED if study.interrupted else EXIT_OK


def cmd_figures(args) -> int:
    """Redraw the paper's Figs. 2, 3, 4, 6 (or, with ``--nonlinear``, Fig. 5)."""
    if args.nonlinear:
        from .experiments.outputs import paths_json
        run = _nonlinear_run(quick=True, seed=args.seed, out_dir=args.out,
                             progress=args.progress)
        print(paths_json(run.figures) if args.json else f"wrote Fig. 5 into {args.out}")
        return EXIT_OK
    if args.steps or args.threshold:
        if args.steps and args.threshold:
            raise ValueError("--steps and --threshold draw one figure each: give one")
        from .experiments.steps_figure import run_steps_figure
        from .experiments.threshold import run_threshold_figure
        run = (run_steps_figure if args.steps else run_threshold_figure)(
            args.out, runs=args.runs, seed=args.seed, backend=args.backend, quick=args.quick,
            progress=args.progress)
        print(run.to_json() if args.json else run.summary_text())
        return EXIT_OK
    from .experiments.outputs import draw_figures
    written = draw_figures(args.out, runs=args.runs, seed=args.seed, quick=args.quick,
                           full=args.full, figures=args.figure, backend=args.backend,
                           progress=args.progress)
    print(written.to_json() if args.json else written.summary_text())
    return EXIT_OK


def cmd_report(args) -> int:
    """The main job: derive, verify, simulate, draw, write (symmaml.experiments.report)."""
    from .experiments.report import run_report
    res = run_report(args.out, quick=args.quick, full=args.full, runs=args.runs,
                     seed=args.seed, backend=args.backend, figures=args.figure,
                     pdf=not args.no_pdf, progress=not args.json,
                     log=lambda msg: print(msg, file=sys.stderr))
    print(res.to_json() if args.json else res.summary_text())
    if res.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if res.ok else EXIT_FAIL


def cmd_sweep(args) -> int:
    """A parameter sweep of theory and simulation (symmaml.sweep), on Dask or in-process."""
    from .sweep import example_spec, load_spec, run_sweep
    if args.example:
        if args.spec is not None or args.out is not None:
            raise ValueError("--example prints the example spec; give no SPEC or --out with it")
        print(example_spec(), end="")
        return EXIT_OK
    if args.spec is None:
        raise ValueError("give a SPEC (a .toml file or a shipped spec's name) or --example")
    if args.out is None:
        raise ValueError("--out DIR is required (the sweep's store)")
    spec = load_spec(args.spec)
    log = lambda msg: print(msg, file=sys.stderr)
    try:
        run = run_sweep(spec, args.out, scheduler=args.scheduler, workers=args.workers,
                        resume=args.resume, progress=not args.json, log=log)
    except KeyboardInterrupt as exc:
        print(f"symmaml: {exc}" if str(exc) else "symmaml: interrupted (Ctrl-C)", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(run.to_json() if args.json else run.summary_text())
    return EXIT_OK


def _simulation_options(p) -> None:
    """The options shared by every command that simulates: --figure, --runs, --seed, --backend."""
    p.add_argument("--figure", action="append", help="only these figures, e.g. 2b (repeatable; "
                                                     "default all)")
    p.add_argument("--runs", type=int, default=None, help="runs per simulated point "
                                                          "(default per figure)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", default="numpy", help="numpy, torch, torch:cuda, array_api_strict")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (report, figures, nonlinear, sweep, moments,
    verify, validate, latex, derivations)."""
    parser = argparse.ArgumentParser(
        prog="symmaml",
        description="Re-derive and verify 'Meta-learning with negative learning rates' "
                    "(Bernacchia, ICLR 2021).")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="the main job: derive, verify, simulate, draw, write",
                       description="Derive Lemma 1 and Theorems 1-3, verify every printed claim "
                                   "of the paper, simulate and redraw the paper's figures, and "
                                   "write report.md, figures, LaTeX/PDF and records to --out. "
                                   "Exit 1 if a verdict or a validation is not as established.")
    p.add_argument("--out", default="report", help="output folder (default ./report)")
    p.add_argument("--quick", action="store_true", help="small simulation budget (~1 min)")
    p.add_argument("--full", action="store_true", help="the paper's run counts")
    _simulation_options(p)
    p.add_argument("--no-pdf", action="store_true", help="do not run pdflatex")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("figures", help="redraw the paper's Figs. 2, 3, 4, 6 (theory + simulation)",
                       description="Theory curves and seeded Monte Carlo points with error bars "
                                   "at the captions' parameters, as PNG and PDF.")
    p.add_argument("--out", default="figures", help="output folder (default ./figures)")
    p.add_argument("--quick", action="store_true", help="few runs, coarse grids")
    p.add_argument("--full", action="store_true", help="the paper's run counts")
    _simulation_options(p)
    p.add_argument("--progress", action="store_true")
    p.add_argument("--json", action="store_true", help="print the written paths as JSON")
    p.add_argument("--nonlinear", action="store_true",
                   help="draw Fig. 5 (neural-network MAML; needs torch; minutes)")
    p.add_argument("--steps", action="store_true",
                   help="draw the K-step figure: alpha_t* and L(alpha_t*) against K_t = 1..10 "
                        "at Figs. 2 and 3's parameters (figsteps.png/.pdf)")
    p.add_argument("--threshold", action="store_true",
                   help="draw alpha_t* of the paper's theorems, the order-2 theory and the "
                        "simulation from n_v m / p = 0.1 to 10 at Fig. 6's parameters "
                        "(figthreshold.png/.pdf)")
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("nonlinear", help="Fig. 5: MAML with a ReLU network, swept over alpha_t",
                       description="Nonlinear MAML (Section 5.4) with the exact second-order "
                                   "meta-gradient: the alpha_t sweep (mean, s.e.) and the argmin "
                                   "with a bootstrap interval. Needs torch. The default (quick) "
                                   "sizes take a few minutes; --full uses the paper's sizes.")
    p.add_argument("--full", action="store_true", help="the paper's sizes (long)")
    p.add_argument("--quick", action="store_true", help="the default reduced sizes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for nonlinear.json and Fig. 5")
    p.add_argument("--ntk", action="store_true", help="also the Theorem-3 tangent-feature check")
    p.add_argument("--metasgd", action="store_true", help="also Meta-SGD's learned rates")
    p.add_argument("--alpha-lr", type=float, default=None,
                   help="Meta-SGD: outer learning rate of the learned inner rates (default: the "
                        "network's, 0.001)")
    p.add_argument("--regime", choices=("fixed", "fresh"), default="fixed",
                   help="meta-training tasks: a fixed set of m per run, trained to convergence "
                        "(default), or m new tasks every epoch")
    p.add_argument("--runs", type=int, default=None, help="runs per alpha_t (default 10)")
    p.add_argument("--hidden", type=int, nargs="+", default=[400, 400], metavar="WIDTH",
                   help="hidden-layer widths: 400 400 (default, two hidden layers) or 400 (one "
                        "hidden layer, the other reading of the paper's '2-layer' network)")
    p.add_argument("--max-epochs", type=int, default=None,
                   help="epoch cap (fixed tasks stop earlier at convergence; fresh tasks run them "
                        "all); default 1000, --full 5000")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="distribute runs x alpha_t on the Dask cluster at ADDRESS "
                        "(models stop by their own convergence rule; needs symmaml[sweep])")
    p.add_argument("--workers", type=int, nargs="?", const=-1, default=None, metavar="N",
                   help="distribute runs x alpha_t on a local Dask cluster of N processes "
                        "(N omitted: this machine's cores)")
    p.add_argument("--alpha-t", type=float, nargs="+", default=None, metavar="A",
                   help="distributed study: the alpha_t grid (default -0.015 ... 0.01 with the "
                        "paper's -0.0075)")
    p.add_argument("--run-chunk", type=int, default=None, metavar="R",
                   help="distributed study: runs per unit (default 1)")
    p.add_argument("--time-budget", type=float, default=None, metavar="S",
                   help="distributed study: stop after S seconds, reporting the complete runs")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_nonlinear)

    p = sub.add_parser(
        "sweep", help="a parameter sweep of theory and simulation (phase diagrams), on Dask",
        description="Run the sweep of SPEC (a TOML file, or a shipped spec: "
                    "example, ratios, noise, steps): at every grid point the theory's loss "
                    "over the alpha_t grid, its argmin alpha_t* and its sign, and Monte Carlo "
                    "at alpha_t*, 0 and the chosen rates. Units go to a Dask LocalCluster on "
                    "this machine's cores (or --scheduler's cluster; in-process without "
                    "dask); results go to a Parquet store in --out (pandas.read_parquet), "
                    "with points.parquet and phase.png. Same bits wherever it runs. "
                    "Exit 2: bad spec, another spec's store in --out, unreachable scheduler.",
        epilog="Needs the extra: pip install \"symmaml[sweep]\" (dask.distributed, pyarrow).")
    p.add_argument("spec", nargs="?", default=None, metavar="SPEC",
                   help="the spec: a .toml file or a shipped spec's name")
    p.add_argument("--out", default=None, metavar="DIR", help="the store (a new or empty "
                                                              "folder, or this sweep's with --resume)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing Dask scheduler (tcp://host:port); default: a LocalCluster")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="LocalCluster worker processes (default: the cores); 0: in this process")
    p.add_argument("--resume", action="store_true",
                   help="finish the sweep in --out, computing only the missing units")
    p.add_argument("--example", action="store_true",
                   help="print a small valid spec (runs in under a minute) and exit")
    p.add_argument("--json", action="store_true",
                   help="print the per-point results (parameters, alpha_t*, sign, MC) as JSON")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("moments", help="table of E[W^k prod Tr W^l] up to a total degree",
                       description="Exact Gaussian matrix moments E[W^k prod_j Tr W^{l_j}], "
                                   "W = X^T X, for every total degree up to --max-degree.")
    p.add_argument("--max-degree", type=int, default=4)
    p.add_argument("--sigma", choices=("identity", "general"), default="identity",
                   help="row covariance of X: I (polynomials in n, p) or a symbol Sigma")
    p.add_argument("--method", choices=("recurrence", "fast", "reference"), default=None,
                   help="algorithm (default: recurrence for Sigma = I, fast otherwise; "
                        "reference only up to degree 8)")
    p.add_argument("--latex", action="store_true", help="print LaTeX")
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cmd_moments)

    p = sub.add_parser("verify", help="check the paper's printed claims against derivations",
                       description="Compare every registered claim of the paper with the "
                                   "derived result, exactly. Exit 1 if a verdict changed.")
    p.add_argument("--json", action="store_true", help="one JSON record per claim")
    p.add_argument("--equation", action="append", help="only this equation (repeatable)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("validate", help="theory vs Monte Carlo at the paper's figure parameters",
                       description="Simulate MAML (seeded) at the parameters of Figs. 2, 3, 4, 6 "
                                   "and compare with Theorems 1-3: z-scores, relative gaps, "
                                   "verdicts. Exit 1 if an accurate panel disagrees.")
    _simulation_options(p)
    p.add_argument("--scaling", action="store_true",
                   help="also fit how the theory-simulation gap shrinks with p and m")
    p.add_argument("--scaling-runs", type=int, default=None,
                   help="runs per size of the scaling fit (default 500; 100000 with --order 2, "
                        "whose residual is far smaller)")
    p.add_argument("--order", type=int, default=1, choices=(1, 2),
                   help="1: the paper's theorems; 2: the finite-size theory beyond the paper "
                        "(the figures of Theorems 1 and 2; both gaps are shown)")
    p.add_argument("--optimum", action="store_true",
                   help="also compare the theories' optimal alpha_t with the simulated argmin "
                        "(bootstrap interval) at the alpha_t-swept figures")
    p.add_argument("--optimum-runs", type=int, default=2000)
    _steps_options(p)
    p.add_argument("--progress", action="store_true", help="show progress bars")
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("latex", help="write a standalone LaTeX document of every result",
                       description="Every lemma, theorem derivation, derived quantity and claim "
                                   "verdict in the paper's notation, as a standalone .tex.")
    p.add_argument("--out", required=True, help="the .tex file to write")
    p.add_argument("--pdf", action="store_true", help="also compile it with pdflatex")
    p.set_defaults(func=cmd_latex)

    p = sub.add_parser("derivations", help="regenerate (or --check) the derivations/ records",
                       description="Write the human-readable derivation records.")
    p.add_argument("--out", default="derivations", help="target folder (default derivations)")
    p.add_argument("--check", action="store_true", help="exit 1 if a record is stale")
    p.set_defaults(func=cmd_derivations)
    return parser


def main(argv=None) -> int:
    """Run one command; returns the exit code (see the module docstring)."""
    import warnings
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            # the simulator's own note on returning partial runs: the CLI stops instead and
            # says so in one line
            warnings.filterwarnings("ignore", message="interrupted: returning",
                                    category=RuntimeWarning)
            return args.func(args)
    except KeyboardInterrupt as exc:
        partial = getattr(exc, "result", None)      # montecarlo.SimulationInterrupted
        runs = f" after {partial.runs} runs of a simulation" if partial is not None else ""
        print(f"symmaml: interrupted (Ctrl-C){runs}; the files written so far are kept",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``symmaml moments | head -1``): stop quietly, and keep
        # Python's own flush at exit from raising again on the closed pipe
        try:
            import os
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass
        return EXIT_BROKEN_PIPE
    except (ValueError, KeyError, ImportError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"symmaml: error: {msg}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:      # a file system error (disk full, permissions) in one line
        print(f"symmaml: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
