"""Which number an analysis leads with, and how honest its intervals are (issue 11, item 3).

Why: with one trial the random-effects mean is that trial widened by the heterogeneity prior, so the page
would show a "pooled" interval that includes no difference for a trial that reported p < 0.001. A single
trial is therefore shown as itself (its own estimate and 95 % CI from ``studies.csv``, "single trial, not
pooled"), the posterior for a new setting only as secondary information. With two trials the posterior of
tau is mostly its prior; the common-effect result (``sensitivity.csv``, scenario "common effect") is shown
beside the random-effects one and the page says when the tau posterior is essentially its prior. A
frequentist interval that degenerates (an odds-ratio bound of 0.00 or 7651) is "not estimable", with the
reason, rather than a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..models.priors import PriorError, parse_tau_prior
from .scale import is_ratio

DEGENERATE_RATIO = 1000.0  # an interval bound more than this many times away from the estimate
PRIOR_WIDTH_SHARE = (
    0.75  # tau's 95 % CrI at least this share of the prior's 95 % interval: "essentially prior"
)
COMMON_EFFECT = "common effect"


def _finite(*xs) -> bool:
    try:
        return all(math.isfinite(float(x)) for x in xs)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Headline:
    """The result an analysis leads with (on the model scale: log OR for ratio measures)."""

    kind: str  # "single" (the trial's own result) | "pooled" (posterior of the random-effects mean)
    estimate: float
    ci_low: float
    ci_high: float

    @property
    def interval_name(self) -> str:
        return "95\u00a0% CI" if self.kind == "single" else "95\u00a0% CrI"

    @property
    def label(self) -> str:
        return "single trial, not pooled" if self.kind == "single" else "pooled (random effects)"


def headline_result(k: int, nums: dict, studies: pd.DataFrame) -> Headline | None:
    """The trial's own estimate and CI when k = 1 (from the engine's studies table), else the pooled
    posterior; None when there is no finite number to show."""
    if k == 1 and len(studies) == 1:
        s = studies.iloc[0]
        if _finite(s["estimate"], s["ci_low"], s["ci_high"]):
            return Headline("single", float(s["estimate"]), float(s["ci_low"]), float(s["ci_high"]))
    if _finite(nums.get("estimate")):
        return Headline("pooled", float(nums["estimate"]), float(nums["ci_low"]), float(nums["ci_high"]))
    return None


def degenerate_reason(measure: str, est, low, high, k: int | None = None) -> str | None:
    """Why an interval cannot be shown as numbers, or None when it can.

    Non-finite bounds, and for ratio measures a bound that rounds to 0.00 or lies more than
    ``DEGENERATE_RATIO`` times away from the estimate (the HKSJ interval with two trials and one degree of
    freedom does this)."""
    if not _finite(est, low, high):
        return "not estimable: the interval is not finite"
    if not is_ratio(measure):
        return None
    e, lo, hi = (math.exp(float(v)) if float(v) < 700 else math.inf for v in (est, low, high))
    few = f" with {k} trials" if k else ""
    if lo < 0.005 or not math.isfinite(hi) or hi / e > DEGENERATE_RATIO or e / lo > DEGENERATE_RATIO:
        return (
            f"not estimable{few}: the interval spans more than a {DEGENERATE_RATIO:g}-fold range "
            "(too few trials to estimate the between-trial variance with a frequentist method)"
        )
    return None


def common_effect_row(sensitivity: pd.DataFrame) -> pd.Series | None:
    """The engine's common-effect (tau = 0) result for the analysis, when it computed one."""
    if not len(sensitivity) or "scenario" not in sensitivity:
        return None
    rows = sensitivity[sensitivity["scenario"].fillna("").str.strip().str.lower() == COMMON_EFFECT]
    rows = rows[pd.to_numeric(rows["estimate"], errors="coerce").notna()]
    return rows.iloc[0] if len(rows) else None


def tau_is_mostly_prior(tau_prior: str | None, measure: str, tau_low, tau_high) -> bool:
    """True when tau's 95 % posterior interval is nearly as wide as the prior's own 95 % interval: the
    data then say little about heterogeneity and the prior decides it."""
    if not tau_prior or not _finite(tau_low, tau_high):
        return False
    try:
        prior = parse_tau_prior(str(tau_prior), measure="GENERIC")
    except PriorError:
        return False
    p_low, p_high = (float(v) for v in prior.ppf([0.025, 0.975]))
    if not (math.isfinite(p_high) and p_high > p_low):
        return False
    return (float(tau_high) - float(tau_low)) >= PRIOR_WIDTH_SHARE * (p_high - p_low)


def sensitivity_label(scenario: str, method: str) -> str:
    """'Primary prior (exact)' only when the integration was exact on the data's own likelihood; binary
    analyses integrate a normal approximation to the log odds ratios and say so."""
    label = str(scenario).strip()
    label = label[:1].upper() + label[1:]
    method = str(method or "").lower()
    if "normal approximation" in method:
        return f"{label} (normal approximation)"
    if "exact" in method:
        return f"{label} (exact)"
    return label
