"""Numbers on the display scale, shared by the figures and the words of the report (no matplotlib here).

Ratio measures arrive on the log scale (the analysis scale) and are exponentiated for display.
"""

from __future__ import annotations

import numpy as np

from ..settings import is_ratio

__all__ = ["format_interval", "format_number", "is_ratio", "mcid_display", "null_value", "to_display"]


def to_display(values, measure: str):
    """Analysis scale -> display scale (exp for ratio measures)."""
    arr = np.asarray(values, dtype=float)
    return np.exp(arr) if is_ratio(measure) else arr


def null_value(measure: str) -> float:
    return 1.0 if is_ratio(measure) else 0.0


def mcid_display(measure: str, direction: str, mcid: float | None) -> float | None:
    """Where the MCID line goes on the display scale, on the side of benefit."""
    if mcid is None or not np.isfinite(mcid) or mcid <= 0:
        return None
    lower_better = direction == "lower_is_better"
    if is_ratio(measure):
        if mcid <= 1:
            return None
        return 1.0 / mcid if lower_better else float(mcid)
    return -float(mcid) if lower_better else float(mcid)


def format_number(value: float, decimals: int = 2) -> str:
    """A number with a typographic minus sign; an en dash for missing."""
    if value is None or not np.isfinite(value):
        return "–"
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) != 0:
        return "\u2212" + text[1:]
    return text.lstrip("-")


def format_interval(est, low, high, decimals: int = 2) -> str:
    return f"{format_number(est, decimals)} [{format_number(low, decimals)}, {format_number(high, decimals)}]"


def measure_axis_label(measure: str) -> str:
    return {"OR": "Odds ratio", "RR": "Risk ratio", "HR": "Hazard ratio", "MD": "Mean difference"}.get(
        str(measure).upper(), str(measure)
    )
