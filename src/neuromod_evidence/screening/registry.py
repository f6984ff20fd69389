"""Posted registry results (`resultsSection.outcomeMeasuresModule`) → arm-level outcome rows.

Two steps, kept apart:
1. `read_measurements(study)` flattens every outcome measure into one `Measurement` per
   outcome × class × category × group, keeping the raw strings (numbers are strings in the API, values can be
   "NA", limits can be absent) and never failing on an odd but valid record.
2. `interpret(m, vocabulary)` decides what the cell is (statistic, timepoint, scale, site, value type) and
   which outcome id of the config it maps to — or why it cannot be used. Nothing is guessed: an unknown
   scale, several timepoints in one time frame, a "NA" value, a geometric mean... each gives a reason.

`outcome_rows` turns the usable cells into rows in the format of `outcomes.csv` (docs/data-model.md), with
source = NCT id and location = "registry: <outcome title>"; `unmapped_rows` lists the others with reasons.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

OUTCOME_COLUMNS = [
    "row_id", "trial_id", "arm_id", "outcome", "outcome_reported", "site", "scale", "timepoint_months",
    "value_type", "period", "n", "events", "total", "percent", "mean", "sd", "se", "ci_low", "ci_high",
    "ci_level", "median", "q1", "q3", "min", "max", "source", "location", "quote", "status", "notes",
]  # fmt: skip
# columns added at the end (pipeline-tables.md: stages may add columns, never rename or drop)
EXTRA_COLUMNS = [
    "nct_id", "registry_group_id", "registry_group_title", "registry_outcome_type", "param_type",
    "dispersion_type", "unit", "time_frame", "class_title", "category_title",
]  # fmt: skip
UNMAPPED_COLUMNS = [
    "nct_id", "trial_id", "outcome_title", "outcome_type", "time_frame", "class_title", "category_title",
    "group_id", "group_title", "param_type", "unit", "value", "maps_to", "reason",
]  # fmt: skip
COMMAND_COLUMNS = [
    "nct_id", "outcome_title", "outcome_type", "time_frame", "timepoint_months", "class_title",
    "category_title", "group_id", "group_title", "statistic", "value", "dispersion_type", "dispersion",
    "lower_limit", "upper_limit", "unit", "denominator", "derived_events", "maps_to", "scale", "site",
    "value_type", "reason",
]  # fmt: skip

MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "--", "ne", "not estimable", "not applicable"}


# --------------------------------------------------------------------------------------------------
# step 1: flatten
# --------------------------------------------------------------------------------------------------
@dataclass
class Measurement:
    nct_id: str
    outcome_index: int
    outcome_type: str
    outcome_title: str
    description: str
    time_frame: str
    param_type: str
    dispersion_type: str
    unit: str
    class_title: str = ""
    category_title: str = ""
    group_id: str = ""
    group_title: str = ""
    group_description: str = ""
    value: str = ""
    spread: str = ""
    lower: str = ""
    upper: str = ""
    comment: str = ""
    denominator: str = ""
    denominator_units: str = ""
    problem: str = ""  # set when the record itself has no usable cell (no classes, not posted...)


def _s(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _map(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _denoms(denoms: Any) -> tuple[dict[str, str], str]:
    """groupId -> count of the first denominator block that counts participants (else the first block)."""
    blocks = [d for d in _list(denoms) if isinstance(d, Mapping)]
    if not blocks:
        return {}, ""
    chosen = next((d for d in blocks if "participant" in _s(d.get("units")).lower()), blocks[0])
    counts = {
        _s(c.get("groupId")): _s(c.get("value"))
        for c in _list(chosen.get("counts"))
        if isinstance(c, Mapping)
    }
    return counts, _s(chosen.get("units"))


def read_measurements(study: Mapping[str, Any]) -> list[Measurement]:
    """Every posted cell of every outcome measure; outcomes without cells give one row with `problem`."""
    nct = _s(_map(_map(study.get("protocolSection")).get("identificationModule")).get("nctId"))
    module = _map(_map(study.get("resultsSection")).get("outcomeMeasuresModule"))
    out: list[Measurement] = []
    for idx, om in enumerate(_list(module.get("outcomeMeasures"))):
        if not isinstance(om, Mapping):
            continue
        base = dict(
            nct_id=nct,
            outcome_index=idx,
            outcome_type=_s(om.get("type")),
            outcome_title=_s(om.get("title")),
            description=_s(om.get("description")),
            time_frame=_s(om.get("timeFrame")),
            param_type=_s(om.get("paramType")),
            dispersion_type=_s(om.get("dispersionType")),
            unit=_s(om.get("unitOfMeasure")),
        )
        groups = {
            _s(g.get("id")): (_s(g.get("title")), _s(g.get("description")))
            for g in _list(om.get("groups"))
            if isinstance(g, Mapping)
        }
        outcome_denoms, outcome_units = _denoms(om.get("denoms"))
        classes = [c for c in _list(om.get("classes")) if isinstance(c, Mapping)]
        cells = 0
        for cls in classes:
            class_denoms, class_units = _denoms(cls.get("denoms"))
            for cat in _list(cls.get("categories")):
                if not isinstance(cat, Mapping):
                    continue
                for m in _list(cat.get("measurements")):
                    if not isinstance(m, Mapping):
                        continue
                    gid = _s(m.get("groupId"))
                    title, desc = groups.get(gid, ("", ""))
                    denoms, units = (
                        (class_denoms, class_units) if class_denoms else (outcome_denoms, outcome_units)
                    )
                    out.append(
                        Measurement(
                            **base,
                            class_title=_s(cls.get("title")),
                            category_title=_s(cat.get("title")),
                            group_id=gid,
                            group_title=title,
                            group_description=desc,
                            value=_s(m.get("value")),
                            spread=_s(m.get("spread")),
                            lower=_s(m.get("lowerLimit")),
                            upper=_s(m.get("upperLimit")),
                            comment=_s(m.get("comment")),
                            denominator=denoms.get(gid, ""),
                            denominator_units=units,
                        )
                    )
                    cells += 1
        if not cells:
            status = _s(om.get("reportingStatus"))
            why = "no measurements posted for this outcome"
            if status and status.upper() != "POSTED":
                why += f" (reportingStatus {status})"
            out.append(Measurement(**base, problem=why))
    return out


# --------------------------------------------------------------------------------------------------
# step 2: interpret
# --------------------------------------------------------------------------------------------------
def parse_number(text: str) -> tuple[float | None, str]:
    """(value, problem). "NA" and friends → (None, 'not available'); "<0.001" → (None, 'censored ...')."""
    t = _s(text)
    if t.lower() in MISSING:
        return None, "value not available" + (f" ({t!r})" if t else "")
    if t[:1] in "<>≤≥":
        return None, f"value is censored ({t!r})"
    t2 = t.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", t) else t
    try:
        value = float(t2)
    except ValueError:
        return None, f"value is not a number ({t!r})"
    if not math.isfinite(value):
        return None, f"value is not finite ({t!r})"
    return value, ""


def dispersion_kind(text: str) -> tuple[str, float | None]:
    """Free-text or enum dispersionType → ('sd'|'se'|'ci'|'iqr'|'range'|'gcv'|''|'other', CI level)."""
    t = _s(text).lower().replace("_", " ").replace("-", " ")
    if not t or t in ("na", "not applicable"):
        return "", None
    if "deviation" in t:
        return "sd", None
    if "error" in t:
        return "se", None
    if "confidence" in t:
        m = re.search(r"(\d+(?:\.\d+)?)\s*%?", t)
        level = float(m.group(1)) if m else None
        if level is not None and level > 100:  # enum CONFIDENCE_975 → 97.5
            level = level / 10
        return "ci", (level / 100 if level else None)
    if "inter" in t and "quartile" in t:
        return "iqr", None
    if "range" in t:
        return "range", None
    if "geometric" in t or "coefficient" in t:
        return "gcv", None
    return "other", None


_UNIT_MONTHS = {"day": 1 / 30.4375, "week": 1 / 4.345, "wk": 1 / 4.345, "month": 1.0, "mo": 1.0, "year": 12.0}
_UNIT_MONTHS.update({"yr": 12.0, "hour": 1 / 730.5, "hr": 1 / 730.5})
_UNITS = r"(hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?)"
_NUM = r"(\d+(?:\.\d+)?)"


def timepoints_in(text: str) -> list[float]:
    """All follow-up times (months) named in a time-frame text, baseline as 0, sorted and unique."""
    t = _s(text).lower()
    found: set[float] = set()
    for num, unit in re.findall(rf"{_NUM}\s*-?\s*{_UNITS}\b", t):
        found.add(round(float(num) * _UNIT_MONTHS[unit.rstrip("s")], 2))
    for unit, num in re.findall(rf"\b{_UNITS}\s*{_NUM}\b", t):
        found.add(round(float(num) * _UNIT_MONTHS[unit.rstrip("s")], 2))
    # "6 and 12 months", "3, 6, 12 months": numbers listed before one unit
    listed = rf"((?:\d+(?:\.\d+)?\s*(?:,|and|or|&)\s*)+)(\d+(?:\.\d+)?)\s*{_UNITS}\b"
    for match in re.finditer(listed, t):
        factor = _UNIT_MONTHS[match.group(3).rstrip("s")]
        for num in re.findall(r"\d+(?:\.\d+)?", match.group(1)):
            found.add(round(float(num) * factor, 2))
    if "baseline" in t or "day 0" in t or "pre-treatment" in t or "pretreatment" in t:
        found.add(0.0)
    return sorted(found)


def resolve_timepoint(m: Measurement) -> tuple[float | None, str]:
    """The follow-up time of a cell: from the class/category title if it names one, else the time frame."""
    for text in (m.class_title, m.category_title):
        points = [p for p in timepoints_in(text) if p > 0] or timepoints_in(text)
        if len(points) == 1:
            return points[0], ""
    points = timepoints_in(m.time_frame)
    follow = [p for p in points if p > 0]
    if len(follow) == 1:
        return follow[0], ""
    if not points:
        return None, f"no timepoint in time frame {m.time_frame!r}"
    if not follow:
        return 0.0, ""
    shown = ", ".join(f"{p:g}" for p in follow)
    return None, f"time frame {m.time_frame!r} names several timepoints ({shown} months); cannot tell which"


# ---- vocabulary ---------------------------------------------------------------------------------------
_PCT_UNIT = re.compile(r"percent|%|proportion", re.I)
_PARTICIPANT_UNIT = re.compile(r"participant|patient|subject|people|person|individual", re.I)
_RESPONDER_50 = re.compile(
    r"(50\s*(%|percent|per cent)|fifty percent|half)[^.]*?(pain|relief|reduction|respon)|"
    r"respon\w*[^.]*?50\s*(%|percent)",
    re.I,
)
_PAIN = re.compile(r"\bpain\b", re.I)
_PAIN_INTENSITY = re.compile(
    r"\b(vas|visual analog\w*|nrs|numeric(al)? (pain )?rating|intensity|pain score|severity|"
    r"pain rating|average pain|worst pain|pain scale)\b",
    re.I,
)
_NOT_INTENSITY = re.compile(
    r"interfer|catastroph|disabilit|quality of life|sleep|medication|free|relief|satisf|impression|"
    r"threshold|pressure pain|responder|detect|area|distribution|coverage|paresthesi",
    re.I,
)
_ODI = re.compile(r"oswestry|\bodi\b", re.I)
_EQ5D = re.compile(r"eq[- ]?5d|euroqol", re.I)
_EQ5D_VAS = re.compile(r"\bvas\b|visual analog|thermometer", re.I)
_OPIOID = re.compile(r"opioid|opiate|narcotic|morphine", re.I)
_DEVICE = re.compile(
    r"(device|lead|implant|stimulator|hardware|system|procedure)[- ]related|"
    r"complication|explant|lead migration|infection",
    re.I,
)


def _site(text: str) -> str:
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
    if leg and back:
        return "overall"  # a combined back-and-leg score
    return "overall"


def _pain_scale(m: Measurement) -> tuple[str, str]:
    text = " ".join((m.outcome_title, m.description, m.unit, m.class_title)).lower()
    unit = m.unit.lower()
    if re.search(r"\bmm\b|millimet", unit) or re.search(r"\b100\s*mm\b|0\s*(-|–|to)\s*100\b", text):
        if re.search(r"\bnrs\b|numeric", text) and not re.search(r"\bvas\b|visual", text):
            return "", "numeric rating scale reported on 0–100: not a configured scale"
        return "vas_mm", ""
    if re.search(r"\bcm\b|centimet", unit) or re.search(r"0\s*(-|–|to)\s*10\s*cm", text):
        return "vas_cm", ""
    ten = re.search(r"0\s*(-|–|to)\s*10(?![\d.])", text)
    if re.search(r"\bvas\b|visual analog", text):
        return ("vas_cm", "") if ten else ("", f"VAS range not stated (unit {m.unit!r})")
    if re.search(r"\bnrs\b|numeric(al)? (pain )?rating", text) or ten:
        return "nrs_0_10", ""
    return "", f"pain scale not stated (unit {m.unit!r})"


@dataclass
class Interpretation:
    statistic: str = ""  # mean, median, count, percent, number, ...
    outcome: str = ""
    scale: str = ""
    site: str = ""
    value_type: str = ""
    timepoint_months: float | None = None
    derived_events: int | None = None
    reason: str = ""  # empty = usable
    notes: list[str] = field(default_factory=list)
    status: str = "verified"


def _statistic(m: Measurement) -> tuple[str, str]:
    p = m.param_type.upper().replace(" ", "_").replace("-", "_")
    if p in ("MEAN", "ARITHMETIC_MEAN"):
        return "mean", ""
    if p == "LEAST_SQUARES_MEAN":
        return "ls_mean", ""
    if p == "MEDIAN":
        return "median", ""
    if p in ("COUNT_OF_PARTICIPANTS",):
        return "count", ""
    if p == "COUNT_OF_UNITS":
        return "", f"counts {m.denominator_units or 'units'}, not participants"
    if p == "NUMBER":
        if _PCT_UNIT.search(m.unit) and (_PARTICIPANT_UNIT.search(m.unit) or "percentage" in m.unit.lower()):
            return "percent", ""
        if _PARTICIPANT_UNIT.search(m.unit) and not _PCT_UNIT.search(m.unit):
            return "count", ""
        return "number", ""
    if "GEOMETRIC" in p or p == "LOG_MEAN":
        return "", f"{m.param_type} cannot be used as an arithmetic mean"
    return "", f"statistic {m.param_type or '(none)'} not understood"


def classify_outcome(m: Measurement, vocabulary: Iterable[str]) -> tuple[str, str]:
    """(outcome id, reason). Decided from the outcome, class and category titles only."""
    vocab = set(vocabulary)
    title = " ".join((m.outcome_title, m.class_title, m.category_title))
    candidates = []
    if _RESPONDER_50.search(title):
        candidates.append("responder_50")
    elif _PAIN.search(title) and _PAIN_INTENSITY.search(title) and not _NOT_INTENSITY.search(title):
        candidates.append("pain_intensity")
    if _ODI.search(title):
        candidates.append("disability_odi")
    if _EQ5D.search(title):
        if _EQ5D_VAS.search(title):
            return "", "EQ-5D VAS is not an analysed outcome (qol_eq5d is the EQ-5D index)"
        candidates.append("qol_eq5d")
    if _OPIOID.search(title):
        candidates.append("opioid_use")
    if _DEVICE.search(title) and not candidates:
        candidates.append("device_complications")
    candidates = [c for c in candidates if c in vocab]
    if not candidates:
        return "", "no matching outcome in the vocabulary"
    if len(candidates) > 1:
        return "", f"title matches several outcomes ({', '.join(candidates)})"
    return candidates[0], ""


BINARY_OUTCOMES = {"responder_50", "opioid_use", "device_complications"}


def interpret(
    m: Measurement, vocabulary: Iterable[str] = (), kinds: Mapping[str, str] | None = None
) -> Interpretation:
    """Decide what a cell is and whether it can be used; `kinds` maps outcome id -> continuous|binary."""
    it = Interpretation()
    if m.problem:
        it.reason = m.problem
        return it
    it.statistic, why = _statistic(m)
    it.timepoint_months, tp_why = resolve_timepoint(m)
    value, value_why = parse_number(m.value)
    denominator, _ = parse_number(m.denominator)
    if it.statistic == "percent" and value is not None and denominator is not None:
        it.derived_events = int(round(value * denominator / 100.0))
    outcome, outcome_why = classify_outcome(m, vocabulary)
    it.outcome = outcome
    kind = (kinds or {}).get(outcome) or ("binary" if outcome in BINARY_OUTCOMES else "continuous")
    reasons = [r for r in (why, value_why) if r]
    if outcome_why:
        reasons.append(outcome_why)
    elif not why:
        if kind == "binary" and it.statistic not in ("count", "percent"):
            reasons.append(
                f"{outcome} needs participant counts or percentages, got {it.statistic or m.param_type}"
            )
        if kind == "continuous" and it.statistic not in ("mean", "ls_mean", "median"):
            reasons.append(f"{outcome} needs a mean or median, got {it.statistic or m.param_type}")
    if outcome and tp_why:
        reasons.append(tp_why)
    if outcome and not reasons:
        if kind == "binary":
            it.scale = "proportion"
            if denominator is None:
                reasons.append("no denominator of participants for this group")
            elif m.denominator_units and not _PARTICIPANT_UNIT.search(m.denominator_units):
                reasons.append(f"denominator counts {m.denominator_units}, not participants")
            elif it.statistic == "count" and value is not None and value > denominator:
                reasons.append(f"count {value:g} exceeds its denominator {denominator:g}")
            elif it.statistic == "percent" and value is not None and not 0 <= value <= 100:
                reasons.append(f"percentage {value:g} outside 0–100")
        else:
            text = " ".join((m.outcome_title, m.class_title))
            it.value_type = (
                "change" if re.search(r"change|reduction|improvement|decrease", text, re.I) else "final"
            )
            if outcome == "pain_intensity":
                it.scale, scale_why = _pain_scale(m)
                it.site = _site(" ".join((m.outcome_title, m.class_title, m.category_title)))
                if scale_why:
                    reasons.append(scale_why)
                elif _PCT_UNIT.search(m.unit):
                    reasons.append(f"pain reported as a percentage ({m.unit!r}), not on a scale")
            elif outcome == "disability_odi":
                if re.search(r"0\s*(-|–|to)\s*50\b", " ".join((m.description, m.unit))):
                    reasons.append("ODI reported on 0–50 (points), not 0–100 %")
                else:
                    it.scale = "odi_0_100"
            elif outcome == "qol_eq5d":
                it.scale = "eq5d_index"
            if it.statistic == "ls_mean":
                it.status = "uncertain"
                it.notes.append("least-squares (model-adjusted) mean as posted")
    it.reason = "; ".join(reasons)
    return it


# --------------------------------------------------------------------------------------------------
# rows
# --------------------------------------------------------------------------------------------------
def slug(text: str, fallback: str = "group") -> str:
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return (s[:40].rstrip("_") or fallback) if s else fallback


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.10g}"


def _arm_ids(measurements: list[Measurement]) -> dict[tuple[int, str], str]:
    """(outcome index, group id) -> arm id from the group title, stable across outcome modules."""
    by_title: dict[str, str] = {}
    used: set[str] = set()
    out = {}
    for m in measurements:
        if not m.group_id:
            continue
        title = m.group_title or m.group_id
        if title not in by_title:
            base = slug(title)
            arm, k = base, 2
            while arm in used:
                arm, k = f"{base}_{k}", k + 1
            used.add(arm)
            by_title[title] = arm
        out[(m.outcome_index, m.group_id)] = by_title[title]
    return out


def _fill_dispersion(row: dict[str, Any], m: Measurement, it: Interpretation) -> None:
    kind, level = dispersion_kind(m.dispersion_type)
    spread, _ = parse_number(m.spread)
    lo, _ = parse_number(m.lower)
    hi, _ = parse_number(m.upper)
    central = "median" if it.statistic == "median" else "mean"
    if kind == "sd" and central == "mean":
        row["sd"] = _fmt(spread)
    elif kind == "se" and central == "mean":
        row["se"] = _fmt(spread)
    elif kind == "ci" and central == "mean":
        row["ci_low"], row["ci_high"] = _fmt(lo), _fmt(hi)
        if lo is not None or hi is not None:
            row["ci_level"] = _fmt(level) if level else ""
            if not level:
                it.notes.append("confidence level of the interval not stated")
                it.status = "uncertain"
    elif kind == "iqr" and central == "median":
        row["q1"], row["q3"] = _fmt(lo), _fmt(hi)
    elif kind == "range":
        row["min"], row["max"] = _fmt(lo), _fmt(hi)
    elif kind:
        it.notes.append(f"dispersion '{m.dispersion_type}' around a {central} not entered")


def _quote(m: Measurement) -> str:
    parts = [m.group_title or m.group_id, ": ", m.value]
    if m.spread:
        parts.append(f" ({m.spread})")
    if m.lower or m.upper:
        parts.append(f" [{m.lower} to {m.upper}]")
    if m.unit:
        parts.append(f" {m.unit}")
    if m.denominator:
        parts.append(f"; N={m.denominator}")
    return "".join(parts)


def study_rows(
    study: Mapping[str, Any],
    vocabulary: Iterable[str],
    kinds: Mapping[str, str] | None = None,
    trial_id: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(outcome rows in outcomes.csv format, unmapped cells with their reason) for one study record."""
    vocabulary = list(vocabulary)
    measurements = read_measurements(study)
    arm_ids = _arm_ids(measurements)
    nct = measurements[0].nct_id if measurements else ""
    trial = trial_id or (nct.lower() or "unknown")
    rows, unmapped = [], []
    seen_ids: dict[str, int] = {}
    for m in measurements:
        try:
            it = interpret(m, vocabulary, kinds)
        except Exception as exc:  # noqa: BLE001 - never let one odd cell stop a whole record
            it = Interpretation(reason=f"could not interpret this cell ({type(exc).__name__}: {exc})")
        if it.reason or not it.outcome:
            unmapped.append(
                dict(
                    nct_id=m.nct_id,
                    trial_id=trial,
                    outcome_title=m.outcome_title,
                    outcome_type=m.outcome_type,
                    time_frame=m.time_frame,
                    class_title=m.class_title,
                    category_title=m.category_title,
                    group_id=m.group_id,
                    group_title=m.group_title,
                    param_type=m.param_type,
                    unit=m.unit,
                    value=m.value,
                    maps_to=it.outcome,
                    reason=it.reason or "no matching outcome in the vocabulary",
                )  # fmt: skip
            )
            continue
        arm = arm_ids.get((m.outcome_index, m.group_id), slug(m.group_id))
        value, _ = parse_number(m.value)
        denominator, _ = parse_number(m.denominator)
        tp = it.timepoint_months
        row = {c: "" for c in OUTCOME_COLUMNS + EXTRA_COLUMNS}
        base_id = f"{trial}-reg{m.outcome_index + 1}-{it.outcome}-{tp:g}m-{arm}"
        seen_ids[base_id] = seen_ids.get(base_id, 0) + 1
        row_id = base_id if seen_ids[base_id] == 1 else f"{base_id}-{seen_ids[base_id]}"
        notes = list(it.notes)
        if m.class_title or m.category_title:
            notes.append("class/category: " + " / ".join(x for x in (m.class_title, m.category_title) if x))
        if m.comment:
            notes.append(f"registry comment: {m.comment}")
        row.update(
            row_id=row_id, trial_id=trial, arm_id=arm, outcome=it.outcome, outcome_reported=m.outcome_title,
            site=it.site, scale=it.scale, timepoint_months=_fmt(tp), value_type=it.value_type,
            source=m.nct_id, location=f"registry: {m.outcome_title}", quote=_quote(m), status=it.status,
            nct_id=m.nct_id, registry_group_id=m.group_id, registry_group_title=m.group_title,
            registry_outcome_type=m.outcome_type, param_type=m.param_type, dispersion_type=m.dispersion_type,
            unit=m.unit, time_frame=m.time_frame, class_title=m.class_title, category_title=m.category_title,
        )  # fmt: skip
        if it.statistic in ("count", "percent"):
            row["total"] = _fmt(denominator)
            if it.statistic == "count":
                row["events"] = _fmt(value)
            else:
                row["percent"] = _fmt(value)
                notes.append("percentage as posted; events are derived downstream")
        else:
            row["n"] = _fmt(denominator)
            row["median" if it.statistic == "median" else "mean"] = _fmt(value)
            _fill_dispersion(row, m, it)
            row["status"] = it.status
        row["notes"] = "; ".join(notes)
        rows.append(row)
    return rows, unmapped


