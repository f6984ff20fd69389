"""One PyMC model structure, compiled once per process and reused for every analysis.

Compilation, not sampling, is what costs time here (nutpie: ~10–15 s per model and process; sampling a
k = 8 model: ~0.3 s). So every analysis — normal likelihood (NNHM) or binomial likelihood on arm counts —
runs through the *same* model, padded to a fixed number of study slots ``K`` and switched by masks:

    mu      = m0 + s0 * mu_raw,               mu_raw ~ N(0, 1)
    tau     = exp(log_tau),                   p(log_tau) = one of four prior families (data-selected)
    normal slots:   y_i ~ N(mu, se_i^2 + tau^2)                             (mask_n)
                    (theta_i integrated out: no funnel, no divergences; theta_i is drawn afterwards
                    from its exact conditional N(., .) given mu, tau and y_i)
    binomial slots: theta_i = mu + tau * z_i, z_i ~ N(0, 1)                 (non-centred)
    binomial slots: logit p_ci = alpha_i - theta_i / 2,  logit p_ti = alpha_i + theta_i / 2,
                    events ~ Binomial(n, p)  (exact likelihood, zero cells need no correction),
                    alpha_i = a0 + as * alpha_raw_i,  alpha_raw_i ~ N(0, 1)  (mask_b)

Unused slots carry only their N(0, 1) priors and are dropped from the output. nutpie's ``with_data``
cannot change array sizes, so there is one compiled model per slot count; analyses are padded to the
next bucket (16, 64, 256, 1024, ...), and the whole default pipeline needs a single compilation.
Normal-likelihood analyses with more than 16 studies use a variant without z and alpha (two sampled
parameters whatever k is), compiled on first use.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..cores import usable_cores
from .priors import EffectPrior, TauPrior

BUCKETS = (16, 64, 256, 1024, 4096)
REPO_ROOT = Path(__file__).resolve().parents[3]


def ensure_compile_cache() -> None:
    """Keep PyTensor's compiled C code between runs (in the repository, git-ignored .cache/), and tell PyTensor
    explicitly that it has no BLAS: only the reference PyMC sampler uses PyTensor, its small models gain
    nothing from BLAS, and PyTensor's "could not link to a BLAS installation" warning would alarm users."""
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    extra = []
    if "compiledir" not in flags and (REPO_ROOT / "pyproject.toml").exists():  # a checkout, not an install
        extra.append(
            f"compiledir={os.environ.get('NEUROMOD_PYTENSOR_CACHE', str(REPO_ROOT / '.cache' / 'pytensor'))}"
        )
    if "blas__ldflags" not in flags:
        extra.append("blas__ldflags=")
    if extra:
        os.environ["PYTENSOR_FLAGS"] = ",".join(x for x in (flags, *extra) if x)


def _nutpie_kwargs(chains: int, draws: int, tune: int, target_accept: float, seed: int) -> dict:
    return {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "cores": min(chains, usable_cores()),
        "seed": seed,
        "progress_bar": False,
        "target_accept": target_accept,
        "save_warmup": False,
    }


def nutpie_arrays(model, names, *, draws: int, tune: int, chains: int, target_accept: float, seed: int):
    """nutpie's NUTS with the settings every model of this package uses (shared by the pairwise and the network
    models), returning only what is asked for: ``({name: array (chain, draw, ...)}, diverging (chain, draw))``.
    nutpie's own conversion of its Arrow trace to InferenceData builds every sampler statistic and warm-up
    group (~0.15 s per fit) that nothing here reads; the draws are bit-identical."""
    import nutpie
    import pyarrow as pa

    raw = nutpie.sample(
        model, return_raw_trace=True, **_nutpie_kwargs(chains, draws, tune, target_accept, seed)
    )
    draw_batches, stat_batches = raw.get_arrow_trace()
    out: dict[str, list] = {n: [] for n in names}
    diverging = []
    for draw_batch, stat_batch in zip(draw_batches, stat_batches, strict=True):
        batch, stats = pa.record_batch(draw_batch), pa.record_batch(stat_batch)
        keep = ~np.asarray(stats.column("tuning"))
        diverging.append(np.asarray(stats.column("diverging"))[keep])
        for name in names:
            col = batch.column(name)
            nested = pa.types.is_list(col.type) or pa.types.is_large_list(col.type)
            values = np.asarray(col.flatten()).reshape(batch.num_rows, -1) if nested else np.asarray(col)
            out[name].append(values[keep])
    return {n: np.stack(v) for n, v in out.items()}, np.stack(diverging).astype(bool)


def bucket_size(k: int) -> int:
    for b in BUCKETS:
        if k <= b:
            return b
    return k


