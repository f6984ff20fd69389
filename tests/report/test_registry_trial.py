"""A trial known only from its registry record shows its NCT id and last-update date, read from its outcome rows'
provenance columns (not parsed back out of free text), also when it is in no analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from neuromod_evidence.report.evidence_view import registry_only_trial
from neuromod_evidence.report.inputs import ReportInputs
from neuromod_evidence.tables import NORMALIZED_OUTCOMES, empty_frame

NCT = "NCT99999901"


def inputs_with(rows: list[dict]) -> ReportInputs:
    outcomes = pd.concat([empty_frame(NORMALIZED_OUTCOMES), pd.DataFrame(rows)], ignore_index=True)
    frames = {
        n: pd.DataFrame() for n in ("trials", "arms", "contrasts", "issues", "summary", "prisma", "queue")
    }
    return ReportInputs(**frames, fit_dir=Path("."), outcomes=outcomes)


def trial(**kw) -> pd.Series:
    return pd.Series({"trial_id": "nct99999901", "source": NCT, "pmids": None, **kw})


def test_the_latest_last_update_of_its_registry_rows_is_shown():
    rows = [
        {"trial_id": "nct99999901", "registry_id": NCT, "registry_last_update": "2024-05-01"},
        {"trial_id": "nct99999901", "registry_id": NCT, "registry_last_update": "2025-01-31"},
        {"trial_id": "other", "registry_id": NCT, "registry_last_update": "2026-01-01"},
    ]
    assert registry_only_trial(inputs_with(rows), trial()) == [
        {"nct": NCT, "updated": "2025-01-31", "href": f"https://clinicaltrials.gov/study/{NCT}"}
    ]


def test_a_missing_date_says_so():
    rows = [{"trial_id": "nct99999901", "registry_id": NCT, "registry_last_update": None}]
    assert registry_only_trial(inputs_with(rows), trial())[0]["updated"] == "not stated"


def test_a_published_or_curated_trial_is_not_aregistry_only_trial():
    rows = [{"trial_id": "nct99999901", "registry_id": NCT, "registry_last_update": "2024-05-01"}]
    assert registry_only_trial(inputs_with(rows), trial(pmids="12345678")) == []
    # curated rows of a trial cited by its NCT id carry no registry provenance
    curated = [{"trial_id": "nct99999901", "registry_id": None, "registry_last_update": None}]
    assert registry_only_trial(inputs_with(curated), trial()) == []
