"""Registry results → arm-level rows: genuine records never break, the synthetic SCS record maps exactly."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from living_helpers import GENUINE_STUDIES, genuine_study, synthetic_study

from neuromod_evidence.living.ctgov.results import (
    dispersion_kind,
    parse_number,
    read_measurements,
    timepoints_in,
)
from neuromod_evidence.screening.registry import command_rows, study_rows
from neuromod_evidence.screening.vocabulary import Vocabulary
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import REGISTRY_OUTCOMES

ROOT = Path(__file__).resolve().parents[2]
VOCAB = Vocabulary.from_settings(Settings.load(ROOT / "config" / "config.yaml"))
OUTCOME_COLUMNS = [c for c in REGISTRY_OUTCOMES.columns if c != "indication"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12.5", (12.5, "")),
        ("-0.3", (-0.3, "")),
        ("1,234", (1234.0, "")),
        ("NA", None),
        ("", None),
        ("<0.001", None),
    ],
)
def test_parse_number(text, expected):
    value, problem = parse_number(text)
    if expected is None:
        assert value is None and problem
    else:
        assert (value, problem) == expected


@pytest.mark.parametrize(
    "text, kind, level",
    [
        ("Standard Deviation", "sd", None),
        ("STANDARD_DEVIATION", "sd", None),
        ("Standard Error", "se", None),
        ("95% Confidence Interval", "ci", 0.95),
        ("CONFIDENCE_90", "ci", 0.90),
        ("Inter-Quartile Range", "iqr", None),
        ("Full Range", "range", None),
        ("FULL_RANGE", "range", None),
        ("Geometric Coefficient of Variation", "gcv", None),
        ("", "", None),
    ],
)
def test_dispersion_kind(text, kind, level):
    got_kind, got_level = dispersion_kind(text)
    assert got_kind == kind and (got_level == pytest.approx(level) if level else got_level is None)


@pytest.mark.parametrize(
    "text, months",
    [
        ("Week 16", [3.68]),
        ("Baseline to Week 16", [0.0, 3.68]),
        ("2 year/end of study", [24.0]),
        ("Baseline (single timepoint only)", [0.0]),
        ("3, 6 and 12 months", [3.0, 6.0, 12.0]),
        ("Day 28", [0.92]),
    ],
)
def test_timepoints(text, months):
    assert timepoints_in(text) == months


@pytest.mark.parametrize("nct", GENUINE_STUDIES)
def test_genuine_records_never_break_and_nothing_is_guessed(nct):
    study = genuine_study(nct)
    cells = read_measurements(study)
    n_cells = sum(
        len(m["measurements"]) for o in study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
        for c in o.get("classes", []) for m in c["categories"]
    )  # fmt: skip
    assert len(cells) == n_cells
    rows, unmapped = study_rows(study, VOCAB)
    assert rows == []  # no dermatology/cystic fibrosis/chewing outcome is a pain outcome
    assert len(unmapped) == n_cells and all(u["reason"] for u in unmapped)


def test_genuine_quirks_are_read():
    cmd = command_rows(genuine_study("NCT02210780"), VOCAB)
    pct = next(r for r in cmd if r["unit"] == "Percentage of participants")
    assert pct["statistic"] == "percent" and pct["derived_events"] == str(round(83.7 * 92 / 100))
    ls = next(r for r in cmd if r["statistic"] == "ls_mean")
    assert ls["dispersion_type"] == "Standard Error" and ls["timepoint_months"] == "3.68"
    six = command_rows(genuine_study("NCT05594173"), VOCAB)
    assert len({r["group_id"] for r in six}) == 6  # six outcome groups, one flow group: read as posted
    cf = command_rows(genuine_study("NCT00763412"), VOCAB)
    assert {r["class_title"] for r in cf} >= {"fasting glucose", "2 hour glucose"}
    assert all(r["timepoint_months"] in ("24", "0") for r in cf)


def synthetic_rows():
    rows, unmapped = study_rows(synthetic_study(), VOCAB, trial_id="synth_trial")
    return {(r["outcome"], r["arm_id"], r["timepoint_months"]): r for r in rows}, unmapped


def test_synthetic_mapping():
    rows, unmapped = synthetic_rows()
    leg = rows[("pain_intensity", "scs_plus_cmm", "6")]
    assert set(OUTCOME_COLUMNS) <= set(leg)
    assert (leg["scale"], leg["site"], leg["value_type"], leg["mean"], leg["sd"], leg["n"]) == (
        "vas_mm", "leg", "final", "32.5", "20.1", "50",
    )  # fmt: skip
    assert leg["source"] == "NCT99999901" and leg["location"] == "registry: Leg Pain Intensity (VAS)"
    assert leg["status"] == "verified" and leg["trial_id"] == "synth_trial"
    back = rows[("pain_intensity", "conventional_medical_management_cmm", "12")]
    assert (back["scale"], back["site"], back["median"], back["q1"], back["q3"]) == (
        "nrs_0_10",
        "back",
        "6",
        "5",
        "8",
    )
    resp = rows[("responder_50", "conventional_medical_management_cmm", "6")]
    assert (resp["percent"], resp["total"], resp["events"], resp["scale"]) == ("9", "44", "", "proportion")
    odi = rows[("disability_odi", "scs_plus_cmm", "6")]
    assert (odi["value_type"], odi["mean"], odi["ci_low"], odi["ci_high"], odi["ci_level"]) == (
        "change", "-12.3", "-16", "-8.6", "0.95",
    )  # fmt: skip
    eq = rows[("qol_eq5d", "scs_plus_cmm", "6")]
    assert (eq["scale"], eq["se"]) == ("eq5d_index", "0.04")
    comp = rows[("device_complications", "conventional_medical_management_cmm", "12")]
    assert (comp["events"], comp["total"]) == ("0", "50")
    reasons = {(u["outcome_title"], u["group_id"]): u["reason"] for u in unmapped}
    assert "not available" in reasons[("EQ-5D Index", "OG001")]
    assert "EQ-5D VAS" in reasons[("EQ-5D VAS", "OG000")]
    # the configuration has a daily-dose outcome: a mean dose in mg/day is a continuous row on its scale
    dose = rows[("opioid_dose", "scs_plus_cmm", "6")]
    assert (dose["scale"], dose["mean"], dose["sd"], dose["n"]) == ("mme_mg_day", "40", "30", "50")
    assert "several timepoints" in reasons[("Leg Pain (VAS) at 3, 6 and 12 Months", "OG000")]
    assert "censored" in reasons[("Number of Participants With Device-related Complications", "OG000")]
    assert "no measurements posted" in reasons[("Health care costs", "")]
    assert len({r["row_id"] for r in rows.values()}) == len(rows)


def test_class_level_denominators_and_unknown_scale():
    study = copy.deepcopy(synthetic_study())
    om = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]
    om["unitOfMeasure"] = "units on a scale"
    om["description"] = "Pain intensity."
    om["classes"][0]["denoms"] = [{"units": "Participants", "counts": [{"groupId": "OG000", "value": "47"}]}]
    cmd = [r for r in command_rows(study, VOCAB) if r["outcome_title"] == om["title"]]
    assert cmd[0]["denominator"] == "47" and cmd[1]["denominator"] == ""
    assert all("VAS range not stated" in r["reason"] for r in cmd)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.pop("resultsSection"),
        lambda s: s["resultsSection"].update(outcomeMeasuresModule={"outcomeMeasures": "oops"}),
        lambda s: s["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"].append({"title": None}),
        lambda s: s["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0].update(
            classes=[{"categories": [{"measurements": [{"groupId": "OG404", "value": "1e999"}]}]}],
            denoms=None,
        ),
        lambda s: s["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0].update(
            paramType=None, groups=5
        ),
    ],
)
def test_odd_records_never_crash(mutate):
    study = copy.deepcopy(synthetic_study())
    mutate(study)
    command_rows(study, VOCAB)
    study_rows(study, VOCAB)


def vocabulary_without(outcome: str) -> Vocabulary:
    """The bundled configuration's vocabulary with one outcome removed from the config and every indication."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    del config["outcomes"][outcome]
    for ind in config["indications"].values():
        ind["outcomes"].pop(outcome, None)
    return Vocabulary.from_settings(Settings.from_config(config))


