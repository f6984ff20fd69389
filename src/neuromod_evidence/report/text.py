"""Words and numbers of the report: formatting, plain-language sentences, certainty flags, prior names.

Everything here returns plain text; the templates escape it.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from .scale import format_number, is_ratio, to_display


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def measure_decimals(measure: str, mcid: float | None) -> int:
    """Decimals that suit the measure: 2 for ratios, enough for the MCID's magnitude otherwise."""
    if is_ratio(measure):
        return 2
    if mcid is None or not _finite(mcid) or mcid <= 0:
        return 2
    return max(1, 1 - math.floor(math.log10(mcid)))


def fmt_effect(measure: str, est: float, dec: int) -> str:
    if not _finite(est):
        return "\u2013"
    return format_number(float(to_display(est, measure)), dec)


def fmt_range(measure: str, low: float, high: float, dec: int) -> str:
    if not (_finite(low) and _finite(high)):
        return "\u2013"
    lo, hi = to_display([low, high], measure)
    return f"{format_number(lo, dec)} to {format_number(hi, dec)}"


def fmt_interval(measure: str, est: float, low: float, high: float, dec: int) -> str:
    """'−3.1 (−4.2 to −2.0)' on the display scale."""
    if not _finite(est):
        return "\u2013"
    return f"{fmt_effect(measure, est, dec)} ({fmt_range(measure, low, high, dec)})"


def fmt_prob(p: Any) -> str:
    if not _finite(p):
        return "\u2013"
    p = float(p)
    if p > 0.995:
        return "> 0.99"
    if p < 0.005:
        return "< 0.01"
    return f"{p:.2f}"


def split_comparison(label: str) -> tuple[str, str]:
    """'SCS vs conventional medical management' -> ('SCS', 'conventional medical management')."""
    parts = re.split(r"\s+(?:vs\.?|versus)\s+", str(label), maxsplit=1)
    if len(parts) == 2:
        return parts[0].strip(), parts[1].strip()
    return "intervention", "control"


def _noun(label: str) -> str:
    """'Pain intensity (0–10, lower is better)' -> 'pain intensity'."""
    text = re.sub(r"\s*\(.*?\)\s*", " ", str(label)).strip()
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _unit_phrase(unit: str) -> str:
    m = re.fullmatch(r"\s*points\s*\((.+)\)\s*", str(unit or ""))
    if m:
        return f"points on a {m.group(1)} scale"
    return str(unit or "").strip()


def plain_language(
    a: dict, nums: dict, unit: str, intervention: str, control: str, result=None, absolute=None
) -> str:
    """One sentence a patient or a commissioner can read, e.g.
    'In 3 trials with 410 patients, SCS reduced pain intensity by 3.1 points on a 0–10 scale compared with CMM
    (mean difference −3.1, 95 % CrI −4.2 to −2.0); probability of at least a 2-point benefit 0.93.'

    ``result`` (:class:`.headline.Headline`) is the number the analysis leads with: for a single trial its own
    estimate and 95 % CI. The interval is always printed in the order of the table (signed, low to high)."""
    k, n, measure = a["k"], a["n"], a["measure"]
    est, lo, hi = nums["estimate"], nums["ci_low"], nums["ci_high"]
    interval = "95\u00a0% CrI"
    if result is not None:
        est, lo, hi, interval = result.estimate, result.ci_low, result.ci_high, result.interval_name
    if not _finite(est):
        return ""
    dec = measure_decimals(measure, a["mcid"])
    who = (f"In {k} trial{'s' if k != 1 else ''}" if k != 1 else "In a single trial") + (
        f" with {n:,} patients" if n else ""
    )
    mcid = a["mcid"]
    lower_better = a["direction"] == "lower_is_better"
    if is_ratio(measure):
        noun = _noun(a["outcome_label"])
        or_est, or_lo, or_hi = to_display([est, lo, hi], measure)
        more = "more" if or_est > 1 else "less"
        sentence = (
            f"{who}, {noun} were {more} common with {intervention} than with {control} "
            f"(odds ratio {format_number(or_est, dec)}, {interval} {format_number(or_lo, dec)} to "
            f"{format_number(or_hi, dec)})"
        )
        if absolute is not None:
            sentence += f": {absolute.text(intervention, control)}"
        if _finite(mcid):
            target = f"{1 / mcid:.2f}" if lower_better else f"{mcid:g}"
            comp = "at most" if lower_better else "at least"
            sentence += (
                f"; probability of a clinically important benefit (odds ratio {comp} {target}) "
                f"{fmt_prob(nums['p_mcid'])}"
            )
    else:
        noun = _noun(a["outcome_label"])
        unit = _unit_phrase(unit)
        verb = "reduced" if est < 0 else "increased"
        sentence = (
            f"{who}, {intervention} {verb} {noun} by {format_number(abs(est), dec)} {unit} compared with "
            f"{control} (mean difference {format_number(est, dec)}, {interval} {format_number(lo, dec)} to "
            f"{format_number(hi, dec)})"
        ).replace("  ", " ")
        if _finite(mcid):
            mcid_unit = "point" if "point" in unit else (unit or "unit")
            sentence += f"; probability of at least a {mcid:g}-{mcid_unit} benefit {fmt_prob(nums['p_mcid'])}"
    sentence += "."
    if _finite(lo) and _finite(hi):
        null = 0.0
        if lo < null < hi:
            kind = "confidence" if interval.endswith("CI") else "credible"
            sentence += f" The {kind} interval includes no difference."
    if k == 1:
        sentence += (
            " This rests on a single trial; there is no pooling: the interval is the trial's own, and the"
            " posterior for a new setting is shown below as secondary information."
        )
    elif k == 2:
        sentence += " This rests on two trials, so heterogeneity is barely estimable."
    return sentence


