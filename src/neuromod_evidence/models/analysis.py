"""One meta-analysis: contrast rows + :class:`AnalysisSettings` → :class:`AnalysisResult`.

The steps live in their own modules: ``studies`` (estimates on the analysis scale, model choice),
``compiled``/``diagnostics`` (sampling and the convergence gate), ``exact`` and ``crosscheck`` (exact
posterior and agreement), ``frequentist`` and ``influence`` (the frequentist reference and metafor-style
diagnostics), ``benefit`` (probabilities of benefit), ``results`` (tables) and ``sensitivity``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tables import SENSITIVITY, STUDIES, empty_frame
from . import frequentist
from .analysis_settings import AnalysisSettings, analysis_seed
from .benefit import benefit_probabilities, benefit_threshold
from .crosscheck import compare_with_exact
from .diagnostics import sample_gated
from .exact import nnhm_exact
from .influence import influence
from .results import (
    SUMMARY_COLUMNS,
    AnalysisResult,
    absolute_effects,
    heterogeneity_table,
    influence_notes,
    quantile,
    scale_of,
    study_table,
)
from .sensitivity import run_sensitivity
from .studies import StudyData, prepare_studies

__all__ = [
    "SUMMARY_COLUMNS", "AnalysisResult", "AnalysisSettings", "analysis_seed", "benefit_threshold",
    "run_analysis",
]  # fmt: skip

_META = ("analysis_id", "indication", "outcome", "comparison", "timepoint")


def _priors(settings: AnalysisSettings, binomial: bool) -> dict:
    return {
        "tau": settings.tau_prior.to_dict(),
        "effect": settings.effect_prior.to_dict(),
        "baseline": settings.baseline_prior.to_dict() if binomial else None,
        "sensitivity_tau": [p.to_dict() for p in settings.sensitivity_tau_priors],
    }


def _participants(sd: StudyData) -> float:
    n = sd.table[["n_t", "n_c"]]
    return float(np.nansum(n.to_numpy(float))) if n.notna().any().any() else np.nan


def _base_summary(meta: dict, settings: AnalysisSettings, sd: StudyData, seed: int) -> dict:
    return {
        **{c: meta.get(c, "") for c in _META},
        "measure": settings.measure,
        "k": len(sd.table),
        "n_participants": _participants(sd),
        "tau_prior": settings.tau_prior.spec or settings.tau_prior.label,
        "effect_prior": settings.effect_prior.spec or settings.effect_prior.label,
        "direction": settings.direction,
        "mcid": settings.mcid if settings.mcid is not None else np.nan,
        "scale": scale_of(settings.measure),
        "seed": seed,
        "continuity_corrected": sd.corrected,
        "excluded_studies": "; ".join(sd.excluded),
    }


def not_estimable(meta: dict, settings: AnalysisSettings, sd: StudyData, seed: int) -> AnalysisResult:
    """No study carries information on the effect (all double-zero, or nothing finite): say so, and
    publish neither a posterior (it would be the prior) nor convergence."""
    k = len(sd.table)
    why = (
        f"NOT ESTIMABLE: none of the {k} stud{'y' if k == 1 else 'ies'} has a finite estimate (no events, or "
        "only events, in both arms); nothing is pooled and the prior is not reported as a result"
    )
    notes = [*sd.notes, why]
    s = {**_base_summary(meta, settings, sd, seed), "model": "not estimable", "converged": False}
    s.update(dict.fromkeys(("estimate", "ci_low", "ci_high", "tau"), np.nan))  # logged as nan, written empty
    s["notes"] = " | ".join(notes)
    studies = study_table(sd, None, float("nan"), None) if len(sd.table) else empty_frame(STUDIES)
    sens = empty_frame(SENSITIVITY)
    return AnalysisResult(s, studies, sens, None, _priors(settings, False), notes, None, sd, None)


def _model_data(sd: StudyData, settings: AnalysisSettings):
    from .compiled import ModelData

    if sd.likelihood == "binomial":
        t = sd.table
        data = ModelData(
            "binomial", settings.tau_prior, settings.effect_prior,
            events_t=t["events_t"].to_numpy(), n_t=t["n_t"].to_numpy(),
            events_c=t["events_c"].to_numpy(), n_c=t["n_c"].to_numpy(), baseline_prior=settings.baseline_prior,
        )  # fmt: skip
        return data, "binomial_normal"
    return ModelData("normal", settings.tau_prior, settings.effect_prior, y=sd.y, se=sd.se), "nnhm"


def run_analysis(
    rows: pd.DataFrame, settings: AnalysisSettings, engine, meta: dict | None = None
) -> AnalysisResult:
    """Fit one analysis. ``meta`` carries analysis_id, indication, outcome, comparison, timepoint."""
    meta = dict(meta or {})
    seed = analysis_seed(settings.seed, meta.get("analysis_id", "analysis"))
    sd = prepare_studies(rows, settings)
    threshold = benefit_threshold(settings.measure, settings.mcid)
    if not sd.estimable:
        return not_estimable(meta, settings, sd, seed)
    data, model_name = _model_data(sd, settings)
    draws, diag = sample_gated(engine, data, settings.sampler, settings.diagnostics, seed)
    rng = np.random.default_rng(seed)
    theta_new = draws.mu + draws.tau * rng.standard_normal(draws.mu.shape)
    p_b, p_m = benefit_probabilities(draws.mu, settings.direction, threshold)
    notes = list(sd.notes)
    k = len(sd.table)
    if k <= 2:
        notes.append(
            f"the pooled result rests on {k} trial{'s' if k > 1 else ''}; tau is informed mainly by its prior"
        )
    if not diag.converged:
        notes.append(f"NOT CONVERGED: {diag.reasons}")
    elif diag.attempts > 1:
        notes.append(f"converged on retry ({diag.reasons})")
    s = {
        **_base_summary(meta, settings, sd, seed),
        "model": model_name,
        "estimate": quantile(draws.mu, 0.5),
        "ci_low": quantile(draws.mu, 0.025),
        "ci_high": quantile(draws.mu, 0.975),
        "pred_low": quantile(theta_new, 0.025),
        "pred_high": quantile(theta_new, 0.975),
        "tau": quantile(draws.tau, 0.5),
        "tau_low": quantile(draws.tau, 0.025),
        "tau_high": quantile(draws.tau, 0.975),
        "p_benefit": p_b,
        "p_mcid": p_m,
        "rhat_max": diag.rhat_max,
        "ess_bulk_min": diag.ess_bulk_min,
        "ess_tail_min": diag.ess_tail_min,
        "divergences": diag.divergences,
        "converged": bool(diag.converged),
        "sampler": draws.sampler,
        "target_accept": diag.target_accept,
        "attempts": diag.attempts,
        "exact_agrees": np.nan,
    }
    exact = None
    if model_name == "nnhm":  # exact cross-check
        exact = nnhm_exact(sd.y, sd.se, settings.tau_prior, settings.effect_prior)
        ex = exact.summary()
        s["exact_estimate"] = ex["estimate"]
        for c in ("ci_low", "ci_high", "pred_low", "pred_high", "tau", "tau_low", "tau_high"):
            s[f"exact_{c}"] = ex[c]
        s["exact_agrees"], disagreements = compare_with_exact(s, draws.mu, draws.tau, exact)
        notes.extend(disagreements)
    fr = frequentist.reference(sd.y, sd.se, settings.freq_method, settings.prediction_df)
    s.update({
        "freq_estimate": fr.estimate, "freq_ci_low": fr.ci_low, "freq_ci_high": fr.ci_high,
        "freq_method": fr.method, "freq_tau2": fr.tau2, "freq_pred_low": fr.pred_low,
        "freq_pred_high": fr.pred_high,
    })  # fmt: skip
    infl = influence(sd.y, sd.se, settings.freq_method.partition("+")[0])
    notes.extend(influence_notes(sd, infl))
    counts = sd.table[["events_c", "n_c"]].dropna()
    if settings.measure in ("OR", "RR") and len(counts) and counts["n_c"].sum() > 0:
        p0 = float(counts["events_c"].sum() / counts["n_c"].sum())
        s["baseline_risk"] = p0
        s.update(absolute_effects(settings.measure, draws.mu, p0))
    studies = study_table(sd, draws.theta, s["tau"], infl)
    notes.append(
        f"seed {seed}; {draws.sampler} NUTS, {settings.sampler['chains']} chains x {settings.sampler['draws']} draws"
    )
    s["notes"] = " | ".join(notes)
    priors = _priors(settings, model_name == "binomial_normal")
    result = AnalysisResult(s, studies, pd.DataFrame(), diag, priors, notes, draws, sd, theta_new)
    het = frequentist.heterogeneity(sd.y, sd.se)
    result.heterogeneity = heterogeneity_table(s.get("analysis_id", ""), k, draws.tau, fr, het)
    result.sensitivity = run_sensitivity(result, settings, threshold, exact)
    return result
