"""Small, pure conversions from what trial reports give to what meta-analysis needs.

Every function returns the converted number(s) and leaves the bookkeeping (which method was used,
whether the value is derived) to the caller, which records it per row. References:

- Cochrane Handbook for Systematic Reviews of Interventions v6.5, section 6.5.2 (SD from SE, CI, p).
- Wan X, Wang W, Liu J, Tong T (2014). BMC Med Res Methodol 14:135 — SD from median + range and/or IQR.
- Luo D, Wan X, Liu J, Tong T (2018). Stat Methods Med Res 27(6):1785–1805 — mean from median + range
  and/or IQR. Both as implemented in metaBLUE's `Wan.std` / `Luo.mean` and metafor's `conv.fivenum`.
- Cochrane Handbook Table 6.5.a — combining two groups into one (multi-arm trials).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special  # the quantile functions scipy.stats calls, without its ~0.8 s import

from .. import effects


def to_common_scale(value: float, factor: float, offset: float = 0.0) -> float:
    """A location (mean, median, quartile) on the outcome's common scale."""
    return (value - offset) * factor


def spread_to_common_scale(spread: float, factor: float) -> float:
    """A spread (SD, SE, mean difference) on the common scale: offsets cancel."""
    return spread * factor


def sd_from_se(se: float, n: float) -> float:
    """SD of a group mean from its standard error (Handbook 6.5.2.2)."""
    _require_positive(n, "n")
    return se * math.sqrt(n)


def ci_quantile(level: float, df: float | None) -> float:
    """Two-sided quantile for a `level` interval: t with `df` degrees of freedom, or z when df is None."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must lie in (0, 1), got {level}")
    upper = 1 - (1 - level) / 2
    return float(special.ndtri(upper) if df is None else special.stdtrit(df, upper))


def se_from_ci(low: float, high: float, level: float = 0.95, df: float | None = None) -> float:
    """Standard error from a symmetric confidence interval of width high - low."""
    if not high > low:
        raise ValueError(f"CI upper limit {high} must exceed lower limit {low}")
    return (high - low) / (2 * ci_quantile(level, df))


def sd_from_ci(
    low: float, high: float, n: float, level: float = 0.95, z_threshold_n: int = 60
) -> tuple[float, str]:
    """SD of a group mean from the CI of that mean.

    The Handbook (6.5.2.2) divides by the z quantile for large groups and by the t quantile with n - 1
    degrees of freedom for small ones; `z_threshold_n` is where we switch (60 by default).
    """
    _require_positive(n, "n")
    df = None if n >= z_threshold_n else n - 1
    se = se_from_ci(low, high, level, df)
    how = "z" if df is None else f"t(df={int(df)})"
    return se * math.sqrt(n), how


def se_from_p(estimate: float, p: float, df: float | None = None) -> float:
    """Standard error of an estimate from its two-sided p-value (Handbook 6.5.2.3).

    With `p<x` reported, pass x: the SE obtained is then an upper bound (conservative).
    """
    if not 0 < p < 1:
        raise ValueError(f"p-value must lie in (0, 1), got {p}")
    if estimate == 0:
        raise ValueError("cannot back out a standard error from a p-value for a zero estimate")
    q = special.ndtri(1 - p / 2) if df is None else special.stdtrit(df, 1 - p / 2)
    return abs(estimate) / float(q)


def _xi(n: float) -> float:
    """Wan 2014, eq. for the expected range of n standard normals: 2 Φ⁻¹((n − 0.375)/(n + 0.25))."""
    return 2 * float(special.ndtri((n - 0.375) / (n + 0.25)))


def _eta(n: float) -> float:
    """Wan 2014, expected IQR of n standard normals: 2 Φ⁻¹((0.75n − 0.125)/(n + 0.25))."""
    return 2 * float(special.ndtri((0.75 * n - 0.125) / (n + 0.25)))


@dataclass(frozen=True)
class MeanSD:
    mean: float
    sd: float
    method: str


def mean_sd_from_quantiles(
    n: float,
    median: float,
    q1: float | None = None,
    q3: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    mean_method: str = "luo",
) -> MeanSD:
    """Mean and SD from a median with IQR and/or range (Luo 2018 mean, Wan 2014 SD).

    Scenario S1: min, median, max. S2: q1, median, q3. S3: all five. `mean_method="wan"` uses Wan's
    simpler means instead of Luo's weighted ones.
    """
    _require_positive(n, "n")
    has_iqr = q1 is not None and q3 is not None
    has_range = minimum is not None and maximum is not None
    if has_iqr and not q1 <= median <= q3:
        raise ValueError(f"median {median} must lie between q1 {q1} and q3 {q3}")
    if has_range and not minimum <= median <= maximum:
        raise ValueError(f"median {median} must lie between min {minimum} and max {maximum}")
    if has_iqr and has_range:
        sd = (maximum - minimum) / (2 * _xi(n)) + (q3 - q1) / (2 * _eta(n))
        if mean_method == "luo":
            w1 = 2.2 / (2.2 + n**0.75)
            w2 = 0.7 - 0.72 / n**0.55
            mean = w1 * (minimum + maximum) / 2 + w2 * (q1 + q3) / 2 + (1 - w1 - w2) * median
        else:
            mean = (minimum + 2 * q1 + 2 * median + 2 * q3 + maximum) / 8
        scenario = "S3 (min, q1, median, q3, max)"
    elif has_iqr:
        sd = (q3 - q1) / _eta(n)
        if mean_method == "luo":
            w = 0.7 + 0.39 / n
            mean = w * (q1 + q3) / 2 + (1 - w) * median
        else:
            mean = (q1 + median + q3) / 3
        scenario = "S2 (q1, median, q3)"
    elif has_range:
        sd = (maximum - minimum) / _xi(n)
        if mean_method == "luo":
            w = 4 / (4 + n**0.75)
            mean = w * (minimum + maximum) / 2 + (1 - w) * median
        else:
            mean = (minimum + 2 * median + maximum) / 4
        scenario = "S1 (min, median, max)"
    else:
        raise ValueError("a median needs an interquartile range or a range to give an SD")
    mean_ref = "Luo 2018" if mean_method == "luo" else "Wan 2014"
    return MeanSD(mean=mean, sd=sd, method=f"mean {mean_ref}, SD Wan 2014, scenario {scenario}, n={n:g}")


def events_from_percent(percent: float, total: int) -> int:
    """Participants with the event from a reported percentage; the caller flags the row as derived."""
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must lie in [0, 100], got {percent}")
    _require_positive(total, "total")
    return int(math.floor(percent / 100 * total + 0.5))


def percent_decimals(percent: float) -> int:
    """Decimals a percentage was printed with, as far as a number can tell (48.0 reads as "48")."""
    text = f"{percent:.6f}".rstrip("0").rstrip(".")
    return len(text.split(".")[1]) if "." in text else 0


def reproduces_percent(events: float, total: float, percent: float) -> bool:
    """Does events/total print as ``percent`` at its printed precision (either rounding of a tie)?"""
    half = 0.5 * 10 ** -percent_decimals(percent)
    return abs(100 * events / total - percent) <= half + 1e-9


def feasible_denominators(percent: float, ceiling: int, events: float | None = None) -> list[int]:
    """Every denominator N <= ``ceiling`` for which a whole number of events (``events`` when known) prints as
    the given percentage; ascending. Why: papers print percentages of implanted or analysed participants, so
    the arm's randomized number often does not reproduce them (PROCESS: 4 of 48 is 8.3 %, printed 9 %)."""
    out = []
    for n in range(max(1, int(events or 0)), ceiling + 1):
        e = events if events is not None else events_from_percent(percent, n)
        if reproduces_percent(e, n, percent):
            out.append(n)
    return out


