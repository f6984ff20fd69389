"""`neuromod-evidence fit INPUT.csv --measure M --out DIR`: one ad-hoc Bayesian meta-analysis.

Input layouts (detected from the columns; one row per study):

- contrast level: ``study, estimate, se`` or ``study, estimate, ci_low, ci_high`` (95 % CI). For OR and
  RR the estimate is a natural log unless ``--ratio-scale`` says the numbers are ratios;
- arm-level binary: ``study, events_t, n_t, events_c, n_c`` (OR → binomial–normal model; RR, RD → NNHM);
- arm-level continuous: ``study, mean_t, sd_t, n_t, mean_c, sd_c, n_c`` (MD, or SMD as Hedges' g).

Writes DIR/summary.json (the fields of a summary.csv row, the priors used, study estimates, sensitivity
analyses), DIR/studies.csv, DIR/sensitivity.csv and DIR/posterior.nc. Bad input exits with status 2 and a
message naming the row and column. PyMC is imported only when fitting.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

MEASURES = ("MD", "SMD", "OR", "RR", "RD", "GENERIC")
LAYOUTS = {
    "arm_binary": ("events_t", "n_t", "events_c", "n_c"),
    "arm_continuous": ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"),
    "contrast_se": ("estimate", "se"),
    "contrast_ci": ("estimate", "ci_low", "ci_high"),
}
DEFAULT_TAU = {"OR": "half-normal:0.5", "RR": "half-normal:0.5", "RD": "half-normal:0.1",
               "SMD": "half-normal:0.5", "GENERIC": "half-normal:0.5"}  # fmt: skip
DEFAULT_EFFECT = {"MD": "normal:0,10", "SMD": "normal:0,2", "OR": "normal:0,2.82", "RR": "normal:0,2.82",
                  "RD": "normal:0,1", "GENERIC": "normal:0,10"}  # fmt: skip


class InputError(ValueError):
    """Bad input; the message names the row and column."""


def register(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="fit one Bayesian random-effects meta-analysis from a CSV file",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", type=Path, help="CSV, one row per study (layouts: see --help-layouts in docs)")
    p.add_argument("--measure", required=True, choices=MEASURES)
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--tau-prior", help="half-normal:SCALE | half-cauchy:SCALE | turner:TYPE[:COMPARISON] | "
                   "rhodes:TYPE[:COMPARISON] (default: half-normal:0.5 for log ratios and SMD; for MD "
                   "half-normal with half the unit-information SD, Röver et al. 2021)")  # fmt: skip
    p.add_argument("--effect-prior", help="normal:MEAN,SD on the analysis scale (default by measure)")
    p.add_argument(
        "--benefit", choices=("lower", "higher"), default="lower", help="which direction is a benefit"
    )
    p.add_argument(
        "--mcid", type=float, help="minimal clinically important difference (a ratio > 1 for OR/RR)"
    )
    p.add_argument("--ratio-scale", action="store_true", help="OR/RR contrast inputs are ratios, not logs")
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--label", default="fit", help="analysis id written into the outputs")
    p.set_defaults(run=run)


def _read(path: Path):
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except Exception as exc:  # pandas' parser errors name the line
        raise InputError(f"{path}: not a readable CSV file: {exc}") from None
    df.columns = [c.strip() for c in df.columns]
    if len(df) == 0:
        raise InputError(f"{path}: no data rows")
    return df


def detect_layout(columns, measure: str) -> str:
    cols = set(columns)
    if "study" not in cols:
        raise InputError("missing column 'study'")
    for name in ("arm_binary", "arm_continuous", "contrast_se", "contrast_ci"):
        if set(LAYOUTS[name]) <= cols:
            layout = name
            break
    else:
        hints = "; ".join(f"{k}: study, {', '.join(v)}" for k, v in LAYOUTS.items())
        missing = {k: sorted(set(v) - cols) for k, v in LAYOUTS.items()}
        best = min(missing, key=lambda k: len(missing[k]))
        raise InputError(f"missing column(s) {', '.join(repr(c) for c in missing[best])} (layouts: {hints})")
    ok = {
        "arm_binary": ("OR", "RR", "RD"),
        "arm_continuous": ("MD", "SMD"),
    }.get(layout, MEASURES)
    if measure not in ok:
        raise InputError(f"--measure {measure} does not fit the {layout} layout (use {' or '.join(ok)})")
    return layout


def _number(df, i, col, integer=False, positive=False, nonneg=False) -> float:
    raw = df.iloc[i][col]
    where = f"row {i + 1} (study {df.iloc[i]['study']!r}), column '{col}'"
    try:
        x = float(str(raw).strip())
    except ValueError:
        raise InputError(f"{where}: {raw!r} is not a number") from None
    if not math.isfinite(x):
        raise InputError(f"{where}: {raw!r} is not a finite number")
    if integer and x != int(x):
        raise InputError(f"{where}: {raw!r} must be a whole number")
    if positive and not x > 0:
        raise InputError(f"{where}: must be > 0, got {raw!r}")
    if nonneg and x < 0:
        raise InputError(f"{where}: must be >= 0, got {raw!r}")
    return x


def to_contrasts(df, layout: str, measure: str, ratio_scale: bool = False):
    """Validate the input and return a contrasts table in the pipeline's format."""
    import pandas as pd

    from neuromod_evidence.models import effects

    recs = []
    for i in range(len(df)):
        study = str(df.iloc[i]["study"]).strip()
        if not study:
            raise InputError(f"row {i + 1}, column 'study': empty")
        rec = {"trial_id": study, "study_label": study, "measure": measure}
        if layout == "arm_binary":
            et, nt, ec, nc = (
                _number(df, i, c, integer=True, nonneg=c.startswith("events"), positive=c.startswith("n_"))
                for c in LAYOUTS[layout]
            )
            for e, n, ce, cn in ((et, nt, "events_t", "n_t"), (ec, nc, "events_c", "n_c")):
                if e > n:
                    raise InputError(
                        f"row {i + 1} (study {study!r}), column '{ce}': {int(e)} events > {cn} = {int(n)}"
                    )
            rec.update(data_type="arm_binary", events_t=et, n_t=nt, events_c=ec, n_c=nc, estimate=math.nan,
                       se=math.nan)  # fmt: skip
        elif layout == "arm_continuous":
            v = {c: _number(df, i, c, positive=c.startswith(("sd", "n_")), integer=c.startswith("n_"))
                 for c in LAYOUTS[layout]}  # fmt: skip
            fn = effects.hedges_g if measure == "SMD" else effects.mean_difference
            est, se = fn(v["mean_t"], v["sd_t"], v["n_t"], v["mean_c"], v["sd_c"], v["n_c"])
            rec.update(data_type="arm_continuous", estimate=est, se=se, n_t=v["n_t"], n_c=v["n_c"])
        else:
            est = _number(df, i, "estimate", positive=ratio_scale)
            if layout == "contrast_se":
                se = _number(df, i, "se", positive=True)
                if ratio_scale:
                    raise InputError("--ratio-scale needs ci_low/ci_high, not se (a SE is on the log scale)")
            else:
                lo = _number(df, i, "ci_low", positive=ratio_scale)
                hi = _number(df, i, "ci_high", positive=ratio_scale)
                if ratio_scale:
                    est, lo, hi = math.log(est), math.log(lo), math.log(hi)
                if not lo < hi:
                    raise InputError(f"row {i + 1} (study {study!r}), column 'ci_high': must exceed ci_low")
                if not lo <= est <= hi:
                    raise InputError(f"row {i + 1} (study {study!r}), column 'estimate': outside its CI")
                se = effects.se_from_ci(lo, hi)
            rec.update(data_type="contrast", estimate=est, se=se)
            for c in ("n_t", "n_c"):
                if c in df.columns and str(df.iloc[i][c]).strip():
                    rec[c] = _number(df, i, c, positive=True)
        recs.append(rec)
    return pd.DataFrame(recs)


