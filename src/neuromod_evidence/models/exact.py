"""Posterior of the normal–normal hierarchical model by numerical integration over tau.

For y_i ~ N(theta_i, s_i^2), theta_i ~ N(mu, tau^2), mu ~ N(m0, s0^2) and any prior p(tau), the
conditional posterior of mu given tau is normal, and the marginal likelihood p(y | tau) is available in
closed form. The joint posterior is then a one-dimensional mixture over tau, which we integrate on a grid
placed by the quantiles of the tau prior and refined where the likelihood has its mass (the approach of
R's bayesmeta, Röver 2020, J Stat Softw 93(6), which uses the DIRECT algorithm instead of a grid). When
the posterior of tau lies far in the prior's tail (an extreme outlier under a tight prior), that grid's
last cell cannot hold the mass beyond it; the posterior mass above the grid is then measured and, if it
is not negligible, the integration moves to a grid in log tau whose upper end is extended until the
posterior density there is negligible, whatever the prior.
Quantiles of mu, of a new study's effect and of the shrunken study effects are quantiles of finite normal
mixtures, found by root finding. ``tau = 0`` gives the common-effect (fixed-effect) posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

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


def _mass_window(logw: np.ndarray) -> tuple[int, int]:
    """Cells [i0, i1) that hold all but 1e-10 of the mass on either side (plus a margin of cells)."""
    w = np.exp(logw - logw.max())
    c = np.cumsum(w / w.sum())
    i0 = max(int(np.searchsorted(c, 1e-10)) - 2, 0)
    i1 = min(int(np.searchsorted(c, 1 - 1e-10)) + 3, logw.size)
    return i0, i1


def _prior_quantile_grid(y, v_within, tau_prior, effect_prior, n_grid):
    """Pass 1: coarse grid over the whole prior; pass 2: refine the region holding the posterior mass."""
    lo, hi = 0.0, 1.0
    for n in (400, n_grid):
        _, tau = _grid_from_prior(tau_prior, lo, hi, n)
        mean, var, loglik = _conditional(y, v_within, tau**2, effect_prior)
        step = (hi - lo) / n
        logw = loglik + np.log(step)
        if n != n_grid:
            i0, i1 = _mass_window(logw)
            lo, hi = lo + i0 * step, lo + i1 * step
    return tau, mean, var, logw


def _log_integrand(tau, y, v_within, tau_prior, effect_prior):
    """log p(y | tau) + log p(tau) + log tau: the posterior density of log tau, unnormalised."""
    _, _, loglik = _conditional(y, v_within, tau**2, effect_prior)
    return loglik + tau_prior.logpdf(tau) + np.log(tau)


def _log_tau_grid(y, v_within, tau_prior, effect_prior, n_grid, start_hi: float):
    """A grid in log tau whose upper end is doubled until the posterior density there is negligible
    (e^-40 of its maximum): used when the posterior of tau sits in the far tail of its prior."""
    f = lambda t: _log_integrand(np.atleast_1d(t), y, v_within, tau_prior, effect_prior)  # noqa: E731
    hi = max(start_hi, float(np.ptp(y)) + float(np.sqrt(v_within.max())), 1e-6)
    lo = min(float(tau_prior.ppf(1e-12)), hi * 1e-8)
    peak = float(np.max(f(np.geomspace(lo, hi, 400))))
    for _ in range(200):
        if float(f(hi)[0]) < peak - 40 and float(f(2 * hi)[0]) < float(f(hi)[0]):
            break
        hi *= 2
        peak = max(peak, float(np.max(f(np.geomspace(hi / 2, hi, 50)))))
    a, b = np.log(lo), np.log(hi)
    for n in (800, n_grid):
        step = (b - a) / n
        t = np.exp(a + step * (np.arange(n) + 0.5))
        mean, var, loglik = _conditional(y, v_within, t**2, effect_prior)
        logw = loglik + tau_prior.logpdf(t) + np.log(t) + np.log(step)
        if n != n_grid:
            i0, i1 = _mass_window(logw)
            a, b = a + i0 * step, a + i1 * step
    return t, mean, var, logw


def _tail_mass_missed(tau_top, y, v_within, tau_prior, effect_prior, logw) -> float:
    """Posterior mass above the grid's top node that the grid does not hold (relative to the grid's total),
    by integrating the density of log tau from the top node until it is negligible."""
    top = float(tau_top)
    if not np.isfinite(top) or top <= 0:
        return 0.0
    hi = 2 * top
    f_top = float(_log_integrand(np.array([top]), y, v_within, tau_prior, effect_prior)[0])
    for _ in range(200):
        if float(_log_integrand(np.array([hi]), y, v_within, tau_prior, effect_prior)[0]) < f_top - 40:
            break
        hi *= 2
    grid = np.linspace(np.log(top), np.log(hi), 2001)
    step = grid[1] - grid[0]
    lf = _log_integrand(np.exp(grid), y, v_within, tau_prior, effect_prior)
    log_tail = special.logsumexp(lf + np.log(step))
    log_total = special.logsumexp(logw)
    held = 0.5 * np.exp(logw[-1] - log_total)  # the grid's top cell holds half its mass above its node
    return float(np.exp(log_tail - log_total) - held)


# the grid in prior-probability space is kept (it is accurate and fast) unless it misses more posterior
# mass than this above its top node; then the log-tau grid, whose upper end adapts to the data, is used
TAIL_TOLERANCE = 1e-4


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
        tau, mean, var, logw = _prior_quantile_grid(y, v_within, tau_prior, effect_prior, n_grid)
        missed = _tail_mass_missed(tau[-1], y, v_within, tau_prior, effect_prior, logw)
        if missed > TAIL_TOLERANCE:
            tau, mean, var, logw = _log_tau_grid(y, v_within, tau_prior, effect_prior, n_grid, float(tau[-1]))
            # on this grid the weights include the prior density, so the evidence is comparable
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