def _any(frame: pd.DataFrame, col: str) -> bool:
    return col in frame and frame[col].astype(str).str.strip().str.lower().isin({"true", "1"}).any()


def analysis_flags(row: pd.Series, contrasts: pd.DataFrame, trials: pd.DataFrame, k: int, converged: bool):
    """Certainty flags: (text, level) with level 'warn' or 'info'."""
    flags: list[tuple[str, str]] = []
    if not converged:
        flags.append(("not converged", "warn"))
    if k == 1:
        flags.append(("single trial", "warn"))
    elif k == 2:
        flags.append(("two trials", "info"))
    pl, ph = row.get("pred_low"), row.get("pred_high")
    if converged and _finite(pl) and _finite(ph):
        null = 0.0
        if float(pl) < null < float(ph):
            flags.append(("prediction interval includes no effect", "info"))
    if str(row.get("exact_agrees", "")).strip().lower() == "false":
        flags.append(("MCMC and exact results disagree", "warn"))
    if _any(contrasts, "sd_imputed") or _any(contrasts, "sd_from_median"):
        flags.append(("imputed or converted SDs", "info"))
    if _any(contrasts, "events_derived"):
        flags.append(("derived event counts", "info"))
    if _any(contrasts, "uncertain"):
        flags.append(("uncertain values", "warn"))
    if _any(contrasts, "not_randomized_comparison"):
        flags.append(("non-randomized comparison", "warn"))
    if _any(contrasts, "crossover"):
        flags.append(("crossover data", "info"))
    if "trial_id" in contrasts and "trial_id" in trials and len(contrasts):
        t = trials[trials["trial_id"].isin(contrasts["trial_id"])]
        if len(t) and "blinding" in t and (t["blinding"] == "open").all():
            flags.append(("no blinding", "info"))
        if len(t) and "sponsor" in t and (t["sponsor"] == "industry").all():
            flags.append(("industry funded", "info"))
    return flags


_PRIOR_NAMES = {
    "half-normal": "half-normal with scale {0}",
    "half-cauchy": "half-Cauchy with scale {0}",
    "turner": "empirical log-normal prior of Turner et al. (2015), {0} outcomes",
    "rhodes": "empirical prior of Rhodes et al. (2015), {0}",
    "normal": "normal with mean {0} and SD {1}",
}


def describe_prior(spec: Any) -> str:
    """'half-normal:2.0' -> 'half-normal with scale 2.0 (half-normal:2.0)'."""
    spec = "" if spec is None or (isinstance(spec, float) and np.isnan(spec)) else str(spec).strip()
    if not spec:
        return "not recorded"
    name, _, args = spec.partition(":")
    template = _PRIOR_NAMES.get(name.strip().lower())
    if template is None:
        return spec
    parts = [p.strip().replace("_", " ") for p in args.split(",")] + ["", ""]
    return f"{template.format(*parts)} ({spec})"
