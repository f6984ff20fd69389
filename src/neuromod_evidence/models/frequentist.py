"""Frequentist random-effects reference, for comparison with published reviews.

- DerSimonian–Laird and Paule–Mandel tau^2 from statsmodels' ``combine_effects`` (a well-kept library),
  truncated at 0 as every tau^2 estimator is (metafor: ``tau2 <- max(0, ...)``); statsmodels returns the
  untruncated DL moment estimate, which is negative when Q < k - 1 (e.g. metafor's dat.nielweise2007).
- REML tau^2 by Fisher scoring (the iteration metafor's ``rma(method="REML")`` uses), implemented here
  because statsmodels has no REML for meta-analysis.
- Hartung–Knapp–Sidik–Jonkman interval: SE^2 = sum w_i (y_i - mu)^2 / ((k - 1) sum w_i), t with k - 1
  df, without the ad-hoc truncation at the Wald SE (as metafor's ``test="knha"``). RevMan (2025) uses
  REML + HKSJ by default; that is the method reported beside each Bayesian result.
- Prediction interval: mu +/- t_df sqrt(tau^2 + SE^2) with df = k - 2 (Higgins, Thompson & Spiegelhalter
  2009, J R Stat Soc A 172:137-159; the default, ``models.prediction_interval_df: k-2``) or df = k - 1
  (what metafor's ``predict()`` uses with ``test="knha"``; setting ``k-1``). docs/methods.md says why.

k = 1: there is no random-effects model; the single study's own Wald interval is returned.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from ..settings import Z_95


@dataclass
class FreqResult:
    method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    pred_low: float = float("nan")
    pred_high: float = float("nan")

    def to_dict(self) -> dict:
        return asdict(self)


def _inputs(y, se):
    y = np.asarray(y, dtype=float)
    v = np.asarray(se, dtype=float) ** 2
    if y.shape != v.shape or y.ndim != 1 or y.size == 0:
        raise ValueError("y and se must be non-empty 1-d arrays of equal length")
    return y, v


PREDICTION_DF = ("k-2", "k-1")


def tau2_dl(y, se) -> float:
    """DerSimonian–Laird tau^2, truncated at 0 (identical studies give 0, not NaN or a negative value)."""
    from statsmodels.stats.meta_analysis import combine_effects

    y, v = _inputs(y, se)
    if y.size < 2:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t2 = float(combine_effects(y, v, method_re="dl").tau2)
    return max(t2, 0.0) if np.isfinite(t2) else 0.0


def tau2_pm(y, se) -> float:
    from statsmodels.stats.meta_analysis import combine_effects

    y, v = _inputs(y, se)
    if y.size < 2:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t2 = float(combine_effects(y, v, method_re="pm").tau2)
    return max(t2, 0.0) if np.isfinite(t2) else 0.0


def tau2(y, se, estimator: str = "REML") -> float:
    """tau^2 by ``estimator`` (REML, DL or PM), always >= 0."""
    return {"REML": tau2_reml, "DL": tau2_dl, "PM": tau2_pm}[estimator](y, se)


def tau2_reml(y, se, tol: float = 1e-10, max_iter: int = 1000) -> float:
    """REML estimate of tau^2 (Fisher scoring from the DL value, truncated at 0; metafor's algorithm)."""
    y, v = _inputs(y, se)
    if y.size < 2:
        return 0.0
    tau2 = max(tau2_dl(y, np.sqrt(v)), 0.0)
    for _ in range(max_iter):
        w = 1.0 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        # P = W - W 1 1' W / sum(W);  score and Fisher information of REML in tau^2
        pr = w * (y - mu)  # P y
        trace_p = np.sum(w) - np.sum(w**2) / np.sum(w)
        trace_pp = np.sum(w**2) - 2 * np.sum(w**3) / np.sum(w) + (np.sum(w**2) / np.sum(w)) ** 2
        step = (np.sum(pr**2) - trace_p) / trace_pp
        new = max(tau2 + step, 0.0)
        if abs(new - tau2) < tol:
            tau2 = new
            break
        tau2 = new
    return float(tau2)


def random_effects(
    y, se, tau2: float, method: str, hksj: bool = True, prediction_df: str = "k-2"
) -> FreqResult:
    if prediction_df not in PREDICTION_DF:
        raise ValueError(f"prediction_df must be one of {PREDICTION_DF}, got {prediction_df!r}")
    y, v = _inputs(y, se)
    k = y.size
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    if hksj and k > 1:
        se_mu = float(np.sqrt(np.sum(w * (y - mu) ** 2) / ((k - 1) * np.sum(w))))
        crit = stats.t.ppf(0.975, k - 1)
    else:
        se_mu = float(np.sqrt(1.0 / np.sum(w)))
        crit = Z_95
    res = FreqResult(method, k, mu, se_mu, mu - crit * se_mu, mu + crit * se_mu, float(tau2))
    df = k - 2 if prediction_df == "k-2" else k - 1
    if df >= 1:
        # prediction interval: Higgins, Thompson & Spiegelhalter 2009 (k - 2 df) or metafor with knha (k - 1)
        half = stats.t.ppf(0.975, df) * np.sqrt(tau2 + se_mu**2)
        res.pred_low, res.pred_high = mu - half, mu + half
    return res


def reference(y, se, method: str = "REML+HKSJ", prediction_df: str = "k-2") -> FreqResult:
    """The frequentist reference reported beside each Bayesian result."""
    y, v = _inputs(y, se)
    if y.size == 1:
        s = float(np.sqrt(v[0]))
        z = Z_95
        return FreqResult("single study (Wald)", 1, float(y[0]), s, y[0] - z * s, y[0] + z * s, float("nan"))
    est, _, ci = method.partition("+")
    t2 = tau2(y, np.sqrt(v), est)
    return random_effects(y, np.sqrt(v), t2, method, hksj=ci == "HKSJ", prediction_df=prediction_df)


def common_effect(y, se) -> FreqResult:
    y, v = _inputs(y, se)
    return random_effects(y, np.sqrt(v), 0.0, "common effect (inverse variance)", hksj=False)


@dataclass
class Heterogeneity:
    """Cochran's Q with its df and p, and Higgins' I² = max(0, (Q − df) / Q) in percent (Higgins & Thompson
    2002; what RevMan prints), from the inverse-variance common-effect fit. NaN for a single study."""

    q: float
    q_df: int
    q_p: float
    i2: float


def heterogeneity(y, se) -> Heterogeneity:
    y, v = _inputs(y, se)
    df = y.size - 1
    if df < 1:
        return Heterogeneity(float("nan"), 0, float("nan"), float("nan"))
    w = 1.0 / v
    mu = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - mu) ** 2))
    i2 = 100.0 * max(0.0, (q - df) / q) if q > 0 else 0.0
    return Heterogeneity(q, int(df), float(stats.chi2.sf(q, df)), i2)
