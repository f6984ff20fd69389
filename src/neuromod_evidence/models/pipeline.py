"""The fit stage: every analysis of ``results/normalized/contrasts.csv`` (optionally of one indication).

One process fits many analyses: PyMC/nutpie are imported once, and the model's density comes from numba's
on-disk cache (:mod:`.density`), so no analysis pays a compilation. The workflow runs one fit job per
indication (jobs run in parallel, or on a cluster); each job writes its own summary table and one folder per
analysis, and a small job collects the summaries into ``results/fit/summary.csv``.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path

import pandas as pd

from ..settings import Settings
from ..tables import CONTRASTS, SUMMARY, read_table, write_table
from .analysis import AnalysisSettings, run_analysis
from .collect import collect_summaries
from .io import write_analysis
from .priors import PriorError, comparison_type, parse_effect_prior, parse_tau_prior

log = logging.getLogger(__name__)


def settings_for(settings: Settings, rows: pd.DataFrame) -> AnalysisSettings:
    """The analysis settings of one analysis (its rows share indication, outcome and comparison)."""
    models = settings.models
    first = rows.iloc[0]
    oc = settings.outcome(str(first["indication"]), str(first["outcome"]))
    measure = str(first.get("measure") or oc.measure)

    def side(col: str, default: str) -> list[str]:
        out = []
        for v in rows[col].dropna():
            out += [models.therapy_types.get(c.strip(), default) for c in str(v).split(";") if c.strip()]
        return out

    ctype = comparison_type(
        side("intervention_class", "non_pharmacological"), side("comparator_class", "pharmacological")
    )
    if not oc.tau_prior:
        raise PriorError(f"outcome {oc.label!r}: no tau_prior configured")
    return AnalysisSettings.build(
        models,
        measure=measure,
        direction=str(first.get("direction") or oc.direction),
        mcid=float(oc.mcid),
        tau_prior=oc.tau_prior,
        seed=int(settings.seed),
        comparison_type=ctype,
        effect_prior=oc.effect_prior,
    )


def check_priors(settings: Settings) -> None:
    """Parse every configured prior before any sampling, so a typo fails at once with its key."""
    models = settings.models
    for spec in models.effect_prior.values():
        parse_effect_prior(spec)
    parse_effect_prior(models.baseline_prior)
    for oid, outcome in settings.outcomes.items():
        if outcome.effect_prior:
            try:
                parse_effect_prior(outcome.effect_prior)
            except PriorError as exc:
                raise PriorError(f"config outcomes/{oid}/effect_prior: {exc}") from exc
    for iid, ind in settings.indications.items():
        for oid, oc in ind.outcomes.items():
            if not oc.tau_prior:
                continue
            try:
                ref = parse_tau_prior(oc.tau_prior, oc.measure).reference_scale()
                for p in models.sensitivity_tau_priors.get(oc.measure, ()):
                    parse_tau_prior(p, oc.measure, reference_scale=ref)
            except PriorError as exc:
                raise PriorError(f"config indications/{iid}/outcomes/{oid}/tau_prior: {exc}") from exc


def _failed_row(rows: pd.DataFrame, message: str) -> pd.DataFrame:
    first = rows.iloc[0]
    row = dict.fromkeys(SUMMARY.columns)
    row.update(
        {
            c: first.get(c, "")
            for c in ("analysis_id", "indication", "outcome", "comparison", "timepoint", "measure")
        }
    )
    row.update({"k": len(rows), "converged": False, "notes": f"FIT FAILED: {message}"})
    return pd.DataFrame([row], columns=list(SUMMARY.columns))


def fit_all(
    contrasts_csv, settings: Settings, out_dir, indication: str | None = None, engine=None, summary_csv=None
) -> pd.DataFrame:
    """Fit the analyses of ``contrasts_csv`` (only ``indication``'s when given); write ``out_dir/<analysis_id>/
    {summary.json,studies.csv,sensitivity.csv,heterogeneity.csv,posterior.nc}`` and the summary table
    (``summary_csv``, by default ``out_dir/summary.csv``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_priors(settings)
    contrasts = read_table(CONTRASTS, contrasts_csv)
    if indication is not None:
        contrasts = contrasts[contrasts["indication"] == indication]
    frames = []
    groups = sorted(contrasts.groupby("analysis_id", sort=True), key=lambda x: x[0])
    started = time.perf_counter()
    if groups and engine is None:
        from .compiled import shared_engine

        engine = shared_engine(settings.models.sampler.backend)
    for i, (aid, rows) in enumerate(groups, start=1):
        t0 = time.perf_counter()
        try:
            result = run_analysis(rows, settings_for(settings, rows), engine, meta=rows.iloc[0].to_dict())
        except PriorError:
            raise
        except Exception as exc:  # one broken analysis must not hide the others; it is flagged
            log.error("%s failed:\n%s", aid, traceback.format_exc())
            frames.append(_failed_row(rows, f"{type(exc).__name__}: {exc}").assign(**provenance(rows)))
            continue
        write_analysis(result, out_dir / aid)
        frames.append(result.to_frame().assign(**provenance(rows)))
        s = result.summary
        log.info(
            "[%d/%d, %.0f s] %s: k=%d %s converged=%s estimate=%.3f [%.3f, %.3f] (%.2f s)", i, len(groups),
            time.perf_counter() - started, aid, s["k"], s["model"], s["converged"], s["estimate"], s["ci_low"],
            s["ci_high"], time.perf_counter() - t0,
        )  # fmt: skip
    summary = collect_summaries(frames)
    write_table(SUMMARY, summary, summary_csv or out_dir / "summary.csv")
    n_bad = int((~summary["converged"].astype(bool)).sum()) if len(summary) else 0
    log.info("%d analyses written to %s in %.1f s; %d not converged", len(summary), out_dir,
             time.perf_counter() - started, n_bad)  # fmt: skip
    return summary


def provenance(rows: pd.DataFrame) -> dict[str, str]:
    """Where an analysis' contrasts came from: ``source_kind`` (publication, registry or both, joined by +)
    and ``sources`` (the PMIDs and NCT ids of its rows), so a registry-sourced estimate says so."""
    kinds = {k for v in rows["source_kind"].dropna() for k in str(v).split("+")}
    sources = {x for v in rows["sources"].dropna() for x in str(v).split(";") if x}
    return {
        "source_kind": "+".join(k for k in ("publication", "registry") if k in kinds),
        "sources": ";".join(sorted(sources)),
    }
