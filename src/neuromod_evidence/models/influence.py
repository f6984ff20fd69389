"""Outlier and influence diagnostics of the frequentist random-effects model, as metafor's ``influence()``.

For each study i the model is refitted without it (same tau^2 estimator) and, following
``metafor:::influence.rma.uni`` for a model without moderators (p = 1, Wald-type tests):

- ``rstudent``: externally standardized residual (y_i - mu_(-i)) / sqrt(v_i + tau2_(-i) + Var(mu_(-i)));
  an *outlier* when |rstudent| > z_0.975 (the reference lines of metafor's ``plot.infl.rma.uni``);
- ``dffits``: (mu - mu_(-i)) / sqrt(h_i (tau2_(-i) + v_i));
- ``cook_d``: (mu - mu_(-i))^2 / Var(mu), Cook's distance;
- ``cov_r``: Var(mu_(-i)) / Var(mu);
- ``dfbetas``: (mu - mu_(-i)) / sqrt(Var_(-i)(mu)) with Var_(-i) from all k studies at tau2_(-i);
- ``hat``: h_i = w_i / sum(w), the study's share of the weight.

*Influential* as in metafor: |dffits| > 3 sqrt(p/(k-p)), or P(chi^2_p <= cook_d) > 0.5, or hat > 3p/k, or
|dfbetas| > 1. Viechtbauer & Cheung 2010, Res Synth Methods 1(2):112-125. Needs k >= 3 (leaving one out
of two studies leaves no heterogeneity to estimate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..settings import Z_95
from . import frequentist

MIN_STUDIES = 3


@dataclass
class Influence:
    rstudent: np.ndarray
    dffits: np.ndarray
    cook_d: np.ndarray
    cov_r: np.ndarray
    dfbetas: np.ndarray
    hat: np.ndarray
    tau2_del: np.ndarray

    @property
    def outlier(self) -> np.ndarray:
        return np.abs(self.rstudent) > Z_95

    @property
    def influential(self) -> np.ndarray:
        k, p = self.hat.size, 1
        return (
            (np.abs(self.dffits) > 3 * np.sqrt(p / (k - p)))
            | (stats.chi2.cdf(self.cook_d, df=p) > 0.5)
            | (self.hat > 3 * p / k)
            | (np.abs(self.dfbetas) > 1)
        )

    def flags(self) -> list[str]:
        """One word per study: '', 'outlier', 'influential' or 'outlier; influential'."""
        out = []
        for o, i in zip(self.outlier, self.influential, strict=True):
            out.append("; ".join(w for w, on in (("outlier", o), ("influential", i)) if on))
        return out


def _fit(y, v, tau2):
    w = 1.0 / (v + tau2)
    return float(np.sum(w * y) / np.sum(w)), float(1.0 / np.sum(w)), w


def influence(y, se, estimator: str = "REML") -> Influence | None:
    """Leave-one-out diagnostics of the random-effects model with ``estimator`` (REML, DL or PM); None for
    fewer than :data:`MIN_STUDIES` studies."""
    y = np.asarray(y, dtype=float)
    se = np.asarray(se, dtype=float)
    v = se**2
    k = y.size
    if k < MIN_STUDIES:
        return None
    tau2 = frequentist.tau2(y, se, estimator)
    mu, var_mu, w = _fit(y, v, tau2)
    hat = w / w.sum()
    out = {name: np.empty(k) for name in ("rstudent", "dffits", "cook_d", "cov_r", "dfbetas", "tau2_del")}
    for i in range(k):
        keep = np.arange(k) != i
        t2 = frequentist.tau2(y[keep], se[keep], estimator)
        mu_i, var_i, _ = _fit(y[keep], v[keep], t2)
        diff = mu - mu_i
        out["tau2_del"][i] = t2
        out["rstudent"][i] = (y[i] - mu_i) / np.sqrt(v[i] + t2 + var_i)
        out["dffits"][i] = diff / np.sqrt(hat[i] * (t2 + v[i]))
        out["cook_d"][i] = diff**2 / var_mu
        out["cov_r"][i] = var_i / var_mu
        out["dfbetas"][i] = diff / np.sqrt(1.0 / np.sum(1.0 / (v + t2)))
    return Influence(hat=hat, **out)
