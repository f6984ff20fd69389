"""Fit every analysis of ``results/normalized/contrasts.csv`` in one process.

PyMC/nutpie are imported once and the shared model is compiled once (per slot bucket) and reused; the
exact integrations for the cross-check and the sensitivity analyses take milliseconds.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path

import pandas as pd

from .analysis import SUMMARY_COLUMNS, AnalysisSettings, run_analysis
from .io import write_analysis, write_summary_csv
from .priors import PriorError, comparison_type, parse_effect_prior, parse_tau_prior

log = logging.getLogger(__name__)

DEFAULT_MODELS = {
    "effect_prior": {"MD": "normal:0,10", "OR": "normal:0,2.82"},
    "sensitivity_tau_priors": {"MD": ["half-cauchy:x1", "half-normal:x2"], "OR": ["half-cauchy:0.5", "half-normal:0.5"]},
    "baseline_prior": "normal:0,10",
    "therapy_types": {},
    "frequentist": "REML+HKSJ",
    "continuity_correction": 0.5,
    "sampler": {"backend": "nutpie", "chains": 4, "draws": 1000, "tune": 1000, "target_accept": 0.95,
                "retry_target_accept": 0.99, "retry_tune": 3000},
    "diagnostics": {"rhat_max": 1.01, "ess_min": 400, "max_divergences": 0},
}  # fmt: skip


def _merged_models(models: dict | None) -> dict:
    m = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_MODELS.items()}
    for k, v in (models or {}).items():
        if isinstance(v, dict) and isinstance(m.get(k), dict):
            m[k].update(v)
        else:
            m[k] = v
    return m


def outcome_for(config: dict, indication: str, outcome: str) -> dict:
    if outcome not in config["outcomes"]:
        raise KeyError(f"outcome {outcome!r} is not defined in the config")
    base = dict(config["outcomes"][outcome])
    local = ((config.get("indications", {}).get(indication, {}) or {}).get("outcomes", {}) or {}).get(
        outcome
    ) or {}
    for key in ("mcid", "tau_prior"):
        if key in local:
            base[key] = local[key]
    return base


def settings_for(config: dict, rows: pd.DataFrame, seed: int) -> AnalysisSettings:
    models = _merged_models(config.get("models"))
    first = rows.iloc[0]
    oc = outcome_for(config, str(first["indication"]), str(first["outcome"]))
    measure = str(first.get("measure", oc["measure"]) or oc["measure"])
    types = models.get("therapy_types", {})

    def side(col, default):
        out = []
        for v in rows.get(col, pd.Series(dtype=object)).dropna():
            out += [types.get(c.strip(), default) for c in str(v).split(";") if c.strip()]
        return out

    ctype = comparison_type(
        side("intervention_class", "non_pharmacological"), side("comparator_class", "pharmacological")
    )
    default_tau = "half-normal:0.5" if measure == "OR" else None
    spec = oc.get("tau_prior") or default_tau
    if spec is None:
        raise PriorError(f"outcome {oc.get('label', first['outcome'])!r}: no tau_prior configured")
    tau = parse_tau_prior(spec, measure, ctype)
    sens = [
        parse_tau_prior(p, measure, ctype, reference_scale=tau.reference_scale())
        for p in models["sensitivity_tau_priors"].get(measure, [])
    ]
    return AnalysisSettings(
        measure=measure,
        direction=str(first.get("direction", oc["direction"]) or oc["direction"]),
        mcid=float(oc["mcid"]),
        tau_prior=tau,
        effect_prior=parse_effect_prior(models["effect_prior"][measure]),
        sensitivity_tau_priors=sens,
        baseline_prior=parse_effect_prior(models["baseline_prior"]),
        sampler=models["sampler"],
        diagnostics=models["diagnostics"],
        seed=int(seed),
        freq_method=models["frequentist"],
        continuity_correction=float(models["continuity_correction"]),
    )


def check_priors(config: dict) -> None:
    """Parse every configured prior before any sampling, so a typo fails at once with its key."""
    models = _merged_models(config.get("models"))
    for spec in models["effect_prior"].values():
        parse_effect_prior(spec)
    parse_effect_prior(models["baseline_prior"])
    for oid, oc in config.get("outcomes", {}).items():
        specs = [("outcomes", oid, oc.get("tau_prior"))]
        for iid, ind in config.get("indications", {}).items():
            local = (ind.get("outcomes", {}) or {}).get(oid) or {}
            specs.append((f"indications/{iid}/outcomes", oid, local.get("tau_prior")))
        for where, key, spec in specs:
            if spec:
                try:
                    ref = parse_tau_prior(spec, oc["measure"]).reference_scale()
                    for p in models["sensitivity_tau_priors"].get(oc["measure"], []):
                        parse_tau_prior(p, oc["measure"], reference_scale=ref)
                except PriorError as exc:
                    raise PriorError(f"config {where}/{key}/tau_prior: {exc}") from exc


def _failed_row(rows: pd.DataFrame, message: str) -> pd.DataFrame:
    first = rows.iloc[0]
    row = {c: None for c in SUMMARY_COLUMNS}
    row.update(
        {
            c: first.get(c, "")
            for c in ("analysis_id", "indication", "outcome", "comparison", "timepoint", "measure")
        }
    )
    row.update({"k": len(rows), "converged": False, "notes": f"FIT FAILED: {message}"})
    return pd.DataFrame([row], columns=SUMMARY_COLUMNS)


def fit_all(contrasts_csv, config: dict, out_dir, seed: int | None = None, engine=None) -> pd.DataFrame:
    """Fit all analyses; write ``out_dir/summary.csv`` and ``out_dir/<analysis_id>/...``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_priors(config)
    seed = int(config.get("seed", 20261124) if seed is None else seed)
    contrasts = pd.read_csv(contrasts_csv, dtype={"analysis_id": str, "trial_id": str})
    frames = []
    if len(contrasts):
        models = _merged_models(config.get("models"))
        if engine is None:
            from .compiled import shared_engine

            engine = shared_engine(models["sampler"].get("backend", "nutpie"))
        for aid, rows in sorted(contrasts.groupby("analysis_id", sort=True), key=lambda x: x[0]):
            t0 = time.perf_counter()
            try:
                settings = settings_for(config, rows, seed)
                result = run_analysis(rows, settings, engine, meta=rows.iloc[0].to_dict())
            except PriorError:
                raise
            except Exception as exc:  # one broken analysis must not hide the others; it is flagged
                log.error("%s failed:\n%s", aid, traceback.format_exc())
                frames.append(_failed_row(rows, f"{type(exc).__name__}: {exc}"))
                continue
            write_analysis(result, out_dir / aid)
            frames.append(result.to_frame())
            s = result.summary
            log.info(
                "%s: k=%d %s converged=%s estimate=%.3f [%.3f, %.3f] (%.2f s)", aid, s["k"], s["model"],
                s["converged"], s["estimate"], s["ci_low"], s["ci_high"], time.perf_counter() - t0,
            )  # fmt: skip
        if getattr(engine, "compile_seconds", 0):
            log.info("model compilation: %.1f s", engine.compile_seconds)
    df = write_summary_csv(frames, out_dir / "summary.csv")
    n_bad = int((~df["converged"].astype(bool)).sum()) if len(df) else 0
    log.info("%d analyses written to %s; %d not converged", len(df), out_dir, n_bad)
    return df