def _unit_information_sd(contrasts) -> float | None:
    """UISD (Röver et al. 2021): sigma_u = sqrt(n_total / sum(1 / se_i^2)); needs n per study."""
    import numpy as np

    if not {"n_t", "n_c"} <= set(contrasts.columns):
        return None
    n = (contrasts["n_t"] + contrasts["n_c"]).to_numpy(float)
    se = contrasts["se"].to_numpy(float)
    if not np.all(np.isfinite(n)) or not np.all(np.isfinite(se)):
        return None
    return float(np.sqrt(n.sum() / np.sum(1 / se**2)))


def write_forest_plot(result, out_dir: Path, measure: str, benefit: str, mcid: float | None) -> Path:
    """DIR/forest.svg: the same forest plot as the report (no pooled diamond for k = 1 or unconverged)."""
    import math

    from neuromod_evidence import plots

    studies = result.studies.rename(
        columns={"study_label": "label", "shrunk_low": "shrunk_ci_low", "shrunk_high": "shrunk_ci_high"}
    )
    s = result.summary
    pooled = None
    if bool(s.get("converged")) and int(s.get("k", 0)) >= 2 and math.isfinite(float(s["estimate"])):
        pooled = plots.Pooled(s["estimate"], s["ci_low"], s["ci_high"], s.get("pred_low"), s.get("pred_high"))
    fig = plots.forest_plot(
        studies,
        pooled,
        measure=measure,
        direction=f"{benefit}_is_better",
        mcid=mcid,
    )
    path = Path(out_dir) / "forest.svg"
    path.write_text(plots.figure_to_svg(fig), encoding="utf-8")
    return path


