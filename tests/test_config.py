"""Configuration: schema, defaults, cross-references, and the typed Settings view built from it."""

from __future__ import annotations

import copy

import pytest
import yaml

from neuromod_evidence.config import ConfigError, load_config, validate_config
from neuromod_evidence.settings import Settings, config_sections
from tests.evidence_factory import DEFAULT_CONFIG_PATH, base_config, knee_config


def outcome_settings(config, indication, outcome):
    return Settings.from_config(config).outcome(indication, outcome)


def test_default_config_is_valid_and_defaulted():
    config = load_config(DEFAULT_CONFIG_PATH)
    assert config["fetch"]["mode"] == "offline"
    assert config["normalize"]["median_method"] == "wan_luo"
    assert set(config["indications"]) == {
        "fbss",
        "cblp",
        "crps",
        "pdn",
        "pns_neuropathic",
        "pns_low_back",
        "itdd_cancer",
        "itdd_chronic",
        "pns_knee",
    }
    assert sum(bool(w.get("primary")) for w in config["timepoints"]) == 1


def test_outcome_settings_merge_indication_overrides():
    config = load_config(DEFAULT_CONFIG_PATH)
    pain = outcome_settings(config, "fbss", "pain_intensity")
    assert pain.sites == ("leg", "overall", "back")
    assert pain.direction == "lower_is_better" and pain.mcid == 2.0
    cfg = copy.deepcopy(config)
    cfg["indications"]["fbss"]["outcomes"]["pain_intensity"]["mcid"] = 1.5
    assert outcome_settings(validate_config(cfg), "fbss", "pain_intensity").mcid == 1.5


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.update(unknown_key=1), "Additional properties"),
        (
            lambda c: c["outcomes"]["pain_intensity"].update(direction="up"),
            "outcomes/pain_intensity/direction",
        ),
        (lambda c: c["indications"]["fbss"]["outcomes"].update(sleep={}), "not defined under outcomes"),
        (
            lambda c: c["indications"]["fbss"]["comparisons"]["scs_vs_medical"]["comparator"].append(
                "acupuncture"
            ),
            "unknown class 'acupuncture'",
        ),
        (lambda c: c["timepoints"][1].update(window=[4, 9]), "overlap"),
        (lambda c: c["timepoints"][1].update(target=20), "outside its window"),
        (lambda c: c["outcomes"]["responder_50"].update(measure="MD"), "binary outcomes use OR"),
        (lambda c: c["scales"]["vas_mm"].update(factor=0), "scales/vas_mm/factor"),
        (lambda c: c["outcomes"]["pain_intensity"].update(tau_prior="uniform:3"), "tau_prior"),
    ],
)
def test_invalid_config_is_rejected_naming_the_key(mutate, message):
    config = base_config()
    mutate(config)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        validate_config(config)


def test_unparseable_yaml_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("indications: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml"):
        load_config(path)


def test_fourth_indication_is_configuration_only(tmp_path):
    config = validate_config(knee_config(tmp_path))
    settings = outcome_settings(config, "knee_pns", "pain_intensity")
    assert settings.sites == ("overall",)
    # the config file round-trips through YAML unchanged in meaning
    assert validate_config(yaml.safe_load(yaml.safe_dump(config))) == config


def test_settings_defaults_come_from_the_schema_only():
    """A config without a models/normalize/fetch section gets the schema's defaults (no second home of them)."""
    full = Settings.load(DEFAULT_CONFIG_PATH)
    core = Settings.from_config(config_sections(load_config(DEFAULT_CONFIG_PATH)))
    assert core.models.sensitivity_tau_priors["OR"] == (
        "half-cauchy:0.5",
        "half-normal:0.5",
        "half-normal:1.0",
    )
    assert core.models.sampler == full.models.sampler
    assert core.normalize == full.normalize
    assert core.outcomes == full.outcomes and core.indications == full.indications


def test_settings_resolve_the_indication_s_own_mcid_and_windows():
    config = base_config()
    config["indications"]["fbss"]["outcomes"]["responder_50"]["mcid"] = 2.5
    settings = Settings.from_config(config)
    assert settings.outcome("fbss", "responder_50").mcid == 2.5
    assert settings.outcome("crps", "responder_50").mcid == 1.5
    pain = settings.outcomes["pain_intensity"]
    assert (
        pain.window_of(6).id == "m6"
        and pain.window_of(4.5).id == "m6"
        and pain.window_of(240).id == "long_term"
    )
    assert pain.window_of(0.1) is None and pain.primary_window.id == "m6"
    with pytest.raises(ConfigError, match="not analysed"):
        settings.outcome("pdn", "disability_odi")


def test_missing_config_file_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.yaml")
