"""The result of one analysis: its summary row, study table, sensitivity table and posterior draws.

Columns follow the table contracts in ``neuromod_evidence.tables`` (``SUMMARY``, ``STUDIES``,
``SENSITIVITY``); the writers are in ``models.io``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..settings import Z_95, is_ratio
from ..tables import HETEROGENEITY, STUDIES, SUMMARY
from .diagnostics import Diagnostics
from .influence import Influence
from .studies import StudyData

SUMMARY_COLUMNS = list(SUMMARY.columns)
STUDY_COLUMNS = list(STUDIES.columns)


def quantile(x, p) -> float:
    return float(np.quantile(np.asarray(x).ravel(), p))


def absolute_effects(measure: str, draws: np.ndarray, p0: float) -> dict[str, float]:
    """RR, RD and per-1000 effects at control-arm risk p0 from draws of log OR (or log RR)."""
    out = {}
    if measure not in ("OR", "RR") or not (0 < p0 < 1):
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
        out[f"{name}_estimate"] = quantile(x, 0.5)
        out[f"{name}_ci_low"] = quantile(x, 0.025)
        out[f"{name}_ci_high"] = quantile(x, 0.975)
    return out


def random_effects_weights(se: np.ndarray, tau: float) -> np.ndarray:
    """Each study's share (percent) of the inverse-variance weight 1 / (se^2 + tau^2), as RevMan shows;
    NaN for a study without a normal approximation (no events in either arm)."""
    se = np.asarray(se, dtype=float)
    w = np.where(np.isfinite(se) & (se > 0), 1.0 / (se**2 + tau**2), np.nan)
    total = np.nansum(w)
    return 100.0 * w / total if total > 0 else np.full(se.shape, np.nan)


def study_table(sd: StudyData, theta: np.ndarray | None, tau: float, infl: Influence | None) -> pd.DataFrame:
    """studies.csv of one analysis: observed and shrunken estimates, weights, counts, influence."""
    t = sd.table
    out = pd.DataFrame({c: t[c].to_numpy() for c in ("trial_id", "study_label", "data_type")})
    out["estimate"] = t["y"].to_numpy(float)
    out["se"] = t["se"].to_numpy(float)
    out["ci_low"] = out["estimate"] - Z_95 * out["se"]
    out["ci_high"] = out["estimate"] + Z_95 * out["se"]
    if theta is not None:
        th = np.asarray(theta).reshape(-1, len(t))
        out["shrunk_estimate"] = np.median(th, axis=0)
        out["shrunk_ci_low"] = np.quantile(th, 0.025, axis=0)
        out["shrunk_ci_high"] = np.quantile(th, 0.975, axis=0)
    else:
        out["shrunk_estimate"] = out["shrunk_ci_low"] = out["shrunk_ci_high"] = np.nan
    out["weight"] = random_effects_weights(out["se"].to_numpy(), tau) if np.isfinite(tau) else np.nan
    for c in ("events_t", "n_t", "events_c", "n_c", "sd_imputed", "events_derived", "corrected"):
        out[c] = t[c].to_numpy()
    out["rstudent"] = np.nan
    out["cook_d"] = np.nan
    out["influence"] = ""
    if infl is not None:
        idx = sd.y_index
        out.loc[idx, "rstudent"] = infl.rstudent
        out.loc[idx, "cook_d"] = infl.cook_d
        out.loc[idx, "influence"] = infl.flags()
    for c in ("mean_t", "sd_t", "mean_c", "sd_c", "site", "value_type"):
        out[c] = t[c].to_numpy()
    return out[STUDY_COLUMNS]


def heterogeneity_table(aid: str, k: int, tau_draws, freq, het) -> pd.DataFrame:
    """heterogeneity.csv of one analysis: the posterior of tau² (median, 95 % CrI), the frequentist
    reference's tau² and Cochran's Q, df, p and I² (``frequentist.heterogeneity``), for the forest plot."""
    t2 = np.asarray(tau_draws, dtype=float).ravel() ** 2
    row = {
        "analysis_id": aid, "k": k, "tau2": quantile(t2, 0.5), "tau2_low": quantile(t2, 0.025),
        "tau2_high": quantile(t2, 0.975), "freq_tau2": freq.tau2, "freq_method": freq.method,
        "q": het.q, "q_df": het.q_df, "q_p": het.q_p, "i2": het.i2,
    }  # fmt: skip
    return pd.DataFrame([row], columns=list(HETEROGENEITY.columns))


def influence_notes(sd: StudyData, infl: Influence | None) -> list[str]:
    """One note per flagged study (metafor's rules, see models/influence.py)."""
    if infl is None:
        return []
    labels = list(sd.table.loc[sd.y_index, "study_label"])
    notes = []
    for lab, flag, r, d in zip(labels, infl.flags(), infl.rstudent, infl.cook_d, strict=True):
        if flag:
            notes.append(f"{lab}: {flag} (standardized residual {r:.2f}, Cook's distance {d:.2f})")
    return notes


@dataclass
class AnalysisResult:
    summary: dict
    studies: pd.DataFrame
    sensitivity: pd.DataFrame
    diagnostics: Diagnostics | None
    priors: dict
    notes: list[str]
    draws: object = None  # compiled.Draws; None when the analysis was not estimable
    study_data: StudyData | None = None
    predictive_draws: np.ndarray | None = None
    heterogeneity: pd.DataFrame | None = None  # HETEROGENEITY row; None when not estimable

    @property
    def estimable(self) -> bool:
        return self.draws is not None

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
        return az.from_dict(
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


def scale_of(measure: str) -> str:
    return "log" if is_ratio(measure) else "difference"
