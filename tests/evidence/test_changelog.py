"""The dated changelog of an indication's curated tables: what the report's "evidence last changed" rests on."""

import datetime as dt
from pathlib import Path

import yaml

from neuromod_evidence.evidence.changelog import check_changelog, last_changed, read_changelog

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 12, 2)


def write(folder: Path, text: str, name: str = "changelog.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_good_changelog_gives_its_newest_date(tmp_path):
    write(tmp_path / "fbss", 'date,change\n2026-11-24,first curation\n2026-12-01,"second reader, round 2"\n')
    entries, problems = read_changelog(tmp_path / "fbss" / "changelog.csv", TODAY)
    assert problems == [] and [e.date.isoformat() for e in entries] == ["2026-11-24", "2026-12-01"]
    assert last_changed(tmp_path, ["fbss", "crps"]) == {"fbss": dt.date(2026, 12, 1), "crps": None}


def test_each_kind_of_bad_row_is_reported_with_its_line(tmp_path):
    folder = write(tmp_path / "fbss", "date,change\n2026-11-24,ok\n24/11/2026,x\n2027-01-01,future\n"
                   "2026-10-01,older than the row above\n2026-12-01,  \n")  # fmt: skip
    found = {(p.line, p.field, p.message.split(" ")[-1]) for p in check_changelog(folder, TODAY)}
    assert (3, "date", "(YYYY-MM-DD)") in found
    assert (4, "date", "2026-12-02)") in found  # in the future
    assert (5, "date", "first") in found  # out of order
    assert (6, "change", "changed") in found  # empty description


def test_a_missing_column_is_one_problem(tmp_path):
    folder = write(tmp_path / "fbss", "when,what\n2026-11-24,x\n")
    [problem] = check_changelog(folder, TODAY)
    assert "lacks column(s) date, change" in problem.message


def test_a_reviewer_tag_newer_than_the_log_is_an_error_and_an_older_one_is_not(tmp_path):
    folder = write(tmp_path / "fbss", "date,change\n2026-11-24,first curation\n")
    write(folder, "row_id,notes\nr1,[2nd reader 2026-11-20] fine\nr2,\"[2nd reader 2026-12-01] re-read\"\n",
          "outcomes.csv")  # fmt: skip
    [problem] = check_changelog(folder, TODAY)
    assert problem.file.endswith("outcomes.csv") and problem.line == 3
    assert "[2nd reader 2026-12-01]" in problem.message and "2026-11-24" in problem.message
    write(folder, "date,change\n2026-11-24,first curation\n2026-12-01,second reader\n")
    assert check_changelog(folder, TODAY) == []


def test_no_changelog_is_no_problem(tmp_path):
    assert check_changelog(tmp_path / "nothing", TODAY) == []


def test_every_bundled_indication_has_a_valid_changelog():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    root = REPO / "data" / "evidence"
    for iid in config["indications"]:
        assert (root / iid / "changelog.csv").is_file(), iid
        assert check_changelog(root / iid) == [], iid
    assert all(d is not None for d in last_changed(root, config["indications"]).values())


def test_validation_of_the_evidence_stops_on_a_bad_changelog(tmp_path):
    import pytest

    from neuromod_evidence.evidence import EvidenceError, load_evidence
    from neuromod_evidence.settings import Settings
    from tests.evidence_factory import knee_config, knee_evidence

    root = tmp_path / "evidence"
    knee_evidence(root)
    settings = Settings.from_config(knee_config(root))
    write(root / "knee_pns", "date,change\n2026-11-24,first curation\n")
    load_evidence(settings, root)  # a good changelog passes
    write(root / "knee_pns", "date,change\nyesterday,first curation\n")
    with pytest.raises(EvidenceError) as err:
        load_evidence(settings, root)
    assert any(p.file.endswith("changelog.csv") and p.field == "date" for p in err.value.problems)
