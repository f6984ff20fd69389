"""The evidence side of an indication page: trials with their arms and links, PRISMA counts, flagged rows,
registry-sourced numbers and where the registry disagrees with the publication.

Fed by the normalized trials/arms/outcomes/contrasts/issues tables and, when the screening stage ran, its
``prisma.csv``, ``queue.csv`` and ``crosscheck.csv``. Class labels come from Settings.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from ..settings import Settings
from .inputs import ReportInputs
from .rob import ROB_DOMAINS, ROB_SYMBOL, ROB_WORDS

PRISMA_COUNTS = (
    "records_identified_registry",
    "records_identified_pubmed",
    "duplicates_removed",
    "records_screened",
    "awaiting_review",
    "included_curated",
    "excluded_with_reason",
)
SEVERITY_ORDER = {"excluded": 0, "warning": 1, "info": 2}
REGISTRY_FLAG = "registry-sourced, not peer-reviewed"


def text(value: Any) -> str:
    """A cell as people read it: '' for missing, whole floats without '.0'."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:g}" if value.is_integer() else str(value)
    return str(value)


def links(ids: str | None, kind: str) -> list[dict[str, str]]:
    out = []
    for raw in str(ids or "").split(";"):
        token = raw.strip()
        if not token:
            continue
        if kind == "pmid" and token.isdigit():
            out.append({"text": f"PMID {token}", "href": f"https://pubmed.ncbi.nlm.nih.gov/{token}/"})
        elif re.fullmatch(r"NCT\d{8}", token):
            out.append({"text": token, "href": f"https://clinicaltrials.gov/study/{token}"})
        elif re.fullmatch(r"ISRCTN\d+", token):
            out.append({"text": token, "href": f"https://www.isrctn.com/{token}"})
        else:
            out.append({"text": token, "href": ""})
    return out


def evidence_rows(inputs: ReportInputs, indication: str, settings: Settings) -> list[dict]:
    trials = inputs.trials[inputs.trials["indication"] == indication]
    arms = inputs.arms
    used = set(inputs.contrasts["trial_id"])
    out = []
    for _, t in trials.sort_values(["year", "trial_id"]).iterrows():
        t_arms = arms[arms["trial_id"] == t["trial_id"]]
        out.append(
            {
                "id": t["trial_id"],
                "name": t["acronym"] or text(t["first_author"]),
                "citation": f"{text(t['first_author'])} {text(t['year'])}".strip(),
                "title": text(t["title"]),
                "design": text(t["design"]),
                "blinding": text(t["blinding"]),
                "sponsor": text(t["sponsor"]),
                "follow_up": text(t["max_follow_up_months"]),
                "arms": [
                    {
                        "label": r["label"] or text(r["arm_id"]),
                        "cls": settings.class_label(r["class"]) if r["class"] else "",
                        "n": text(r["n_randomized"]),
                    }
                    for _, r in t_arms.iterrows()
                ],
                "links": links(t["pmids"], "pmid") + links(t["registry_ids"], "registry"),
                "in_analysis": t["trial_id"] in used,
                "why_not_analysed": []
                if t["trial_id"] in used
                else why_not_analysed(inputs.issues, t["trial_id"]),
                "registry": registry_provenance(
                    inputs, inputs.contrasts[inputs.contrasts["trial_id"] == t["trial_id"]]
                )
                or registry_only_trial(inputs, t),
                "rob": rob_lights(inputs.rob_of(indication), t["trial_id"]),
            }
        )
    return out


def rob_lights(rob: pd.DataFrame, trial_id: str) -> list[dict]:
    """One traffic light per RoB 2 domain (the trial's general judgement; outcome-specific ones in the
    title), with the quote and source in the tooltip text; empty when the trial has no assessment."""
    rows = rob[rob["trial_id"] == trial_id]
    if not len(rows):
        return []
    out = []
    for domain, letter, words in ROB_DOMAINS:
        d = rows[rows["domain"] == domain]
        general = d[d["outcome"].isna()]
        judgement = general["judgement"].iloc[0] if len(general) else "not_assessed"
        detail = [f"{words}: {ROB_WORDS[judgement]}"]
        if len(general):
            detail.append(f"\u201c{text(general['quote'].iloc[0])}\u201d ({text(general['source'].iloc[0])})")
        for _, r in d[d["outcome"].notna()].iterrows():
            detail.append(f"for {r['outcome']}: {ROB_WORDS[r['judgement']]}")
        out.append({"letter": letter, "judgement": judgement, "symbol": ROB_SYMBOL[judgement],
                    "title": "; ".join(detail)})  # fmt: skip
    return out


