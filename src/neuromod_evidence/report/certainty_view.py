"""The GRADE certainty suggestion of one analysis, from the tables the report reads (:mod:`..grade`).

Risk of bias comes from the curated RoB 2 table (``rob.csv``) weighted by the engine's study weights;
inconsistency from I² (the frequentist tau² and the trials' standard errors) and the prediction interval;
imprecision from the interval the analysis leads with (a single trial's own CI) against the null, the MCID
and the optimal information size; indirectness from flags in the contrasts (pain sites pooled together);
publication bias is not assessable below 10 trials. Reviewer overrides replace a domain and are shown.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..grade import apply_overrides, assess, statement
from ..grade.domains import (
    i_squared,
    imprecision,
    inconsistency,
    indirectness,
    optimal_information_size,
    publication_bias,
    risk_of_bias,
)
from ..settings import Z_95
from .headline import Headline
from .scale import is_ratio, mcid_display

NOT_RATED = {
    "certainty": "not rated",
    "css": "not-rated",
    "reasons": [],
    "statement": "",
    "overridden": False,
}


def benefit_threshold(measure: str, direction: str, mcid) -> float:
    """The MCID on the analysis scale, signed on the side of benefit (NaN when there is none)."""
    try:
        shown = mcid_display(measure, direction, float(mcid))
    except (TypeError, ValueError):
        shown = None
    if shown is None:
        return math.nan
    return math.log(shown) if is_ratio(measure) else shown


def indirectness_flags(contrasts: pd.DataFrame) -> list[str]:
    sites = sorted(
        {str(s) for s in contrasts.get("site", pd.Series(dtype=object)).dropna() if str(s).strip()}
    )
    return [f"outcomes at different pain sites pooled ({', '.join(sites)})"] if len(sites) > 1 else []


def _weights(studies: pd.DataFrame) -> dict[str, float]:
    w = pd.to_numeric(studies.get("weight", pd.Series(np.nan, index=studies.index)), errors="coerce")
    if not len(studies):
        return {}
    if w.notna().all() and w.sum() > 0:
        return dict(zip(studies["trial_id"], w.astype(float), strict=False))
    return {t: 1.0 / len(studies) for t in studies["trial_id"]}


def certainty_context(a: dict, row: pd.Series, nums: dict, head: Headline | None, studies: pd.DataFrame,
                      contrasts: pd.DataFrame, rob: pd.DataFrame, overrides: pd.DataFrame, noun: str) -> dict:  # fmt: skip
    """certainty, its reasons (footnotes), GRADE's statement and whether a reviewer overrode a domain."""
    if head is None:
        return dict(NOT_RATED)
    measure, k = a["measure"], a["k"]
    benefit = benefit_threshold(measure, a["direction"], a["mcid"])
    se = (
        ((studies["ci_high"] - studies["ci_low"]) / (2 * Z_95)).astype(float).tolist() if len(studies) else []
    )
    ratio = is_ratio(measure)
    baseline = float(row["baseline_risk"]) if ratio and pd.notna(row.get("baseline_risk")) else None
    ois = optimal_information_size(baseline, favourable_event=a["direction"] != "lower_is_better")
    judgements = [
        risk_of_bias(rob, _weights(studies), a["outcome"]),
        inconsistency(
            k,
            i_squared(float(nums.get("freq_tau2", math.nan)), se),
            nums["pred_low"],
            nums["pred_high"],
            benefit,
        ),  # fmt: skip
        imprecision(head.ci_low, head.ci_high, benefit, a["n"], ois),
        indirectness(indirectness_flags(contrasts)),
        publication_bias(k),
    ]
    result = assess(apply_overrides(judgements, overrides, a["id"]))
    return {
        "certainty": result.certainty,
        "css": result.certainty.replace(" ", "-"),
        "reasons": result.reasons(),
        "statement": statement(
            result.certainty, a["intervention"], noun, head.estimate, head.ci_low, head.ci_high, benefit
        ),  # fmt: skip
        "overridden": result.overridden,
    }