def combine_groups(
    n1: float, m1: float, sd1: float, n2: float, m2: float, sd2: float
) -> tuple[float, float, float]:
    """Pool two arms into one (Cochrane Handbook Table 6.5.a): returns (n, mean, sd)."""
    n = n1 + n2
    mean = (n1 * m1 + n2 * m2) / n
    ss = (n1 - 1) * sd1**2 + (n2 - 1) * sd2**2 + n1 * n2 / n * (m1**2 + m2**2 - 2 * m1 * m2)
    return n, mean, math.sqrt(ss / (n - 1))


def mean_difference(
    m_t: float, sd_t: float, n_t: float, m_c: float, sd_c: float, n_c: float
) -> tuple[float, float]:
    """Mean difference (treatment − control) and its standard error (``effects.mean_difference``)."""
    return effects.mean_difference(m_t, sd_t, n_t, m_c, sd_c, n_c)


def log_odds_ratio(
    e_t: int, n_t: int, e_c: int, n_c: int, correction: float = 0.5
) -> tuple[float, float, bool]:
    """Log odds ratio and SE from a 2×2 table (Woolf; ``effects.log_odds_ratio``), as an error when not estimable.

    The continuity `correction` is added to all four cells only when a cell is zero; the third element
    says whether it was applied. Used for display and for the fallback normal model only — the
    binomial–normal model uses the counts themselves.
    """
    out = effects.log_odds_ratio(e_t, n_t, e_c, n_c, correction)
    if out is None:
        raise ValueError("no events (or all events) in both arms: the odds ratio is not estimable")
    return out


def _require_positive(value: float, name: str) -> None:
    if value is None or not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")
