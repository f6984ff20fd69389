"""The padded PyMC NMA model, compiled once per process and size bucket with nutpie.

Why padded: nutpie compiles a model in 10–20 s but samples a small NMA in well under a second, and its
``with_data`` cannot change array sizes (``shared/PITFALLS.md``). Every network — binary arms, continuous
arms, contrasts; random or common effects; consistency, unrelated mean effects or a node split — is one
model with ``S`` study slots, ``A`` arm slots per study and ``P`` effect parameters, switched by data:

    D        = (0, m + s * d_raw),  d_raw ~ N(0, 1)^P          effect parameters, D[0] = 0
    mean_sa  = D[p1_sa] - D[p2_sa] + D[p3_sa]                  arm a vs the study's base arm (a >= 1)
    delta_s  = mean_s + re * tau * L z_s,  z_s ~ N(0, 1)^(A-1)  L L' = (I + J) / 2: var tau^2, cov tau^2/2
    binomial:  logit p_s0 = mu_s,  logit p_sa = mu_s + delta_sa  (study baselines mu_s; TSD2 model)
    normal:    y_s ~ N(delta_s, V_s), through a precomputed whitening matrix W_s = chol(V_s)^-1
    log tau    one of four prior families selected by one-hot weights (``priors.TauPrior``)

Consistency: p1 = index of the arm's treatment, p2 = the base arm's; unrelated mean effects: p1 = one
parameter per observed comparison; node split: p3 adds a separate direct effect. Unused slots keep only
their N(0, 1) priors. ``re = 0`` gives the common-effect model (tau then only follows its prior and is not
reported). The leading rows of a Cholesky factor of a compound-symmetry matrix are the factor of its
leading block, so one constant L serves trials with any number of arms up to A.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from ..models.compiled import nutpie_sample, tau_prior_logp
from ..models.priors import EffectPrior, TauPrior

STUDY_BUCKETS = (32, 128, 512, 2048)
ARM_BUCKETS = (3, 6, 12)
PARAM_BUCKETS = (8, 32, 128, 512)
FAMILIES = ("half_normal", "half_cauchy", "lognormal_tau2", "logt_tau2")


def bucket(k: int, sizes: tuple[int, ...]) -> int:
    return next((b for b in sizes if k <= b), k)


def cs_chol(m: int) -> np.ndarray:
    """Cholesky factor of (I + J) / 2 (m x m): the within-trial correlation of random effects."""
    return np.linalg.cholesky(0.5 * (np.eye(m) + np.ones((m, m)))) if m else np.zeros((0, 0))


@dataclass
class Layout:
    """One analysis laid out in slots: study rows, arm columns (column 0 the base arm)."""

    p1: np.ndarray  # S x int
    p2: np.ndarray
    p3: np.ndarray
    arm_mask: np.ndarray  # S x
    bin_mask: np.ndarray  # S
    r: np.ndarray  # S x A
    n: np.ndarray  # S x A
    nrm_mask: np.ndarray  # S
    y: np.ndarray  # S x
    W: np.ndarray  # S x x
    n_params: int

    @property
    def key(self) -> tuple[int, int, int]:
        return self.p1.shape[0], self.p1.shape[1] + 1, bucket(self.n_params, PARAM_BUCKETS)


def tau_prior_arrays(prior: TauPrior) -> dict[str, np.ndarray]:
    w = np.array([f == prior.family for f in FAMILIES], dtype=float)
    return {"tau_family": w, "tau_par": np.array([prior.a, prior.b if prior.b > 0 else 1.0])}


def data_arrays(
    layout: Layout, tau_prior: TauPrior, effect_prior: EffectPrior, baseline_prior: EffectPrior, re: bool
):
    out = {
        "p1": layout.p1.astype("int64"),
        "p2": layout.p2.astype("int64"),
        "p3": layout.p3.astype("int64"),
        "arm_mask": layout.arm_mask,
        "bin_mask": layout.bin_mask,
        "r": layout.r,
        "n": layout.n,
        "nrm_mask": layout.nrm_mask,
        "y": layout.y,
        "W": layout.W,
        "re": np.array(1.0 if re else 0.0),
        "d_prior": np.array([effect_prior.mean, effect_prior.sd]),
        "mu_prior": np.array([baseline_prior.mean, baseline_prior.sd]),
    }
    out.update(tau_prior_arrays(tau_prior))
    return out


def build(S: int, A: int, P: int, data: dict | None = None):
    import pymc as pm
    import pytensor.tensor as pt

    if data is None:
        data = _dummy(S, A, P)
    chol = cs_chol(A - 1)
    with pm.Model() as model:
        d = {k: pm.Data(k, v) for k, v in data.items()}
        d_raw = pm.Normal("d_raw", 0.0, 1.0, shape=P)
        log_tau = pm.Flat("log_tau")
        mu_raw = pm.Normal("mu_raw", 0.0, 1.0, shape=S)
        z = pm.Normal("z", 0.0, 1.0, shape=(S, A - 1))
        D = pt.concatenate([pt.zeros(1), d["d_prior"][0] + d["d_prior"][1] * d_raw])
        tau = pt.exp(log_tau)
        pm.Potential("tau_prior", tau_prior_logp(log_tau, d["tau_family"], d["tau_par"]))
        mean = D[d["p1"]] - D[d["p2"]] + D[d["p3"]]
        delta = mean + d["re"] * tau * pt.dot(z, pt.as_tensor_variable(chol.T))
        mu = d["mu_prior"][0] + d["mu_prior"][1] * mu_raw
        eta = pt.concatenate([mu[:, None], mu[:, None] + delta], axis=1)
        ll = -d["r"] * pt.softplus(-eta) - (d["n"] - d["r"]) * pt.softplus(eta)
        mask = pt.concatenate([pt.ones((S, 1)), d["arm_mask"]], axis=1) * d["bin_mask"][:, None]
        pm.Potential("lik_binomial", pt.sum(mask * ll))
        wr = pt.sum(d["W"] * (d["y"] - delta)[:, None, :], axis=2)
        pm.Potential("lik_normal", -0.5 * pt.sum(d["nrm_mask"][:, None] * wr**2))
    return model


def _dummy(S, A, P):
    z1, z2 = np.zeros((S, A - 1)), np.zeros((S, A))
    lay = Layout(
        z1.astype(int), z1.astype(int), z1.astype(int), z1, np.zeros(S), z2, z2, np.zeros(S), z1,
        np.zeros((S, A - 1, A - 1)), 1,
    )  # fmt: skip
    return data_arrays(lay, TauPrior("half_normal", 1.0), EffectPrior(0.0, 1.0), EffectPrior(0.0, 1.0), True)


@dataclass
class RawDraws:
    d: np.ndarray  # chain x draw x n_params
    tau: np.ndarray  # chain x draw
    mu: np.ndarray  # chain x draw x S (real studies)
    delta_z: np.ndarray  # chain x draw x S x: L z (before scaling by tau)
    diverging: np.ndarray
    target_accept: float


class Engine:
    """Compiled models by (S, A, P) bucket, reused by every NMA in the process."""

    def __init__(self):
        self._compiled: dict[tuple[int, int, int], object] = {}
        self._lock = threading.Lock()
        self.compile_seconds = 0.0

    def compiled(self, key):
        import nutpie

        with self._lock:
            if key not in self._compiled:
                t0 = time.perf_counter()
                self._compiled[key] = nutpie.compile_pymc_model(build(*key))
                self.compile_seconds += time.perf_counter() - t0
            return self._compiled[key]

    def sample(
        self, layout: Layout, priors: dict, re: bool, *, draws, tune, chains, target_accept, seed
    ) -> RawDraws:

        S, A, P = layout.key
        arrays = data_arrays(layout, priors["tau"], priors["effect"], priors["baseline"], re)
        model = self.compiled((S, A, P)).with_data(**arrays)
        idata = nutpie_sample(
            model, draws=draws, tune=tune, chains=chains, target_accept=target_accept, seed=seed
        )
        post = idata.posterior
        ep = priors["effect"]
        d = ep.mean + ep.sd * post["d_raw"].values[:, :, : layout.n_params]
        bp = priors["baseline"]
        mu = bp.mean + bp.sd * post["mu_raw"].values
        lz = post["z"].values @ cs_chol(A - 1).T
        div = idata.sample_stats["diverging"].values.astype(bool)
        return RawDraws(d, np.exp(post["log_tau"].values), mu, lz, div, target_accept)


_ENGINE: Engine | None = None


def shared_engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE
