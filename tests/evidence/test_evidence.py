"""Validation of curated evidence: every malformed input names file, line and field."""

from __future__ import annotations

import pytest

from neuromod_evidence.evidence import EvidenceError, load_evidence
from neuromod_evidence.settings import Settings
from tests.evidence_factory import (
    DEFAULT_CONFIG_PATH,
    arm,
    contrast,
    knee_config,
    knee_evidence,
    outcome,
    trial,
    write_indication,
)


@pytest.fixture
def knee(tmp_path):
    root = tmp_path / "evidence"
    knee_evidence(root)
    return root, Settings.from_config(knee_config(root))


def _rewrite(root, table, mutate):
    import pandas as pd

    path = root / "knee_pns" / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    changed = mutate(df)
    (df if changed is None else changed).to_csv(path, index=False)
    return path


def _knee_and_other(tmp_path, trials, arms, outcomes) -> tuple:
    """The knee evidence plus a second indication, "other" (PNS vs sham, pain intensity), with these rows."""
    root = tmp_path / "ev"
    knee_evidence(root)
    config = knee_config(root)
    config["indications"]["other"] = {
        "label": "Other",
        "outcomes": {"pain_intensity": {}},
        "comparisons": {"x": {"label": "x", "intervention": ["pns"], "comparator": ["placebo_sham"]}},
    }
    write_indication(root, "other", trials, arms, outcomes)
    return root, Settings.from_config(config)


def _error(root, config) -> EvidenceError:
    with pytest.raises(EvidenceError) as info:
        load_evidence(config, root)
    return info.value


def test_valid_fixture_loads(knee):
    root, config = knee
    ev = load_evidence(config, root)
    assert len(ev.trials) == 2 and len(ev.arms) == 4 and len(ev.outcomes) == 8


def test_bundled_evidence_is_valid():
    config = Settings.load(DEFAULT_CONFIG_PATH)
    ev = load_evidence(config)
    assert set(ev.trials["indication"]) == set(config.indications)  # every configured indication has trials
    assert ev.trials["trial_id"].is_unique


@pytest.mark.parametrize(
    ("table", "line", "field", "value", "message"),
    [
        ("arms", 2, "class", "scs_foo", "unknown intervention/comparator class 'scs_foo'"),
        ("outcomes", 6, "events", "40", "events 40 exceed total 38"),
        ("outcomes", 2, "sd", "-3", "must be greater than 0"),
        ("outcomes", 2, "scale", "vas_inches", "unknown scale 'vas_inches'"),
        ("outcomes", 3, "timepoint_months", "300", "outside every analysis window"),
        ("outcomes", 2, "mean", "abc", "'abc' is not a number"),
        ("outcomes", 2, "outcome", "happiness", "unknown outcome 'happiness'"),
        ("outcomes", 2, "scale", "odi_0_100", "needs a pain scale"),
        ("outcomes", 2, "mean", "150", "outside the range [0, 100]"),
        ("outcomes", 2, "source", "doi:10.1/x", "does not have the expected form"),
        ("outcomes", 2, "status", "guessed", "is not one of the allowed values"),
        ("arms", 3, "n_randomized", "12.5", "whole number"),
    ],
)
def test_single_defect_is_reported_with_file_line_and_field(knee, table, line, field, value, message):
    root, config = knee

    def plant(df):
        df.loc[line - 2, field] = value

    path = _rewrite(root, table, plant)
    err = _error(root, config)
    text = str(err)
    assert str(path) in text
    assert f"line {line}" in text
    assert f"field '{field}'" in text
    assert message in text


def test_ci_that_does_not_contain_its_estimate(tmp_path):
    root = tmp_path / "ev"
    knee_evidence(root)
    import pandas as pd

    path = root / "knee_pns" / "contrasts.csv"
    row = contrast("bad-ci", "knee_a2020", "pns", "sham", estimate=-2.0, ci_low=-1.5, ci_high=3.0)
    pd.DataFrame([row]).reindex(columns=pd.read_csv(path).columns).to_csv(path, index=False)
    err = _error(root, Settings.from_config(knee_config(root)))
    assert "does not contain the estimate -2" in str(err)
    assert "line 2" in str(err) and "field 'ci_low'" in str(err)


def test_arm_mean_outside_its_ci(knee):
    root, config = knee

    def plant(df):
        df.loc[0, "ci_low"], df.loc[0, "ci_high"] = "40", "50"

    _rewrite(root, "outcomes", plant)
    assert "does not contain the mean 35" in str(_error(root, config))


def test_duplicated_trial_id_across_indications(tmp_path):
    root, settings = _knee_and_other(
        tmp_path, [trial("knee_a2020", "other")],
        [arm("knee_a2020", "pns", "pns", 10), arm("knee_a2020", "sham", "placebo_sham", 10)], [],
    )  # fmt: skip
    err = _error(root, settings)
    assert "duplicated trial id 'knee_a2020'" in str(err)
    assert "other/trials.csv" in str(err) and "knee_pns/trials.csv" in str(err)


