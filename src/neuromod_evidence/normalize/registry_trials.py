"""Registry rows as curated-format evidence: the provenance every row carries, and the trial and arms of a
registry record a reviewer accepted (``include``) in the decisions file without any curated trial naming it.

Why: posted registry results are often the only place with arm-level means and SDs; a reviewer's ``include``
should bring them into the next run's analyses with no curation by hand. The trial is described from the
registry record (title, acronym, start year, design, masking, sponsor class, all carried by
``registry_outcomes.csv``); its arms are the registry's groups, each with the arm class the reviewer gave it
in the decisions file's ``arm_classes`` column (``OG000=scs_tonic; OG001=cmm``; keys may also be the arm id
of ``registry_outcomes.csv`` or the group title). A group with no class stays out, and its rows are listed in
issues.csv with the reason. Every such trial says in its notes that it is registry-sourced and not
peer-reviewed.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..evidence.schemas import column_order
from ..screening.decisions import Decisions
from ..settings import Settings
from ..tables import REGISTRY_PROVENANCE

REGISTRY_NOTE = "registry-sourced (ClinicalTrials.gov posted results), not yet peer-reviewed"
BLINDING = {"NONE": "open", "SINGLE": "single", "DOUBLE": "double", "TRIPLE": "double", "QUADRUPLE": "double"}


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def provenance(r: pd.Series) -> str:
    """NCT id, outcome title, group title, time frame and the registry's last-update date, in words."""
    return (
        f"registry {_text(r['nct_id'])} (last update posted {_text(r['last_update_posted']) or 'not stated'}); "
        f"outcome '{_text(r['outcome_reported'])}'; group '{_text(r['registry_group_title'])}' "
        f"({_text(r['registry_group_id'])}); time frame '{_text(r['time_frame'])}'"
    )


def evidence_rows(reg: pd.DataFrame, registry_file: str, indication: str) -> pd.DataFrame:
    """Registry rows in the columns of the validated curated outcomes, with provenance in their notes."""
    out = pd.DataFrame({c: reg[c] for c in column_order("outcomes")}, index=reg.index)
    out["notes"] = ["; ".join(x for x in (provenance(r), _text(r["notes"])) if x) for _, r in reg.iterrows()]
    out["_file"] = registry_file
    out["_line"] = reg["_line"]
    out["indication_folder"] = indication
    out["source_kind"] = "registry"
    out["_hold"] = None
    for column, value in registry_provenance(reg).items():
        out[column] = value
    return out


def as_publication_rows(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Curated outcome rows as normalization takes them before any registry row joins: a publication's
    numbers, nothing held back, no registry provenance."""
    return outcomes.assign(
        source_kind="publication", _hold=None, **dict.fromkeys(REGISTRY_PROVENANCE.split())
    )


def registry_provenance(reg: pd.DataFrame | pd.Series) -> dict[str, Any]:
    """The REGISTRY_PROVENANCE columns of registry rows (a frame) or of one row (a series)."""
    return {
        "registry_id": reg["nct_id"],
        "registry_group": reg["registry_group_title"],
        "registry_time_frame": reg["time_frame"],
        "registry_last_update": reg["last_update_posted"],
    }


def _year(reg: pd.DataFrame) -> float | None:
    for col in ("study_year", "last_update_posted"):
        text = _text(reg[col].iloc[0])[:4]
        if text.isdigit():
            return float(text)
    return None


def _arm_class(arm: pd.DataFrame, classes: dict[str, str]) -> tuple[str | None, str]:
    """The class the reviewer gave this registry group, or None and why not."""
    keys = {*(_text(g).lower() for g in arm["registry_group_id"]), _text(arm["arm_id"].iloc[0]).lower(),
            _text(arm["registry_group_title"].iloc[0]).lower()}  # fmt: skip
    found = {classes[k] for k in keys if k in classes}
    if len(found) == 1:
        return found.pop(), ""
    if found:
        return (
            None,
            f"the decisions file gives this registry group several classes ({', '.join(sorted(found))})",
        )
    return None, "the decisions file gives this registry group no arm class (column arm_classes)"


def new_trial(
    reg: pd.DataFrame, indication: str, decisions: Decisions, settings: Settings, registry_file: str
) -> tuple[dict[str, Any], list[dict[str, Any]], pd.DataFrame]:
    """(trial row, arm rows, outcome rows) of an accepted registry record no curated trial names."""
    first = reg.iloc[0]
    nct, trial_id = _text(first["nct_id"]), _text(first["trial_id"])
    decision = decisions.of(indication, nct) or ("include", "")
    classes = decisions.classes_of(indication, nct)
    unknown = sorted(set(classes.values()) - set(settings.classes))
    if unknown:
        raise ValueError(
            f"decisions file, {indication} {nct}: unknown arm class(es) {', '.join(unknown)} in arm_classes "
            f"(known: {', '.join(sorted(settings.classes))})"
        )
    rows = evidence_rows(reg, registry_file, indication)
    year = _year(reg)
    masking = _text(first["study_masking"]).upper()
    sponsor_class = _text(first["sponsor_class"]).upper()
    trial = dict(
        trial_id=trial_id, acronym=_text(first["study_acronym"]) or None, title=_text(first["study_title"]) or nct,
        first_author=nct, year=year, indication=indication, registry_ids=nct, pmids=None,
        design="crossover" if _text(first["study_design"]).upper() == "CROSSOVER" else "parallel",
        blinding=BLINDING.get(masking, "unclear"),
        sponsor="industry" if sponsor_class == "INDUSTRY" else ("unclear" if not sponsor_class else "academic"),
        sponsor_name=_text(first["sponsor_name"]) or None, countries=None,
        max_follow_up_months=float(reg["timepoint_months"].max()), source=nct,
        location=f"ClinicalTrials.gov record, last update posted {_text(first['last_update_posted']) or 'not stated'}",
        quote=_text(first["study_title"]) or nct,
        notes=f"{REGISTRY_NOTE}; included in the decisions file" + (f": {decision[1]}" if decision[1] else ""),
        _file=registry_file, _line=None, indication_folder=indication,
    )  # fmt: skip
    if year is None:
        rows["_hold"] = "the registry record states no start year: the trial cannot be dated"
        return trial, [], rows
    arms = []
    for arm_id, arm in reg.groupby("arm_id", sort=True):
        cls, why = _arm_class(arm, classes)
        if cls is None:
            rows.loc[arm.index, "_hold"] = (
                f"registry group '{_text(arm['registry_group_title'].iloc[0])}': {why}"
            )
            continue
        arms.append(dict(
            trial_id=trial_id, arm_id=arm_id, label=_text(arm["registry_group_title"].iloc[0]) or arm_id,
            **{"class": cls}, n_randomized=None, source=nct,
            location="registry group " + ", ".join(sorted({_text(g) for g in arm["registry_group_id"]})),
            quote=_text(arm["registry_group_title"].iloc[0]) or arm_id, status="verified",
            notes=f"{REGISTRY_NOTE}; class from the decisions file", _file=registry_file, _line=None,
            indication_folder=indication,
        ))  # fmt: skip
    return trial, arms, rows
