"""The safety table of an indication page: device complications and explants, per trial and arm, as reported.

Why a table and not only analyses: a device event can happen only in an arm that has a device, so most trials
report it for the stimulation arm alone and no comparison (hence no meta-analysis) is possible; issues.csv
says so row by row. Readers deciding on an implant still need the rates, with the words of the source, the
follow-up and the denominator. Which outcomes are listed is configuration (``safety: true`` under
``outcomes:``). Fed by the normalized outcomes, arms and trials (their table contracts).
"""

from __future__ import annotations

import pandas as pd

from ..settings import Settings
from .evidence_view import links, text
from .inputs import ReportInputs


def safety_rows(inputs: ReportInputs, indication: str, settings: Settings) -> list[dict[str, str]]:
    """One row per curated safety count of the indication's trials, by outcome, trial year and follow-up."""
    outcomes = settings.indications[indication].outcomes
    listed = [oid for oid, o in outcomes.items() if o.safety]
    trials = inputs.trials[inputs.trials["indication"] == indication].set_index("trial_id")
    rows = inputs.outcomes[
        inputs.outcomes["trial_id"].isin(trials.index) & inputs.outcomes["outcome"].isin(listed)
    ]
    if rows.empty:
        return []
    arms = inputs.arms.set_index(["trial_id", "arm_id"])
    rows = rows.assign(
        _o=rows["outcome"].map(listed.index), _y=rows["trial_id"].map(trials["year"])
    ).sort_values(["_o", "_y", "trial_id", "timepoint_months", "arm_id"], kind="stable")
    return [
        _row(r, trials.loc[r["trial_id"]], arms, outcomes[r["outcome"]].label) for _, r in rows.iterrows()
    ]


def _row(r: pd.Series, trial: pd.Series, arms: pd.DataFrame, outcome_label: str) -> dict[str, str]:
    key = (r["trial_id"], r["arm_id"])
    arm = arms.loc[key] if key in arms.index else None
    return {
        "trial": text(trial["acronym"]) or text(trial["first_author"]),
        "trial_id": str(r["trial_id"]),
        "year": text(trial["year"]),
        "arm": (text(arm["label"]) or str(r["arm_id"])) if arm is not None else str(r["arm_id"]),
        "outcome": outcome_label,
        "reported": text(r["outcome_reported"]),
        "month": text(r["timepoint_months"]),
        "count": count_text(r["events"], r["total"], r["percent"]),
        "quote": text(r["quote"]),
        "source": source_links(r["source"]),
        "location": text(r["location"]),
        "status": text(r["status"]),
    }


def count_text(events, total, percent) -> str:
    """What the source reported: "6/24 (25.0 %)", "18/102 (17.6 %)", "5.2 %" (no denominator) or "6 events"."""
    e, n, p = (None if pd.isna(v) else float(v) for v in (events, total, percent))
    if e is not None and n:
        shown = p if p is not None else 100 * e / n
        return f"{e:g}/{n:g} ({shown:.1f} %)"
    if p is not None:
        return f"{p:g} %" + (f" of {n:g}" if n else "") + (f" ({e:g} events)" if e is not None else "")
    if e is not None:
        return f"{e:g} events"
    return "not reported"


def source_links(source) -> list[dict[str, str]]:
    """Links of a row's ``source`` ("PMID:123", "NCT01234567", several separated by ';')."""
    tokens = [t.strip().removeprefix("PMID:") for t in str(source or "").split(";")]
    return links(";".join(tokens), "pmid")
