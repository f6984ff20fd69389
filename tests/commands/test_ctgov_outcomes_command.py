"""`neuromod-evidence ctgov-outcomes STUDY.json` on genuine and synthetic records."""

from __future__ import annotations

import csv
import io
import json

import pytest
from living_helpers import API, GENUINE_STUDIES

from neuromod_evidence.cli import main
from neuromod_evidence.screening.registry import COMMAND_COLUMNS


def run(capsys, *args):
    status = main(["ctgov-outcomes", *map(str, args)])
    out = capsys.readouterr()
    return status, list(csv.DictReader(io.StringIO(out.out))), out


@pytest.mark.parametrize("nct", GENUINE_STUDIES)
def test_every_genuine_record_prints(capsys, nct):
    status, rows, out = run(capsys, API / f"ctgov-v2-study-{nct}.json")
    assert status == 0 and rows
    assert list(rows[0]) == COMMAND_COLUMNS
    assert all(r["nct_id"] == nct for r in rows)
    assert all(r["reason"] for r in rows if not r["maps_to"])  # every unusable row says why


def test_synthetic_record_maps_and_usable_only(capsys):
    status, rows, _ = run(capsys, API / "synthetic-ctgov-scs-study.json", "--usable-only")
    assert status == 0
    assert {r["maps_to"] for r in rows} == {"pain_intensity", "responder_50", "disability_odi", "qol_eq5d",
                                           "device_complications", "opioid_dose"}  # fmt: skip
    resp = [r for r in rows if r["maps_to"] == "responder_50"]
    assert [r["derived_events"] for r in resp] == ["24", "4"]


def test_search_page_and_snapshot_shapes(capsys, tmp_path):
    page = {"studies": [json.loads((API / "ctgov-v2-study-NCT00763412.json").read_text())], "totalCount": 1}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    status, rows, _ = run(capsys, path)
    assert status == 0 and rows


@pytest.mark.parametrize(
    "content, status",
    [
        ("{not json", 2),
        ('{"hello": 1}', 2),
        ('{"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}}', 0),
        ('{"protocolSection": {}, "resultsSection": {"outcomeMeasuresModule": null}}', 0),
        (
            '{"protocolSection": {}, "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": [{}]}}}',
            0,
        ),
    ],
)
def test_bad_and_bare_files(capsys, tmp_path, content, status):
    path = tmp_path / "x.json"
    path.write_text(content)
    got, _, out = run(capsys, path)
    assert got == status
    if status:
        assert "x.json" in out.err


def test_module_is_cheap_to_import():
    import subprocess
    import sys

    code = "import sys, neuromod_evidence.commands.ctgov_outcomes; print('pandas' in sys.modules, 'requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_a_failure_prints_no_csv_at_all(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    status, rows, out = run(capsys, API / "synthetic-ctgov-scs-study.json", str(bad))
    assert status == 2 and out.out == "" and rows == []