@dataclass
class ModelData:
    """The data of one analysis for the shared model."""

    likelihood: str  # "normal" or "binomial"
    tau_prior: TauPrior
    effect_prior: EffectPrior
    y: np.ndarray | None = None
    se: np.ndarray | None = None
    events_t: np.ndarray | None = None
    n_t: np.ndarray | None = None
    events_c: np.ndarray | None = None
    n_c: np.ndarray | None = None
    baseline_prior: EffectPrior = field(default_factory=lambda: EffectPrior(0.0, 10.0, "normal:0,10"))

    @property
    def k(self) -> int:
        return int(len(self.y if self.likelihood == "normal" else self.n_t))

    def arrays(self, size: int) -> dict[str, np.ndarray]:
        k = self.k
        if k > size:
            raise ValueError(f"{k} studies do not fit {size} slots")

        def pad(x, fill=0.0):
            out = np.full(size, fill, dtype=float)
            if x is not None:
                out[:k] = np.asarray(x, dtype=float)
            return out

        normal = self.likelihood == "normal"
        mask = pad(np.ones(k))
        zero = np.zeros(size)
        data = {
            "y": pad(self.y) if normal else zero.copy(),
            "se": pad(self.se, 1.0) if normal else np.ones(size),
            "mask_n": mask if normal else zero.copy(),
            "et": zero.copy() if normal else pad(self.events_t),
            "nt": zero.copy() if normal else pad(self.n_t),
            "ec": zero.copy() if normal else pad(self.events_c),
            "nc": zero.copy() if normal else pad(self.n_c),
            "mask_b": zero.copy() if normal else mask,
            "mu_prior": np.array([self.effect_prior.mean, self.effect_prior.sd]),
            "alpha_prior": np.array([self.baseline_prior.mean, self.baseline_prior.sd]),
        }
        data.update(self.tau_prior.model_parameters())
        return data


def tau_prior_logp(log_tau, family_weights, par):
    """PyTensor log density of log(tau) under the prior family selected by one-hot ``family_weights``
    (half-normal, half-Cauchy, log-normal and log-t_5 on tau^2; Jacobian included; priors.FAMILIES order).
    Shared by the pairwise model and the network model."""
    import pytensor.tensor as pt

    tau = pt.exp(log_tau)
    w, a, b = family_weights, par[0], par[1]
    # every family's term is evaluated (weights select one): keep the unused ones finite, since a
    # log-normal location is negative and 0 * nan would poison the sum
    s = pt.switch(a > 0, a, 1.0)
    lp_hn = math.log(2.0) - 0.5 * math.log(2 * math.pi) - pt.log(s) - 0.5 * (tau / s) ** 2 + log_tau
    lp_hc = math.log(2.0 / math.pi) - pt.log(s) - pt.log1p((tau / s) ** 2) + log_tau
    x = 2.0 * log_tau  # log tau^2
    lp_ln = math.log(2.0) - 0.5 * math.log(2 * math.pi) - pt.log(b) - 0.5 * ((x - a) / b) ** 2
    nu = 5.0
    lp_lt = (
        math.log(2.0)
        + math.lgamma((nu + 1) / 2)
        - math.lgamma(nu / 2)
        - 0.5 * math.log(nu * math.pi)
        - pt.log(b)
        - (nu + 1) / 2 * pt.log1p(((x - a) / b) ** 2 / nu)
    )
    return w[0] * lp_hn + w[1] * lp_hc + w[2] * lp_ln + w[3] * lp_lt


def build_model(size: int, data: dict[str, np.ndarray] | None = None, normal_only: bool = False):
    """The padded, masked PyMC model with ``size`` study slots (``normal_only``: without z and alpha,
    used for normal-likelihood analyses larger than the first bucket, where padding dims would dominate)."""
    import pymc as pm
    import pytensor.tensor as pt

    if data is None:
        data = ModelData(
            "normal", TauPrior("half_normal", 1.0), EffectPrior(0.0, 1.0), np.zeros(1), np.ones(1)
        )
        data = data.arrays(size)
    with pm.Model() as model:
        d = {name: pm.Data(name, value) for name, value in data.items()}
        mu_raw = pm.Normal("mu_raw", 0.0, 1.0)
        log_tau = pm.Flat("log_tau")
        z = None if normal_only else pm.Normal("z", 0.0, 1.0, shape=size)
        alpha_raw = None if normal_only else pm.Normal("alpha_raw", 0.0, 1.0, shape=size)
        mu = d["mu_prior"][0] + d["mu_prior"][1] * mu_raw
        tau = pt.exp(log_tau)
        pm.Potential("tau_prior", tau_prior_logp(log_tau, d["tau_family"], d["tau_par"]))
        v = d["se"] ** 2 + tau**2
        ll_n = -0.5 * (d["y"] - mu) ** 2 / v - 0.5 * pt.log(v) - 0.5 * math.log(2 * math.pi)
        pm.Potential("lik_normal", pt.sum(d["mask_n"] * ll_n))
        if normal_only:
            return model
        theta = mu + tau * z
        alpha = d["alpha_prior"][0] + d["alpha_prior"][1] * alpha_raw
        eta_t = alpha + theta / 2
        eta_c = alpha - theta / 2
        # log p = -softplus(-eta), log(1 - p) = -softplus(eta)
        ll_t = -d["et"] * pt.softplus(-eta_t) - (d["nt"] - d["et"]) * pt.softplus(eta_t)
        ll_c = -d["ec"] * pt.softplus(-eta_c) - (d["nc"] - d["ec"]) * pt.softplus(eta_c)
        pm.Potential("lik_binomial", pt.sum(d["mask_b"] * (ll_t + ll_c)))
    return model


