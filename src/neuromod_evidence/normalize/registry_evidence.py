"""Posted registry results as evidence rows, with the precedence of ``normalize.registry_results``.

Why: the registry's posted results are often the only source of arm-level means and SDs, yet they were used
only to cross-check the curated numbers. Here they join the curated evidence before normalization, each row
marked ``source_kind = registry`` and carrying its provenance (NCT id, outcome title, group title, time frame,
the registry's last-update date). Which rows enter, for a trial that is curated (its ``registry_ids`` hold the
NCT id) or accepted in the decisions file:

- ``off``: none.
- ``fill`` (default): the curated publication's numbers first. A registry row enters only where the
  publication lacks it: an arm × outcome × follow-up it does not report (and no between-group estimate or
  other follow-up of that outcome in the same window), or the dispersion (SD/SE/CI) and n of a publication row
  whose central value the registry confirms within rounding (that row becomes
  ``source_kind = publication+registry`` and its notes say so). A registry number that differs beyond
  rounding is kept out, with the reason in issues.csv; the difference is listed in
  ``results/screening/crosscheck.csv``. Nothing is silently resolved.
- ``prefer_registry``: registry rows enter wherever they match a curated arm; a publication row of the same arm
  × outcome × follow-up is set aside with the reason (and the difference, if any) in issues.csv.

Curated arms are matched to registry groups as the cross-check matches them
(:func:`neuromod_evidence.screening.crosscheck.match_arms`); a registry group matched to no curated arm is
listed, not guessed. Rows kept out carry their reason in the bookkeeping column ``_hold``; normalization
marks them unusable with that reason, so every registry row of such a trial is accounted for in issues.csv.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pandas as pd

from ..evidence import Evidence
from ..screening.crosscheck import STATISTICS, compare_statistic, match_arms
from ..screening.decisions import Decisions
from ..settings import Settings
from .registry_trials import as_publication_rows, evidence_rows, new_trial, provenance, registry_provenance

DISPERSION = ("sd", "se", "ci_low", "ci_high", "ci_level")
TOLERANCE_MONTHS = 0.5


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _compatible(a: Any, b: Any) -> bool:
    return _missing(a) or _missing(b) or a == b


def with_registry_results(
    evidence: Evidence, registry: pd.DataFrame, decisions: Decisions, settings: Settings, registry_file: str
) -> Evidence:
    """The evidence with the registry rows that enter under ``settings.normalize.registry_results``."""
    outcomes = as_publication_rows(evidence.outcomes)
    mode = settings.normalize.registry_results
    if mode == "off" or registry.empty:
        return replace(evidence, outcomes=outcomes)
    registry = registry.assign(_line=registry.index + 2)
    curated = set(evidence.trials["trial_id"])
    trials, arms, added = [], [], []
    for (indication, trial_id), reg in registry.groupby(["indication", "trial_id"], sort=True):
        if indication not in settings.indications:
            continue
        if trial_id in curated:
            added.append(
                _curated_trial(trial_id, reg, evidence, outcomes, settings, registry_file, indication)
            )
        elif decisions.included(indication, str(reg["nct_id"].iloc[0])):
            trial, trial_arms, rows = new_trial(reg, indication, decisions, settings, registry_file)
            trials.append(trial)
            arms += trial_arms
            added.append(rows)
    if not added:
        return replace(evidence, outcomes=outcomes)
    return replace(
        evidence,
        trials=_append(evidence.trials, trials),
        arms=_append(evidence.arms, arms),
        outcomes=pd.concat([outcomes, *added], ignore_index=True),
    )


def _append(table: pd.DataFrame, rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return table
    return pd.concat([table, pd.DataFrame(rows, columns=list(table.columns))], ignore_index=True)


def _curated_trial(
    trial_id: str,
    reg: pd.DataFrame,
    evidence: Evidence,
    outcomes: pd.DataFrame,
    settings: Settings,
    registry_file: str,
    indication: str,
) -> pd.DataFrame:
    """The registry rows of a curated trial, each entering, filling a publication row, or kept out (``_hold``);
    ``outcomes`` (the publication rows) is updated in place where a row is filled or set aside."""
    rows = evidence_rows(reg, registry_file, indication)
    groups = {a: str(t) for a, t in zip(reg["arm_id"], reg["registry_group_title"], strict=True)}
    arm_map = {
        r: c for c, r in match_arms(evidence.arms[evidence.arms["trial_id"] == trial_id], groups).items()
    }
    pub = outcomes[outcomes["trial_id"] == trial_id]
    reported = evidence.contrasts[evidence.contrasts["trial_id"] == trial_id]
    mode = settings.normalize.registry_results
    for idx, r in reg.iterrows():
        cur_arm = arm_map.get(r["arm_id"])
        if cur_arm is None:
            rows.at[idx, "_hold"] = (
                f"registry group '{r['registry_group_title']}' matched to no curated arm of {trial_id} "
                f"(curated arms are matched to registry groups by their words; see crosscheck.csv)"
            )
            continue
        rows.at[idx, "arm_id"] = cur_arm
        same = pub[_same_time(pub, r) & (pub["arm_id"] == cur_arm) & _same_what(pub, r)]
        if not same.empty:
            hold = _against_publication(same, r, outcomes, mode, settings)
        else:
            hold = None if mode == "prefer_registry" else _publication_covers(pub, reported, r, settings)
        rows.at[idx, "_hold"] = hold
    return rows


def _same_time(df: pd.DataFrame, r: pd.Series) -> pd.Series:
    return (df["timepoint_months"].astype(float) - float(r["timepoint_months"])).abs() <= TOLERANCE_MONTHS


def _same_what(df: pd.DataFrame, r: pd.Series) -> pd.Series:
    keep = df["outcome"] == r["outcome"]
    for col in ("site", "value_type"):
        keep &= df[col].map(lambda v, col=col: _compatible(v, r[col])).astype(bool)
    return keep


def _publication_covers(
    pub: pd.DataFrame, reported: pd.DataFrame, r: pd.Series, settings: Settings
) -> str | None:
    """Why a registry row the publication does not report for this arm still stays out under ``fill``."""
    if not reported[_same_time(reported, r) & _same_what(reported, r)].empty:
        return (
            "the publication reports a between-group estimate for this outcome and follow-up; its numbers are "
            "used (normalize.registry_results: fill)"
        )
    outcome = settings.outcomes.get(r["outcome"])
    window = outcome.window_of(float(r["timepoint_months"])) if outcome else None
    if window is None:
        return None
    others = pub[_same_what(pub, r) & ~_same_time(pub, r)]
    in_window = [m for m in others["timepoint_months"].astype(float) if outcome.window_of(m) == window]
    if in_window:
        return (
            f"the publication reports this outcome in the {window.id} window at {min(in_window):g} months; its "
            "numbers are used (normalize.registry_results: fill)"
        )
    return None


def _differences(p: pd.Series, r: pd.Series, settings: Settings) -> list[str]:
    found = [compare_statistic(p, r, stat, settings.scales) for stat in STATISTICS]
    return [
        f"{x['statistic']} {x['curated_value']:g} (publication) vs {x['registry_value']:g} (registry)"
        for x in found
        if x and x["verdict"] == "differ"
    ]


def _against_publication(
    same: pd.DataFrame, r: pd.Series, outcomes: pd.DataFrame, mode: str, settings: Settings
) -> str | None:
    """A registry row with a publication counterpart: fill its dispersion, set it aside, or stay out."""
    p = same.iloc[0]
    diffs = _differences(p, r, settings)
    if mode == "prefer_registry":
        why = f"set aside for the registry's row {r['row_id']} (normalize.registry_results: prefer_registry)"
        if diffs:
            why += "; they differ: " + ", ".join(diffs)
        outcomes.loc[same.index, "_hold"] = why
        return None
    if diffs:
        return (
            f"differs from the publication's row {p['row_id']} ({', '.join(diffs)}); the publication's numbers "
            "are used (normalize.registry_results: fill), the difference is listed in crosscheck.csv"
        )
    lacks = all(_missing(p[c]) for c in DISPERSION) and _missing(p["q1"]) and _missing(p["min"])
    has = any(not _missing(r[c]) for c in ("sd", "se", "ci_low"))
    confirmed = any(not _missing(p[c]) and not _missing(r[c]) for c in ("mean", "median"))
    if lacks and has and confirmed and p["scale"] == r["scale"] and _missing(p["median"]):
        fill = [c for c in (*DISPERSION, "n") if _missing(p[c]) and not _missing(r[c])]
        for c in fill:
            outcomes.at[p.name, c] = r[c]
        outcomes.at[p.name, "source_kind"] = "publication+registry"
        for column, value in registry_provenance(r).items():
            outcomes.at[p.name, column] = value
        note = f"{', '.join(fill)} from the {provenance(r)}"
        outcomes.at[p.name, "notes"] = "; ".join(x for x in (p["notes"], note) if not _missing(x) and x)
        return f"its {', '.join(fill)} filled the publication's row {p['row_id']} (normalize.registry_results: fill)"
    return (
        f"the publication's row {p['row_id']} reports this arm, outcome and follow-up; its numbers are used "
        "(normalize.registry_results: fill)"
    )