def test_a_mean_for_a_binary_outcome_needs_participant_counts():
    """Without a dose outcome in the config, the mean dose names only 'participants taking opioids' (binary)."""
    vocab = vocabulary_without("opioid_dose")
    _, unmapped = study_rows(synthetic_study(), vocab, trial_id="synth_trial")
    reasons = {(u["outcome_title"], u["group_id"]): u["reason"] for u in unmapped}
    assert "needs participant counts" in reasons[("Opioid Dose (Morphine Equivalents)", "OG000")]


def _percent_pain_study(
    title: str, unit: str, values=("-42.5", "-6.0"), bounds=(("-50.1", "-34.9"), ("-12", "0"))
):
    """The synthetic record whose first outcome is replaced by a mean percentage of the baseline pain."""
    study = copy.deepcopy(synthetic_study())
    om = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]
    om.update(title=title, unitOfMeasure=unit, description="Pain on a 0-10 numeric rating scale.",
              dispersionType="95% Confidence Interval")  # fmt: skip
    for cell, value, (lo, hi) in zip(
        om["classes"][0]["categories"][0]["measurements"], values, bounds, strict=True
    ):
        cell.pop("spread", None)
        cell.update(value=value, lowerLimit=lo, upperLimit=hi)
    return study, title


def _rows_for(study, title, vocab=VOCAB):
    rows, unmapped = study_rows(study, vocab, trial_id="synth_trial")
    return [r for r in rows if r["outcome_reported"] == title], [
        u for u in unmapped if u["outcome_title"] == title
    ]