@dataclass
class Draws:
    """Posterior draws (chain × draw) of the analysis' own quantities, plus sampler statistics."""

    mu: np.ndarray
    tau: np.ndarray
    theta: np.ndarray  # chain × draw × k
    alpha: np.ndarray | None
    diverging: np.ndarray  # chain × draw (bool)
    sampler: str
    target_accept: float
    tune: int


class Engine:
    """Samples analyses with one compiled model per slot count (nutpie) or with PyMC's default NUTS."""

    def __init__(self, backend: str = "nutpie"):
        if backend not in ("nutpie", "pymc"):
            raise ValueError(f"unknown sampler backend {backend!r}")
        ensure_compile_cache()
        self.backend = backend
        self._pymc_models: dict[tuple[int, bool], object] = {}
        self.compile_seconds = 0.0

    def cached(self, data: ModelData):
        """The analysis bound to the on-disk-cached numba density (compiled at most once per machine)."""
        from . import density
        from .cached_model import CachedModel

        t0 = time.perf_counter()
        normal = data.likelihood == "normal"
        tau = data.tau_prior
        packed = density.pack(
            density.NORMAL if normal else density.BINOMIAL, tau.family, tau.a, tau.b if tau.b > 0 else 1.0,
            data.effect_prior.mean, data.effect_prior.sd, data.baseline_prior.mean, data.baseline_prior.sd,
            y=data.y, se=data.se, et=data.events_t, nt=data.n_t, ec=data.events_c, nc=data.n_c, k=data.k,
        )  # fmt: skip
        model = CachedModel(dims={}, data=packed)
        self.compile_seconds += time.perf_counter() - t0
        return model

    def sample(
        self, data: ModelData, *, draws: int, tune: int, chains: int, target_accept: float, seed: int
    ) -> Draws:
        size = bucket_size(data.k)
        arrays = data.arrays(size)
        normal_only = data.likelihood == "normal" and size > BUCKETS[0]
        names = ["mu_raw", "log_tau"] + (["alpha_raw"] if data.likelihood == "binomial" else [])
        if data.likelihood != "normal":
            names.append("z")
        # the cached normal density samples mu given tau in standard form (density.py, "mu_w")
        conditional_mu = self.backend == "nutpie" and data.likelihood == "normal"
        if conditional_mu:
            names[0] = "mu_w"
        if self.backend == "nutpie":
            post, div = nutpie_arrays(
                self.cached(data),
                names,
                draws=draws,
                tune=tune,
                chains=chains,
                target_accept=target_accept,
                seed=seed,
            )
        else:
            import pymc as pm

            if (size, normal_only) not in self._pymc_models:
                self._pymc_models[(size, normal_only)] = build_model(size, arrays, normal_only)
            model = self._pymc_models[(size, normal_only)]
            with model:
                pm.set_data(arrays)
                idata = pm.sample(
                    draws=draws,
                    tune=tune,
                    chains=chains,
                    cores=min(chains, usable_cores()),
                    random_seed=seed,
                    target_accept=target_accept,
                    progressbar=False,
                    compute_convergence_checks=False,
                )
            post = {n: idata.posterior[n].values for n in names}
            div = idata.sample_stats["diverging"].values.astype(bool)
        k = data.k
        tau = np.exp(post["log_tau"])
        if conditional_mu:
            from .density import mu_given_tau

            m, sd = mu_given_tau(tau, data.y, data.se, data.effect_prior.mean, data.effect_prior.sd)
            mu = m + sd * post["mu_w"]
        else:
            mu = data.effect_prior.mean + data.effect_prior.sd * post["mu_raw"]
        if data.likelihood == "normal":
            # exact conditional draws of the study effects: theta_i | mu, tau, y_i is normal
            rng = np.random.default_rng(seed + 1)
            prec = 1.0 / data.se**2 + 1.0 / tau[..., None] ** 2
            mean = (data.y / data.se**2 + mu[..., None] / tau[..., None] ** 2) / prec
            theta = mean + rng.standard_normal(mean.shape) / np.sqrt(prec)
        else:
            theta = mu[..., None] + tau[..., None] * post["z"][:, :, :k]
        alpha = None
        if data.likelihood == "binomial":
            alpha = data.baseline_prior.mean + data.baseline_prior.sd * post["alpha_raw"][:, :, :k]
        return Draws(mu, tau, theta, alpha, div, self.backend, target_accept, tune)


_SHARED: dict[str, Engine] = {}


def shared_engine(backend: str = "nutpie") -> Engine:
    """The process-wide engine (its compiled models are reused by every caller in the process)."""
    if backend not in _SHARED:
        _SHARED[backend] = Engine(backend)
    return _SHARED[backend]
