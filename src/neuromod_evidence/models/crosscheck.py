"""Does the MCMC posterior agree with the exact one? (NNHM analyses, where the exact posterior exists.)

The pooled effect's median and 95 % limits and tau's median and 95 % limits are compared; a difference
counts only when it exceeds both four Monte Carlo standard errors of the MCMC quantile and 5 % of the
exact posterior SD of that parameter, so ``exact_agrees`` is False only when the two really disagree
(for instance when the exact integration misses posterior mass, or the sampler missed a mode).
"""

from __future__ import annotations

import numpy as np

from .diagnostics import quantile_mcse
from .exact import ExactPosterior

_QUANTILES = (("estimate", 0.5), ("ci_low", 0.025), ("ci_high", 0.975))
_TAU_QUANTILES = (("tau", 0.5), ("tau_low", 0.025), ("tau_high", 0.975))


def tau_sd(exact: ExactPosterior) -> float:
    m = float(np.sum(exact.tau_weights * exact.tau_grid))
    return float(np.sqrt(np.sum(exact.tau_weights * (exact.tau_grid - m) ** 2)))


def compare_with_exact(summary: dict, mu_draws, tau_draws, exact: ExactPosterior) -> tuple[bool, list[str]]:
    """(agrees, notes): ``summary`` holds the MCMC quantiles (estimate, ci_low, ..., tau_high)."""
    ex = exact.summary()
    notes = []
    checks = [(c, p, mu_draws, ex["sd"], c) for c, p in _QUANTILES]
    checks += [(c, p, tau_draws, tau_sd(exact), c) for c, p in _TAU_QUANTILES]
    for col, p, draws, sd, name in checks:
        tol = max(4 * quantile_mcse(draws, p), 0.05 * sd)
        diff = abs(summary[col] - ex[col])
        if diff > tol:
            notes.append(f"MCMC and exact {name} differ by {diff:.4g} (> {tol:.3g})")
    return not notes, notes
