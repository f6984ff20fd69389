"""Each GRADE domain rule, triggered and not triggered, on constructed cases."""

import math

import pandas as pd
import pytest

from neuromod_evidence.grade.domains import (
    i_squared,
    imprecision,
    inconsistency,
    indirectness,
    optimal_information_size,
    publication_bias,
    risk_of_bias,
    trial_risk,
)


def rob(rows):
    return pd.DataFrame(rows, columns=["trial_id", "outcome", "domain", "judgement"])


ROB = rob(
    [
        ("a", None, "randomization", "low"),
        ("a", None, "measurement", "low"),
        ("b", None, "randomization", "low"),
        ("b", None, "measurement", "some_concerns"),
        ("c", None, "randomization", "low"),
        ("c", None, "deviations", "high"),
        ("d", None, "randomization", "low"),
        ("d", "responder_50", "randomization", "high"),
        ("e", None, "randomization", "not_assessable"),
    ]
)


def test_trial_risk_is_the_worst_domain_and_outcome_rows_replace_general_ones():
    assert trial_risk(ROB, "a", "pain") == "low"
    assert trial_risk(ROB, "b", "pain") == "some_concerns"
    assert trial_risk(ROB, "c", "pain") == "high"
    assert trial_risk(ROB, "d", "pain") == "low"
    assert trial_risk(ROB, "d", "responder_50") == "high"
    assert trial_risk(ROB, "e", "pain") == "not_assessable"
    assert trial_risk(ROB, "zzz", "pain") == "not_assessed"


@pytest.mark.parametrize(
    "weights, level",
    [
        ({"a": 0.8, "b": 0.2}, 0),  # mostly low risk: not serious
        ({"a": 0.4, "b": 0.6}, 1),  # majority some concerns: serious
        ({"a": 0.3, "e": 0.7}, 1),  # not assessable counts as a concern
        ({"a": 0.3, "zzz": 0.7}, 1),  # no assessment at all too
        ({"a": 0.4, "c": 0.6}, 2),  # majority high risk: very serious
        ({"a": 0.6, "c": 0.4}, 0),  # high risk but a minority of the weight
    ],
)
def test_risk_of_bias_is_weighted_by_the_trials_weights(weights, level):
    assert risk_of_bias(ROB, weights, "pain").downgrade == level


def test_i_squared_matches_the_higgins_formula():
    assert i_squared(0.0, [0.1, 0.2]) == 0.0
    # equal SEs: typical within variance = se^2
    assert i_squared(0.01, [0.1, 0.1, 0.1]) == pytest.approx(0.5)
    assert math.isnan(i_squared(0.1, [0.1]))


def test_inconsistency():
    assert inconsistency(1, math.nan, -9, 9, -2).downgrade == 0
    assert "single trial" in inconsistency(1, math.nan, -9, 9, -2).reason
    assert inconsistency(3, 0.2, -3, -1, -2).downgrade == 0
    assert inconsistency(3, 0.6, -3, -1, -2).downgrade == 1
    assert inconsistency(3, 0.8, -3, -1, -2).downgrade == 2
    assert inconsistency(3, 0.2, -5, 3, -2).downgrade == 1  # prediction interval: important benefit and harm
    two = inconsistency(2, 0.2, -5, 3, -2)
    assert two.downgrade == 0 and "prior" in two.reason  # with two trials the PI is the prior's


def test_imprecision_against_null_mcid_and_information_size():
    # pain MD, lower is better, MCID 2 points: benefit = -2
    assert imprecision(-4.0, -2.5, -2.0, 500, 400).downgrade == 0
    assert imprecision(-4.0, -2.5, -2.0, 100, 400).downgrade == 1  # below the OIS
    assert imprecision(-4.0, -1.0, -2.0, 500, 400).downgrade == 1  # crosses the MCID
    assert imprecision(-3.0, 0.5, -2.0, 500, 400).downgrade == 1  # crosses the null
    assert imprecision(-3.0, 2.5, -2.0, 500, 400).downgrade == 2  # important benefit and harm
    # responders, higher is better, MCID OR 1.5 on the log scale
    b = math.log(1.5)
    assert imprecision(math.log(2), math.log(5), b, 800, 300).downgrade == 0
    assert imprecision(math.log(0.5), math.log(5), b, 800, 300).downgrade == 2
    assert imprecision(math.nan, 1, b, 800, 300).downgrade == 2


def test_optimal_information_size():
    assert optimal_information_size(None) == 400
    ois = optimal_information_size(0.2)  # 20 % -> 25 %: about 1100 per arm
    assert 2000 < ois < 2400
    assert optimal_information_size(0.2, favourable_event=False) > 0


def test_indirectness_and_publication_bias():
    assert indirectness([]).downgrade == 0
    assert indirectness(["leg and back pain pooled"]).downgrade == 1
    assert (
        publication_bias(3).downgrade == 0 and "not assessable below 10 trials" in publication_bias(3).reason
    )
    assert "funnel" in publication_bias(12).reason
