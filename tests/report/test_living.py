"""The living header and PRISMA: dates that travel with the data (changelog, snapshot sidecars), the review
queue, what changed since the previous report, and curated trials identified "from other methods".

One render with snapshots, changelogs, an extra curated trial and a previous state (`living`); the case
without any of them is the shared report of test_report.py (its assertions are at the end of this file).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from neuromod_evidence.living.snapshots import SnapshotStore
from neuromod_evidence.report.evidence_view import why_not_analysed
from neuromod_evidence.report.living_view import NOT_RUN, search_status
from neuromod_evidence.tables import ISSUES, NORMALIZED_TRIALS, read_table, write_table
from tests.report.test_report import FBSS_PAIN, config_of, page, render

EXTRA = "pdn_extra2020"
OLD_CONCLUSION = "moderate certainty: an earlier statement"


def clock(day: str):
    return lambda: dt.datetime.fromisoformat(f"{day}T08:00:00+00:00")


def snapshots(root: Path) -> Path:
    """ctgov: fbss searched 2026-11-30, crps 2026-11-28 then a failed attempt on 2026-12-01; pdn never.
    PubMed: never."""
    SnapshotStore(root, clock("2026-11-30")).save("ctgov", "fbss", [{"id": "NCT1"}], query={}, requests=[])
    SnapshotStore(root, clock("2026-11-28")).save("ctgov", "crps", [{"id": "NCT2"}], query={}, requests=[])
    SnapshotStore(root, clock("2026-12-01")).record_failure("ctgov", "crps", "timeout")
    SnapshotStore(root, clock("2026-12-01")).record_failure(
        "pubmed", "pdn", "timeout"
    )  # no snapshot: not run
    return root


def extra_trial(engine_output: Path, normalized: Path) -> None:
    """A copy of the normalized tables with one more pdn trial whose only row was excluded."""
    shutil.copytree(engine_output / "results" / "normalized", normalized)
    trials = read_table(NORMALIZED_TRIALS, normalized / "trials.csv")
    row = (
        trials[trials["indication"] == "pdn"]
        .iloc[[0]]
        .assign(trial_id=EXTRA, acronym="EXTRA", pmids="10000099")
    )
    write_table(NORMALIZED_TRIALS, pd.concat([trials, row], ignore_index=True), normalized / "trials.csv")
    issues = read_table(ISSUES, normalized / "issues.csv")
    issue = {"file": "evidence/pdn/outcomes.csv", "line": 9.0, "row_id": "x-1", "trial_id": EXTRA,
             "outcome": "pain_intensity", "severity": "excluded", "reason": "a synthetic reason for exclusion"}  # fmt: skip
    write_table(
        ISSUES, pd.concat([issues, pd.DataFrame([issue])], ignore_index=True), normalized / "issues.csv"
    )


@pytest.fixture(scope="module")
def living(engine_output, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("living")
    evidence = tmp / "evidence"  # the report reads only changelogs (and overrides) from the evidence folder
    for iid, text in (
        ("fbss", "2026-11-20,first\n2026-12-01,second reader\n"),
        ("crps", "2026-10-01,first\n"),
    ):
        (evidence / iid).mkdir(parents=True)
        (evidence / iid / "changelog.csv").write_text("date,change\n" + text, encoding="utf-8")
    results = tmp / "results"
    extra_trial(engine_output, results / "normalized")
    for name in ("fit", "screening"):
        (results / name).symlink_to(engine_output / "results" / name)
    out = tmp / "report"
    folder = out / "history" / "00001_2026-11-01_previous"
    folder.mkdir(parents=True)
    shutil.copyfile(
        engine_output / "results" / "normalized" / "trials.csv", folder / "trials.csv"
    )  # no EXTRA
    shutil.copyfile(engine_output / "results" / "fit" / "summary.csv", folder / "summary.csv")
    (folder / "meta.json").write_text(json.dumps({"fingerprint": "previous", "date": "2026-11-01",
                                      "rendered": "2026-11-02", "conclusions": {FBSS_PAIN: OLD_CONCLUSION}}))  # fmt: skip
    config = {**config_of(engine_output), "evidence_dir": str(evidence)}
    return render(engine_output, out, config=config, results=results, snapshot_dir=snapshots(tmp / "snap"))


def header(html: str) -> str:
    return html[html.index('<header class="top">') : html.index("</header>")]


def test_evidence_date_comes_from_the_changelogs_never_from_file_times(living):
    index = header(page(living, "index.html"))
    assert "Evidence last changed <strong>2026-12-01</strong>" in index
    assert "no changelog.csv for pdn" in index
    assert "Evidence last changed <strong>2026-12-01</strong>" in header(page(living, "fbss.html"))
    assert "Evidence last changed <strong>2026-10-01</strong>" in header(page(living, "crps.html"))
    assert "Evidence last changed <strong>not recorded</strong>" in header(page(living, "pdn.html"))
    meta = json.loads((living / "state" / "meta.json").read_text())
    assert meta["date"] == "2026-12-01" and meta["rendered"] == dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


def test_last_successful_search_per_source(living):
    index = header(page(living, "index.html"))
    assert ("ClinicalTrials.gov <strong>2026-11-28 to 2026-11-30 (by indication); not yet run for 1 of 3 "
            "indications; a later attempt failed on 2026-12-01, the last good snapshot is used</strong>") in index  # fmt: skip
    assert f"PubMed <strong>{NOT_RUN}</strong>" in index  # a failure without any snapshot is no search
    fbss = header(page(living, "fbss.html"))
    assert (
        "ClinicalTrials.gov <strong>2026-11-30</strong>" in fbss
        and f"PubMed <strong>{NOT_RUN}</strong>" in fbss
    )
    assert f"ClinicalTrials.gov <strong>{NOT_RUN}</strong>" in header(page(living, "pdn.html"))


def test_review_queue_and_changes_in_the_header(living):
    fbss, index = header(page(living, "fbss.html")), header(page(living, "index.html"))
    assert "Review queue: <strong>1</strong> record awaiting review" in fbss
    assert (
        "Review queue: <strong>1</strong> record awaiting review" in index
    )  # the engine's one queued record
    assert "Since the previous report (2026-11-02): 1 trial added, 1 conclusion moved" in index
    body = page(living, "index.html")
    changes = body[body.index('id="changes"') : body.index('id="how-to-read"')]
    assert f"New trials:</strong> {EXTRA}" in changes
    assert "Conclusion moved" in changes and OLD_CONCLUSION in changes and FBSS_PAIN in changes


def test_prisma_counts_curated_trials_as_other_methods_and_says_the_search_did_not_run(living):
    pdn = page(living, "pdn.html")
    flow = pdn[pdn.index('id="flow"') : pdn.index('id="excluded"')]
    assert "Identification of studies via other methods" in flow
    assert "Records identified from other methods" in flow and '<span class="n">3</span> trials' in flow
    assert flow.count(NOT_RUN) >= 3  # ClinicalTrials.gov, PubMed, records screened
    assert 'Studies included in the review (curated): <span class="n">3</span>' in flow
    assert 'Contributing to at least one meta-analysis: <span class="n">2</span>' in flow
    # the curated trial in no analysis is listed with the ledger's reason, and flagged in the evidence table
    assert f'<a href="#trial-{EXTRA}">EXTRA</a>: a synthetic reason for exclusion (1 row)' in flow
    assert 'href="#not-analysed">why</a>' in pdn
    fbss = page(living, "fbss.html")  # prisma.csv present: its counts, not "not yet run"
    assert 'ClinicalTrials.gov: <span class="n">212</span>' in fbss


def test_why_not_analysed_without_rows_and_with_several_reasons():
    issues = pd.DataFrame({"trial_id": ["t", "t", "t", "u"], "severity": ["excluded", "excluded", "warning", "excluded"],
                           "reason": ["a | b", "a", "caveat", "c"]})  # fmt: skip
    assert why_not_analysed(issues, "t") == ["a (2 rows)", "b (1 row)"]
    assert why_not_analysed(issues, "v") == [
        "no outcome or contrast rows were curated for it (nothing to analyse)"
    ]


def test_search_status_without_a_snapshot_folder():
    status = search_status(None, ["fbss"])
    assert status == {s: {"fbss": {"run": False, "date": None, "failed": None}} for s in ("ctgov", "pubmed")}


def test_header_without_snapshots_changelogs_or_history(engine_output, tmp_path):
    """The engine's evidence has no changelog and the render no snapshot folder and no previous report."""
    out = render(engine_output, tmp_path / "report", history=False)
    index = header(page(out, "index.html"))
    assert "Evidence last changed <strong>not recorded</strong>" in index and "Data as of" not in index
    assert index.count(NOT_RUN) == 2
    assert "Review queue: <strong>1</strong> record awaiting review" in index
    assert "no earlier report to compare with" in index
    pdn = page(out, "pdn.html")
    assert "Review queue: empty (no database search has run yet)" in header(pdn)
    assert "Records identified from other methods" in pdn and '<span class="n">2</span> trials' in pdn
