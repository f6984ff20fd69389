"""The exact cross-check when the tau posterior sits far in the prior's tail (issue 12, item 12)."""

import numpy as np
import pytest
from scipy import special

from neuromod_evidence.models import exact
from neuromod_evidence.models.crosscheck import compare_with_exact
from neuromod_evidence.models.exact import nnhm_exact
from neuromod_evidence.models.priors import parse_effect_prior, parse_tau_prior

# an extreme outlier under a tight tau prior: tau's posterior lies where the half-normal(0.5) prior has
# less than 1e-9 of its mass
Y = np.array([0.0, 0.1, -0.1, 0.05, 12.0])
SE = np.array([0.1, 0.12, 0.1, 0.15, 0.2])


def independent_tau_quantiles(y, se, tau_prior, effect_prior, upper=40.0, n=200_001):
    """Posterior quantiles of tau by brute force: a fine uniform grid in tau on [0, upper]."""
    t = np.linspace(1e-9, upper, n)
    v = se**2
    logp = []
    for chunk in np.array_split(t, 200):
        var = v[None, :] + chunk[:, None] ** 2
        w = 1 / var
        p0 = 1 / effect_prior.sd**2
        prec = p0 + w.sum(1)
        num = (w * y).sum(1) + effect_prior.mean * p0
        quad = (w * y**2).sum(1) + effect_prior.mean**2 * p0 - num**2 / prec
        logp.append(-0.5 * (np.log(var).sum(1) + np.log(prec) + quad))
    lp = np.concatenate(logp) + tau_prior.logpdf(t)
    c = np.cumsum(np.exp(lp - lp.max()))
    return np.interp([0.025, 0.5, 0.975], c / c[-1], t)


@pytest.mark.parametrize("prior", ["half-normal:0.5", "half-cauchy:0.05", "half-normal:5"])
def test_tau_quantiles_match_a_fine_independent_integration(prior):
    tp, ep = parse_tau_prior(prior), parse_effect_prior("normal:0,10")
    ex = nnhm_exact(Y, SE, tp, ep).summary()
    lo, med, hi = independent_tau_quantiles(Y, SE, tp, ep)
    # the old grid (prior quantiles only) gave tau 97.5% = 2.231 for half-normal(0.5); the truth is 2.752
    assert ex["tau_low"] == pytest.approx(lo, rel=2e-3)
    assert ex["tau"] == pytest.approx(med, rel=2e-3)
    assert ex["tau_high"] == pytest.approx(hi, rel=2e-3)


def test_ordinary_data_keep_the_prior_quantile_grid():
    # nothing is missed above the grid, so the fast grid in prior-probability space is kept
    tp, ep = parse_tau_prior("half-normal:0.5"), parse_effect_prior("normal:0,10")
    y, se = np.array([-0.5, -0.2, -0.9, 0.1]), np.array([0.2, 0.3, 0.25, 0.4])
    tau, _, _, logw = exact._prior_quantile_grid(y, se**2, tp, ep, 2000)
    assert exact._tail_mass_missed(tau[-1], y, se**2, tp, ep, logw) < exact.TAIL_TOLERANCE
    tau, _, _, logw = exact._prior_quantile_grid(Y, SE**2, tp, ep, 2000)
    assert exact._tail_mass_missed(tau[-1], Y, SE**2, tp, ep, logw) > 0.1


def _draws_like(ex, rng, tau_shift=0.0):
    """Fake MCMC draws (4 chains x 2000) matching an exact posterior, tau optionally shifted."""
    x = np.linspace(ex.mu.quantile(1e-6), ex.mu.quantile(1 - 1e-6), 4001)
    cdf = special.ndtr((x[:, None] - ex.mu.means) / ex.mu.sds) @ ex.mu.weights
    mu = np.interp(rng.uniform(size=(4, 2000)), cdf, x)
    tau = np.interp(rng.uniform(size=(4, 2000)), ex.tau_cdf_grid, ex.tau_grid) + tau_shift
    return mu, tau


def test_exact_agrees_only_when_they_really_agree():
    rng = np.random.default_rng(1)
    tp, ep = parse_tau_prior("half-normal:0.5"), parse_effect_prior("normal:0,10")
    ex = nnhm_exact(Y, SE, tp, ep)
    mu, tau = _draws_like(ex, rng)
    summary = {
        "estimate": np.median(mu), "ci_low": np.quantile(mu, 0.025), "ci_high": np.quantile(mu, 0.975),
        "tau": np.median(tau), "tau_low": np.quantile(tau, 0.025), "tau_high": np.quantile(tau, 0.975),
    }  # fmt: skip
    agrees, notes = compare_with_exact(summary, mu, tau, ex)
    assert agrees and not notes
    # an exact posterior that misses the tail (what the prior-quantile grid alone gave) is caught by tau
    tau_grid, mean, var, logw = exact._prior_quantile_grid(Y, SE**2, tp, ep, 2000)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    truncated = exact.ExactPosterior(
        tau_grid, w, np.cumsum(w) - 0.5 * w, exact.NormalMixture(w, mean, np.sqrt(var)),
        exact.NormalMixture(w, mean, np.sqrt(var + tau_grid**2)), [], 0.0,
    )  # fmt: skip
    agrees, notes = compare_with_exact(summary, mu, tau, truncated)
    assert not agrees and any("tau_high" in n for n in notes)
