"""Issue 11: single trials as themselves, two trials side by side, absolute effects, summary of findings, RoB."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from neuromod_evidence.report.absolute import absolute_effects
from neuromod_evidence.report.analysis_view import sensitivity_rows
from neuromod_evidence.report.headline import (
    Headline,
    common_effect_row,
    degenerate_reason,
    headline_result,
    tau_is_mostly_prior,
)
from neuromod_evidence.tables import STUDIES, fit_analysis_dir, read_table
from tests.report.test_report import page, render, section, summary_row

SINGLE = "fbss__pain_intensity__scs_vs_medical__m24"
RESPONDERS = "fbss__responder_50__scs_vs_medical__m6"


@pytest.fixture(scope="module")
def out(engine_output, tmp_path_factory) -> Path:
    return render(engine_output, tmp_path_factory.mktemp("answers"), history=False)


def _m(x: float, d: int = 1) -> str:
    return f"{x:.{d}f}".replace("-", "\u2212")


def test_a_single_trial_is_shown_as_itself(engine_output, out):
    s = read_table(STUDIES, fit_analysis_dir(engine_output / "results" / "fit", SINGLE) / "studies.csv").iloc[
        0
    ]
    row = summary_row(engine_output, SINGLE)
    own = f"{_m(s['estimate'])} ({_m(s['ci_low'])} to {_m(s['ci_high'])})"
    sec = section(page(out, "fbss.html"), SINGLE)
    assert f"95\u00a0% CI {_m(s['ci_low'])} to {_m(s['ci_high'])}" in sec  # the sentence
    assert "single trial, not pooled" in sec and own in sec
    posterior = f"{_m(row['estimate'])} ({_m(row['ci_low'])} to {_m(row['ci_high'])})"
    assert "secondary" in sec and posterior in sec  # the random-effects posterior, as secondary information
    fbss = page(out, "fbss.html")
    summary = fbss[fbss.index('id="summary"') : fbss.index('id="analyses"')]
    assert own in summary and "single trial, not pooled" in summary


def test_two_trials_show_common_and_random_effects(engine_output, out):
    sens = pd.read_csv(fit_analysis_dir(engine_output / "results" / "fit", RESPONDERS) / "sensitivity.csv")
    common = sens[sens["scenario"] == "common effect"].iloc[0]
    sec = section(page(out, "fbss.html"), RESPONDERS)
    expected = f"{math.exp(common['estimate']):.2f} ({math.exp(common['ci_low']):.2f} to {math.exp(common['ci_high']):.2f})"
    assert "Common effect (τ = 0)" in sec and expected in sec


def test_absolute_effects_for_binary_outcomes(engine_output, out):
    row = summary_row(engine_output, RESPONDERS)
    sec = section(page(out, "fbss.html"), RESPONDERS)
    assert f"{1000 * row['baseline_risk']:.0f} per 1000 with conventional medical management" in sec
    assert (
        f"+{row['per1000_estimate']:.0f} per 1000 (+{row['per1000_ci_low']:.0f} to +{row['per1000_ci_high']:.0f})"
        in sec
    )


def test_the_index_leads_with_the_summary_of_findings(out):
    index = page(out, "index.html")
    assert index.index('id="summary-of-findings"') < index.index('id="headline"')
    sof = index[index.index('id="summary-of-findings"') : index.index('id="indications"')]
    for iid in ("fbss", "crps", "pdn"):
        assert f'id="sof-{iid}"' in sof
    assert re.search(r'class="certainty certainty-(high|moderate|low|very-low)"', sof)
    assert "SCS may reduce pain intensity." in sof or "SCS probably reduces pain intensity." in sof
    assert "not converged — no estimate, not rated" in sof
    assert "Risk of bias (" in sof  # footnotes with the reasons


def test_reviewer_overrides_are_shown(engine_output, tmp_path):
    import yaml

    cfg = yaml.safe_load((engine_output / "config.yaml").read_text(encoding="utf-8"))
    evidence = tmp_path / "evidence" / "fbss"
    evidence.mkdir(parents=True)
    (evidence / "certainty_overrides.csv").write_text(
        "analysis_id,domain,judgement,reason\n"
        "fbss__pain_intensity__scs_vs_medical__m6,risk_of_bias,very serious,full texts read: unconcealed\n",
        encoding="utf-8",
    )
    cfg["evidence_dir"] = str(tmp_path / "evidence")
    index = page(render(engine_output, tmp_path / "r", config=cfg, history=False), "index.html")
    assert "overridden by reviewer" in index and "full texts read: unconcealed" in index


def test_risk_of_bias_traffic_lights(out):
    fbss = page(out, "fbss.html")
    row = fbss[fbss.index('id="trial-gamma_lee2018"') :]
    row = row[: row.index("</tr>")]
    assert 'class="rob rob-low"' in row and "not assessed" in row
    alpha = fbss[fbss.index('id="trial-alpha_smith2007"') :]
    alpha = alpha[: alpha.index("</tr>")]
    assert "for pain_intensity: high risk" in alpha and 'class="rob rob-some_concerns"' in alpha
    assert 'id="trial-delta_wu2015"' in fbss


@pytest.mark.parametrize(
    "est, low, high, measure, degenerate",
    [
        (math.log(5.58), math.log(0.001), math.log(7651), "OR", True),
        (math.log(5.52), math.log(1.24), math.log(19.13), "OR", False),
        (math.log(2.0), math.log(0.5), math.inf, "OR", True),
        (-2.0, -3.0, math.nan, "MD", True),
        (-2.0, -30.0, 20.0, "MD", False),
    ],
)
def test_degenerate_intervals_are_not_estimable(est, low, high, measure, degenerate):
    reason = degenerate_reason(measure, est, low, high, 2)
    assert (reason is not None) == degenerate
    if degenerate:
        assert reason.startswith("not estimable")


def test_headline_result_rules():
    studies = pd.DataFrame({"estimate": [-2.6], "ci_low": [-4.1], "ci_high": [-1.1]})
    nums = {"estimate": -2.6, "ci_low": -6.7, "ci_high": 2.2}
    single = headline_result(1, nums, studies)
    assert single == Headline("single", -2.6, -4.1, -1.1) and single.label == "single trial, not pooled"
    assert headline_result(2, nums, studies).kind == "pooled"
    assert headline_result(2, {"estimate": math.nan}, studies) is None


def test_common_effect_row_and_prior_dominance():
    sens = pd.DataFrame({"scenario": ["primary prior", "common effect"], "estimate": [1.0, 0.9]})
    assert common_effect_row(sens)["estimate"] == 0.9
    assert common_effect_row(sens.iloc[:1]) is None
    # half-normal(0.5): 95 % prior interval 0.016 to 1.12
    assert tau_is_mostly_prior("half-normal:0.5", "MD", 0.03, 1.05)
    assert not tau_is_mostly_prior("half-normal:0.5", "MD", 0.2, 0.5)
    assert not tau_is_mostly_prior(None, "MD", 0.03, 1.05)


def test_absolute_effects_of_a_single_trial_use_its_own_interval():
    head = Headline("single", math.log(2.0), math.log(1.0), math.log(4.0))
    a = absolute_effects("OR", 0.2, head, {})
    assert a.comparator == pytest.approx(200) and a.intervention == pytest.approx(1000 / 3)
    assert a.low == pytest.approx(0) and a.high == pytest.approx(1000 * 0.5 - 200)
    assert absolute_effects("MD", 0.2, head, {}) is None
    assert absolute_effects("OR", None, head, {}) is None


def test_normal_approximation_rows_are_not_called_exact():
    sens = pd.DataFrame(
        {
            "scenario": ["primary prior", "common effect"],
            "method": ["exact NNHM (normal approximation to log OR)", "exact NNHM"],
            "estimate": [1.0, 0.9],
            "ci_low": [0.1, 0.2],
            "ci_high": [2.0, 1.9],
        }
    )
    assert list(sensitivity_rows(sens)["label"]) == [
        "Primary prior (normal approximation)",
        "Common effect (exact)",
    ]


def test_the_claims_page_renders_the_bundled_claims_with_computed_verdicts(out):
    claims = page(out, "claims.html")
    assert (
        "SCS can substantially reduce pain in individuals with conditions like failed back surgery syndrome"
        in claims
    )
    assert (
        "40% decrease in opioid consumption" in claims
        and "section &#39;Reduced Dependence on Opioids&#39;" in claims
    )
    verdicts = re.findall(r'class="verdict verdict-[a-z]+">([^<]+)<', claims)
    assert len(verdicts) == 4
    # FBSS pain reaches the MCID, PDN pain is very uncertain, CRPS did not converge: partly supported
    assert verdicts[0] == "partly supported"
    assert verdicts[3] == "no randomized evidence in the data"  # no opioid outcomes in the test data
    assert 'href="claims.html"' in page(out, "index.html")
