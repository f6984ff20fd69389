"""The cached numba density equals the PyMC model it replaces: log density (up to a constant) and gradient.

The reference is :func:`neuromod_evidence.models.compiled.build_model`, compiled by PyTensor, at random
points, for both likelihoods and every heterogeneity prior family.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuromod_evidence.models import density
from neuromod_evidence.models.compiled import ModelData, build_model
from neuromod_evidence.models.priors import EffectPrior, TauPrior

PRIORS = [
    TauPrior("half_normal", 0.7),
    TauPrior("half_cauchy", 0.5),
    TauPrior("lognormal_tau2", -1.83, 1.52),
    TauPrior("logt_tau2", -3.0, 2.5),
]


def _data(likelihood: str, prior: TauPrior) -> ModelData:
    effect, baseline = EffectPrior(0.3, 2.5), EffectPrior(-0.5, 3.0)
    if likelihood == "normal":
        return ModelData("normal", prior, effect, y=np.array([-1.2, 0.4, 2.0]), se=np.array([0.5, 0.9, 1.4]),
                         baseline_prior=baseline)  # fmt: skip
    return ModelData("binomial", prior, effect, events_t=np.array([24.0, 0.0, 30.0]), n_t=np.array([50.0, 40, 60]),
                     events_c=np.array([4.0, 3, 12]), n_c=np.array([46.0, 40, 58]), baseline_prior=baseline)  # fmt: skip


_COMPILED: dict[str, tuple] = {}


def _pymc_logp_and_grad(data: ModelData):
    """PyTensor-compiled log density and gradient of the PyMC model, on our parameter vector (compiled once
    per likelihood: the prior family and the data are data of the model, swapped with set_data)."""
    import pymc as pm

    k = data.k
    if data.likelihood not in _COMPILED:
        model = build_model(k, data.arrays(k))
        _COMPILED[data.likelihood] = (
            model,
            model.compile_logp(jacobian=True),
            model.compile_dlogp(jacobian=True),
        )
    model, logp, dlogp = _COMPILED[data.likelihood]
    with model:
        pm.set_data(data.arrays(k))
    names = [v.name for v in model.value_vars]  # mu_raw, log_tau, z, alpha_raw

    def point(x):
        if data.likelihood == "normal":  # the PyMC model also carries z and alpha (prior only) here
            return {"mu_raw": x[0], "log_tau": x[1], "z": np.zeros(k), "alpha_raw": np.zeros(k)}
        return {"mu_raw": x[0], "log_tau": x[1], "z": x[2 : 2 + k], "alpha_raw": x[2 + k :]}

    def grad(x):
        g = dlogp(point(x))
        sizes = {"mu_raw": 1, "log_tau": 1, "z": k, "alpha_raw": k}
        parts, i = {}, 0
        for name in names:
            parts[name] = g[i : i + sizes[name]]
            i += sizes[name]
        if data.likelihood == "normal":
            return np.concatenate([parts["mu_raw"], parts["log_tau"]])
        return np.concatenate([parts["mu_raw"], parts["log_tau"], parts["z"], parts["alpha_raw"]])

    return (lambda x: float(logp(point(x)))), grad


@pytest.mark.parametrize("likelihood", ["normal", "binomial"])
@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: p.family)
def test_cached_density_matches_the_pymc_model(likelihood, prior):
    data = _data(likelihood, prior)
    kind = density.NORMAL if likelihood == "normal" else density.BINOMIAL
    packed = density.pack(kind, prior.family, prior.a, prior.b if prior.b > 0 else 1.0, 0.3, 2.5, -0.5, 3.0,
                          y=data.y, se=data.se, et=data.events_t, nt=data.n_t, ec=data.events_c, nc=data.n_c,
                          k=data.k)  # fmt: skip
    ref_logp, ref_grad = _pymc_logp_and_grad(data)
    rng = np.random.default_rng(7)
    n = density.n_dim(kind, data.k)
    points = rng.normal(0, 1, size=(6, n))
    if likelihood == "normal":
        _normal_matches(packed, data, ref_logp, points)
        return
    ours = []
    for x in points:
        g = np.zeros(n)
        ours.append(density.logp_and_grad(x, packed, g))
        np.testing.assert_allclose(g, ref_grad(x), rtol=1e-7, atol=1e-9)
    ref = np.array([ref_logp(x) for x in points])
    # equal up to the constants the numba density drops
    np.testing.assert_allclose(np.diff(ours), np.diff(ref), rtol=1e-9, atol=1e-8)


def _normal_matches(packed, data: ModelData, ref_logp, points) -> None:
    """The normal density samples (mu_w, log_tau) with mu = m(tau) + s(tau) mu_w: at every point it must equal
    the PyMC model's density at the same mu and tau plus the log Jacobian log s(tau) (up to one constant), and
    its gradient must be the derivative of its own value (central differences)."""
    ours, ref = [], []
    for x in points:
        g = np.zeros(2)
        ours.append(density.logp_and_grad(x, packed, g))
        tau = np.exp(x[1])
        m, s = density.mu_given_tau(np.array([tau]), data.y, data.se, 0.3, 2.5)
        mu_raw = (m[0] + s[0] * x[0] - 0.3) / 2.5
        ref.append(ref_logp(np.array([mu_raw, x[1]])) + np.log(s[0]))
        for j in range(2):
            h = np.zeros(2)
            h[j] = 1e-6
            up = density.logp_and_grad(x + h, packed, np.zeros(2))
            down = density.logp_and_grad(x - h, packed, np.zeros(2))
            np.testing.assert_allclose(g[j], (up - down) / 2e-6, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.diff(ours), np.diff(ref), rtol=1e-9, atol=1e-8)