def test_a_posted_percent_change_of_pain_becomes_relief_with_its_sign_and_interval_reversed():
    rows, unmapped = _rows_for(
        *_percent_pain_study("Percent Change From Baseline in Leg Pain (NRS)", "percent change")
    )
    assert not unmapped
    scs = next(r for r in rows if r["arm_id"] == "scs_plus_cmm")
    assert (scs["outcome"], scs["scale"], scs["value_type"], scs["site"]) == (
        "pain_relief_percent", "pct_relief", "change", "leg",
    )  # fmt: skip
    assert (scs["mean"], scs["ci_low"], scs["ci_high"], scs["n"]) == ("42.5", "34.9", "50.1", "50")
    assert "relief = −change" in scs["notes"] and "-42.5" in scs["quote"]  # the quote keeps the posted value
    cmm = next(r for r in rows if r["arm_id"] != "scs_plus_cmm")
    assert (cmm["mean"], cmm["ci_low"], cmm["ci_high"]) == ("6", "0", "12")


def test_a_posted_percent_reduction_of_pain_is_entered_as_posted():
    study, title = _percent_pain_study("Percentage Reduction in Average Pain", "percentage of baseline pain",
                                       values=("45", "7"), bounds=(("38", "52"), ("1", "13")))  # fmt: skip
    rows, unmapped = _rows_for(study, title)
    assert not unmapped and {r["outcome"] for r in rows} == {"pain_relief_percent"}
    assert sorted((r["mean"], r["ci_low"], r["ci_high"]) for r in rows) == [
        ("45", "38", "52"),
        ("7", "1", "13"),
    ]
    assert not any("−change" in r["notes"] for r in rows)


@pytest.mark.parametrize(
    "title, unit, reason",
    [
        ("Percent Change in Pain Reduction", "percent", "direction"),  # both words: not guessed
        ("Pain Relief", "units on a scale", "no matching outcome"),  # relief, but not as a percentage
    ],
)
def test_an_ambiguous_percentage_of_pain_is_not_guessed(title, unit, reason):
    rows, unmapped = _rows_for(*_percent_pain_study(title, unit))
    assert not rows and unmapped and all(reason in u["reason"] for u in unmapped)


def test_without_a_relief_outcome_a_percentage_of_pain_stays_unmapped():
    vocab = vocabulary_without("pain_relief_percent")
    study, title = _percent_pain_study("Change From Baseline in Leg Pain (NRS)", "percent change")
    rows, unmapped = _rows_for(study, title, vocab)
    assert not rows and all("pain reported as a percentage" in u["reason"] for u in unmapped)
