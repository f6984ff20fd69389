"""One posted registry cell → what it is (statistic, outcome, scale, site, timepoint) or why it cannot be used.

Nothing is guessed: an unknown scale, several timepoints in one time frame, a "NA" value, a geometric mean,
a value outside its scale's range, a censored dispersion ("<0.001")... each gives a reason, and the cell goes
to the unmapped list with it. Outcomes and scales are looked up in the :class:`.vocabulary.Vocabulary`
built from the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from neuromod_evidence.living.ctgov.results import (
    MISSING,
    Measurement,
    dispersion_kind,
    parse_number,
    resolve_timepoint,
)

from .vocabulary import EQ5D_INDEX, ODI, Vocabulary

PCT_UNIT = re.compile(r"percent|%|proportion", re.I)
PARTICIPANT_UNIT = re.compile(r"participant|patient|subject|people|person|individual", re.I)
CENTRAL = ("mean", "ls_mean", "median")


@dataclass
class Interpretation:
    statistic: str = ""  # mean, median, count, percent, number, ...
    outcome: str = ""
    scale: str = ""
    site: str = ""
    value_type: str = ""
    timepoint_months: float | None = None
    derived_events: int | None = None
    sign: int = 1  # -1: the posted values (and interval) are negated on entry (percent change → relief)
    reason: str = ""  # empty = usable
    notes: list[str] = field(default_factory=list)
    status: str = "verified"


def site_of(text: str) -> str:
    t = text.lower()
    leg = bool(re.search(r"\blegs?\b", t))
    back = bool(re.search(r"\bback\b|lumbar|low[- ]back", t))
    if re.search(r"lower (limb|extremit)|\bfeet\b|\bfoot\b", t):
        return "lower_limb"
    if leg and not back:
        return "leg"
    if back and not leg:
        return "back"
    if re.search(r"\blimbs?\b|extremit|\barm\b|\bhand\b|affected", t):
        return "limb"
    return "overall"  # no site named, or a combined back-and-leg score


def pain_scale(m: Measurement, vocab: Vocabulary, family: str) -> tuple[str, str]:
    """(scale id, reason): the configured pain scale a cell is on, from its unit and descriptions."""
    text = " ".join((m.outcome_title, m.description, m.unit, m.class_title)).lower()
    unit = m.unit.lower()
    visual, numeric = "visual analogue scale", "numeric rating scale"
    if re.search(r"\bmm\b|millimet", unit) or re.search(r"\b100\s*mm\b|0\s*(-|–|to)\s*100\b", text):
        if re.search(r"\bnrs\b|numeric", text) and not re.search(r"\bvas\b|visual", text):
            return _pain(vocab, family, 100, numeric)
        return _pain(vocab, family, 100, visual)
    if re.search(r"\bcm\b|centimet", unit) or re.search(r"0\s*(-|–|to)\s*10\s*cm", text):
        return _pain(vocab, family, 10, visual)
    ten = re.search(r"0\s*(-|–|to)\s*10(?![\d.])", text)
    if re.search(r"\bvas\b|visual analog", text):
        return _pain(vocab, family, 10, visual) if ten else ("", f"VAS range not stated (unit {m.unit!r})")
    if re.search(r"\bnrs\b|numeric(al)? (pain )?rating", text) or ten:
        return _pain(vocab, family, 10, numeric)
    return "", f"pain scale not stated (unit {m.unit!r})"


def _pain(vocab: Vocabulary, family: str, high: float, instrument: str) -> tuple[str, str]:
    scale = vocab.scale(family, high, instrument)
    return (scale, "") if scale else ("", f"{instrument} reported on 0–{high:g}: not a configured scale")


def statistic_of(m: Measurement) -> tuple[str, str]:
    p = m.param_type.upper().replace(" ", "_").replace("-", "_")
    if p in ("MEAN", "ARITHMETIC_MEAN"):
        return "mean", ""
    if p == "LEAST_SQUARES_MEAN":
        return "ls_mean", ""
    if p == "MEDIAN":
        return "median", ""
    if p == "COUNT_OF_PARTICIPANTS":
        return "count", ""
    if p == "COUNT_OF_UNITS":
        return "", f"counts {m.denominator_units or 'units'}, not participants"
    if p == "NUMBER":
        if PCT_UNIT.search(m.unit) and (PARTICIPANT_UNIT.search(m.unit) or "percentage" in m.unit.lower()):
            return "percent", ""
        if PARTICIPANT_UNIT.search(m.unit) and not PCT_UNIT.search(m.unit):
            return "count", ""
        return "number", ""
    if "GEOMETRIC" in p or p == "LOG_MEAN":
        return "", f"{m.param_type} cannot be used as an arithmetic mean"
    return "", f"statistic {m.param_type or '(none)'} not understood"


def interpret(m: Measurement, vocab: Vocabulary) -> Interpretation:
    """Decide what a cell is and whether it can be used."""
    it = Interpretation()
    if m.problem:
        it.reason = m.problem
        return it
    it.statistic, why = statistic_of(m)
    it.timepoint_months, tp_why = resolve_timepoint(m)
    value, value_why = parse_number(m.value)
    denominator, _ = parse_number(m.denominator)
    if it.statistic == "percent" and value is not None and denominator is not None:
        it.derived_events = int(round(value * denominator / 100.0))
    outcome, outcome_why = vocab.classify(" ".join((m.outcome_title, m.class_title, m.category_title)))
    it.outcome = outcome
    kind = vocab.kind(outcome) if outcome else ""
    reasons = [r for r in (why, value_why) if r]
    if outcome_why:
        reasons.append(outcome_why)
    elif not why:
        if kind == "binary" and it.statistic not in ("count", "percent"):
            reasons.append(
                f"{outcome} needs participant counts or percentages, got {it.statistic or m.param_type}"
            )
        if kind == "continuous" and it.statistic not in CENTRAL:
            reasons.append(f"{outcome} needs a mean or median, got {it.statistic or m.param_type}")
    if outcome and tp_why:
        reasons.append(tp_why)
    if outcome and not reasons:
        if kind == "binary":
            reasons += _binary(m, it, vocab, value, denominator)
        else:
            reasons += _continuous(m, it, vocab, value)
    it.reason = "; ".join(reasons)
    return it


def _binary(m: Measurement, it: Interpretation, vocab: Vocabulary, value, denominator) -> list[str]:
    it.scale = vocab.scale(vocab.family(it.outcome)) or ""
    if re.search(r"\bpain\b", m.outcome_title, re.I):  # a responder of leg pain is analysed by its site
        it.site = site_of(" ".join((m.outcome_title, m.class_title, m.category_title)))
    if denominator is None:
        return ["no denominator of participants for this group"]
    if m.denominator_units and not PARTICIPANT_UNIT.search(m.denominator_units):
        return [f"denominator counts {m.denominator_units}, not participants"]
    if it.statistic == "count" and value is not None and value > denominator:
        return [f"count {value:g} exceeds its denominator {denominator:g}"]
    if it.statistic == "percent" and value is not None and not 0 <= value <= 100:
        return [f"percentage {value:g} outside 0–100"]
    return []


def _continuous(m: Measurement, it: Interpretation, vocab: Vocabulary, value) -> list[str]:
    reasons = []
    family = vocab.family(it.outcome)
    text = " ".join((m.outcome_title, m.class_title))
    it.value_type = "change" if re.search(r"change|reduction|improvement|decrease", text, re.I) else "final"
    relief = vocab.relief_outcome()
    if it.outcome == relief or (relief and vocab.is_pain(it.outcome) and PCT_UNIT.search(m.unit)):
        reasons += _pain_relief(m, it, vocab)
    elif vocab.is_pain(it.outcome):
        it.scale, scale_why = pain_scale(m, vocab, family)
        it.site = site_of(" ".join((m.outcome_title, m.class_title, m.category_title)))
        if scale_why:
            reasons.append(scale_why)
        elif PCT_UNIT.search(m.unit):
            reasons.append(f"pain reported as a percentage ({m.unit!r}), not on a scale")
    elif vocab.is_concept(it.outcome, ODI):
        if re.search(r"0\s*(-|–|to)\s*50\b", " ".join((m.description, m.unit))):
            reasons.append("ODI reported on 0–50 (points), not 0–100 %")
        else:
            it.scale = vocab.scale(family, 100) or ""
    elif vocab.is_concept(it.outcome, EQ5D_INDEX):
        it.scale = vocab.scale(family) or ""
    else:
        it.scale = vocab.scale(family) or ""
    if it.scale and not reasons:
        reasons += out_of_range(m, it, vocab, value)
    reasons += censored_dispersion(m, it)
    if it.statistic == "ls_mean":
        it.status = "uncertain"
        it.notes.append("least-squares (model-adjusted) mean as posted")
    return reasons


def _pain_relief(m: Measurement, it: Interpretation, vocab: Vocabulary) -> list[str]:
    """A mean percentage of the baseline pain score, entered as relief (positive = less pain): its outcome,
    site, sign and scale, or why not (range and dispersion are checked by the caller, as for every outcome).

    The direction is read from the title and unit only: "reduction", "improvement", "relief" or "decrease"
    are relief as posted; a bare "change" is negated (a change of −40 % is 40 % relief). A title that says
    both, or neither, is not guessed."""
    it.outcome = vocab.relief_outcome() or it.outcome
    it.value_type = "change"
    it.site = site_of(" ".join((m.outcome_title, m.class_title, m.category_title)))
    said = " ".join((m.outcome_title, m.class_title, m.unit))  # a percentage, by the title or the unit
    improvement = re.search(r"reduction|improvement|relief|decrease", said, re.I)
    change = re.search(r"change", said, re.I)
    if bool(improvement) == bool(change):
        return ["percentage of pain whose direction (change or reduction) is not stated unambiguously"]
    if change:
        it.sign = -1
        it.notes.append(
            "posted as percent change of pain (negative = less pain); entered as relief = −change"
        )
    it.scale = vocab.scale(vocab.family(it.outcome)) or ""
    return [] if it.scale else [f"no configured scale for {it.outcome}"]


def out_of_range(m: Measurement, it: Interpretation, vocab: Vocabulary, value: float | None) -> list[str]:
    """A value its scale cannot hold (an EQ-5D index mean of 3.5) is a data error, not a result."""
    scale = vocab.scales[it.scale]
    width = scale.high - scale.low
    lo, hi = (-width, width) if it.value_type == "change" else (scale.low, scale.high)
    out = []
    if value is not None and not lo <= value <= hi:
        out.append(f"{it.statistic} {value:g} outside the range of {it.scale} ({lo:g} to {hi:g})")
    kind, _ = dispersion_kind(m.dispersion_type)
    spread, _ = parse_number(m.spread)
    if kind in ("sd", "se") and spread is not None and not 0 <= spread <= width:
        out.append(f"{kind} {spread:g} impossible on {it.scale} (0 to {width:g})")
    return out


def censored_dispersion(m: Measurement, it: Interpretation) -> list[str]:
    """A dispersion posted as "<0.001" (or as text) is not a number: dropping it silently would hide it."""
    kind, _ = dispersion_kind(m.dispersion_type)
    if not kind or it.statistic not in CENTRAL:
        return []
    out = []
    for label, text in (("dispersion", m.spread), ("lower limit", m.lower), ("upper limit", m.upper)):
        if text.strip().lower() in MISSING:
            continue
        number, problem = parse_number(text)
        if number is None:
            out.append(f"{label} {problem.removeprefix('value ')}")
    return out
