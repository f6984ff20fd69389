"""GRADE's standard plain-language statements (Santesso et al. 2020, J Clin Epidemiol 119:126-135).

Certainty sets the modal word (high: none; moderate: "probably"; low: "may", with the bare verb; very low: "the evidence is very
uncertain"), the size of the effect the verb: an effect at least as large as the MCID "reduces"/"increases",
a smaller one that excludes no effect "slightly reduces", and otherwise "results in little to no difference".
"""

from __future__ import annotations

import math

MODAL = {"high": "", "moderate": "probably ", "low": "may "}


def _size(estimate: float, low: float, high: float, mcid: float) -> str:
    """'important', 'small' or 'none' on the magnitude of the (signed) effect."""
    if not math.isfinite(estimate):
        return "none"
    if math.isfinite(mcid) and abs(estimate) >= abs(mcid):
        return "important"
    if min(low, high) > 0 or max(low, high) < 0:
        return "small"
    return "none"


def statement(certainty: str, intervention: str, outcome: str, estimate: float, low: float, high: float,
              mcid: float) -> str:  # fmt: skip
    """e.g. 'SCS probably reduces pain intensity.' (``estimate``/``mcid`` on the analysis scale, signed:
    negative reduces the outcome, positive increases it)."""
    if certainty == "very low":
        return f"The evidence is very uncertain about the effect of {intervention} on {outcome}."
    modal = MODAL[certainty]
    size = _size(estimate, low, high, mcid)
    if size == "none":
        verb = "result" if modal == "may " else "results"
        return f"{intervention} {modal}{verb} in little to no difference in {outcome}."
    if size == "important":
        verb = "reduces" if estimate < 0 else "increases"
        if modal == "may ":
            verb = verb[:-1]
        return f"{intervention} {modal}{verb} {outcome}."
    verb = "slightly reduces" if estimate < 0 else "slightly increases"
    if modal == "may ":
        verb = verb[:-1]
    return f"{intervention} {modal}{verb} {outcome}."
