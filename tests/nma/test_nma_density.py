"""The cached numba NMA density equals an independently written numpy/scipy log density (up to a constant),
and its gradient equals finite differences of it.

The reference below is written from the model's equations (``nma.density``), not from the numba code: scipy's
binomial and multivariate-normal densities, the random effects of a multi-arm trial as the Cholesky factor of
(I + J) / 2 times z, and the tau priors of ``priors.TauPrior.logpdf`` with the Jacobian of log tau. (The padded
PyMC model this density replaced costs ~130 s of PyTensor compilation in a fresh cache, too slow for a test;
it agreed with this density to 1e-9 in a one-off check, see the commit message.)
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from neuromod_evidence.models.priors import EffectPrior, TauPrior
from neuromod_evidence.nma import density
from neuromod_evidence.nma.model import Layout

PRIORS = [
    TauPrior("half_normal", 0.7),
    TauPrior("half_cauchy", 0.5),
    TauPrior("lognormal_tau2", -1.83, 1.52),
    TauPrior("logt_tau2", -3.0, 2.5),
]
EFFECT, BASELINE = EffectPrior(0.3, 2.5), EffectPrior(-0.5, 3.0)

# four treatments (D[1..3]) and a node-split parameter D[4]: a two-arm, a three-arm (base C) whose B arm is
# split (D[A] - D[C] + d_dir), a two-arm with a zero cell, a four-arm trial
MAPS = [[(1, 0, 0)], [(0, 2, 0), (0, 2, 4)], [(3, 1, 0)], [(1, 0, 0), (2, 0, 0), (3, 0, 0)]]
COUNTS = [
    ([9, 23], [140, 140]),
    ([12, 20, 5], [70, 68, 71]),
    ([0, 4], [30, 31]),
    ([30, 25, 41, 38], [100, 95, 102, 99]),
]
CONTRASTS = [
    (np.array([0.4]), np.array([[0.04]])),
    (np.array([-0.2, 0.3]), np.array([[0.09, 0.03], [0.03, 0.07]])),
    (np.array([1.1]), np.array([[0.25]])),
    (np.array([0.5, -0.1, 0.2]), 0.02 + np.diag([0.05, 0.06, 0.04])),
]


def layout(binom: bool) -> Layout:
    if binom:
        return Layout(MAPS, 4, True, counts=COUNTS)
    return Layout(MAPS, 4, False, contrasts=CONTRASTS)


def reference_logp(x, lay: Layout, tau_prior: TauPrior, re: bool) -> float:
    P, S = lay.n_params, lay.n_studies
    M = sum(len(m) for m in lay.maps)
    d_raw, i = x[:P], P
    lp = stats.norm.logpdf(d_raw).sum()
    D = np.concatenate([[0.0], EFFECT.mean + EFFECT.sd * d_raw])
    tau, z = 0.0, np.zeros(M)
    if re:
        tau = np.exp(x[i])
        lp += float(tau_prior.logpdf(tau)) + x[i]  # density of log tau = density of tau times tau
        z = x[i + 1 : i + 1 + M]
        lp += stats.norm.logpdf(z).sum()
        i += 1 + M
    if lay.binom:
        mu = BASELINE.mean + BASELINE.sd * x[i : i + S]
        lp += stats.norm.logpdf(x[i : i + S]).sum()
    start = 0
    for s, m in enumerate(lay.maps):
        c = len(m)
        cs = 0.5 * (np.eye(c) + np.ones((c, c)))
        delta = (
            np.array([D[a] - D[b] + D[e] for a, b, e in m])
            + tau * np.linalg.cholesky(cs) @ z[start : start + c]
        )
        start += c
        if lay.binom:
            r, n = (np.asarray(v, float) for v in lay.counts[s])
            p = expit(np.concatenate([[mu[s]], mu[s] + delta]))
            lp += stats.binom.logpmf(r, n, p).sum()
        else:
            y, V = lay.contrasts[s]
            lp += stats.multivariate_normal.logpdf(y, delta, V)
    return float(lp)


def ours(x, packed):
    g = np.zeros(len(x))
    return density.logp_and_grad(x, packed, g), g


@pytest.mark.parametrize("binom", [True, False], ids=["binomial", "normal"])
@pytest.mark.parametrize("re", [True, False], ids=["random", "common"])
@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: p.family)
def test_density_matches_the_reference_and_its_gradient_finite_differences(binom, re, prior):
    lay = layout(binom)
    packed = lay.pack({"tau": prior, "effect": EFFECT, "baseline": BASELINE}, re)
    n = density.n_dim(re, binom, 4, 4, 7)
    assert density.expected_dim(packed) == n and int(packed[density.HEADER - 1]) == len(packed)
    rng = np.random.default_rng(3)
    points = rng.normal(0, 0.8, size=(5, n))
    values = np.array([ours(x, packed)[0] for x in points])
    ref = np.array([reference_logp(x, lay, prior, re) for x in points])
    # equal up to the constants the numba density drops
    np.testing.assert_allclose(np.diff(values), np.diff(ref), rtol=1e-9, atol=1e-8)
    h = 1e-6
    for x in points[:2]:
        _, g = ours(x, packed)
        fd = np.array(
            [(ours(x + h * e, packed)[0] - ours(x - h * e, packed)[0]) / (2 * h) for e in np.eye(n)]
        )
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-5)
