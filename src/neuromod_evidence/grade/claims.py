"""Verdicts on claims (issue 11, item 6), computed from the analyses, never typed in.

Each claim names the indication x outcome pairs that bear on it ("targets"). A result bears on a target when
its indication, outcome (and comparison, when the claim names one) match. One result *supports* the claim
when its interval excludes no effect on the side of benefit, its certainty is above very low, and it reaches
the size claimed: the MCID for "substantially", the claimed relative reduction (within the interval) for a
stated percentage. A benefit smaller than claimed is *smaller than claimed*. The verdict:

- no result for any target: "no randomized evidence in the data";
- every target has a supporting result and none fails: "supported";
- at least one supporting or smaller-than-claimed result: "partly supported";
- otherwise: "not supported".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

VERDICTS = ("supported", "partly supported", "not supported", "no randomized evidence in the data")


@dataclass(frozen=True)
class ClaimResult:
    """One analysis as the claims check sees it: effect on the analysis scale, ``benefit`` the signed MCID
    on the side of benefit; ``reduction`` the relative reduction with its interval (binary outcomes)."""

    indication: str
    outcome: str
    comparison: str
    title: str
    estimate: float
    low: float
    high: float
    benefit: float
    certainty: str
    reduction: tuple[float, float, float] | None = None  # estimate, low, high (0.4 = 40 % fewer)


def bears_on(result: ClaimResult, targets) -> bool:
    return any(
        (ind is None or ind == result.indication) and out == result.outcome
        and (comp is None or comp == result.comparison)
        for ind, out, comp in targets
    )  # fmt: skip


def result_status(r: ClaimResult, size: str = "any", relative_reduction: float | None = None) -> str:
    """'supports', 'smaller than claimed', 'very uncertain' or 'no benefit shown'."""
    sign = -1.0 if (math.isfinite(r.benefit) and r.benefit < 0) else 1.0
    lo, hi = sorted((sign * r.low, sign * r.high))  # benefit-positive scale
    est = sign * r.estimate
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0:
        return "no benefit shown"
    if r.certainty == "very low":
        return "very uncertain"
    if relative_reduction is not None and r.reduction is not None:
        _, r_lo, r_hi = r.reduction
        return "supports" if min(r_lo, r_hi) <= relative_reduction <= max(r_lo, r_hi) or \
            min(r_lo, r_hi) > relative_reduction else "smaller than claimed"  # fmt: skip
    if size == "important" and math.isfinite(r.benefit) and est < abs(r.benefit):
        return "smaller than claimed"
    return "supports"


def verdict(targets, results: list[ClaimResult], size: str = "any", relative_reduction: float | None = None):
    """(verdict, [(result, status)]) for one claim."""
    relevant = [r for r in results if bears_on(r, targets)]
    if not relevant:
        return VERDICTS[3], []
    statuses = [(r, result_status(r, size, relative_reduction)) for r in relevant]
    covered = all(any(bears_on(r, [t]) and s == "supports" for r, s in statuses) for t in targets)
    if covered and all(s == "supports" for _, s in statuses):
        return VERDICTS[0], statuses
    if any(s in ("supports", "smaller than claimed") for _, s in statuses):
        return VERDICTS[1], statuses
    return VERDICTS[2], statuses
