"""One GRADE domain at a time: risk of bias, inconsistency, imprecision, indirectness, publication bias.

Each function returns a :class:`Judgement`: how many levels to rate down (0 not serious, 1 serious, 2 very
serious) and the reason in words a footnote can carry. Effects are on the analysis scale (mean difference, or
log odds ratio for ratio measures); ``benefit`` is the signed MCID on that scale, on the side of benefit
(e.g. -2 for a pain score where lower is better, log 1.5 for responders), so the rules need not know the
outcome's direction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

DOMAINS = ("risk_of_bias", "inconsistency", "imprecision", "indirectness", "publication_bias")
DOMAIN_LABELS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "imprecision": "Imprecision",
    "indirectness": "Indirectness",
    "publication_bias": "Publication bias",
}
LEVELS = {0: "not serious", 1: "serious", 2: "very serious"}
ROB_ORDER = {"low": 0, "some_concerns": 1, "not_assessable": 1, "high": 2}
MAJORITY = 0.5  # share of the analysis weight that decides the risk-of-bias judgement
I2_SERIOUS, I2_VERY_SERIOUS = 0.5, 0.75
PUBLICATION_BIAS_MIN_K = 10
OIS_CONTINUOUS = 400  # GRADE's rule of thumb for continuous outcomes (Guyatt et al. 2011, GRADE 6)
OIS_RELATIVE_CHANGE = 0.25  # binary outcomes: sample size for a 25 % relative change at alpha 0.05, power 0.8


@dataclass(frozen=True)
class Judgement:
    domain: str
    downgrade: int  # 0, 1 or 2 levels
    reason: str
    overridden: bool = False

    @property
    def level(self) -> str:
        return LEVELS[self.downgrade]


# ------------------------------------------------------------------------------------------ risk of bias
def domain_judgements(rob: pd.DataFrame, trial_id: str, outcome: str) -> dict[str, str]:
    """A trial's RoB 2 judgement per domain for one outcome: an outcome-specific row replaces the trial's
    general row (blank outcome) for the same domain; empty when the trial has no assessment."""
    rows = rob[rob["trial_id"] == trial_id]
    general = rows[rows["outcome"].isna() | (rows["outcome"].astype(str).str.strip() == "")]
    specific = rows[rows["outcome"].astype(str) == outcome]
    return {**dict(zip(general["domain"], general["judgement"], strict=False)),
            **dict(zip(specific["domain"], specific["judgement"], strict=False))}  # fmt: skip


def trial_risk(rob: pd.DataFrame, trial_id: str, outcome: str) -> str:
    """A trial's overall RoB 2 judgement for one outcome: the worst of its domains
    (:func:`domain_judgements`); 'not_assessed' without rows."""
    by_domain = domain_judgements(rob, trial_id, outcome)
    if not by_domain:
        return "not_assessed"
    worst = max(by_domain.values(), key=lambda j: ROB_ORDER.get(j, 1))
    if worst == "not_assessable":
        return "some_concerns" if any(j == "some_concerns" for j in by_domain.values()) else "not_assessable"
    return worst


def risk_of_bias(rob: pd.DataFrame, weights: Mapping[str, float], outcome: str) -> Judgement:
    """Rate down by the share of the analysis weight from trials at high risk (or with concerns).

    High risk for the majority of the weight: very serious; high risk, some concerns, not assessable or not
    assessed for the majority: serious; otherwise not serious."""
    total = sum(w for w in weights.values() if w > 0) or 1.0
    share = {"high": 0.0, "concerns": 0.0}
    for tid, w in weights.items():
        risk = trial_risk(rob, tid, outcome)
        if risk == "high":
            share["high"] += w / total
        if risk != "low":
            share["concerns"] += w / total
    pct = f"{share['concerns']:.0%} of the weight from trials with some concerns or high risk"
    if share["high"] >= MAJORITY:
        return Judgement(
            "risk_of_bias", 2, f"{share['high']:.0%} of the weight from trials at high risk of bias"
        )
    if share["concerns"] >= MAJORITY:
        return Judgement("risk_of_bias", 1, pct)
    return Judgement("risk_of_bias", 0, pct)


# ------------------------------------------------------------------------------------------ inconsistency
def i_squared(tau2: float, se: Sequence[float]) -> float:
    """Higgins' I² from a between-trial variance and the trials' standard errors (typical within variance)."""
    w = [1 / s**2 for s in se if s and math.isfinite(s) and s > 0]
    if len(w) < 2 or not math.isfinite(tau2):
        return math.nan
    sw, sw2 = sum(w), sum(x * x for x in w)
    typical = (len(w) - 1) * sw / (sw * sw - sw2)
    return max(tau2, 0.0) / (max(tau2, 0.0) + typical)


def inconsistency(k: int, i2: float, pred_low: float, pred_high: float, benefit: float) -> Judgement:
    """Rate down for heterogeneity: I² ≥ 75 % very serious; I² ≥ 50 %, or (with ≥ 3 trials) a prediction
    interval that reaches an important effect in both directions, serious. One trial: not applicable; two:
    the prediction interval reflects the heterogeneity prior and is not used."""
    if k < 2:
        return Judgement("inconsistency", 0, "single trial: inconsistency cannot be assessed")
    i2_text = f"I² = {i2:.0%}" if math.isfinite(i2) else "I² not estimable"
    if math.isfinite(i2) and i2 >= I2_VERY_SERIOUS:
        return Judgement("inconsistency", 2, f"substantial heterogeneity ({i2_text})")
    if math.isfinite(i2) and i2 >= I2_SERIOUS:
        return Judgement("inconsistency", 1, f"moderate heterogeneity ({i2_text})")
    both = (
        math.isfinite(pred_low)
        and math.isfinite(pred_high)
        and math.isfinite(benefit)
        and (min(pred_low, pred_high) <= -abs(benefit) and max(pred_low, pred_high) >= abs(benefit))
    )
    if k >= 3 and both:
        return Judgement(
            "inconsistency", 1, f"the prediction interval includes important benefit and harm ({i2_text})"
        )
    note = "; two trials: the prediction interval reflects the heterogeneity prior" if k == 2 else ""
    return Judgement("inconsistency", 0, f"{i2_text}{note}")


# ------------------------------------------------------------------------------------------ imprecision
def optimal_information_size(baseline_risk: float | None, favourable_event: bool = True) -> float:
    """Participants needed (both arms) to detect a 25 % relative change at alpha 0.05 and power 0.8; the
    rule-of-thumb 400 for a continuous outcome (``baseline_risk`` None)."""
    if baseline_risk is None or not (0 < baseline_risk < 1):
        return float(OIS_CONTINUOUS)
    p0 = baseline_risk
    p1 = min(0.999, p0 * (1 + OIS_RELATIVE_CHANGE)) if favourable_event else p0 * (1 - OIS_RELATIVE_CHANGE)
    z = 1.959963984540054 + 0.8416212335729143
    per_arm = z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p0 - p1) ** 2
    return 2 * math.ceil(per_arm)


def imprecision(low: float, high: float, benefit: float, n: float | None, ois: float) -> Judgement:
    """Against thresholds, not only the null: an interval reaching important benefit and important harm is
    very serious; one crossing the null or the MCID (important and unimportant effects both compatible),
    or fewer participants than the optimal information size, serious."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return Judgement("imprecision", 2, "no interval could be estimated")
    lo, hi = min(low, high), max(low, high)
    b = abs(benefit) if math.isfinite(benefit) else math.nan
    sign = 1.0 if not math.isfinite(benefit) or benefit >= 0 else -1.0
    blo, bhi = sorted((sign * lo, sign * hi))  # on the benefit-positive scale
    if math.isfinite(b) and blo <= -b and bhi >= b:
        return Judgement("imprecision", 2, "the interval includes important benefit and important harm")
    if blo < 0 < bhi:
        return Judgement("imprecision", 1, "the interval includes no effect")
    if math.isfinite(b) and blo < b < bhi:
        return Judgement("imprecision", 1, "the interval includes effects above and below the MCID")
    if n is not None and math.isfinite(n) and n < ois:
        return Judgement(
            "imprecision", 1, f"{n:.0f} participants, fewer than the optimal information size ({ois:.0f})"
        )
    return Judgement("imprecision", 0, "the interval excludes no effect and lies on one side of the MCID")


# ------------------------------------------------------------------------------------------ indirectness
def indirectness(flags: Sequence[str]) -> Judgement:
    """Rate down one level when the data carry any population, comparator or outcome mismatch flag."""
    if flags:
        return Judgement("indirectness", 1, "; ".join(flags))
    return Judgement("indirectness", 0, "no mismatch flagged")


# ------------------------------------------------------------------------------------------ publication bias
def publication_bias(k: int) -> Judgement:
    if k < PUBLICATION_BIAS_MIN_K:
        return Judgement("publication_bias", 0, f"not assessable below {PUBLICATION_BIAS_MIN_K} trials")
    return Judgement("publication_bias", 0, "not formally tested (inspect the funnel plot)")
