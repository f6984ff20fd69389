"""The NMA model laid out for the cached numba density (:mod:`.density`) and sampled by nutpie.

Why not a PyMC model: nutpie compiled the padded PyMC NMA model in 60–120 s per process, while sampling a
30-study network takes a few seconds. The density and gradient are now written by hand as numba C callbacks
cached on disk (compiled once per machine), so any network size needs neither padding nor compilation.

Every network — binary arms, continuous arms, contrasts; random or common effects; consistency, unrelated
mean effects or a node split — is the same model switched by data (see :mod:`.density` for the equations):
each study's non-base arm j has the effect ``D[p1] - D[p2] + D[p3]`` against the study's base arm, with
D[0] = 0. Consistency: p1 = the arm's treatment, p2 = the base arm's; unrelated mean effects: p1 = one
parameter per observed comparison; node split: p3 adds a separate direct effect. Multi-arm trials have
correlated random effects (covariance tau^2 / 2). The common-effect model has no tau and no z.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..models.cached_model import CachedModel
from ..models.compiled import nutpie_arrays
from . import density


def cs_chol(m: int) -> np.ndarray:
    """Cholesky factor of (I + J) / 2 (m x m): the within-trial correlation of random effects."""
    return np.linalg.cholesky(0.5 * (np.eye(m) + np.ones((m, m)))) if m else np.zeros((0, 0))


@dataclass
class Layout:
    """One fit's studies: (p1, p2, p3) per non-base arm, and either arm counts or contrasts (y, V)."""

    maps: list  # per study: [(p1, p2, p3), ...] for its non-base arms
    n_params: int
    binom: bool
    counts: list | None = None  # per study: (events, n) over all arms, base first
    contrasts: list | None = None  # per study: (y, V) of the non-base arms vs the base arm

    @property
    def n_studies(self) -> int:
        return len(self.maps)

    @property
    def max_arms(self) -> int:
        return 1 + max(len(m) for m in self.maps)

    def pack(self, priors: dict, re: bool) -> np.ndarray:
        return density.pack(
            self.maps, re=re, binom=self.binom, n_params=self.n_params, tau_prior=priors["tau"],
            effect_prior=priors["effect"], baseline_prior=priors["baseline"], counts=self.counts,
            contrasts=self.contrasts,
        )  # fmt: skip


@dataclass(frozen=True)
class NMAModel(CachedModel):
    """One fit's data array bound to the cached NMA density."""

    variables: tuple = field(default_factory=tuple)  # ((name, size), ...) in the order of the vector

    @property
    def n_dim(self) -> int:
        return int(sum(size for _, size in self.variables))

    def _callbacks(self):
        return density

    def _names(self) -> list[str]:
        return [name for name, _ in self.variables]

    def _shapes(self) -> list[tuple[int, ...]]:
        return [() if name == "log_tau" else (size,) for name, size in self.variables]

    def _dims(self):
        return {}, {}


def variables(layout: Layout, re: bool) -> tuple:
    out = [("d_raw", layout.n_params)]
    if re:
        out += [("log_tau", 1), ("z", sum(len(m) for m in layout.maps))]
    if layout.binom:
        out.append(("mu_raw", layout.n_studies))
    return tuple(out)


@dataclass
class RawDraws:
    d: np.ndarray  # chain x draw x n_params
    tau: np.ndarray  # chain x draw (zeros for the common-effect model)
    mu: np.ndarray  # chain x draw x S (zeros for the normal likelihood)
    delta_z: np.ndarray  # chain x draw x S x: L z (before scaling by tau), zero-padded
    diverging: np.ndarray
    target_accept: float


class Engine:
    """Binds fits to the cached density and samples them with nutpie (no compilation after the first run)."""

    def __init__(self):
        self.compile_seconds = 0.0  # time to load (or, on a new machine, compile) the callbacks

    def model(self, layout: Layout, priors: dict, re: bool) -> NMAModel:
        t0 = time.perf_counter()
        _ = density.logp_callback.address  # loads the cached callback (compiles it on a new machine)
        m = NMAModel(dims={}, data=layout.pack(priors, re), variables=variables(layout, re))
        self.compile_seconds += time.perf_counter() - t0
        return m

    def sample(
        self, layout: Layout, priors: dict, re: bool, *, draws, tune, chains, target_accept, seed
    ) -> RawDraws:
        names = ["d_raw"] + (["mu_raw"] if layout.binom else []) + (["log_tau", "z"] if re else [])
        post, div = nutpie_arrays(
            self.model(layout, priors, re),
            names,
            draws=draws,
            tune=tune,
            chains=chains,
            target_accept=target_accept,
            seed=seed,
        )
        ep, bp = priors["effect"], priors["baseline"]
        d = ep.mean + ep.sd * post["d_raw"]
        shape = d.shape[:2]
        S, A = layout.n_studies, layout.max_arms
        mu = bp.mean + bp.sd * post["mu_raw"] if layout.binom else np.zeros(shape + (S,))
        lz = np.zeros(shape + (S, A - 1))
        tau = np.zeros(shape)
        if re:
            tau = np.exp(post["log_tau"])
            z, start = post["z"], 0
            for i, m in enumerate(layout.maps):
                c = len(m)
                lz[:, :, i, :c] = z[:, :, start : start + c] @ cs_chol(c).T
                start += c
        return RawDraws(d, tau, mu, lz, div, target_accept)


_ENGINE: Engine | None = None


def shared_engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE
