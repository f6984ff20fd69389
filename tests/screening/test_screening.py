"""Screening queue, PRISMA counts and the registry cross-check, from snapshots and curated tables."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from living_helpers import genuine_study, settings, synthetic_study, text, two_pages

from neuromod_evidence.living.pubmed import parse as pubmed
from neuromod_evidence.living.snapshots import SnapshotStore
from neuromod_evidence.screening.build import build_screening, extract_registry_results
from neuromod_evidence.screening.crosscheck import match_arms
from neuromod_evidence.screening.curated import NormalizedPaths
from neuromod_evidence.tables import (
    CROSSCHECK,
    NORMALIZED_ARMS,
    NORMALIZED_OUTCOMES,
    NORMALIZED_TRIALS,
    PRISMA,
    QUEUE,
    empty_frame,
    write_table,
)

EFETCH = text("pubmed-efetch-PMID22663011.xml")
QUEUE_COLUMNS, PRISMA_COLUMNS, CROSSCHECK_COLUMNS = (
    list(QUEUE.columns),
    list(PRISMA.columns),
    list(CROSSCHECK.columns),
)


def write_normalized(folder, trials=(), arms=(), outcomes=()):
    """Normalized tables (the validated curated evidence) holding the given rows, other columns empty."""
    for table, rows in (
        (NORMALIZED_TRIALS, trials),
        (NORMALIZED_ARMS, arms),
        (NORMALIZED_OUTCOMES, outcomes),
    ):
        frame = pd.DataFrame(list(rows)).reindex(columns=list(table.columns)) if rows else empty_frame(table)
        write_table(table, frame, folder / f"{table.name}.csv")
    return folder


def write_curated(root):
    """One made-up curated trial whose registry record is the synthetic NCT99999901."""
    trials = [dict(trial_id="synth_trial", registry_ids="NCT99999901", pmids="39999901", indication="fbss")]
    arms = [
        dict(trial_id="synth_trial", arm_id="scs", label="SCS plus CMM", **{"class": "scs_tonic"}),
        dict(trial_id="synth_trial", arm_id="cmm", label="Conventional medical management", **{"class": "cmm"}),
    ]  # fmt: skip
    base = dict(trial_id="synth_trial", outcome="pain_intensity", site="leg", value_type="final",
                timepoint_months="6")  # fmt: skip
    outcomes = [
        dict(base, row_id="r1", arm_id="scs", scale="vas_cm", mean="3.25", sd="2.01", n="50"),  # agrees (cm vs mm)
        dict(base, row_id="r2", arm_id="cmm", scale="vas_mm", mean="66", sd="18.4", n="50"),  # mean differs
        dict(base, row_id="r3", arm_id="cmm", scale="vas_mm", timepoint_months="24", mean="60"),  # not posted
        dict(row_id="r4", trial_id="synth_trial", arm_id="scs", outcome="responder_50", timepoint_months="6",
             scale="proportion", percent="48", total="50"),  # fmt: skip
    ]  # fmt: skip
    return write_normalized(root / "normalized", trials, arms, outcomes)


def write_snapshots(root):
    store = SnapshotStore(root / "snapshots")
    p1, p2 = two_pages()
    studies = p1["studies"] + p2["studies"]
    withdrawn = copy.deepcopy(studies[0])
    withdrawn["protocolSection"]["identificationModule"]["nctId"] = "NCT99999902"
    withdrawn["protocolSection"]["statusModule"]["overallStatus"] = "WITHDRAWN"
    records = [{"id": s["protocolSection"]["identificationModule"]["nctId"], "matched_by": ["search"], "study": s}
               for s in [*studies, withdrawn]]  # fmt: skip
    records.append({"id": "NCT99999901", "matched_by": ["curated", "search"], "study": synthetic_study()})
    records.append({"id": "NCT00763412", "matched_by": ["search"], "study": genuine_study("NCT00763412")})
    store.save("ctgov", "fbss", records, query={"q": 1}, requests=[])
    [(art, xml)] = pubmed.parse_efetch(EFETCH)  # genuine RCT publication, NCT01245062: not curated
    non_rct = xml.replace(">Randomized Controlled Trial<", ">Review<").replace("22663011", "22663099")
    curated_pub = xml.replace("22663011", "39999901")
    follow_up = xml.replace("22663011", "39999902").replace("NCT01245062", "NCT99999901")
    linked_to_queued = xml.replace("22663011", "39999903").replace("NCT01245062", "NCT02710084")
    store.save("pubmed", "fbss", [
        {"id": "22663011", "matched_by": ["query"], "xml": xml},
        {"id": "22663099", "matched_by": ["registry_id"], "xml": non_rct},
        {"id": "39999901", "matched_by": ["registry_id"], "xml": curated_pub},
        {"id": "39999902", "matched_by": ["registry_id"], "xml": follow_up},
        {"id": "39999903", "matched_by": ["registry_id"], "xml": linked_to_queued},
    ], query={"term": "x"}, requests=[])  # fmt: skip
    return root / "snapshots"


def build(tmp_path, normalized, snaps, decisions=None):
    out = tmp_path / "results" / "screening"
    fetch = {"snapshot_dir": str(snaps), "intervention_terms": ["spinal cord stimulation", "oxytocin"],
             "decisions_file": str(decisions or tmp_path / "no-decisions.csv")}  # fmt: skip
    cfg = settings(fetch)
    extract_registry_results(cfg, normalized / "trials.csv", out / "registry_outcomes.csv",
                             out / "registry_unmapped.csv")  # fmt: skip
    build_screening(cfg, NormalizedPaths.in_folder(normalized), out / "registry_outcomes.csv", out / "queue.csv",
                    out / "prisma.csv", out / "crosscheck.csv")  # fmt: skip
    read = lambda name: pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    return read("queue"), read("prisma"), read("crosscheck"), read("registry_outcomes")


def test_queue_prisma_and_crosscheck(tmp_path):
    evidence, snaps = write_curated(tmp_path), write_snapshots(tmp_path)
    queue, prisma, cross, reg = build(tmp_path, evidence, snaps)
    assert list(queue.columns) == QUEUE_COLUMNS and list(prisma.columns) == PRISMA_COLUMNS
    assert list(cross.columns) == CROSSCHECK_COLUMNS
    # registry rows of the curated trial carry its trial id
    assert set(reg.loc[reg["nct_id"] == "NCT99999901", "trial_id"]) == {"synth_trial"}

    ids = dict(zip(queue["id"], queue["source"], strict=True))
    assert ids["NCT02710084"] == "ctgov" and "NCT99999901" not in ids and "NCT99999902" not in ids
    assert ids["22663011"] == "pubmed" and ids["39999902"] == "pubmed"
    assert "22663099" not in ids and "39999901" not in ids and "39999903" not in ids
    follow = queue[queue["id"] == "39999902"].iloc[0]
    assert "new publication of curated trial synth_trial" in follow["why_matched"]
    oxy = queue[queue["id"] == "NCT02710084"].iloc[0]
    assert "oxytocin" in oxy["why_matched"] and oxy["first_seen"] and "39999903" in oxy["linked_ids"]

    p = prisma.iloc[0]
    n = {
        k: int(p[k])
        for k in PRISMA_COLUMNS
        if k.startswith(("records", "duplicates", "awaiting", "excluded"))
    }
    assert n["records_identified_registry"] == 13 and n["records_identified_pubmed"] == 5
    assert n["duplicates_removed"] == 1
    assert n["records_screened"] == 13 + 5 - 1
    assert (
        n["records_screened"]
        == n["records_of_curated_trials"] + n["excluded_with_reason"] + n["awaiting_review"]
    )
    assert "withdrawn" in p["exclusion_reasons"] and "not Randomized" in p["exclusion_reasons"]
    assert p["included_curated"] == "1" and p["note"] == ""

    verdict = {(r["curated_row_id"], r["statistic"]): r["verdict"] for _, r in cross.iterrows()}
    assert verdict[("r1", "mean")] == "agree" and verdict[("r1", "sd")] == "agree"  # 3.25 cm = 32.5 mm
    assert verdict[("r2", "mean")] == "differ" and verdict[("r2", "sd")] == "agree"
    assert verdict[("r3", "")] == "no registry counterpart"
    assert verdict[("r4", "percent")] == "agree" and verdict[("r4", "total")] == "agree"
    r2 = cross[(cross["curated_row_id"] == "r2") & (cross["statistic"] == "mean")].iloc[0]
    assert float(r2["difference"]) == pytest.approx(-5.0)


def test_reviewer_decisions(tmp_path):
    evidence, snaps = write_curated(tmp_path), write_snapshots(tmp_path)
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("indication,id,decision,reason\nfbss,NCT02710084,exclude,wrong population\n")
    queue, prisma, _, _ = build(tmp_path, evidence, snaps, decisions)
    assert "NCT02710084" not in set(queue["id"])
    assert "excluded by reviewer: wrong population: 1" in prisma.iloc[0]["exclusion_reasons"]


def test_no_snapshot_gives_empty_tables_that_say_so(tmp_path):
    normalized = write_normalized(tmp_path / "normalized")  # no curated trial at all
    queue, prisma, cross, reg = build(tmp_path, normalized, tmp_path / "no-snapshots")
    assert queue.empty and cross.empty and reg.empty
    assert list(queue.columns) == QUEUE_COLUMNS
    p = prisma.iloc[0]
    assert p["records_screened"] == "0" and "no registry snapshot yet" in p["note"]
    assert "no PubMed snapshot yet" in p["note"] and p["registry_snapshot"] == "none"


def test_match_arms_needs_a_unique_best():
    arms = pd.DataFrame([dict(arm_id="scs", label="SCS", **{"class": "scs_tonic"}),
                         dict(arm_id="cmm", label="CMM", **{"class": "cmm"})])  # fmt: skip
    groups = {
        "spinal_cord_stimulation": "Spinal Cord Stimulation",
        "medical": "Conventional Medical Management",
    }
    assert match_arms(arms, groups) == {"scs": "spinal_cord_stimulation", "cmm": "medical"}
    assert match_arms(arms, {"a": "Group A", "b": "Group B"}) == {}
