"""Posted registry results → rows in the format of ``outcomes.csv`` (and the cells not used, with why).

:func:`study_rows` reads one study record's cells (:mod:`neuromod_evidence.living.ctgov.results`), decides
what each is (:mod:`.interpret`, against the :class:`.vocabulary.Vocabulary` of the settings) and turns the
usable ones into arm-level rows with source = NCT id and location = "registry: <outcome title>";
the others are listed with their reason. :func:`command_rows` is the same reading as the
``ctgov-outcomes`` command prints it, one row per cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from neuromod_evidence.living.ctgov.parse import get_path
from neuromod_evidence.living.ctgov.results import (
    Measurement,
    dispersion_kind,
    parse_number,
    read_measurements,
)
from neuromod_evidence.tables import REGISTRY_OUTCOMES

from .interpret import Interpretation, interpret
from .vocabulary import Vocabulary

COMMAND_COLUMNS = [
    "nct_id", "outcome_title", "outcome_type", "time_frame", "timepoint_months", "class_title",
    "category_title", "group_id", "group_title", "statistic", "value", "dispersion_type", "dispersion",
    "lower_limit", "upper_limit", "unit", "denominator", "derived_events", "maps_to", "scale", "site",
    "value_type", "reason",
]  # fmt: skip
ROW_COLUMNS = [c for c in REGISTRY_OUTCOMES.columns if c != "indication"]


def _interpret(m: Measurement, vocab: Vocabulary) -> Interpretation:
    try:
        return interpret(m, vocab)
    except Exception as exc:  # noqa: BLE001 - never let one odd cell stop a whole record
        return Interpretation(reason=f"could not interpret this cell ({type(exc).__name__}: {exc})")


def slug(text: str, fallback: str = "group") -> str:
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return (s[:40].rstrip("_") or fallback) if s else fallback


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.10g}"


def study_facts(study: Mapping[str, Any]) -> dict[str, str]:
    """The study-level columns of every row (REGISTRY_STUDY_COLUMNS): what the record says of the trial as a
    whole, so that a registry trial accepted in the decisions file can enter the analyses without curation."""
    p = study.get("protocolSection", {}) if isinstance(study, Mapping) else {}
    status = get_path(p, "statusModule", default={}) or {}
    year = ""
    for key in ("startDateStruct", "studyFirstPostDateStruct"):
        date = str(get_path(status, key, "date", default="") or "")
        if date[:4].isdigit():
            year = date[:4]
            break
    return dict(
        last_update_posted=str(get_path(status, "lastUpdatePostDateStruct", "date", default="") or ""),
        study_title=str(get_path(p, "identificationModule", "briefTitle", default="") or ""),
        study_acronym=str(get_path(p, "identificationModule", "acronym", default="") or ""),
        study_year=year,
        study_design=str(get_path(p, "designModule", "designInfo", "interventionModel", default="") or ""),
        study_masking=str(
            get_path(p, "designModule", "designInfo", "maskingInfo", "masking", default="") or ""
        ),
        sponsor_class=str(
            get_path(p, "sponsorCollaboratorsModule", "leadSponsor", "class", default="") or ""
        ),
        sponsor_name=str(get_path(p, "sponsorCollaboratorsModule", "leadSponsor", "name", default="") or ""),
    )


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
    if it.sign < 0:  # a negated value negates (and swaps) its interval; an SD or SE is unchanged
        lo, hi = _negated(hi), _negated(lo)
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


def _negated(x: float | None) -> float | None:
    return None if x is None else 0.0 - x


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
    study: Mapping[str, Any], vocab: Vocabulary, trial_id: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(outcome rows in outcomes.csv format, unmapped cells with their reason) for one study record."""
    measurements = read_measurements(study)
    arm_ids = _arm_ids(measurements)
    nct = measurements[0].nct_id if measurements else ""
    trial = trial_id or (nct.lower() or "unknown")
    rows, unmapped = [], []
    facts = study_facts(study)
    seen_ids: dict[str, int] = {}
    for m in measurements:
        it = _interpret(m, vocab)
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
        row = {**{c: "" for c in ROW_COLUMNS}, **facts}
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
            row["median" if it.statistic == "median" else "mean"] = _fmt(
                _negated(value) if it.sign < 0 else value
            )
            _fill_dispersion(row, m, it)
            row["status"] = it.status
        row["notes"] = "; ".join(notes)
        rows.append(row)
    return rows, unmapped


def command_rows(study: Mapping[str, Any], vocab: Vocabulary) -> list[dict[str, Any]]:
    """Every cell of one record, as `ctgov-outcomes` prints it (never raises on a valid record)."""
    out = []
    for m in read_measurements(study):
        it = _interpret(m, vocab)
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
