"""Posterior of the normal–normal hierarchical model by numerical integration over tau.

For y_i ~ N(theta_i, s_i^2), theta_i ~ N(mu, tau^2), mu ~ N(m0, s0^2) and any prior p(tau), the
conditional posterior of mu given tau is normal, and the marginal likelihood p(y | tau) is available in
closed form. The joint posterior is then a one-dimensional mixture over tau, which we integrate on a grid
placed by the quantiles of the tau prior and refined where the likelihood has its mass (the approach of
R's bayesmeta, Röver 2020, J Stat Softw 93(6), which uses the DIRECT algorithm instead of a grid).
Quantiles of mu, of a new study's effect and of the shrunken study effects are quantiles of finite normal
mixtures, found by root finding. ``tau = 0`` gives the common-effect (fixed-effect) posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from .priors import EffectPrior, TauPrior


@dataclass
class NormalMixture:
    weights: np.ndarray
    means: np.ndarray
    sds: np.ndarray

    def cdf(self, x: float) -> float:
        return float(np.sum(self.weights * special.ndtr((x - self.means) / self.sds)))

    def mean(self) -> float:
        return float(np.sum(self.weights * self.means))

    def sd(self) -> float:
        m = self.mean()
        return float(np.sqrt(np.sum(self.weights * (self.sds**2 + (self.means - m) ** 2))))

    def quantile(self, p: float) -> float:
        lo = float(np.min(self.means - 12 * self.sds))
        hi = float(np.max(self.means + 12 * self.sds))
        return float(optimize.brentq(lambda x: self.cdf(x) - p, lo, hi, xtol=1e-10, rtol=1e-12))


@dataclass
class ExactPosterior:
    tau_grid: np.ndarray  # grid of tau values
    tau_weights: np.ndarray  # posterior probability of each grid cell (sums to 1)
    tau_cdf_grid: np.ndarray  # posterior CDF at the upper edge of each cell, for quantiles of tau
    mu: NormalMixture
    predictive: NormalMixture
    studies: list[NormalMixture]
    log_evidence: float

    def tau_quantile(self, p: float) -> float:
        if self.tau_grid.size == 1:
            return float(self.tau_grid[0])
        return float(np.interp(p, self.tau_cdf_grid, self.tau_grid))

    def summary(self, ci: float = 0.95) -> dict[str, float]:
        lo, hi = (1 - ci) / 2, 1 - (1 - ci) / 2
        return {
            "estimate": self.mu.quantile(0.5),
            "ci_low": self.mu.quantile(lo),
            "ci_high": self.mu.quantile(hi),
            "mean": self.mu.mean(),
            "sd": self.mu.sd(),
            "pred_low": self.predictive.quantile(lo),
            "pred_high": self.predictive.quantile(hi),
            "tau": self.tau_quantile(0.5),
            "tau_low": self.tau_quantile(lo),
            "tau_high": self.tau_quantile(hi),
        }


def _conditional(y, v_within, tau2, prior: EffectPrior):
    """Per grid point: conditional posterior mean/variance of mu and log marginal likelihood."""
    v = v_within[None, :] + tau2[:, None]  # grid × k
    w = 1.0 / v
    p0 = 1.0 / prior.sd**2
    prec = p0 + w.sum(axis=1)
    num = prior.mean * p0 + (w * y[None, :]).sum(axis=1)
    mean = num / prec
    # log N(y | m0 1, diag(v) + s0^2 11') by the matrix determinant lemma / Woodbury identity
    quad = (w * y[None, :] ** 2).sum(axis=1) + prior.mean**2 * p0 - num**2 / prec
    logdet = np.log(v).sum(axis=1) + np.log(prior.sd**2) + np.log(prec)
    loglik = -0.5 * (y.size * np.log(2 * np.pi) + logdet + quad)
    return mean, 1.0 / prec, loglik


def _grid_from_prior(prior: TauPrior, lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints in prior-probability space between lo and hi, and their tau values."""
    edges = np.linspace(lo, hi, n + 1)
    mids = 0.5 * (edges[1:] + edges[:-1])
    return mids, prior.ppf(mids)


def nnhm_exact(
    y, se, tau_prior: TauPrior | None, effect_prior: EffectPrior, n_grid: int = 2000
) -> ExactPosterior:
    """Exact posterior; ``tau_prior=None`` fixes tau at 0 (common-effect model)."""
    y = np.asarray(y, dtype=float)
    v_within = np.asarray(se, dtype=float) ** 2
    if tau_prior is None:
        tau = np.array([0.0])
        weights = np.array([1.0])
        mean, var, loglik = _conditional(y, v_within, tau**2, effect_prior)
        cdf = np.array([1.0])
        log_ev = float(loglik[0])
    else:
        # pass 1: coarse grid over the whole prior; pass 2: refine the region holding the posterior mass
        lo, hi = 0.0, 1.0
        for n in (400, n_grid):
            u, tau = _grid_from_prior(tau_prior, lo, hi, n)
            mean, var, loglik = _conditional(y, v_within, tau**2, effect_prior)
            step = (hi - lo) / n
            logw = loglik + np.log(step)
            if n != n_grid:
                w = np.exp(logw - logw.max())
                w /= w.sum()
                c = np.cumsum(w)
                i0 = max(int(np.searchsorted(c, 1e-10)) - 2, 0)
                i1 = min(int(np.searchsorted(c, 1 - 1e-10)) + 3, n)
                lo, hi = lo + i0 * step, lo + i1 * step
        log_ev = float(special.logsumexp(logw))
        weights = np.exp(logw - log_ev)
        weights /= weights.sum()
        # posterior CDF of tau at the grid points (cell midpoints): half of the own cell's mass
        cdf = np.cumsum(weights) - 0.5 * weights
    sd = np.sqrt(var)
    mu = NormalMixture(weights, mean, sd)
    pred = NormalMixture(weights, mean, np.sqrt(var + tau**2))
    studies = []
    for i in range(y.size):
        # theta_i | tau, y: shrinkage B = s^2 / (s^2 + tau^2) towards mu
        b = v_within[i] / (v_within[i] + tau**2)
        m_i = b * mean + (1 - b) * y[i]
        var_i = v_within[i] * (1 - b) + b**2 * var
        studies.append(NormalMixture(weights, m_i, np.sqrt(np.maximum(var_i, 1e-300))))
    return ExactPosterior(tau, weights, cdf, mu, pred, studies, log_ev)


def prob_below(mix: NormalMixture, x: float) -> float:
    return mix.cdf(x)


def normal_ci(estimate: float, se: float, level: float = 0.95) -> tuple[float, float]:
    z = stats.norm.ppf(0.5 + level / 2)
    return estimate - z * se, estimate + z * se
