"""Exact integration, effect sizes and the frequentist reference against known answers (no sampling)."""

import numpy as np
import pytest
from scipy import stats

from neuromod_evidence import effects
from neuromod_evidence.models import frequentist
from neuromod_evidence.models.exact import nnhm_exact
from neuromod_evidence.models.priors import parse_effect_prior, parse_tau_prior

# Synthetic data (not from any trial)
Y = np.array([-0.5, -0.2, -0.9, 0.1, -0.4, -0.6, -0.3, -0.8])
SE = np.array([0.2, 0.3, 0.25, 0.4, 0.2, 0.35, 0.3, 0.25])


def brute_force(y, se, tau_prior, effect_prior):
    """Posterior on a dense 2-d (tau, mu) grid: an independent, slow route to the same answer."""
    taus = np.linspace(1e-6, 4, 2500)
    mus = np.linspace(-4, 3, 3500)
    t, m = np.meshgrid(taus, mus, indexing="ij")
    lp = tau_prior.logpdf(t) + stats.norm.logpdf(m, effect_prior.mean, effect_prior.sd)
    for yi, si in zip(y, se, strict=True):
        lp = lp + stats.norm.logpdf(yi, m, np.sqrt(si**2 + t**2))
    p = np.exp(lp - lp.max())
    p /= p.sum()
    cm, ct = np.cumsum(p.sum(axis=0)), np.cumsum(p.sum(axis=1))
    return (
        np.interp([0.025, 0.5, 0.975], cm, mus),
        np.interp([0.025, 0.5, 0.975], ct, taus),
    )


@pytest.mark.parametrize("k", [1, 2, 8])
def test_exact_matches_brute_force(k):
    tp, ep = parse_tau_prior("half-normal:0.5"), parse_effect_prior("normal:0,10")
    s = nnhm_exact(Y[:k], SE[:k], tp, ep).summary()
    mu_q, tau_q = brute_force(Y[:k], SE[:k], tp, ep)
    np.testing.assert_allclose([s["ci_low"], s["estimate"], s["ci_high"]], mu_q, atol=5e-3)
    np.testing.assert_allclose([s["tau_low"], s["tau"], s["tau_high"]], tau_q, atol=5e-3)


def test_exact_fixed_values():
    # pinned output of the exact integration on the synthetic data above (regression guard, cross-checked
    # by test_exact_matches_brute_force): half-normal(0.5) tau prior, Normal(0, 10^2) effect prior
    s = nnhm_exact(Y, SE, parse_tau_prior("half-normal:0.5"), parse_effect_prior("normal:0,10")).summary()
    assert s["estimate"] == pytest.approx(-0.4940, abs=5e-4)
    assert s["ci_low"] == pytest.approx(-0.7285, abs=5e-4)
    assert s["ci_high"] == pytest.approx(-0.2434, abs=5e-4)
    assert s["tau"] == pytest.approx(0.1475, abs=5e-4)


def test_common_effect_is_inverse_variance_with_vague_prior():
    s = nnhm_exact(Y, SE, None, parse_effect_prior("normal:0,1000")).summary()
    fe = frequentist.common_effect(Y, SE)
    assert s["estimate"] == pytest.approx(fe.estimate, abs=1e-6)
    assert s["ci_low"] == pytest.approx(fe.ci_low, abs=1e-6)


def test_k1_pooled_is_shrunk_single_study_and_prediction_from_prior():
    tp, ep = parse_tau_prior("half-normal:2"), parse_effect_prior("normal:0,10")
    ex = nnhm_exact(Y[:1], SE[:1], tp, ep)
    s = ex.summary()
    # mu is pulled slightly towards the prior mean and its interval widened by tau's prior
    assert 0 > s["estimate"] > Y[0] - 0.05
    assert s["ci_high"] - s["ci_low"] > 2 * 1.96 * SE[0]
    # tau posterior of one study hardly differs from its prior
    assert s["tau"] == pytest.approx(tp.median(), rel=0.15)
    assert s["pred_high"] - s["pred_low"] > s["ci_high"] - s["ci_low"]


def test_bcg_reml(bcg_log_rr):
    # metafor: rma(ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg, measure="RR", method="REML")
    # estimate -0.7145, se 0.1798, 95% CI -1.0669 to -0.3622, tau^2 0.3132 (Viechtbauer 2010, J Stat Softw
    # 36(3), section 3). tau^2 = 0.3132 (SE 0.1664) is also printed in the RoBMA vignette "Bayesian
    # Meta-Analysis" (CRAN), which shows metafor::rma(yi, vi, method="REML") on dat.bcg.
    r = frequentist.reference(*bcg_log_rr, method="REML")
    assert round(r.estimate, 3) == -0.715 and round(r.se, 3) == 0.180
    assert round(r.ci_low, 3) == -1.067 and round(r.ci_high, 3) == -0.362
    assert round(r.tau2, 3) == 0.313


def test_bcg_dl(bcg_log_rr):
    # metafor: same call with method="DL": estimate -0.7141, se 0.1787, CI -1.0644 to -0.3638, tau^2 0.3088.
    # Estimate and CI are pinned in metafor's own tests (tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r,
    # "RE model w/ DL estimator, measure='RR'", checked against Stata's metan).
    r = frequentist.reference(*bcg_log_rr, method="DL")
    assert round(r.estimate, 3) == -0.714 and round(r.se, 3) == 0.179
    assert round(r.ci_low, 3) == -1.064 and round(r.ci_high, 3) == -0.364
    assert round(r.tau2, 3) == 0.309


def test_bcg_reml_hksj(bcg_log_rr):
    # metafor: method="REML", test="knha": se 0.1808, t(12), 95% CI -1.108 to -0.321
    r = frequentist.reference(*bcg_log_rr, method="REML+HKSJ")
    assert round(r.se, 3) == 0.181
    assert round(r.ci_low, 3) == -1.108 and round(r.ci_high, 3) == -0.321


def test_single_study_reference():
    r = frequentist.reference([0.3], [0.1])
    assert r.k == 1 and r.ci_low == pytest.approx(0.3 - 1.959964 * 0.1)


def test_effect_sizes_zero_cells():
    assert effects.log_odds_ratio(0, 20, 0, 20) is None
    est, se, corrected = effects.log_odds_ratio(5, 20, 0, 20)
    assert corrected and est == pytest.approx(np.log((5.5 * 20.5) / (15.5 * 0.5)))
    est, se, corrected = effects.log_odds_ratio(5, 20, 2, 20)
    assert not corrected and se == pytest.approx(np.sqrt(1 / 5 + 1 / 15 + 1 / 2 + 1 / 18))


def test_hedges_g():
    # Borenstein et al. 2009, Introduction to Meta-Analysis, ch. 4 worked example: means 103/100,
    # SD 5.5/4.5, n 50/50 -> g 0.5924, V_g 0.0411
    g, se = effects.hedges_g(103, 5.5, 50, 100, 4.5, 50)
    assert g == pytest.approx(0.5924, abs=5e-4)
    assert se**2 == pytest.approx(0.0411, abs=5e-5)
