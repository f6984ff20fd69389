"""The words and numbers of a forest plot, as text (no matplotlib): per-arm cells, the pain site or outcome
variant, weights, the heterogeneity line and the footnotes.

One module for the figure and for the data table beside it (the page's screen-reader table shows exactly the
cells the figure draws). Everything formats numbers the engine wrote; nothing is estimated here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .rob import ROB_DOMAINS, ROB_SYMBOL, ROB_WORDS
from .scale import format_interval, format_number, is_ratio, to_display

NO_ARM_DATA = "\u2014"  # em dash: the trial reported only a between-group contrast
BINARY_MEASURES = ("OR", "RR", "RD")


@dataclass(frozen=True)
class Pooled:
    """A pooled summary on the analysis scale (posterior median and 95 % CrI; optional prediction)."""

    estimate: float
    ci_low: float
    ci_high: float
    pred_low: float | None = None
    pred_high: float | None = None
    label: str = "Random effects (posterior)"


@dataclass(frozen=True)
class Heterogeneity:
    """The engine's heterogeneity numbers (``heterogeneity.csv``): tau² posterior median and 95 % CrI, the
    frequentist reference's tau² and method, Cochran's Q with df and p, and I² in percent."""

    tau2: float = math.nan
    tau2_low: float = math.nan
    tau2_high: float = math.nan
    freq_tau2: float = math.nan
    freq_method: str = ""
    q: float = math.nan
    q_df: int = 0
    q_p: float = math.nan
    i2: float = math.nan


def _finite(*values) -> bool:
    return all(v is not None and not pd.isna(v) and math.isfinite(float(v)) for v in values)


def _int(v) -> str:
    return f"{int(round(float(v)))}" if _finite(v) else ""


def _num(v, decimals: int) -> str:
    return format_number(float(v), decimals) if _finite(v) else ""


def is_binary(measure: str) -> bool:
    return str(measure).upper() in BINARY_MEASURES


def arm_header(measure: str) -> str:
    return "Events/Total" if is_binary(measure) else "Mean (SD) n"


def arm_cell(row, side: str, measure: str, decimals: int = 1) -> str:
    """`events/total` (binary) or `mean (SD) n` (continuous) of one arm (`side` "t" or "c"); an em dash when
    the trial reported only a contrast."""
    if is_binary(measure):
        if _finite(row.get(f"events_{side}"), row.get(f"n_{side}")):
            return f"{_int(row[f'events_{side}'])}/{_int(row[f'n_{side}'])}"
        return NO_ARM_DATA
    if _finite(row.get(f"mean_{side}"), row.get(f"sd_{side}")):
        n = _int(row.get(f"n_{side}"))
        return f"{_num(row[f'mean_{side}'], decimals)} ({_num(row[f'sd_{side}'], decimals)}) {n}".rstrip()
    return NO_ARM_DATA


def arm_total(studies: pd.DataFrame, side: str, measure: str) -> str:
    """The pooled row's arm cell: total events/total (binary) or total n (continuous), when every trial
    has them (RevMan's 'Total'); empty otherwise."""
    cols = [f"events_{side}", f"n_{side}"] if is_binary(measure) else [f"n_{side}"]
    if not all(c in studies for c in cols):
        return ""
    vals = studies[cols].apply(pd.to_numeric, errors="coerce")
    if vals.isna().any().any():
        return ""
    sums = [_int(vals[c].sum()) for c in cols]
    return "/".join(sums)


def variant_cell(row) -> str:
    """The pain site (leg, back, ...) and, for continuous outcomes, final value or change from baseline."""
    site = str(row.get("site") or "").replace("_", " ").strip()
    kind = {"change": "change", "final": "final"}.get(str(row.get("value_type") or "").strip(), "")
    return ", ".join(p for p in (site, kind) if p)


def weight_cell(value) -> str:
    return f"{float(value):.1f}%" if _finite(value) else ""


def effect_cell(row, measure: str, decimals: int) -> str:
    est, lo, hi = to_display([row["estimate"], row["ci_low"], row["ci_high"]], measure)
    return format_interval(est, lo, hi, decimals)


def pooled_cell(pooled: Pooled, measure: str, decimals: int) -> str:
    est, lo, hi = to_display([pooled.estimate, pooled.ci_low, pooled.ci_high], measure)
    return format_interval(est, lo, hi, decimals)


def prediction_cell(pooled: Pooled, measure: str, decimals: int) -> str:
    lo, hi = to_display([pooled.pred_low, pooled.pred_high], measure)
    return f"[{format_number(lo, decimals)}, {format_number(hi, decimals)}]"


def has_prediction(pooled: Pooled | None) -> bool:
    return pooled is not None and _finite(pooled.pred_low, pooled.pred_high)


def rob_cells(judgements) -> list[tuple[str, str, str]]:
    """(judgement, symbol, words) per RoB 2 domain from a tuple of judgements in ``ROB_DOMAINS`` order;
    empty when the trial was not assessed."""
    if not isinstance(judgements, (tuple, list)) or not judgements:
        return []
    out = []
    for (_, letter, words), j in zip(ROB_DOMAINS, judgements, strict=True):
        j = j if j in ROB_SYMBOL else "not_assessed"
        out.append((j, ROB_SYMBOL[j], f"{letter}: {words}, {ROB_WORDS[j]}"))
    return out


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def heterogeneity_lines(het: Heterogeneity | None, measure: str, k: int) -> list[str]:
    """RevMan's heterogeneity line, split in two: tau² (posterior median, 95 % CrI; the frequentist
    reference's estimate) and Q with df and p, I². Empty for one trial or when the engine wrote nothing."""
    if k < 2 or het is None or not _finite(het.tau2):
        return []
    scale = " (log OR scale)" if is_ratio(measure) else ""
    first = (
        f"Heterogeneity{scale}: \u03c4\u00b2 = {_sig(het.tau2)} (95% CrI {_sig(het.tau2_low)} to "
        f"{_sig(het.tau2_high)}), posterior median"
    )
    second = []
    if _finite(het.freq_tau2):
        method = het.freq_method.split("+")[0] or "frequentist"
        second.append(f"{method} \u03c4\u00b2 = {_sig(het.freq_tau2)}")
    if _finite(het.q, het.q_p):
        second.append(f"Q = {het.q:.2f}, df = {het.q_df} ({_p(het.q_p)})")
    if _finite(het.i2):
        second.append(f"I\u00b2 = {het.i2:.0f}%")
    return [first, "; ".join(second)] if second else [first]


def _sig(x: float) -> str:
    """tau² spans orders of magnitude (0.0004 to 12): two significant digits, at least two decimals."""
    if not _finite(x):
        return "\u2013"
    if x == 0:
        return "0"
    decimals = max(2, 1 - math.floor(math.log10(abs(x))))
    return f"{x:.{decimals}f}"


WEIGHT_NOTE = (
    "Weight: each trial's share of the random-effects inverse-variance weight 1/(SE\u00b2 + \u03c4\u00b2), "
    "\u03c4 at its posterior median."
)
CONTRAST_NOTE = f"{NO_ARM_DATA} The trial reported only a between-group estimate, no per-arm data."
ROB_NOTE = (
    "Risk of bias (RoB 2): R randomization, D deviations from intended interventions, M missing outcome "
    "data, O measurement of the outcome, S selection of the reported result; + low, ? some concerns, "
    "\u2212 high, n/a not assessable, \u00b7 not assessed."
)