def test_unknown_column_and_missing_column(knee):
    root, config = knee
    _rewrite(root, "arms", lambda df: df.rename(columns={"label": "lable"}))
    text = str(_error(root, config))
    assert "field 'lable': unknown column" in text
    assert "field 'label': required column is missing" in text


def test_reference_to_unknown_arm(knee):
    root, config = knee
    _rewrite(
        root, "outcomes", lambda df: df.__setitem__("arm_id", df["arm_id"].where(df.index != 1, "placebo"))
    )
    assert "unknown arm 'placebo' of trial 'knee_a2020'" in str(_error(root, config))


def test_missing_table_is_named(knee):
    root, config = knee
    (root / "knee_pns" / "contrasts.csv").unlink()
    assert "contrasts.csv" in str(_error(root, config)) and "missing" in str(_error(root, config))


def test_every_problem_is_listed_not_just_the_first(knee):
    root, config = knee

    def plant(df):
        df.loc[0, "sd"] = "-1"
        df.loc[5, "total"] = "0"

    _rewrite(root, "outcomes", plant)
    err = _error(root, config)
    assert len(err.problems) >= 2


def test_binary_row_needs_a_value(knee):
    root, config = knee

    def plant(df):
        df.loc[4, "events"] = ""
        df.loc[4, "total"] = ""

    _rewrite(root, "outcomes", plant)
    assert "needs 'events'" in str(_error(root, config))


def test_validation_never_modifies_the_files(knee):
    root, config = knee
    before = {p: p.read_bytes() for p in (root / "knee_pns").iterdir()}
    _rewrite(root, "arms", lambda df: df.__setitem__("class", "nope"))
    before[root / "knee_pns" / "arms.csv"] = (root / "knee_pns" / "arms.csv").read_bytes()
    _error(root, config)
    assert before == {p: p.read_bytes() for p in (root / "knee_pns").iterdir()}


def test_outcome_factory_default_row_is_valid():
    # guards the factory itself: a default outcome row must use vocabulary the config knows
    row = outcome("x", "t", "a")
    assert row["scale"] == "vas_mm" and row["outcome"] == "pain_intensity"


def test_an_empty_curated_file_names_the_file_and_what_is_wrong(knee):
    root, config = knee
    (root / "knee_pns" / "contrasts.csv").write_text("", encoding="utf-8")
    text = str(_error(root, config))
    assert "knee_pns/contrasts.csv" in text and "empty file" in text and "row_id,trial_id" in text
    assert "Traceback" not in text and len(text.splitlines()) == 2


@pytest.mark.parametrize("value", ["inf", "-inf", "1e309", "NaN", "nan", "Infinity"])
@pytest.mark.parametrize("column", ["sd", "se", "timepoint_months"])
def test_non_finite_numbers_are_errors_naming_file_line_and_field(knee, value, column):
    root, config = knee
    _rewrite(
        root,
        "outcomes",
        lambda df: df.assign(**{column: df[column].astype(object).where(df.index != 0, value)}),
    )
    text = str(_error(root, config))
    assert f"outcomes.csv, line 2, field '{column}': '{value}' is not a finite number" in text


def test_a_huge_file_is_refused_at_once_and_problems_are_capped(knee, monkeypatch):
    from neuromod_evidence.evidence import loading

    root, config = knee
    path = root / "knee_pns" / "outcomes.csv"
    junk = "\n".join(f"junk{i},x,y,z" for i in range(3000))
    path.write_text(path.read_text() + junk + "\n", encoding="utf-8")
    monkeypatch.setattr(loading, "MAX_ROWS", 1000)
    text = str(_error(root, config))
    assert "more than the limit of 1,000 rows" in text
    monkeypatch.setattr(loading, "MAX_ROWS", 20_000)
    monkeypatch.setattr(loading, "MAX_PROBLEMS", 50)
    err = _error(root, config)
    assert len(err.problems) == 51 and "more problems (only the first 50 are listed)" in str(err.problems[-1])
    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 1000)
    assert "larger than the limit of 1,000 bytes" in str(_error(root, config))


def test_files_validated_together_still_report_the_one_file_and_line(tmp_path):
    """Same-header files of several indications are validated in one pandera run; a defect must still be
    reported against its own file and spreadsheet line, and nothing against the clean files."""
    root, settings = _knee_and_other(
        tmp_path, [trial("other_a2020", "other")],
        [arm("other_a2020", "pns", "pns", 10), arm("other_a2020", "sham", "placebo_sham", -3)],
        [outcome("o-pns", "other_a2020", "pns", mean=3, sd=1, n=10, scale="nrs_0_10")],
    )  # fmt: skip
    err = _error(root, settings)
    assert [(p.file.split("/ev/")[1], p.line, p.field) for p in err.problems] == [
        ("other/arms.csv", 3, "n_randomized")
    ], err.problems
