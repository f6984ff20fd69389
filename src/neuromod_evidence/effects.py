"""Study-level effect sizes on the analysis scale: small pure functions returning (estimate, se).

The one implementation of each effect size: the normalize stage (through ``normalize.conversions``, which
turns "not estimable" into an error for its ledger) and the fit stage both call these. Ratio measures are
natural logs. A continuity correction is an explicit argument, applied only when a study has a zero cell,
and reported back; studies with no events (or only events) in both arms have no finite log OR / log RR and
return ``None``.
"""

from __future__ import annotations

import math


def _require_positive(value, name: str) -> None:
    if value is None or not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")


def mean_difference(mean_t, sd_t, n_t, mean_c, sd_c, n_c) -> tuple[float, float]:
    """Mean difference (treatment − control) and its standard error."""
    for value, name in ((n_t, "n_t"), (n_c, "n_c")):
        _require_positive(value, name)
    return mean_t - mean_c, math.sqrt(sd_t**2 / n_t + sd_c**2 / n_c)


def hedges_g(mean_t, sd_t, n_t, mean_c, sd_c, n_c) -> tuple[float, float]:
    """Hedges' g with the small-sample correction J and the variance of Borenstein et al. 2009 (4.18–4.24)."""
    df = n_t + n_c - 2
    sp = math.sqrt(((n_t - 1) * sd_t**2 + (n_c - 1) * sd_c**2) / df)
    d = (mean_t - mean_c) / sp
    j = 1 - 3 / (4 * df - 1)
    var_d = (n_t + n_c) / (n_t * n_c) + d**2 / (2 * (n_t + n_c))
    return j * d, j * math.sqrt(var_d)


def _cells(et, nt, ec, nc, cc):
    cells = (et, nt - et, ec, nc - ec)
    if min(cells) == 0:
        return tuple(c + cc for c in cells), True
    return cells, False


def log_odds_ratio(et, nt, ec, nc, cc: float = 0.5) -> tuple[float, float, bool] | None:
    """(log OR, se, corrected) from a 2×2 table (Woolf), or None when both arms have 0 events or both have
    only events. ``cc`` is added to all four cells only when a cell is zero (``corrected`` says so)."""
    if min(et, nt - et, ec, nc - ec) < 0:
        raise ValueError("events cannot exceed the total")
    if (et == 0 and ec == 0) or (et == nt and ec == nc):
        return None
    (a, b, c, d), corrected = _cells(et, nt, ec, nc, cc)
    return math.log(a * d / (b * c)), math.sqrt(1 / a + 1 / b + 1 / c + 1 / d), corrected


def log_risk_ratio(et, nt, ec, nc, cc: float = 0.5) -> tuple[float, float, bool] | None:
    if (et == 0 and ec == 0) or (et == nt and ec == nc):
        return None
    corrected = min(et, ec, nt - et, nc - ec) == 0
    if corrected:
        et, ec, nt, nc = et + cc, ec + cc, nt + 2 * cc, nc + 2 * cc
    return math.log((et / nt) / (ec / nc)), math.sqrt(1 / et - 1 / nt + 1 / ec - 1 / nc), corrected


def risk_difference(et, nt, ec, nc, cc: float = 0.5) -> tuple[float, float, bool]:
    pt_, pc = et / nt, ec / nc
    var = pt_ * (1 - pt_) / nt + pc * (1 - pc) / nc
    corrected = False
    if var <= 0:  # all-or-none in both arms: the variance needs the correction, the estimate does not
        a, b = (et + cc) / (nt + 2 * cc), (ec + cc) / (nc + 2 * cc)
        var, corrected = a * (1 - a) / (nt + 2 * cc) + b * (1 - b) / (nc + 2 * cc), True
    return pt_ - pc, math.sqrt(var), corrected


def se_from_ci(ci_low: float, ci_high: float, level: float = 0.95) -> float:
    from scipy import stats

    return (ci_high - ci_low) / (2 * stats.norm.ppf(0.5 + level / 2))
