"""The safety table: device events per trial arm as reported, for the outcomes the config marks ``safety``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from neuromod_evidence.config import load_config
from neuromod_evidence.report.inputs import ReportInputs
from neuromod_evidence.report.safety_view import count_text, safety_rows
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import (
    CONTRASTS,
    ISSUES,
    NORMALIZED_ARMS,
    NORMALIZED_OUTCOMES,
    NORMALIZED_TRIALS,
    PRISMA,
    QUEUE,
    SUMMARY,
    empty_frame,
)


def _frame(table, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in table.columns} for r in rows], columns=list(table.columns))


def _inputs() -> ReportInputs:
    trials = _frame(NORMALIZED_TRIALS, [
        {"trial_id": "late2020", "acronym": "LATE", "year": 2020.0, "indication": "fbss"},
        {"trial_id": "early2005", "first_author": "Early", "year": 2005.0, "indication": "fbss"},
        {"trial_id": "other2010", "acronym": "OTHER", "year": 2010.0, "indication": "pdn"},
    ])  # fmt: skip
    arms = _frame(NORMALIZED_ARMS, [
        {"trial_id": "late2020", "arm_id": "scs", "label": "SCS plus CMM"},
        {"trial_id": "early2005", "arm_id": "scs", "label": "Tonic SCS"},
    ])  # fmt: skip
    prov = {"source": "PMID:123", "location": "abstract", "quote": "q", "status": "verified"}
    outcomes = _frame(NORMALIZED_OUTCOMES, [
        {"row_id": "a", "trial_id": "late2020", "arm_id": "scs", "outcome": "device_explant", "timepoint_months": 12.0,
         "events": 3.0, "total": 50.0, **prov},
        {"row_id": "b", "trial_id": "late2020", "arm_id": "scs", "outcome": "device_complications",
         "timepoint_months": 6.0, "percent": 17.6, **prov},
        {"row_id": "c", "trial_id": "early2005", "arm_id": "scs", "outcome": "device_complications",
         "timepoint_months": 24.0, "events": 6.0, "total": 24.0, **prov, "source": "NCT01234567"},
        {"row_id": "d", "trial_id": "late2020", "arm_id": "scs", "outcome": "responder_50", "timepoint_months": 6.0,
         "events": 20.0, "total": 50.0, **prov},
        {"row_id": "e", "trial_id": "other2010", "arm_id": "scs", "outcome": "device_explant", "timepoint_months": 6.0,
         "events": 1.0, "total": 9.0, **prov},
    ])  # fmt: skip
    return ReportInputs(trials=trials, arms=arms, contrasts=empty_frame(CONTRASTS), issues=empty_frame(ISSUES),
                        summary=empty_frame(SUMMARY), prisma=empty_frame(PRISMA), queue=empty_frame(QUEUE),
                        fit_dir=Path("."), outcomes=outcomes)  # fmt: skip


def _config() -> dict:
    config = load_config()
    config["indications"]["fbss"]["outcomes"]["device_explant"] = {}  # fbss lists complications only
    return config


def test_the_safety_table_lists_only_safety_outcomes_of_the_indication_in_order():
    rows = safety_rows(_inputs(), "fbss", Settings.from_config(_config()))
    # config order of the outcomes (complications before explants), then trial year, then follow-up
    assert [(r["trial"], r["month"], r["count"]) for r in rows] == [
        ("Early", "24", "6/24 (25.0 %)"),
        ("LATE", "6", "17.6 %"),
        ("LATE", "12", "3/50 (6.0 %)"),
    ]
    assert rows[0]["arm"] == "Tonic SCS" and rows[0]["source"][0]["href"].endswith("/study/NCT01234567")
    assert rows[1]["source"][0]["href"] == "https://pubmed.ncbi.nlm.nih.gov/123/"


def test_an_outcome_not_marked_safety_or_not_in_the_indication_is_not_listed():
    config = _config()
    config["outcomes"]["device_explant"]["safety"] = False
    rows = safety_rows(_inputs(), "fbss", Settings.from_config(config))
    assert {r["outcome"] for r in rows} == {
        Settings.from_config(config).outcomes["device_complications"].label
    }
    assert (
        len(safety_rows(_inputs(), "fbss", Settings.from_config(load_config()))) == 2
    )  # explants not in fbss


def test_counts_are_shown_as_the_source_gave_them():
    assert count_text(13, 42, 31) == "13/42 (31.0 %)"  # the printed percentage, not a recomputed one
    assert count_text(None, None, 5.2) == "5.2 %"
    assert count_text(27, None, 32) == "32 % (27 events)"
    assert count_text(None, None, None) == "not reported"
