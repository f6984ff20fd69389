"""The fit stage end to end on the synthetic contrasts fixture (slow: samples)."""

import json
from pathlib import Path

import pandas as pd
import pytest

from neuromod_evidence.config import load_config
from neuromod_evidence.models.analysis import SUMMARY_COLUMNS
from neuromod_evidence.models.pipeline import check_priors, fit_all
from neuromod_evidence.models.priors import PriorError
from neuromod_evidence.settings import Settings

FIXTURE = Path(__file__).parents[1] / "fixtures" / "fit" / "contrasts_synthetic.csv"


def small_config():
    config = load_config()
    # the default config's opioid_use prior is checked separately below
    config["outcomes"]["opioid_use"]["tau_prior"] = "turner:resource_use"
    config["models"]["sampler"].update({"draws": 500, "tune": 500})
    config["seed"] = 7
    return config


def test_config_typo_in_prior_fails_before_sampling():
    config = small_config()
    config["outcomes"]["pain_intensity"]["tau_prior"] = "turner:pain"  # Turner priors are for log OR only
    with pytest.raises(PriorError, match="outcomes/pain_intensity/tau_prior"):
        check_priors(Settings.from_config(config))


@pytest.mark.slow
def test_fit_all_synthetic(tmp_path):
    settings = Settings.from_config(small_config())
    out1 = tmp_path / "a" / "summary.csv"
    fit_all(FIXTURE, settings, out1.parent)
    df = pd.read_csv(out1)
    assert list(df.columns) == SUMMARY_COLUMNS
    assert list(df["analysis_id"]) == sorted(df["analysis_id"])
    assert df["converged"].dtype == bool
    rows = df.set_index("analysis_id")
    assert rows.loc["fbss__responder_50__scs_vs_medical__m6", "model"] == "binomial_normal"
    fallback = rows.loc["pdn__responder_50__scs_vs_medical__m6"]
    assert fallback["model"] == "nnhm" and fallback["continuity_corrected"] == 1
    assert rows.loc["crps__pain_intensity__scs_vs_medical__m6", "k"] == 1
    assert rows.loc["pdn__pain_intensity__scs_vs_medical__m6", "k"] == 2
    assert "rests on 1 trial" in rows.loc["crps__pain_intensity__scs_vs_medical__m6", "notes"]
    # exact cross-check exists for NNHM rows only
    assert rows.loc[rows["model"] == "nnhm", "exact_estimate"].notna().all()
    assert rows.loc[rows["model"] == "binomial_normal", "exact_estimate"].isna().all()
    # absolute effects for binary outcomes with control arms
    assert rows.loc["fbss__responder_50__scs_vs_medical__m6", "per1000_estimate"] > 0
    for aid in df["analysis_id"]:
        d = out1.parent / aid
        assert {p.name for p in d.iterdir()} >= {
            "posterior.nc",
            "summary.json",
            "studies.csv",
            "sensitivity.csv",
            "heterogeneity.csv",
        }
    js = json.loads((out1.parent / "fbss__pain_intensity__scs_vs_medical__m6" / "summary.json").read_text())
    assert js["priors"]["tau"]["spec"] == "half-normal:2.0" and js["k"] == 3
    sens = pd.read_csv(out1.parent / "fbss__pain_intensity__scs_vs_medical__m6" / "sensitivity.csv")
    assert {"primary", "common effect", "exclude imputed SDs"} <= set(sens["scenario"])
    assert sum(sens["scenario"].str.startswith("leave out")) == 3
    # byte-identical on a rerun with the same seed
    out2 = tmp_path / "b" / "summary.csv"
    fit_all(FIXTURE, settings, out2.parent)
    assert out1.read_bytes() == out2.read_bytes()


def test_an_outcome_effect_prior_overrides_the_measure_default():
    """ODI (0-100) and opioid dose (mg/day) carry their own pooled-effect prior; pain keeps models.effect_prior.MD."""
    from neuromod_evidence.models.pipeline import settings_for

    settings = Settings.from_config(small_config())

    def prior_of(indication: str, outcome: str) -> tuple[float, float]:
        rows = pd.DataFrame([{"indication": indication, "outcome": outcome, "measure": "MD",
                              "direction": "lower_is_better", "intervention_class": "pns",
                              "comparator_class": "cmm"}])  # fmt: skip
        prior = settings_for(settings, rows).effect_prior
        return prior.mean, prior.sd

    assert prior_of("pns_low_back", "disability_odi") == (0.0, 100.0)
    assert prior_of("pns_low_back", "pain_intensity") == (0.0, 10.0)
    assert settings.outcomes["opioid_dose"].effect_prior == "normal:0,1000"


def test_a_bad_outcome_effect_prior_fails_before_sampling_naming_its_key():
    from neuromod_evidence.config import ConfigError

    config = small_config()
    config["outcomes"]["disability_odi"]["effect_prior"] = "normal:0"  # no SD: the schema refuses it
    with pytest.raises(ConfigError, match="outcomes/disability_odi/effect_prior"):
        Settings.from_config(config)
    config["outcomes"]["disability_odi"]["effect_prior"] = "normal:0,0"  # well formed, but SD 0
    with pytest.raises(PriorError, match="outcomes/disability_odi/effect_prior"):
        check_priors(Settings.from_config(config))
