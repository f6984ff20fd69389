"""`neuromod-evidence fit INPUT.csv --measure M --out DIR`: one ad-hoc Bayesian meta-analysis.

Input layouts (detected from the columns; one row per study; comma-, semicolon- or tab-separated):

- contrast level: ``study, estimate, se`` or ``study, estimate, ci_low, ci_high`` (95 % CI). For OR and
  RR the estimate is a natural log unless ``--ratio-scale`` says the numbers are ratios;
- arm-level binary: ``study, events_t, n_t, events_c, n_c`` (OR → binomial–normal model; RR, RD → NNHM);
- arm-level continuous: ``study, mean_t, sd_t, n_t, mean_c, sd_c, n_c`` (MD, or SMD as Hedges' g).

Writes DIR/summary.json (the fields of a summary.csv row, the priors used, study estimates, sensitivity
analyses), DIR/studies.csv, DIR/sensitivity.csv, DIR/heterogeneity.csv, DIR/posterior.nc and DIR/forest.svg
(the report's forest plot: per-arm data, weights, tau², Q, I²). Priors, sampler and
convergence gate default to the configuration schema's ``models:`` section. Bad input exits with status 2
and one message naming the row and column; an analysis that is not estimable (every study without events
in both arms) or not converged exits with status 1. PyMC is imported only when fitting.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .fit_input import (  # noqa: F401  (re-exported: the command's input functions)
    LAYOUTS,
    MEASURES,
    InputError,
    _read,
    _unit_information_sd,
    detect_layout,
    duplicate_studies,
    to_contrasts,
)

# the command's own default tau priors (the workflow takes each outcome's prior from the config); MD has
# a data-driven default (half the unit-information SD)
DEFAULT_TAU = {"OR": "half-normal:0.5", "RR": "half-normal:0.5", "RD": "half-normal:0.1",
               "SMD": "half-normal:0.5", "GENERIC": "half-normal:0.5"}  # fmt: skip


def register(subparsers, name: str) -> None:
    doc = __doc__.split("\n\n")
    p = subparsers.add_parser(
        name,
        help="fit one Bayesian random-effects meta-analysis from a CSV file",
        description="\n\n".join(doc[:3]),
        epilog=doc[3],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", type=Path, help="CSV file, one row per study (input layouts: see above)")
    p.add_argument(
        "--measure", required=True, choices=MEASURES, help="effect measure (OR and RR analysed as logs)"
    )
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--tau-prior", help="half-normal:SCALE | half-cauchy:SCALE | turner:TYPE[:COMPARISON] | "
                   "rhodes:TYPE[:COMPARISON] (default: half-normal:0.5 for log ratios and SMD; for MD "
                   "half-normal with half the unit-information SD, Röver et al. 2021)")  # fmt: skip
    p.add_argument("--effect-prior", help="normal:MEAN,SD on the analysis scale (default by measure, from the "
                   "config schema's models.effect_prior)")  # fmt: skip
    p.add_argument(
        "--benefit", choices=("lower", "higher"), default="lower", help="which direction is a benefit"
    )
    p.add_argument(
        "--mcid", type=float, help="minimal clinically important difference (a ratio > 1 for OR/RR)"
    )
    p.add_argument("--ratio-scale", action="store_true", help="OR/RR contrast inputs are ratios, not logs")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the config schema's seed)")
    p.add_argument("--draws", type=int, default=None, help="posterior draws per chain (default 1000)")
    p.add_argument("--chains", type=int, default=None, help="number of chains (default 4)")
    p.add_argument("--tune", type=int, default=None, help="tuning steps per chain (default 1000)")
    p.add_argument("--label", default="fit", help="analysis id written into the outputs")
    p.set_defaults(run=run)


def write_forest_plot(result, out_dir: Path, measure: str, benefit: str, mcid: float | None) -> Path:
    """DIR/forest.svg from the tables written to DIR, drawn by the report's forest plot (per-arm data,
    weights, the heterogeneity line; no pooled diamond for k = 1, unconverged or not estimable)."""
    from neuromod_evidence.report import plots
    from neuromod_evidence.report.forest_view import forest_parts, forest_rows
    from neuromod_evidence.tables import HETEROGENEITY, SENSITIVITY, STUDIES, read_table

    out_dir = Path(out_dir)
    s = result.summary
    converged, k = bool(s.get("converged")), int(s.get("k", 0))
    studies = forest_rows(read_table(STUDIES, out_dir / "studies.csv"), converged)
    sens = read_table(SENSITIVITY, out_dir / "sensitivity.csv")
    het = read_table(HETEROGENEITY, out_dir / "heterogeneity.csv")
    parts = forest_parts(studies, s, k, converged, sens, het, measure=measure, decimals=2)
    parts.pop("table")
    fig = plots.forest_plot(studies, measure=measure, direction=f"{benefit}_is_better", mcid=mcid, **parts)
    path = out_dir / "forest.svg"
    path.write_text(plots.figure_to_svg(fig, tight=False), encoding="utf-8")
    return path


def build_settings(args, contrasts):
    """AnalysisSettings from the options; every default not set here comes from the config schema."""
    from neuromod_evidence.models.analysis_settings import AnalysisSettings
    from neuromod_evidence.models.priors import parse_tau_prior
    from neuromod_evidence.settings import ModelSettings

    models = ModelSettings.defaults()
    measure = args.measure
    if args.tau_prior:
        tau = args.tau_prior
        parse_tau_prior(tau, measure)  # fail early with the option's own words
    elif measure == "MD":
        uisd = _unit_information_sd(contrasts)
        if uisd is None:
            raise InputError("--measure MD needs --tau-prior (or n_t and n_c per study for the default)")
        tau = f"half-normal:{0.5 * uisd:.4g}"
    else:
        tau = DEFAULT_TAU[measure]
    sampler = {k: v for k, v in (("chains", args.chains), ("draws", args.draws), ("tune", args.tune)) if v}
    if args.tune:
        sampler["retry_tune"] = 3 * args.tune
    return AnalysisSettings.build(
        models,
        measure=measure,
        direction="lower_is_better" if args.benefit == "lower" else "higher_is_better",
        mcid=args.mcid,
        tau_prior=tau,
        seed=args.seed if args.seed is not None else _default_seed(),
        effect_prior=args.effect_prior,
        sampler=sampler,
    )


def _default_seed() -> int:
    from neuromod_evidence.config import load_schema

    return int(load_schema()["properties"]["seed"]["default"])


def _headline(label: str, s: dict, measure: str, out: Path) -> str:
    """One line: the pooled effect on the scale people read (OR/RR as ratios; the files keep logs)."""
    est, lo, hi, tau = s["estimate"], s["ci_low"], s["ci_high"], s["tau"]
    if s.get("scale") == "log":
        est, lo, hi = math.exp(est), math.exp(lo), math.exp(hi)
    return (
        f"{label}: {s['model']}, k={s['k']}, {measure} {est:.3f} [95% CrI {lo:.3f}, {hi:.3f}], "
        f"tau {tau:.3f}{' (log scale)' if s.get('scale') == 'log' else ''}, converged={s['converged']} "
        f"→ {out / 'summary.json'}"
    )


def run(args) -> int:
    from neuromod_evidence.models.priors import PriorError

    try:
        df = _read(args.input)
        layout = detect_layout(df.columns, args.measure, df.attrs.get("delimiter", "comma"))
        contrasts = to_contrasts(df, layout, args.measure, args.ratio_scale)
        settings = build_settings(args, contrasts)
        if args.mcid is not None:
            from neuromod_evidence.models.benefit import benefit_threshold

            benefit_threshold(args.measure, args.mcid)
    except (InputError, PriorError, ValueError) as exc:
        print(f"neuromod-evidence fit: error: {args.input}: {exc}", file=sys.stderr)
        return 2
    dups = duplicate_studies(df)
    if dups:
        print(
            f"neuromod-evidence fit: warning: {args.input}: study name(s) used more than once: {', '.join(dups)} "
            "(each row is pooled as a separate study)",
            file=sys.stderr,
        )
    from neuromod_evidence.models.analysis import run_analysis
    from neuromod_evidence.models.io import write_analysis
    from neuromod_evidence.models.studies import prepare_studies

    engine = None  # not needed (and not compiled) when nothing is estimable
    if prepare_studies(contrasts, settings).estimable:
        from neuromod_evidence.models.compiled import shared_engine

        engine = shared_engine()
    result = run_analysis(contrasts, settings, engine, meta={"analysis_id": args.label})
    args.out.mkdir(parents=True, exist_ok=True)
    write_analysis(result, args.out)
    s = result.summary
    if not result.estimable:
        print(
            f"neuromod-evidence fit: {args.label}: not estimable: no study has events in exactly one arm "
            f"(all {s['k']} have none, or all, in both arms); nothing pooled → {args.out / 'summary.json'}",
            file=sys.stderr,
        )
        return 1
    write_forest_plot(result, Path(args.out), args.measure, args.benefit, args.mcid)
    print(_headline(args.label, s, args.measure, args.out))
    return 0 if s["converged"] else 1
