"""Study tables, weights, not-estimable analyses and duplicate names (no sampling)."""

import json

import numpy as np
import pandas as pd
import pytest

from neuromod_evidence.models import frequentist
from neuromod_evidence.models.analysis import AnalysisSettings, run_analysis
from neuromod_evidence.models.io import write_analysis
from neuromod_evidence.models.priors import parse_effect_prior, parse_tau_prior
from neuromod_evidence.models.results import heterogeneity_table, random_effects_weights, study_table
from neuromod_evidence.models.studies import prepare_studies
from neuromod_evidence.tables import HETEROGENEITY, SENSITIVITY, STUDIES, read_table


class NoEngine:
    """An analysis that is not estimable must not sample (sampling would return the prior)."""

    def sample(self, *args, **kwargs):
        raise AssertionError("sampled a not-estimable analysis")


def _settings(measure):
    return AnalysisSettings(measure, "lower_is_better", None, parse_tau_prior("half-normal:0.5"),
                            parse_effect_prior("normal:0,2.82"))  # fmt: skip


def _double_zero():
    return pd.DataFrame({"trial_id": ["a", "b"], "study_label": ["A", "B"], "data_type": "arm_binary",
                         "events_t": [0, 0], "n_t": [30, 25], "events_c": [0, 0], "n_c": [31, 24]})  # fmt: skip


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_all_double_zero_is_not_estimable(tmp_path, measure):
    if measure == "RD":  # a risk difference of 0 is estimable from double-zero studies
        assert prepare_studies(_double_zero(), _settings(measure)).estimable
        return
    r = run_analysis(_double_zero(), _settings(measure), NoEngine(), {"analysis_id": "dz"})
    s = r.summary
    assert not r.estimable and s["converged"] is False and s["model"] == "not estimable"
    assert "NOT ESTIMABLE" in s["notes"] and s["k"] == 2
    assert np.isnan(s["estimate"]) and s.get("p_benefit") is None  # the prior is not published
    write_analysis(r, tmp_path)
    js = json.loads((tmp_path / "summary.json").read_text())
    assert js["converged"] is False and js["estimate"] is None and js["model"] == "not estimable"
    assert not (tmp_path / "posterior.nc").exists()
    assert len(read_table(SENSITIVITY, tmp_path / "sensitivity.csv")) == 0
    assert len(read_table(HETEROGENEITY, tmp_path / "heterogeneity.csv")) == 0  # nothing pooled, no tau²
    assert list(read_table(STUDIES, tmp_path / "studies.csv").columns) == list(STUDIES.columns)
    assert r.to_frame()["converged"].item() is False


def test_weights_are_random_effects_shares_at_the_posterior_median_tau():
    se, tau = np.array([0.1, 0.2, np.nan, 0.4]), 0.3
    w = random_effects_weights(se, tau)
    raw = 1 / (se[[0, 1, 3]] ** 2 + tau**2)
    assert np.isnan(w[2]) and np.nansum(w) == pytest.approx(100)
    assert w[[0, 1, 3]] == pytest.approx(100 * raw / raw.sum())
    assert random_effects_weights(se, 0.0)[0] == pytest.approx(100 * 100 / (100 + 25 + 6.25))


def test_study_table_follows_the_contract():
    rows = pd.DataFrame({"trial_id": ["a", "b", "c"], "study_label": ["A", "B", "C"], "data_type": "contrast",
                         "estimate": [-0.5, -0.2, 0.1], "se": [0.2, 0.3, 0.4]})  # fmt: skip
    sd = prepare_studies(rows, _settings("GENERIC"))
    theta = np.random.default_rng(0).normal(size=(2, 50, 3))
    t = study_table(sd, theta, 0.2, None)
    assert list(t.columns) == list(STUDIES.columns)
    assert t["ci_high"].to_numpy() == pytest.approx(rows["estimate"] + 1.959963984540054 * rows["se"])
    assert t["shrunk_ci_low"].notna().all() and t["weight"].sum() == pytest.approx(100)
    assert (t["influence"] == "").all()


def test_duplicate_study_labels_warn(caplog):
    rows = pd.DataFrame({"trial_id": ["a", "b", "a"], "study_label": ["A", "B", "A"], "data_type": "contrast",
                         "estimate": [-0.5, -0.2, 0.1], "se": [0.2, 0.3, 0.4]})  # fmt: skip
    with caplog.at_level("WARNING"):
        sd = prepare_studies(rows, _settings("GENERIC"))
    assert len(sd.table) == 3
    assert any("duplicate study label(s) A" in n for n in sd.notes)
    assert "duplicate study label(s) A" in caplog.text


def test_studies_carry_per_arm_summaries_and_the_pain_site_for_the_forest_plot():
    rows = pd.DataFrame({"trial_id": ["a", "b"], "study_label": ["A", "B"],
                         "data_type": ["arm_continuous", "contrast"], "estimate": [-1.5, -2.6],
                         "se": [0.4, 0.77], "mean_t": [2.4, None], "sd_t": [2.3, None], "n_t": [85, None],
                         "mean_c": [3.9, None], "sd_c": [2.8, None], "n_c": [71, None],
                         "site": ["leg", None], "value_type": ["final", "change"]})  # fmt: skip
    t = study_table(prepare_studies(rows, _settings("MD")), None, 0.3, None)
    assert t.loc[0, ["mean_t", "sd_t", "mean_c", "sd_c"]].tolist() == [2.4, 2.3, 3.9, 2.8]
    assert t["mean_t"].isna().tolist() == [False, True]  # a contrast-only trial has no arm data
    assert t["site"].tolist() == ["leg", ""] and t["value_type"].tolist() == ["final", "change"]


def test_heterogeneity_table_squares_the_tau_draws_and_keeps_the_frequentist_numbers():
    tau = np.abs(np.random.default_rng(2).normal(0, 0.3, 4000))
    y, se = np.array([-0.5, -0.2, 0.1]), np.array([0.2, 0.3, 0.4])
    fr = frequentist.reference(y, se)
    het = heterogeneity_table("x", 3, tau, fr, frequentist.heterogeneity(y, se))
    assert list(het.columns) == list(HETEROGENEITY.columns)
    r = het.iloc[0]
    assert r["tau2"] == pytest.approx(np.median(tau**2)) and r["tau2_high"] == pytest.approx(
        np.quantile(tau**2, 0.975)
    )
    assert r["freq_tau2"] == fr.tau2 and r["q_df"] == 2 and r["freq_method"] == "REML+HKSJ"
