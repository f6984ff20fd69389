"""One meta-analysis: contrast rows + settings → :class:`AnalysisResult`.

Model choice (binary outcomes): when every study has arm counts (``data_type == arm_binary``) the
binomial–normal model on log OR with the exact binomial likelihood is used; when some studies only
report a log OR, the NNHM on log OR is used for all, with a 0.5 continuity correction applied only to
arm-count studies with a zero cell (recorded in ``continuity_corrected`` and the notes).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import effects
from . import frequentist
from .diagnostics import Diagnostics, quantile_mcse, sample_gated
from .exact import nnhm_exact
from .priors import EffectPrior, TauPrior

RATIO_MEASURES = ("OR", "RR")
# the columns of results/fit/summary.csv (docs/pipeline-tables.md), in order; additions go at the end
SUMMARY_COLUMNS = [
    "analysis_id", "indication", "outcome", "comparison", "timepoint", "measure", "model", "k",
    "n_participants", "estimate", "ci_low", "ci_high", "pred_low", "pred_high", "tau", "tau_low",
    "tau_high", "p_benefit", "p_mcid", "rhat_max", "ess_bulk_min", "ess_tail_min", "divergences",
    "converged", "exact_estimate", "exact_ci_low", "exact_ci_high", "exact_agrees", "freq_estimate",
    "freq_ci_low", "freq_ci_high", "freq_method", "tau_prior", "effect_prior",
    # additions of the engine
    "direction", "mcid", "scale", "exact_pred_low", "exact_pred_high", "exact_tau", "exact_tau_low",
    "exact_tau_high", "freq_tau2", "freq_pred_low", "freq_pred_high", "sampler", "target_accept",
    "attempts", "seed", "baseline_risk", "log_rr_estimate", "log_rr_ci_low", "log_rr_ci_high",
    "rd_estimate", "rd_ci_low", "rd_ci_high", "per1000_estimate", "per1000_ci_low", "per1000_ci_high",
    "continuity_corrected", "excluded_studies", "notes",
    # where the analysis' contrasts came from (pipeline.provenance): publication / registry, PMIDs and NCT ids
    "source_kind", "sources",
]  # fmt: skip


@dataclass
class AnalysisSettings:
    measure: str  # MD, SMD, OR, RR, RD, GENERIC (OR/RR on the log scale)
    direction: str  # lower_is_better | higher_is_better
    mcid: float | None
    tau_prior: TauPrior
    effect_prior: EffectPrior
    sensitivity_tau_priors: list[TauPrior] = field(default_factory=list)
    baseline_prior: EffectPrior = field(default_factory=lambda: EffectPrior(0.0, 10.0, "normal:0,10"))
    sampler: dict = field(
        default_factory=lambda: {
            "chains": 4, "draws": 1000, "tune": 1000, "target_accept": 0.95,
            "retry_target_accept": 0.99, "retry_tune": 3000,
        }
    )  # fmt: skip
    diagnostics: dict = field(
        default_factory=lambda: {"rhat_max": 1.01, "ess_min": 400, "max_divergences": 0}
    )
    seed: int = 20261124
    freq_method: str = "REML+HKSJ"
    continuity_correction: float = 0.5


def analysis_seed(seed: int, analysis_id: str) -> int:
    """A per-analysis seed that does not depend on which other analyses run or in what order."""
    return (int(seed) * 1_000_003 + zlib.crc32(analysis_id.encode())) % (2**31 - 1)


def benefit_threshold(measure: str, mcid: float | None) -> float | None:
    if mcid is None or (isinstance(mcid, float) and math.isnan(mcid)):
        return None
    if measure in RATIO_MEASURES:
        if not mcid > 1:
            raise ValueError(f"mcid for {measure} is a ratio > 1, got {mcid}")
        return math.log(mcid)
    if not mcid > 0:
        raise ValueError(f"mcid must be > 0, got {mcid}")
    return float(mcid)


def benefit_probabilities(x: np.ndarray, direction: str, threshold: float | None) -> tuple[float, float]:
    x = np.asarray(x).ravel()
    if direction == "lower_is_better":
        p_b = float(np.mean(x < 0))
        p_m = float(np.mean(x <= -threshold)) if threshold is not None else float("nan")
    else:
        p_b = float(np.mean(x > 0))
        p_m = float(np.mean(x >= threshold)) if threshold is not None else float("nan")
    return p_b, p_m


def exact_benefit(mix, direction: str, threshold: float | None) -> tuple[float, float]:
    if direction == "lower_is_better":
        return mix.cdf(0.0), (mix.cdf(-threshold) if threshold is not None else float("nan"))
    return 1 - mix.cdf(0.0), (1 - mix.cdf(threshold) if threshold is not None else float("nan"))


@dataclass
class StudyData:
    """The studies of one analysis on the analysis scale, plus counts when every study has them."""

    table: pd.DataFrame  # one row per study: label, y, se, flags, counts
    likelihood: str  # "binomial" or "normal"
    y: np.ndarray  # normal-approximation estimates of the studies that have one
    se: np.ndarray
    y_index: np.ndarray  # positions (in table) of those studies
    corrected: int
    excluded: list[str]
    notes: list[str]


def _num(row, col):
    v = row.get(col, np.nan)
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _flag(row, col) -> bool:
    v = row.get(col, False)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else False


def prepare_studies(rows: pd.DataFrame, settings: AnalysisSettings) -> StudyData:
    rows = rows.reset_index(drop=True)
    recs = []
    notes: list[str] = []
    binary = settings.measure in ("OR", "RR", "RD")
    has_counts = [
        all(not math.isnan(_num(r, c)) for c in ("events_t", "n_t", "events_c", "n_c"))
        for _, r in rows.iterrows()
    ]
    all_arm = binary and all(
        str(r.get("data_type", "arm_binary")) == "arm_binary" and hc
        for (_, r), hc in zip(rows.iterrows(), has_counts, strict=True)
    )
    likelihood = "binomial" if (settings.measure == "OR" and all_arm) else "normal"
    corrected = 0
    excluded = []
    for (_, r), hc in zip(rows.iterrows(), has_counts, strict=True):
        label = str(r.get("study_label", r.get("trial_id", "")) or r.get("trial_id", ""))
        rec = {
            "trial_id": str(r.get("trial_id", label)),
            "study_label": label,
            "data_type": str(r.get("data_type", "contrast")),
            "sd_imputed": _flag(r, "sd_imputed"),
            "events_derived": _flag(r, "events_derived"),
            "n_t": _num(r, "n_t"),
            "n_c": _num(r, "n_c"),
            "events_t": _num(r, "events_t"),
            "events_c": _num(r, "events_c"),
            "y": _num(r, "estimate"),
            "se": _num(r, "se"),
            "corrected": False,
        }
        if binary and hc and rec["data_type"] == "arm_binary":
            fn = {"OR": effects.log_odds_ratio, "RR": effects.log_risk_ratio, "RD": effects.risk_difference}
            out = fn[settings.measure](
                rec["events_t"], rec["n_t"], rec["events_c"], rec["n_c"], settings.continuity_correction
            )
            if out is None:
                rec["y"] = rec["se"] = float("nan")
            else:
                rec["y"], rec["se"], rec["corrected"] = out
        recs.append(rec)
    table = pd.DataFrame(recs)
    ok = (
        np.isfinite(table["y"].to_numpy())
        & np.isfinite(table["se"].to_numpy())
        & (table["se"].to_numpy() > 0)
    )
    for i in np.flatnonzero(~ok):
        lab = table.loc[i, "study_label"]
        if likelihood == "binomial":
            notes.append(
                f"{lab}: no events in either arm; kept in the binomial model, left out of normal approximations"
            )
        else:
            excluded.append(lab)
            notes.append(f"{lab}: no finite estimate/SE; excluded")
    if likelihood == "normal":
        table = table[ok].reset_index(drop=True)
        ok = np.ones(len(table), dtype=bool)
    corrected = int(table.loc[ok, "corrected"].sum())
    if binary and corrected:
        where = (
            "normal approximations (frequentist, exact, sensitivity)"
            if likelihood == "binomial"
            else "the model"
        )
        notes.append(
            f"{settings.continuity_correction} continuity correction in {corrected} study(ies) with a zero cell, in {where}"
        )
    if settings.measure == "OR" and likelihood == "normal" and any(has_counts):
        notes.append("NNHM on log OR: not every study has arm counts (binomial-normal model needs all)")
    idx = np.flatnonzero(ok)
    return StudyData(
        table,
        likelihood,
        table.loc[ok, "y"].to_numpy(float),
        table.loc[ok, "se"].to_numpy(float),
        idx,
        corrected,
        excluded,
        notes,
    )


def _q(x, p):
    return float(np.quantile(np.asarray(x).ravel(), p))


def absolute_effects(measure: str, draws: np.ndarray, p0: float) -> dict[str, float]:
    """RR, RD and per-1000 effects at control-arm risk p0 from draws of log OR (or log RR)."""
    out = {}
    if measure not in RATIO_MEASURES or not (0 < p0 < 1):
        return out
    d = np.asarray(draws).ravel()
    if measure == "OR":
        odds = np.exp(d) * p0 / (1 - p0)
        p1 = odds / (1 + odds)
    else:
        p1 = np.clip(np.exp(d) * p0, 0, 1)
    rd = p1 - p0
    log_rr = np.log(p1 / p0)
    for name, x in (("log_rr", log_rr), ("rd", rd), ("per1000", 1000 * rd)):
        out[f"{name}_estimate"] = _q(x, 0.5)
        out[f"{name}_ci_low"] = _q(x, 0.025)
        out[f"{name}_ci_high"] = _q(x, 0.975)
    return out


@dataclass
class AnalysisResult:
    summary: dict
    studies: pd.DataFrame
    sensitivity: pd.DataFrame
    diagnostics: Diagnostics | None
    priors: dict
    notes: list[str]
    draws: object = None  # compiled.Draws
    study_data: StudyData | None = None
    predictive_draws: np.ndarray | None = None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{c: self.summary.get(c) for c in SUMMARY_COLUMNS}], columns=SUMMARY_COLUMNS)

    def to_dict(self) -> dict:
        out = {c: self.summary.get(c) for c in SUMMARY_COLUMNS}
        out["priors"] = self.priors
        out["diagnostics"] = self.diagnostics.to_dict() if self.diagnostics else None
        out["studies"] = self.studies.to_dict(orient="records")
        out["notes"] = self.notes
        return out

    def to_inference_data(self):
        """ArviZ InferenceData: posterior (mu, tau, theta[study], theta_new, alpha), sample_stats, data."""
        import arviz as az

        d = self.draws
        labels = list(self.studies["study_label"])
        post = {"mu": d.mu, "tau": d.tau, "theta": d.theta, "theta_new": self.predictive_draws}
        if d.alpha is not None:
            post["alpha"] = d.alpha
        sd = self.study_data
        tab = sd.table
        obs = {"y": tab["y"].to_numpy(float), "se": tab["se"].to_numpy(float)}
        if sd.likelihood == "binomial":
            obs.update({c: tab[c].to_numpy(float) for c in ("events_t", "n_t", "events_c", "n_c")})
        idata = az.from_dict(
            posterior=post,
            sample_stats={"diverging": d.diverging},
            constant_data=obs,
            coords={"study": labels},
            dims={"theta": ["study"], "alpha": ["study"], **{k: ["study"] for k in obs}},
            attrs={
                "analysis_id": str(self.summary.get("analysis_id", "")),
                "model": str(self.summary.get("model", "")),
                "measure": str(self.summary.get("measure", "")),
                "tau_prior": str(self.summary.get("tau_prior", "")),
                "effect_prior": str(self.summary.get("effect_prior", "")),
                "seed": int(self.summary.get("seed", 0)),
                "sampler": str(d.sampler),
            },
        )
        return idata


def run_analysis(
    rows: pd.DataFrame, settings: AnalysisSettings, engine, meta: dict | None = None
) -> AnalysisResult:
    """Fit one analysis. ``meta`` carries analysis_id, indication, outcome, comparison, timepoint."""
    from .sensitivity import run_sensitivity

    meta = dict(meta or {})
    aid = meta.get("analysis_id", "analysis")
    seed = analysis_seed(settings.seed, aid)
    sd = prepare_studies(rows, settings)
    if len(sd.table) == 0:
        raise ValueError(f"{aid}: no usable studies")
    threshold = benefit_threshold(settings.measure, settings.mcid)
    from .compiled import ModelData

    if sd.likelihood == "binomial":
        t = sd.table
        data = ModelData(
            "binomial", settings.tau_prior, settings.effect_prior,
            events_t=t["events_t"].to_numpy(), n_t=t["n_t"].to_numpy(),
            events_c=t["events_c"].to_numpy(), n_c=t["n_c"].to_numpy(), baseline_prior=settings.baseline_prior,
        )  # fmt: skip
        model_name = "binomial_normal"
    else:
        data = ModelData("normal", settings.tau_prior, settings.effect_prior, y=sd.y, se=sd.se)
        model_name = "nnhm"
    draws, diag = sample_gated(engine, data, settings.sampler, settings.diagnostics, seed)
    rng = np.random.default_rng(seed)
    theta_new = draws.mu + draws.tau * rng.standard_normal(draws.mu.shape)
    p_b, p_m = benefit_probabilities(draws.mu, settings.direction, threshold)
    n_part = (
        np.nansum(sd.table[["n_t", "n_c"]].to_numpy(float))
        if sd.table[["n_t", "n_c"]].notna().any().any()
        else np.nan
    )
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
        **{c: meta.get(c, "") for c in ("analysis_id", "indication", "outcome", "comparison", "timepoint")},
        "measure": settings.measure,
        "model": model_name,
        "k": k,
        "n_participants": float(n_part) if np.isfinite(n_part) else np.nan,
        "estimate": _q(draws.mu, 0.5),
        "ci_low": _q(draws.mu, 0.025),
        "ci_high": _q(draws.mu, 0.975),
        "pred_low": _q(theta_new, 0.025),
        "pred_high": _q(theta_new, 0.975),
        "tau": _q(draws.tau, 0.5),
        "tau_low": _q(draws.tau, 0.025),
        "tau_high": _q(draws.tau, 0.975),
        "p_benefit": p_b,
        "p_mcid": p_m,
        "rhat_max": diag.rhat_max,
        "ess_bulk_min": diag.ess_bulk_min,
        "ess_tail_min": diag.ess_tail_min,
        "divergences": diag.divergences,
        "converged": bool(diag.converged),
        "tau_prior": settings.tau_prior.spec or settings.tau_prior.label,
        "effect_prior": settings.effect_prior.spec or settings.effect_prior.label,
        "direction": settings.direction,
        "mcid": settings.mcid if settings.mcid is not None else np.nan,
        "scale": "log" if settings.measure in RATIO_MEASURES else "difference",
        "sampler": draws.sampler,
        "target_accept": diag.target_accept,
        "attempts": diag.attempts,
        "seed": seed,
        "continuity_corrected": sd.corrected,
        "excluded_studies": "; ".join(sd.excluded),
    }
    # exact cross-check (NNHM only)
    exact = None
    s["exact_agrees"] = np.nan
    if model_name == "nnhm":
        exact = nnhm_exact(sd.y, sd.se, settings.tau_prior, settings.effect_prior)
        ex = exact.summary()
        s.update({
            "exact_estimate": ex["estimate"], "exact_ci_low": ex["ci_low"], "exact_ci_high": ex["ci_high"],
            "exact_pred_low": ex["pred_low"], "exact_pred_high": ex["pred_high"], "exact_tau": ex["tau"],
            "exact_tau_low": ex["tau_low"], "exact_tau_high": ex["tau_high"],
        })  # fmt: skip
        agrees = True
        for col, p in (("estimate", 0.5), ("ci_low", 0.025), ("ci_high", 0.975)):
            tol = max(4 * quantile_mcse(draws.mu, p), 0.05 * ex["sd"])
            if abs(s[col] - ex[col]) > tol:
                agrees = False
                notes.append(f"MCMC and exact {col} differ by {abs(s[col] - ex[col]):.4g} (> {tol:.3g})")
        s["exact_agrees"] = agrees
    # frequentist reference
    if len(sd.y):
        fr = frequentist.reference(sd.y, sd.se, settings.freq_method)
        s.update({
            "freq_estimate": fr.estimate, "freq_ci_low": fr.ci_low, "freq_ci_high": fr.ci_high,
            "freq_method": fr.method, "freq_tau2": fr.tau2, "freq_pred_low": fr.pred_low,
            "freq_pred_high": fr.pred_high,
        })  # fmt: skip
    # absolute effects at the control-arm risk
    t = sd.table
    counts = t[["events_c", "n_c"]].dropna()
    if settings.measure in RATIO_MEASURES and len(counts) and counts["n_c"].sum() > 0:
        p0 = float(counts["events_c"].sum() / counts["n_c"].sum())
        s["baseline_risk"] = p0
        s.update(absolute_effects(settings.measure, draws.mu, p0))
    # shrunken study estimates
    studies = t[["trial_id", "study_label", "data_type", "y", "se"]].rename(columns={"y": "estimate"}).copy()
    z = 1.959963984540054
    studies["ci_low"] = studies["estimate"] - z * studies["se"]
    studies["ci_high"] = studies["estimate"] + z * studies["se"]
    th = draws.theta.reshape(-1, k)
    studies["shrunk_estimate"] = np.median(th, axis=0)
    studies["shrunk_low"] = np.quantile(th, 0.025, axis=0)
    studies["shrunk_high"] = np.quantile(th, 0.975, axis=0)
    for c in ("events_t", "n_t", "events_c", "n_c", "sd_imputed", "events_derived", "corrected"):
        studies[c] = t[c].to_numpy()
    notes.append(
        f"seed {seed}; {draws.sampler} NUTS, {settings.sampler['chains']} chains x {settings.sampler['draws']} draws"
    )
    s["notes"] = " | ".join(notes)
    priors = {
        "tau": settings.tau_prior.to_dict(),
        "effect": settings.effect_prior.to_dict(),
        "baseline": settings.baseline_prior.to_dict() if model_name == "binomial_normal" else None,
        "sensitivity_tau": [p.to_dict() for p in settings.sensitivity_tau_priors],
    }
    result = AnalysisResult(s, studies, pd.DataFrame(), diag, priors, notes, draws, sd, theta_new)
    result.sensitivity = run_sensitivity(result, settings, threshold, exact)
    return result
