"""Sensitivity to the feasible denominators of events derived from printed percentages (issue 10, item 4): the
analysis is refitted with the primary model at the lowest and at the highest feasible denominator."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from neuromod_evidence.config import load_config
from neuromod_evidence.models.analysis import run_analysis
from neuromod_evidence.models.denominators import SCENARIOS, denominator_scenarios
from neuromod_evidence.models.pipeline import settings_for
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import CONTRASTS, SENSITIVITY

AID = "fbss__responder_50__scs_vs_medical__m6"
LOW, HIGH = SCENARIOS["min"], SCENARIOS["max"]


def contrasts(ranged: bool = True) -> pd.DataFrame:
    """Two trials; the first's comparator arm printed only '9 %' of 48 randomized: 4/47 used, feasible 11..47
    (1/11 at the lower bound), as PROCESS's medical-management arm. The second has printed counts."""
    common = dict(analysis_id=AID, indication="fbss", outcome="responder_50", comparison="scs_vs_medical",
                  timepoint="m6", measure="OR", direction="higher_is_better", data_type="arm_binary",
                  intervention_class="scs_tonic", comparator_class="cmm", source_kind="publication")  # fmt: skip
    a = dict(common, trial_id="a", study_label="PROCESS-like (Doe 2007)", events_t=24, n_t=50, events_c=4, n_c=47,
             events_derived=True, n_assumed=True)  # fmt: skip
    if ranged:
        a.update(n_t_min=50, events_t_at_min=24, n_c_min=11, events_c_at_min=1,
                 n_t_max=50, events_t_at_max=24, n_c_max=47, events_c_at_max=4)  # fmt: skip
    b = dict(common, trial_id="b", study_label="Plain (Roe 2012)", events_t=30, n_t=60, events_c=12, n_c=58)
    return pd.DataFrame([a, b], columns=list(CONTRASTS.columns))


def settings(rows):
    config = load_config()  # the configured sampler: 4 x 1000 draws pass the ESS gate
    return settings_for(Settings.from_config(config), rows)


def test_no_feasible_range_adds_no_scenario():
    rows = contrasts(ranged=False)
    out = denominator_scenarios(rows, settings(rows), engine=None, seed=1, threshold=0.0, primary={})
    assert out.empty


@pytest.mark.slow
def test_the_lower_bound_is_a_refit_and_the_upper_bound_repeats_the_main_analysis():
    from neuromod_evidence.models.compiled import shared_engine

    rows = contrasts()
    aset = settings(rows)
    engine = shared_engine("nutpie")
    result = run_analysis(rows, aset, engine, meta={"analysis_id": AID})
    sens = result.sensitivity.set_index("scenario")
    low, high, main = sens.loc[LOW], sens.loc[HIGH], sens.loc["primary"]
    assert low["method"] == "binomial_normal MCMC" and low["k"] == 2
    assert low["note"] == "PROCESS-like (Doe 2007): 24/50 vs 1/11 (main analysis: 24/50 vs 4/47)"
    # the refit is the primary model on the lower-bound counts (same seed): the same numbers as fitting them
    at_low = rows.copy()
    at_low.loc[0, ["events_c", "n_c"]] = [1, 11]
    direct = run_analysis(
        at_low.drop(columns=list(CONTRASTS.columns[-8:])), aset, engine, meta={"analysis_id": AID}
    )
    for col in ("estimate", "ci_low", "ci_high", "tau", "p_benefit"):
        assert low[col] == pytest.approx(direct.summary[col], abs=1e-12), col
    assert low["ci_high"] - low["ci_low"] > main["ci_high"] - main["ci_low"]  # 1/11 tells less than 4/47
    # the highest feasible denominators are those the main analysis used: repeated, not refitted
    assert "repeated, not refitted" in high["note"]
    for col in ("estimate", "ci_low", "ci_high", "tau"):
        assert high[col] == main[col]
    assert not math.isnan(low["pred_low"]) and list(result.sensitivity.columns) == list(SENSITIVITY.columns)