def command_rows(
    study: Mapping[str, Any], vocabulary: Iterable[str] = (), kinds=None
) -> list[dict[str, Any]]:
    """Every cell of one record, as `ctgov-outcomes` prints it (never raises on a valid record)."""
    vocabulary = list(vocabulary)
    out = []
    for m in read_measurements(study):
        try:
            it = interpret(m, vocabulary, kinds)
        except Exception as exc:  # noqa: BLE001
            it = Interpretation(reason=f"could not interpret this cell ({type(exc).__name__}: {exc})")
        reason = it.reason or ("" if it.outcome else "no matching outcome in the vocabulary")
        out.append(
            dict(
                nct_id=m.nct_id,
                outcome_title=m.outcome_title,
                outcome_type=m.outcome_type,
                time_frame=m.time_frame,
                timepoint_months=_fmt(it.timepoint_months),
                class_title=m.class_title,
                category_title=m.category_title,
                group_id=m.group_id,
                group_title=m.group_title,
                statistic=it.statistic or m.param_type,
                value=m.value,
                dispersion_type=m.dispersion_type,
                dispersion=m.spread,
                lower_limit=m.lower,
                upper_limit=m.upper,
                unit=m.unit,
                denominator=m.denominator,
                derived_events="" if it.derived_events is None else str(it.derived_events),
                maps_to=it.outcome,
                scale=it.scale,
                site=it.site,
                value_type=it.value_type,
                reason=reason,
            )  # fmt: skip
        )
    return out


def measurement_dict(m: Measurement) -> dict[str, Any]:
    return asdict(m)
