"""Benefit probabilities: P(effect favours the intervention) and P(benefit at least the MCID).

Shared by the primary analysis (posterior draws) and the sensitivity analyses (exact mixtures), which is
why it has a module of its own: both import it, neither imports the other.
"""

from __future__ import annotations

import math

import numpy as np

from ..settings import is_ratio


def benefit_threshold(measure: str, mcid: float | None) -> float | None:
    """The MCID on the analysis scale (log for ratio measures); None when there is none."""
    if mcid is None or (isinstance(mcid, float) and math.isnan(mcid)):
        return None
    if is_ratio(measure):
        if not mcid > 1:
            raise ValueError(f"mcid for {measure} is a ratio > 1, got {mcid}")
        return math.log(mcid)
    if not mcid > 0:
        raise ValueError(f"mcid must be > 0, got {mcid}")
    return float(mcid)


def benefit_probabilities(x: np.ndarray, direction: str, threshold: float | None) -> tuple[float, float]:
    """(P(benefit), P(benefit >= MCID)) from posterior draws ``x``."""
    x = np.asarray(x).ravel()
    if direction == "lower_is_better":
        p_b = float(np.mean(x < 0))
        p_m = float(np.mean(x <= -threshold)) if threshold is not None else float("nan")
    else:
        p_b = float(np.mean(x > 0))
        p_m = float(np.mean(x >= threshold)) if threshold is not None else float("nan")
    return p_b, p_m


def exact_benefit(mix, direction: str, threshold: float | None) -> tuple[float, float]:
    """The same probabilities from an exact posterior (a normal mixture with a ``cdf``)."""
    if direction == "lower_is_better":
        return mix.cdf(0.0), (mix.cdf(-threshold) if threshold is not None else float("nan"))
    return 1 - mix.cdf(0.0), (1 - mix.cdf(threshold) if threshold is not None else float("nan"))