def prisma_counts(
    inputs: ReportInputs, indication: str, evidence: list[dict], n_analysed: int, searched: dict[str, bool]
) -> dict:
    """The PRISMA 2020 counts of one indication. Curated trials are "identified from other methods" (the
    curators' citation and web searches, SOURCES.md); the database column shows each source's counts, or
    that its search has not run (``searched``: source -> a snapshot exists, used when prisma.csv is absent
    or its snapshot label says so)."""
    match = inputs.prisma[inputs.prisma["indication"] == indication]
    row = match.iloc[0] if len(match) else None
    counts: dict[str, Any] = {"available": row is not None, "included": len(evidence), "analysed": n_analysed,
                              "other_methods": len(evidence),
                              "other_reports": sum(len(t["links"]) for t in evidence)}  # fmt: skip
    counts["searched"] = {
        "registry": searched.get("ctgov", False) if row is None else text(row["registry_snapshot"]) != "none",
        "pubmed": searched.get("pubmed", False) if row is None else text(row["pubmed_snapshot"]) != "none",
    }
    counts["any_search"] = any(counts["searched"].values())
    # queue.csv lists only records still awaiting review (its `status` is the registry's recruitment status);
    # records a reviewer or a rule excluded are counted in prisma.csv's `exclusion_reasons` ("reason: n; ...").
    reasons: dict[str, int] = {}
    if row is not None:
        for key in PRISMA_COUNTS:
            counts[key] = None if pd.isna(row[key]) else int(row[key])
        for part in str(row["exclusion_reasons"] or "").split(";"):
            reason, _, n = part.rpartition(":")
            if reason.strip() and n.strip().isdigit():
                reasons[reason.strip()] = int(n)
    awaiting: list[dict] = []
    for _, r in inputs.queue[inputs.queue["indication"] == indication].iterrows():
        rec = {k: text(r[k]) for k in ("source", "id", "title", "year", "status")}
        rec["reason"] = text(r["why_matched"])
        kind = "pmid" if rec["source"].lower() == "pubmed" else "reg"
        rec["link"] = (links(rec["id"], kind) or [{"text": rec["id"], "href": ""}])[0]
        awaiting.append(rec)
    counts["reasons"] = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    counts["excluded_records"] = []
    counts["awaiting_records"] = awaiting
    counts["not_analysed"] = [{"id": t["id"], "name": t["name"], "reasons": t["why_not_analysed"]}
                              for t in evidence if not t["in_analysis"]]  # fmt: skip
    return counts


def why_not_analysed(issues: pd.DataFrame, trial_id: str) -> list[str]:
    """Why a curated trial is in no analysis: the reasons the issues ledger gives for its unused rows, each
    with the number of rows it applies to."""
    rows = (
        issues[(issues["trial_id"] == trial_id) & (issues["severity"] == "excluded")]
        if len(issues)
        else issues
    )
    if not len(rows):
        return ["no outcome or contrast rows were curated for it (nothing to analyse)"]
    counted: dict[str, int] = {}
    for reason in rows["reason"]:
        for part in str(reason).split(" | "):
            if part.strip():
                counted[part.strip()] = counted.get(part.strip(), 0) + 1
    return [
        f"{r} ({n} row{'s' if n != 1 else ''})" for r, n in sorted(counted.items(), key=lambda kv: -kv[1])
    ]


def indication_issues(inputs: ReportInputs, trial_ids: set[str], indication: str) -> list[dict]:
    """Rows of issues.csv about this indication's trials or files, excluded rows first."""
    issues = inputs.issues
    if not len(issues):
        return []
    mask = issues["trial_id"].isin(trial_ids) | issues["file"].fillna("").str.contains(
        f"/{indication}/", regex=False
    )
    issues = issues[mask]
    issues = issues.assign(_o=issues["severity"].map(SEVERITY_ORDER).fillna(3)).sort_values(
        "_o", kind="stable"
    )
    return [{k: text(v) for k, v in r.items()} for r in issues.drop(columns="_o").to_dict("records")]


def registry_provenance(inputs: ReportInputs, contrasts: pd.DataFrame) -> list[dict[str, str]]:
    """NCT id, the registry's last-update date and a link, once per record, for the registry-sourced rows behind
    ``contrasts`` (``source_kind`` registry or publication+registry): results posted on a registry, not yet
    peer-reviewed, which the report must say wherever they enter an analysis."""
    found: dict[str, str] = {}
    outcomes = inputs.outcomes
    for _, c in contrasts[contrasts["source_kind"].fillna("").str.contains("registry")].iterrows():
        ids = set(str(c["source_rows"] or "").split(";"))
        rows = outcomes[(outcomes["trial_id"] == c["trial_id"]) & outcomes["row_id"].isin(ids)]
        records = rows[rows["registry_id"].notna()]
        for nct, date in zip(records["registry_id"], records["registry_last_update"], strict=True):
            found.setdefault(str(nct), text(date) or "not stated")
        if records.empty:  # a reported contrast, not arm rows: the NCT ids the contrast cites
            for token in str(c["sources"] or "").split(";"):
                if re.fullmatch(r"NCT\d{8}", token.strip()):
                    found.setdefault(token.strip(), "not stated")
    return [
        {"nct": n, "updated": d, "href": f"https://clinicaltrials.gov/study/{n}"}
        for n, d in sorted(found.items())
    ]


def registry_only_trial(inputs: ReportInputs, t: pd.Series) -> list[dict[str, str]]:
    """A trial known only from its registry record (accepted in the decisions file, no publication), even if in
    no analysis: its NCT id and the last-update date its registry-sourced outcome rows carry."""
    nct = text(t["source"])
    if text(t["pmids"]) or not re.fullmatch(r"NCT\d{8}", nct):
        return []
    outcomes = inputs.outcomes
    rows = outcomes[(outcomes["trial_id"] == t["trial_id"]) & (outcomes["registry_id"] == nct)]
    if rows.empty:
        return []
    dates = sorted({text(d) for d in rows["registry_last_update"] if text(d)})
    return [
        {
            "nct": nct,
            "updated": dates[-1] if dates else "not stated",
            "href": f"https://clinicaltrials.gov/study/{nct}",
        }
    ]


def registry_disagreements(inputs: ReportInputs, trial_ids: set[str]) -> list[dict[str, str]]:
    """Publication and registry numbers that differ beyond rounding (crosscheck.csv, verdict "differ") for these
    trials: listed, never silently resolved (the publication's numbers are the ones analysed by default)."""
    cross = inputs.crosscheck
    rows = cross[(cross["verdict"] == "differ") & cross["trial_id"].isin(trial_ids)]
    keys = ("trial_id", "nct_id", "outcome", "timepoint_months", "arm", "statistic", "curated_value",
            "registry_value", "curated_row_id", "registry_outcome_title")  # fmt: skip
    return [{k: text(r[k]) for k in keys} for _, r in rows.iterrows()]