def build_settings(args, contrasts):
    from neuromod_evidence.models.analysis import AnalysisSettings
    from neuromod_evidence.models.priors import parse_effect_prior, parse_tau_prior

    measure = args.measure
    if args.tau_prior:
        tau = parse_tau_prior(args.tau_prior, measure)
    elif measure == "MD":
        uisd = _unit_information_sd(contrasts)
        if uisd is None:
            raise InputError("--measure MD needs --tau-prior (or n_t and n_c per study for the default)")
        tau = parse_tau_prior(f"half-normal:{0.5 * uisd:.4g}", measure)
    else:
        tau = parse_tau_prior(DEFAULT_TAU[measure], measure)
    effect = parse_effect_prior(args.effect_prior or DEFAULT_EFFECT[measure])
    sens_specs = ["half-cauchy:x1", "half-normal:x2"]
    return AnalysisSettings(
        measure=measure,
        direction="lower_is_better" if args.benefit == "lower" else "higher_is_better",
        mcid=args.mcid,
        tau_prior=tau,
        effect_prior=effect,
        sensitivity_tau_priors=[
            parse_tau_prior(s, measure, reference_scale=tau.reference_scale()) for s in sens_specs
        ],
        sampler={
            "chains": args.chains,
            "draws": args.draws,
            "tune": args.tune,
            "target_accept": 0.95,
            "retry_target_accept": 0.99,
            "retry_tune": 3 * args.tune,
        },  # fmt: skip
        seed=args.seed,
    )


def run(args) -> int:
    from neuromod_evidence.models.priors import PriorError

    try:
        df = _read(args.input)
        layout = detect_layout(df.columns, args.measure)
        contrasts = to_contrasts(df, layout, args.measure, args.ratio_scale)
        settings = build_settings(args, contrasts)
        if args.mcid is not None:
            from neuromod_evidence.models.analysis import benefit_threshold

            benefit_threshold(args.measure, args.mcid)
    except (InputError, PriorError, ValueError) as exc:
        print(f"neuromod-evidence fit: error: {args.input}: {exc}", file=sys.stderr)
        return 2
    from neuromod_evidence.models.analysis import run_analysis
    from neuromod_evidence.models.compiled import shared_engine
    from neuromod_evidence.models.io import write_analysis

    result = run_analysis(contrasts, settings, shared_engine(), meta={"analysis_id": args.label})
    args.out.mkdir(parents=True, exist_ok=True)
    write_analysis(result, args.out)
    write_forest_plot(result, Path(args.out), args.measure, args.benefit, args.mcid)
    s = result.summary
    print(
        f"{args.label}: {s['model']}, k={s['k']}, {args.measure}{' (log)' if s['scale'] == 'log' else ''} "
        f"{s['estimate']:.3f} [{s['ci_low']:.3f}, {s['ci_high']:.3f}], tau {s['tau']:.3f}, "
        f"converged={s['converged']} → {args.out / 'summary.json'}"
    )
    return 0 if s["converged"] else 1
