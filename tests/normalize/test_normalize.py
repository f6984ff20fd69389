"""Normalization: the contrasts the pipeline builds, and the accounting of every curated row."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from neuromod_evidence.evidence import load_evidence
from neuromod_evidence.normalize import conversions as cv
from neuromod_evidence.normalize import normalize, write_normalized
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

PAIN_M6 = "knee_pns__pain_intensity__pns_vs_sham__m6"
RESP_M6 = "knee_pns__responder_50__pns_vs_sham__m6"


def run(root, config=None):
    settings = Settings.from_config(config or knee_config(root))
    return normalize(load_evidence(settings, root), settings)


def one(result, aid, trial_id):
    rows = result.contrasts[
        (result.contrasts["analysis_id"] == aid) & (result.contrasts["trial_id"] == trial_id)
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.fixture
def knee(tmp_path):
    root = tmp_path / "evidence"
    knee_evidence(root)
    return root


def test_mean_difference_on_the_common_scale(knee):
    row = one(run(knee), PAIN_M6, "knee_a2020")
    # VAS mm 35 (SD 20, n 38) vs 55 (SD 22, n 39) → 0–10 scale: −2.0 points
    assert row["estimate"] == pytest.approx(-2.0)
    assert row["se"] == pytest.approx(math.sqrt(2.0**2 / 38 + 2.2**2 / 39))
    assert row["data_type"] == "arm_continuous" and row["measure"] == "MD"
    assert row["ci_low"] == pytest.approx(row["estimate"] - 1.959964 * row["se"], abs=1e-5)
    assert row["study_label"] == "KNEE_A2020 (Doe 2020)"
    assert row["source_rows"] == "a-pain-pns;a-pain-sham"


def test_median_and_iqr_are_converted_and_flagged(knee):
    row = one(run(knee), PAIN_M6, "knee_b2021")
    t = cv.mean_sd_from_quantiles(30, 3, q1=2, q3=5)
    c = cv.mean_sd_from_quantiles(31, 5, q1=4, q3=7)
    assert row["estimate"] == pytest.approx(t.mean - c.mean)
    assert row["sd_t"] == pytest.approx(t.sd)
    assert bool(row["sd_from_median"]) and "Wan 2014" in row["method"]


def test_binary_counts_and_events_derived_from_percentages(knee):
    result = run(knee)
    a = one(result, RESP_M6, "knee_a2020")
    assert (a["events_t"], a["n_t"], a["events_c"], a["n_c"]) == (20, 38, 8, 39)
    assert a["estimate"] == pytest.approx(math.log(20 * 31 / (18 * 8)))
    assert not bool(a["events_derived"])
    b = one(result, RESP_M6, "knee_b2021")
    # 50 % of an unreported denominator → n randomized 30 reproduces it (assumed); 19.4 % of 31 → 6
    assert (b["events_t"], b["n_t"], b["events_c"], b["n_c"]) == (15, 30, 6, 31)
    assert bool(b["events_derived"]) and bool(b["n_assumed"])
    warnings = result.issues[result.issues["severity"] == "warning"]
    assert warnings["reason"].str.contains("events derived from a percentage").any()


def test_a_stated_denominator_that_cannot_give_the_printed_percentage_is_excluded(tmp_path):
    root = tmp_path / "ev"
    knee_evidence(root)
    path = root / "knee_pns" / "outcomes.csv"
    path.write_text(
        path.read_text().replace(",31.0,19.4,", ",31.0,20.0,"), encoding="utf-8"
    )  # 6/31 is 19.4 %
    result = run(root)
    assert not (
        (result.contrasts["analysis_id"] == RESP_M6) & (result.contrasts["trial_id"] == "knee_b2021")
    ).any()
    reasons = result.issues.set_index("row_id")["reason"]
    assert "no whole number of events out of the stated 31 gives the printed 20%" in reasons["b-resp-sham"]


def test_unknown_denominator_without_any_n_is_excluded_with_reason(tmp_path):
    root = tmp_path / "ev"
    knee_evidence(root)
    arms = pd.read_csv(root / "knee_pns" / "arms.csv")
    arms.loc[arms["trial_id"] == "knee_b2021", "n_randomized"] = None
    arms.to_csv(root / "knee_pns" / "arms.csv", index=False)
    result = run(root)
    assert result.contrasts[(result.contrasts["analysis_id"] == RESP_M6)]["trial_id"].tolist() == [
        "knee_a2020"
    ]
    reason = result.issues.set_index("row_id").loc["b-resp-pns", "reason"]
    assert "50% of an unknown denominator" in reason


def _three_arm_trial(root, outcomes, design="parallel", contrasts=()):
    write_indication(
        root, "knee_pns", [trial("multi2022", "knee_pns", design=design)],
        [arm("multi2022", "pns_low", "pns", 20), arm("multi2022", "pns_high", "pns", 22),
         arm("multi2022", "sham", "placebo_sham", 21)],
        outcomes, contrasts,
    )  # fmt: skip
    return root


def test_multi_arm_trial_combines_arms_and_counts_the_control_once(tmp_path):
    root = _three_arm_trial(tmp_path / "ev", [
        outcome("lo", "multi2022", "pns_low", mean=30, sd=10, n=20),
        outcome("hi", "multi2022", "pns_high", mean=40, sd=12, n=22),
        outcome("sh", "multi2022", "sham", mean=50, sd=11, n=21),
    ])  # fmt: skip
    result = run(root)
    rows = result.contrasts[result.contrasts["analysis_id"] == PAIN_M6]
    assert len(rows) == 1
    n, m, s = cv.combine_groups(20, 3.0, 1.0, 22, 4.0, 1.2)
    row = rows.iloc[0]
    assert (row["n_t"], row["n_c"]) == (42, 21)
    assert row["estimate"] == pytest.approx(m - 5.0)
    assert row["sd_t"] == pytest.approx(s)
    assert row["intervention_arms"] == "pns_low;pns_high"
    assert "2 intervention arms combined" in row["method"]


def test_crossover_prefers_first_period_and_is_flagged(tmp_path):
    root = _three_arm_trial(tmp_path / "ev", [
        outcome("all-t", "multi2022", "pns_low", mean=30, sd=10, n=20, period="all"),
        outcome("all-c", "multi2022", "sham", mean=50, sd=10, n=20, period="all"),
        outcome("p1-t", "multi2022", "pns_low", mean=35, sd=10, n=10, period="first"),
        outcome("p1-c", "multi2022", "sham", mean=45, sd=10, n=10, period="first"),
    ], design="crossover")  # fmt: skip
    result = run(root)
    row = one(result, PAIN_M6, "multi2022")
    assert row["estimate"] == pytest.approx(-1.0)
    assert bool(row["crossover"]) and row["period"] == "first"
    assert set(result.issues[result.issues["severity"] == "excluded"]["row_id"]) == {"all-t", "all-c"}


def test_timepoint_nearest_the_target_is_used_and_the_other_is_listed(tmp_path):
    root = _three_arm_trial(tmp_path / "ev", [
        outcome("t5", "multi2022", "pns_low", mean=30, sd=10, n=20, timepoint_months=5),
        outcome("c5", "multi2022", "sham", mean=50, sd=10, n=20, timepoint_months=5),
        outcome("t8", "multi2022", "pns_low", mean=10, sd=10, n=20, timepoint_months=8),
        outcome("c8", "multi2022", "sham", mean=50, sd=10, n=20, timepoint_months=8),
    ])  # fmt: skip
    result = run(root)
    row = one(result, PAIN_M6, "multi2022")
    assert row["timepoint_months"] == 5 and row["estimate"] == pytest.approx(-2.0)
    reasons = result.issues.set_index("row_id")["reason"]
    assert "not selected" in reasons["t8"] and "5 months" in reasons["t8"]


def test_final_values_preferred_and_change_scores_never_mixed_within_a_trial(tmp_path):
    root = _three_arm_trial(tmp_path / "ev", [
        outcome("tf", "multi2022", "pns_low", mean=30, sd=10, n=20, value_type="final"),
        outcome("cc", "multi2022", "sham", mean=-5, sd=10, n=20, value_type="change"),
    ])  # fmt: skip
    result = run(root)
    assert result.contrasts.empty
    assert set(result.issues["row_id"]) == {"tf", "cc"}
    root2 = _three_arm_trial(tmp_path / "ev2", [
        outcome("tf", "multi2022", "pns_low", mean=30, sd=10, n=20, value_type="final"),
        outcome("cf", "multi2022", "sham", mean=50, sd=10, n=20, value_type="final"),
        outcome("tc", "multi2022", "pns_low", mean=-30, sd=10, n=20, value_type="change"),
        outcome("cc", "multi2022", "sham", mean=-5, sd=10, n=20, value_type="change"),
    ])  # fmt: skip
    row = one(run(root2), PAIN_M6, "multi2022")
    assert row["value_type"] == "final" and row["estimate"] == pytest.approx(-2.0)


def test_reported_mean_difference_is_used_when_arms_lack_dispersion(tmp_path):
    root = _three_arm_trial(tmp_path / "ev", [
        outcome("t", "multi2022", "pns_low", mean=30, n=20),
        outcome("c", "multi2022", "sham", mean=50, n=21),
    ], contrasts=[contrast("md", "multi2022", "pns_low", "sham", estimate=-20, ci_low=-30, ci_high=-10,
                           n_intervention=20, n_comparator=21)])  # fmt: skip
    row = one(run(root), PAIN_M6, "multi2022")
    assert row["data_type"] == "contrast"
    assert row["estimate"] == pytest.approx(-2.0)  # −20 mm → −2 points
    # n = 41 < 60: t quantile with 39 df, as the Handbook advises for small trials
    from scipy import stats

    assert row["se"] == pytest.approx(2.0 / (2 * stats.t.ppf(0.975, 39)))
    assert "t(df=39)" in row["method"]


def test_reported_odds_ratio_is_logged_and_other_ratios_are_excluded_with_reason(tmp_path):
    resp = dict(outcome="responder_50", scale="proportion", value_type=None)
    root = _three_arm_trial(tmp_path / "ev", [], contrasts=[
        contrast("or", "multi2022", "pns_low", "sham", measure="OR", estimate=2.0, ci_low=1.0, ci_high=4.0, **resp),
        contrast("rr", "multi2022", "pns_high", "sham", measure="RR", estimate=1.5, ci_low=1.1, ci_high=2.0, **resp),
    ])  # fmt: skip
    result = run(root)
    row = one(result, RESP_M6, "multi2022")
    assert row["estimate"] == pytest.approx(math.log(2.0))
    assert row["se"] == pytest.approx(math.log(4.0) / 3.919928, rel=1e-5)


def test_missing_sd_is_imputed_from_other_trials_and_flagged(tmp_path):
    root = tmp_path / "ev"
    write_indication(
        root, "knee_pns", [trial("a2020", "knee_pns"), trial("b2021", "knee_pns")],
        [arm("a2020", "p", "pns", 40), arm("a2020", "s", "placebo_sham", 40),
         arm("b2021", "p", "pns", 30), arm("b2021", "s", "placebo_sham", 30)],
        [outcome("a-t", "a2020", "p", mean=30, sd=20, n=40), outcome("a-c", "a2020", "s", mean=50, sd=20, n=40),
         outcome("b-t", "b2021", "p", mean=40, n=30), outcome("b-c", "b2021", "s", mean=60, n=30)],
    )  # fmt: skip
    row = one(run(root), PAIN_M6, "b2021")
    assert bool(row["sd_imputed"]) and "pooled SD 2" in row["method"]
    assert row["sd_t"] == pytest.approx(2.0)
    config = knee_config(root)
    config["normalize"] = {"impute_missing_sd": False}
    result = run(root, config)
    assert "b2021" not in set(result.contrasts["trial_id"])
    assert "without any dispersion" in result.issues.set_index("row_id").loc["b-t", "reason"]


def _accounted(result) -> tuple[set, set]:
    used = {r for rows in result.contrasts["source_rows"] for r in rows.split(";")}
    excluded = set(result.issues[result.issues["severity"] == "excluded"]["row_id"])
    return used, excluded


def test_every_bundled_row_is_used_or_listed_with_a_reason():
    config = Settings.load(DEFAULT_CONFIG_PATH)
    evidence = load_evidence(config)
    result = normalize(evidence, config)
    used, excluded = _accounted(result)
    every = set(evidence.outcomes["row_id"]) | set(evidence.contrasts["row_id"])
    assert every == used | excluded
    assert not used & excluded
    assert result.issues[result.issues["severity"] == "excluded"]["reason"].str.len().gt(10).all()


def test_bundled_data_give_an_analysable_contrast_per_indication():
    config = Settings.load(DEFAULT_CONFIG_PATH)
    result = normalize(load_evidence(config), config)
    analysable = result.contrasts[result.contrasts["outcome"].isin(["pain_intensity", "responder_50"])]
    # every SCS indication, PNS for neuropathic pain and (RESTORE's pain scores) PNS for low back pain; itdd_chronic
    # has only Rauck 2006's % pain relief; itdd_cancer and pns_knee have no analysable contrast in the bundled data
    # (data/evidence/*/SOURCES.md say why)
    assert set(analysable["indication"]) == {"fbss", "cblp", "crps", "pdn", "pns_neuropathic", "pns_low_back"}
    relief = result.contrasts[result.contrasts["outcome"] == "pain_relief_percent"]
    assert set(relief["trial_id"]) == {"rauck2006"}
    assert set(result.contrasts["indication"]) == set(config.indications) - {
        "itdd_cancer",
        "pns_knee",
    }
    assert analysable["se"].gt(0).all() and analysable["estimate"].notna().all()


def test_writing_twice_gives_identical_bytes(tmp_path, knee):
    result = run(knee)
    write_normalized(result, tmp_path / "a")
    write_normalized(run(knee), tmp_path / "b")
    for name in ("trials", "arms", "outcomes", "contrasts", "issues"):
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()


def test_the_trial_s_primary_outcome_is_chosen_before_the_config_s_site_order(tmp_path):
    """A trial reporting leg- and back-pain responders: the config prefers leg, the trial's primary is back."""
    root = tmp_path / "ev"
    knee_evidence(root)
    config = knee_config(root)
    config["indications"]["knee_pns"]["outcomes"]["responder_50"]["sites"] = ["leg", "back"]
    path = root / "knee_pns" / "outcomes.csv"
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    resp = df[df["row_id"].str.startswith("a-resp")].copy()
    back = resp.assign(row_id=resp["row_id"] + "-back", site="back", events=["12", "4"],
                       notes="PRIMARY: back-pain responders")  # fmt: skip
    leg = resp.assign(site="leg")
    df = pd.concat([df[~df["row_id"].str.startswith("a-resp")], leg, back], ignore_index=True)
    df.to_csv(path, index=False)
    result = run(root, config)
    row = one(result, RESP_M6, "knee_a2020")
    assert row["site"] == "back" and (row["events_t"], row["events_c"]) == (12, 4)
    reasons = result.issues.set_index("row_id")["reason"]
    assert "site 'back' (the trial's primary outcome), were used instead" in reasons["a-resp-pns"]
