"""Posted registry results (``resultsSection.outcomeMeasuresModule``) → flat measurement cells; no network.

:func:`read_measurements` flattens every outcome measure into one :class:`Measurement` per
outcome × class × category × group, keeping the raw strings (numbers are strings in the API, values can be
"NA", limits can be absent) and never failing on an odd but valid record. The small readers beside it
(:func:`parse_number`, :func:`dispersion_kind`, :func:`timepoints_in`, :func:`resolve_timepoint`) read the
registry's own conventions. What a cell *means* for this project's outcomes is decided in
:mod:`neuromod_evidence.screening.registry`, from the settings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "--", "ne", "not estimable", "not applicable"}


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
