"""Hardening of the screening stage (issue 12): bad input never costs good results (4), out-of-range values
and censored dispersions are not mapped (9), tables follow the umask (10)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

from living_helpers import synthetic_study
from test_screening import build, write_curated, write_snapshots

from neuromod_evidence.screening.registry import study_rows
from neuromod_evidence.screening.vocabulary import Vocabulary
from neuromod_evidence.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VOCAB = Vocabulary.from_settings(Settings.load(ROOT / "config" / "config.yaml"))


def eq5d_study(value: str, spread: str) -> dict:
    """The synthetic record with the EQ-5D index of its first group replaced."""
    study = copy.deepcopy(synthetic_study())
    om = next(
        o
        for o in study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
        if o["title"] == "EQ-5D Index"
    )
    cell = om["classes"][0]["categories"][0]["measurements"][0]
    cell.update(value=value, spread=spread)
    return study


def eq5d(study) -> tuple[list[dict], dict[str, str]]:
    rows, unmapped = study_rows(study, VOCAB, trial_id="synth_trial")
    kept = [r for r in rows if r["outcome"] == "qol_eq5d" and r["registry_group_id"] == "OG000"]
    reasons = {u["group_id"]: u["reason"] for u in unmapped if u["outcome_title"] == "EQ-5D Index"}
    return kept, reasons


def test_out_of_range_value_with_censored_se_is_unmapped_with_both_reasons():
    kept, reasons = eq5d(eq5d_study("3.5", "<0.001"))
    assert kept == []
    assert "outside the range of eq5d_index" in reasons["OG000"]
    assert "dispersion is censored ('<0.001')" in reasons["OG000"]


def test_censored_se_alone_is_unmapped():
    kept, reasons = eq5d(eq5d_study("0.56", "<0.001"))
    assert kept == [] and "dispersion is censored" in reasons["OG000"]


def test_out_of_range_value_alone_is_unmapped():
    kept, reasons = eq5d(eq5d_study("3.5", "0.04"))
    assert kept == [] and "3.5 outside the range of eq5d_index (-0.6 to 1)" in reasons["OG000"]


def test_in_range_value_is_still_mapped():
    kept, _ = eq5d(eq5d_study("0.56", "0.04"))
    assert [(r["mean"], r["se"], r["status"]) for r in kept] == [("0.56", "0.04", "verified")]


def test_latin1_curated_file_does_not_touch_screening(tmp_path):
    """Screening reads the validated, normalized tables only: a curated file in latin-1 beside them (which
    validation rejects before screening runs) is never opened, and the tables are built."""
    evidence = tmp_path / "data" / "evidence" / "fbss"
    evidence.mkdir(parents=True)
    (evidence / "trials.csv").write_bytes(
        "trial_id,title\nm\xfcller2020,Stimulation f\xfcr M\xfcller\n".encode("latin-1")
    )
    normalized, snaps = write_curated(tmp_path), write_snapshots(tmp_path)
    queue, prisma, _, _ = build(tmp_path, normalized, snaps)
    assert not queue.empty and prisma.iloc[0]["included_curated"] == "1"


def test_screening_tables_follow_the_umask(tmp_path):
    normalized, snaps = write_curated(tmp_path), write_snapshots(tmp_path)
    old = os.umask(0o027)
    try:
        build(tmp_path, normalized, snaps)
    finally:
        os.umask(old)
    tables = sorted((tmp_path / "results" / "screening").glob("*.csv"))
    assert len(tables) == 5
    assert {p.name: p.stat().st_mode & 0o777 for p in tables} == {p.name: 0o640 for p in tables}
