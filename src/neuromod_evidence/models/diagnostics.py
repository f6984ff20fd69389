"""Convergence gate: R-hat, bulk and tail ESS, divergences (thresholds from ``models.diagnostics``).

"Converged" means, for every reported quantity (mu, tau and each study's theta): rank-normalised split
R-hat <= ``rhat_max`` (1.01), bulk ESS and tail ESS >= ``ess_min`` (400), and no more than
``max_divergences`` (0) divergent transitions. Nuisance parameters (the baseline log-odds of the
binomial model) are not gated. A failing fit is retried once with a higher target acceptance and longer
tuning; if it fails again it is written with ``converged = False``.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class Diagnostics:
    rhat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences: int
    converged: bool
    attempts: int = 1
    target_accept: float = float("nan")
    reasons: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def arviz():
    """ArviZ with its numba kernels switched off. With numba installed (nutpie brings it) ArviZ jit-compiles
    its R-hat/ESS/MCSE helpers in every process, without an on-disk cache: 1-2 s per fit job for numbers that
    its NumPy path computes identically (and ``az.mcse(method="sd")`` fails under numba, see PITFALLS)."""
    import arviz as az

    if az.Numba.numba_flag:
        az.Numba.disable_numba()
    return az


def draws_dataset(draws):
    import xarray as xr

    return xr.Dataset(
        {
            "mu": (("chain", "draw"), draws.mu),
            "tau": (("chain", "draw"), draws.tau),
            "theta": (("chain", "draw", "study"), draws.theta),
        }
    )


def _min_over(ds) -> float:
    return float(min(np.nanmin(ds[v].values) for v in ds.data_vars))


def _max_over(ds) -> float:
    return float(max(np.nanmax(ds[v].values) for v in ds.data_vars))


def diagnose(draws, settings: dict) -> Diagnostics:
    return gate(draws_dataset(draws), draws.diverging, draws.target_accept, settings)


def gate(ds, diverging, target_accept: float, settings: dict) -> Diagnostics:
    """The convergence gate over every variable of ``ds`` (chain x draw [x ...]): shared by the pairwise and the
    network models."""
    az = arviz()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rhat = _max_over(az.rhat(ds, method="rank"))
        ess_bulk = _min_over(az.ess(ds, method="bulk"))
        ess_tail = _min_over(az.ess(ds, method="tail"))
    div = int(np.asarray(diverging).sum())
    reasons = []
    if not rhat <= settings["rhat_max"]:
        reasons.append(f"R-hat {rhat:.3f} > {settings['rhat_max']}")
    if not min(ess_bulk, ess_tail) >= settings["ess_min"]:
        reasons.append(f"ESS {min(ess_bulk, ess_tail):.0f} < {settings['ess_min']}")
    if div > settings["max_divergences"]:
        reasons.append(f"{div} divergent transitions")
    return Diagnostics(
        rhat,
        ess_bulk,
        ess_tail,
        div,
        not reasons,
        target_accept=target_accept,
        reasons="; ".join(reasons),
    )


def quantile_mcse(x: np.ndarray, prob: float) -> float:
    """Monte Carlo standard error of a posterior quantile estimate (ArviZ's method, chain × draw input)."""
    az = arviz()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(az.mcse(np.asarray(x), method="quantile", prob=prob))


def sample_gated(engine, data, sampler: dict, gate: dict, seed: int):
    """Sample, check, retry once at ``retry_target_accept`` with ``retry_tune`` tuning steps and twice the draws.

    Smaller steps cure divergences, but not a marginal R-hat or ESS: in a single-trial model whose tau only its
    prior informs, a retry for one divergence ended at R-hat 1.015 with the same chain length. The retry's
    chains are therefore twice as long (these models have 2 or 2 + 2k parameters: the cost is a second or
    two for the few analyses that retry)."""
    common = {"draws": sampler["draws"], "chains": sampler["chains"], "seed": seed}
    draws = engine.sample(data, tune=sampler["tune"], target_accept=sampler["target_accept"], **common)
    diag = diagnose(draws, gate)
    if diag.converged:
        return draws, diag
    first = diag.reasons
    common["draws"] *= 2
    draws = engine.sample(
        data, tune=sampler["retry_tune"], target_accept=sampler["retry_target_accept"], **common
    )
    diag = diagnose(draws, gate)
    diag.attempts = 2
    diag.reasons = f"first attempt: {first}" + (
        f"; retry: {diag.reasons}" if diag.reasons else "; retry passed"
    )
    return draws, diag
