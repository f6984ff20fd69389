"""The optional risk-of-bias table (rob.csv): validated like the other curated tables, passed on by normalize."""

from __future__ import annotations

import pytest

from neuromod_evidence.evidence import EvidenceError, load_evidence
from neuromod_evidence.normalize import normalize, write_normalized
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import ROB, read_table
from tests.evidence_factory import knee_config, knee_evidence

HEADER = "trial_id,outcome,domain,judgement,source,location,quote,status,notes\n"


@pytest.fixture
def knee(tmp_path):
    root = tmp_path / "evidence"
    knee_evidence(root)
    return root, Settings.from_config(knee_config(root))


def _trial_ids(root):
    import pandas as pd

    return list(pd.read_csv(root / "knee_pns" / "trials.csv")["trial_id"])


def test_absent_rob_is_no_rows_and_normalize_writes_an_empty_contract_table(knee, tmp_path):
    root, settings = knee
    evidence = load_evidence(settings, root)
    assert evidence.rob is not None and len(evidence.rob) == 0
    write_normalized(normalize(evidence, settings), tmp_path / "out")
    assert len(read_table(ROB, tmp_path / "out" / "rob.csv")) == 0


def test_rob_rows_are_validated_and_passed_on(knee, tmp_path):
    root, settings = knee
    tid = _trial_ids(root)[0]
    (root / "knee_pns" / "rob.csv").write_text(
        HEADER
        + f"{tid},,randomization,low,PMID:1,abstract,computer generated,verified,\n"
        + f"{tid},pain_intensity,measurement,high,PMID:1,abstract,open label,verified,unblinded\n",
        encoding="utf-8",
    )
    evidence = load_evidence(settings, root)
    write_normalized(normalize(evidence, settings), tmp_path / "out")
    rob = read_table(ROB, tmp_path / "out" / "rob.csv")
    assert list(rob["judgement"]) == ["low", "high"] and set(rob["indication"]) == {"knee_pns"}


@pytest.mark.parametrize(
    "row, line, field",
    [
        ("{tid},,randomisation,low,PMID:1,abstract,q,verified,", 2, "domain"),
        ("{tid},,randomization,unclear,PMID:1,abstract,q,verified,", 2, "judgement"),
        ("nobody_2020,,randomization,low,PMID:1,abstract,q,verified,", 2, "trial_id"),
        ("{tid},,randomization,low,PMID:1,abstract,,verified,", 2, "quote"),
    ],
)
def test_a_bad_rob_row_is_named_by_file_line_and_field(knee, row, line, field):
    root, settings = knee
    tid = _trial_ids(root)[0]
    path = root / "knee_pns" / "rob.csv"
    path.write_text(HEADER + row.format(tid=tid) + "\n", encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        load_evidence(settings, root)
    text = str(info.value)
    assert f"{path}, line {line}, field '{field}'" in text, text


def test_a_second_judgement_of_the_same_domain_is_an_error(knee):
    root, settings = knee
    tid = _trial_ids(root)[0]
    row = f"{tid},,randomization,low,PMID:1,abstract,q,verified,\n"
    (root / "knee_pns" / "rob.csv").write_text(HEADER + row + row, encoding="utf-8")
    with pytest.raises(EvidenceError, match="line 3, field 'domain'"):
        load_evidence(settings, root)
