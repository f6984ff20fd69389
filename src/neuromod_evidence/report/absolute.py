"""Absolute effects per 1000 patients for binary outcomes (issue 11, item 2).

Why: an odds ratio of 47 alone tells a clinician nothing about how many more patients respond. GRADE's
summary of findings gives the risk with the comparator, the risk with the intervention and the difference per
1000. For a pooled result the difference and its interval are the engine's (``per1000_*`` in summary.csv, from
the posterior at the pooled control-arm risk ``baseline_risk``); for a single trial shown as itself they are
the trial's own odds ratio and CI applied to the same control-arm risk (a monotone transformation, so the
interval maps bound to bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .headline import Headline
from .scale import is_ratio


@dataclass(frozen=True)
class Absolute:
    comparator: float  # risk with the comparator, per 1000
    intervention: float  # risk with the intervention, per 1000
    difference: float
    low: float
    high: float

    def difference_text(self) -> str:
        return f"{_signed(self.difference)} per 1000 ({_signed(self.low)} to {_signed(self.high)})"

    def text(self, intervention: str, control: str) -> str:
        return (
            f"{self.comparator:.0f} per 1000 with {control}, {self.intervention:.0f} per 1000 with "
            f"{intervention}: a difference of {self.difference_text()}"
        )


def _signed(x: float) -> str:
    r = round(x)
    return f"{r:+d}".replace("-", "\u2212") if r != 0 else "0"


def _risk(p0: float, log_ratio: float, measure: str) -> float:
    if str(measure).upper() == "OR":
        odds = math.exp(log_ratio) * p0 / (1 - p0)
        return odds / (1 + odds)
    return min(1.0, math.exp(log_ratio) * p0)


def absolute_effects(measure: str, baseline_risk, headline: Headline | None, nums: dict) -> Absolute | None:
    """Per-1000 risks and difference, or None for a continuous outcome or a missing control-arm risk."""
    try:
        p0 = float(baseline_risk)
    except (TypeError, ValueError):
        return None
    if not is_ratio(measure) or not (0 < p0 < 1) or headline is None:
        return None
    if headline.kind == "single":
        diff = [
            1000 * (_risk(p0, v, measure) - p0)
            for v in (headline.estimate, headline.ci_low, headline.ci_high)
        ]
    else:
        diff = [float(nums.get(f"per1000_{c}", math.nan)) for c in ("estimate", "ci_low", "ci_high")]
    if not all(math.isfinite(d) for d in diff):
        return None
    return Absolute(1000 * p0, 1000 * p0 + diff[0], *diff)
