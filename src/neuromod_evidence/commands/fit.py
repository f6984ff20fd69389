"""`neuromod-evidence fit INPUT.csv --measure M --out DIR`: one ad-hoc Bayesian meta-analysis.

Input layouts (detected from the columns; one row per study; comma-, semicolon- or tab-separated):

- contrast level: ``study, estimate, se`` or ``study, estimate, ci_low, ci_high`` (95 % CI). For OR and
  RR the estimate is a natural log unless ``--ratio-scale`` says the numbers are ratios;
- arm-level binary: ``study, events_t, n_t, events_c, n_c`` (OR → binomial–normal model; RR, RD → NNHM);
- arm-level continuous: ``study, mean_t, sd_t, n_t, mean_c, sd_c, n_c`` (MD, or SMD as Hedges' g).

Writes DIR/summary.json (the fields of a summary.csv row, the priors used, study estimates, sensitivity
analyses), DIR/studies.csv, DIR/sensitivity.csv, DIR/posterior.nc and DIR/forest.svg. Priors, sampler and
convergence gate default to the configuration schema's ``models:`` section. Bad input exits with status 2
and one message naming the row and column; an analysis that is not estimable (every study without events
in both arms) or not converged exits with status 1. PyMC is imported only when fitting.
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
# the command's own default tau priors (the workflow takes each outcome's prior from the config); MD has
# a data-driven default (half the unit-information SD)
DEFAULT_TAU = {"OR": "half-normal:0.5", "RR": "half-normal:0.5", "RD": "half-normal:0.1",
               "SMD": "half-normal:0.5", "GENERIC": "half-normal:0.5"}  # fmt: skip
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


class InputError(ValueError):
    """Bad input; the message names the row and column."""


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


def _delimiter(path: Path) -> str:
    """The delimiter of the header line: a comma unless the header has none and has a semicolon or tab."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            header = fh.readline()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a CSV file") from None
    if "," not in header:
        for sep in (";", "\t"):
            if sep in header:
                return sep
    return ","


def _read(path: Path):
    import pandas as pd

    sep = _delimiter(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (save the file as CSV UTF-8)") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file") from None
    except pd.errors.ParserError as exc:  # pandas' parser errors name the line
        raise InputError(f"{path}: not a readable CSV file: {str(exc).strip()}") from None
    df.columns = [c.strip() for c in df.columns]
    if sep == ";":  # semicolon files come from spreadsheets with a decimal comma
        df = df.apply(lambda col: col.str.replace(",", ".", regex=False) if col.name != "study" else col)
    if len(df) == 0:
        raise InputError(f"{path}: no data rows")
    df.attrs["delimiter"] = DELIMITERS[sep]
    return df


def duplicate_studies(df) -> list[str]:
    from neuromod_evidence.models.studies import duplicate_labels

    return duplicate_labels(str(v).strip() for v in df["study"])


def detect_layout(columns, measure: str, delimiter: str = "comma") -> str:
    cols = set(columns)
    if "study" not in cols:
        found = ", ".join(repr(c) for c in list(columns)[:6]) or "none"
        raise InputError(
            f"missing column 'study' (read as {delimiter}-separated; header columns found: {found})"
        )
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

    from neuromod_evidence import effects

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
    """DIR/forest.svg from DIR/studies.csv as written (the same forest plot as the report; no pooled diamond
    for k = 1, unconverged or not estimable)."""
    from neuromod_evidence.report import plots
    from neuromod_evidence.tables import STUDIES, read_table

    studies = read_table(STUDIES, Path(out_dir) / "studies.csv")
    # NOTE: report.plots.forest_plot (being split by the report helper) still names the study column
    # `label`; the studies.csv column is `study_label`. Drop this line once forest_plot reads study_label.
    studies["label"] = studies["study_label"]
    s = result.summary
    pooled = None
    if bool(s.get("converged")) and int(s.get("k", 0)) >= 2 and math.isfinite(float(s["estimate"])):
        pooled = plots.Pooled(s["estimate"], s["ci_low"], s["ci_high"], s.get("pred_low"), s.get("pred_high"))
    fig = plots.forest_plot(studies, pooled, measure=measure, direction=f"{benefit}_is_better", mcid=mcid)
    path = Path(out_dir) / "forest.svg"
    path.write_text(plots.figure_to_svg(fig), encoding="utf-8")
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
