"""Conversions against worked examples from the literature (sources beside each number)."""

import math

import pytest
from scipy import stats

from neuromod_evidence.normalize import conversions as cv


def test_luo_mean_and_wan_sd_from_min_median_max_match_metablue_example():
    # metaBLUE documentation, Luo.mean / Wan.std examples: X = (1, 4, 10), n = 30, scenario S1.
    est = cv.mean_sd_from_quantiles(30, median=4, minimum=1, maximum=10)
    assert est.mean == pytest.approx(4.356748, abs=1e-6)
    assert est.sd == pytest.approx(2.205578, abs=1e-6)
    assert "S1" in est.method and "Luo 2018" in est.method


def test_wan_sd_from_iqr_recovers_unit_sd_of_normal_quartiles():
    # For a normal sample the expected IQR is 2 × 0.6745 SD; with large n Wan's η(n) tends to 1.349.
    n = 10_000
    q = stats.norm.ppf(0.75)
    est = cv.mean_sd_from_quantiles(n, median=0.0, q1=-q, q3=q)
    assert est.sd == pytest.approx(1.0, rel=1e-3)
    assert est.mean == pytest.approx(0.0, abs=1e-12)


def test_luo_s2_mean_weights_follow_the_published_formula():
    # Luo 2018 eq. (15): (0.7 + 0.39/n)(q1 + q3)/2 + (0.3 − 0.39/n) median
    n, q1, m, q3 = 50, 2.0, 3.0, 6.0
    expected = (0.7 + 0.39 / n) * (q1 + q3) / 2 + (0.3 - 0.39 / n) * m
    assert cv.mean_sd_from_quantiles(n, m, q1=q1, q3=q3).mean == pytest.approx(expected)


def test_five_number_summary_uses_both_range_and_iqr():
    est = cv.mean_sd_from_quantiles(100, 5.0, q1=3.0, q3=7.0, minimum=0.0, maximum=10.0)
    s1 = cv.mean_sd_from_quantiles(100, 5.0, minimum=0.0, maximum=10.0).sd
    s2 = cv.mean_sd_from_quantiles(100, 5.0, q1=3.0, q3=7.0).sd
    assert est.sd == pytest.approx((s1 + s2) / 2)
    assert "S3" in est.method


def test_median_outside_iqr_is_rejected():
    with pytest.raises(ValueError, match="between q1"):
        cv.mean_sd_from_quantiles(20, median=9, q1=1, q3=5)


def test_median_alone_cannot_give_an_sd():
    with pytest.raises(ValueError, match="interquartile range or a range"):
        cv.mean_sd_from_quantiles(20, median=3)


def test_sd_from_ci_uses_t_with_n_minus_1_below_threshold():
    # Cochrane Handbook 6.5.2.2: for n = 25 the divisor 3.92 becomes 2 × 2.0639 = 4.128.
    sd, how = cv.sd_from_ci(3.0, 7.128, n=25)
    assert how == "t(df=24)"
    assert sd == pytest.approx(5.0, rel=1e-4)  # SE = 4.128 / 4.128 = 1, SD = 1 × √25


def test_sd_from_ci_uses_z_for_large_groups():
    sd, how = cv.sd_from_ci(10.0, 13.92, n=100)
    assert how == "z"
    assert sd == pytest.approx(10 * 3.92 / 3.919928, rel=1e-6)


def test_sd_from_se():
    assert cv.sd_from_se(0.5, 64) == pytest.approx(4.0)


def test_se_from_p_matches_handbook_t_example():
    # Cochrane Handbook 6.5.2.3: MD 3.8 with p = 0.008 and 45 df gives t = 2.78 and SE = 1.37.
    assert cv.se_from_p(3.8, 0.008, df=45) == pytest.approx(1.37, abs=0.005)


def test_se_from_p_rejects_zero_estimate():
    with pytest.raises(ValueError, match="zero estimate"):
        cv.se_from_p(0.0, 0.5)


def test_se_from_ci_on_log_scale_for_a_ratio():
    se = cv.se_from_ci(math.log(1.4), math.log(2.5))
    assert se == pytest.approx((math.log(2.5) - math.log(1.4)) / 3.919928, rel=1e-6)


def test_events_from_percent_rounds_half_up():
    assert cv.events_from_percent(48, 52) == 25  # 24.96
    assert cv.events_from_percent(50, 31) == 16  # 15.5 rounds up
    with pytest.raises(ValueError):
        cv.events_from_percent(120, 10)


def test_combine_groups_matches_pooling_the_raw_data():
    a = [1.0, 2.0, 3.0, 4.0]
    b = [5.0, 7.0, 9.0]
    import statistics as st

    n, m, s = cv.combine_groups(len(a), st.mean(a), st.stdev(a), len(b), st.mean(b), st.stdev(b))
    assert (n, m, s) == pytest.approx((7, st.mean(a + b), st.stdev(a + b)))


def test_mean_difference_and_se():
    md, se = cv.mean_difference(3.0, 2.0, 50, 5.0, 2.5, 40)
    assert md == -2.0
    assert se == pytest.approx(math.sqrt(4 / 50 + 6.25 / 40))


def test_log_odds_ratio_corrects_only_zero_cells():
    est, se, corrected = cv.log_odds_ratio(10, 20, 5, 20)
    assert not corrected
    assert est == pytest.approx(math.log(10 * 15 / (10 * 5)))
    est0, _, corrected0 = cv.log_odds_ratio(9, 22, 0, 14)
    assert corrected0
    assert est0 == pytest.approx(math.log(9.5 * 14.5 / (13.5 * 0.5)))
    with pytest.raises(ValueError, match="not estimable"):
        cv.log_odds_ratio(0, 10, 0, 12)


def test_scale_conversion():
    assert cv.to_common_scale(75, 0.1) == pytest.approx(7.5)
    assert cv.spread_to_common_scale(-20, 0.1) == pytest.approx(-2.0)


# --- denominators that reproduce the printed percentage (issue 10, item 4) -----------------------------------
@pytest.mark.parametrize(
    ("percent", "randomized", "events", "expected_n", "expected_events"),
    [
        (9, 48, 4, 47, 4),  # PROCESS CMM: "4 CMM patients (9%)"; 4/48 = 8.3 % would print as 8 %
        (83.1, 101, None, 89, 74),  # SENZA-RCT leg, 10 kHz: 84/101 = 83.2 % does not print as 83.1 %
        (81.2, 76, None, 69, 56),  # ACCURATE DRG: 62/76 = 81.6 %; 56/69 = 81.16 % prints as 81.2 %
    ],
)
def test_denominator_nearest_the_randomized_number_that_reproduces_the_percentage(
    percent, randomized, events, expected_n, expected_events
):
    feasible = cv.feasible_denominators(percent, randomized, events)
    assert feasible[-1] == expected_n
    derived = events if events is not None else cv.events_from_percent(percent, expected_n)
    assert derived == expected_events
    assert cv.reproduces_percent(derived, expected_n, percent)
    assert not cv.reproduces_percent(cv.events_from_percent(percent, randomized), randomized, percent)


def test_no_integer_denominator_reproduces_some_percentages():
    # SENZA-RCT tonic leg-pain responders, printed 55.5 %, with at most 97 participants: no k/n prints so
    assert cv.feasible_denominators(55.5, 97) == []
    assert cv.percent_decimals(55.5) == 1 and cv.percent_decimals(9.0) == 0


def test_quantiles_equal_scipy_stats_exactly():
    """conversions uses scipy.special (fast to import) for the quantiles scipy.stats computes the same way."""
    import numpy as np
    from scipy import stats

    from neuromod_evidence.normalize.conversions import ci_quantile, se_from_p

    for level in (0.5, 0.8, 0.9, 0.95, 0.99):
        upper = 1 - (1 - level) / 2
        assert ci_quantile(level, None) == float(stats.norm.ppf(upper))
        for df in (1, 4, 19, 59):
            assert ci_quantile(level, df) == float(stats.t.ppf(upper, df))
    for p in (0.001, 0.036, 0.2):
        assert se_from_p(0.5, p) == 0.5 / float(stats.norm.ppf(1 - p / 2))
        assert se_from_p(0.5, p, 30) == 0.5 / float(stats.t.ppf(1 - p / 2, 30))
    assert np.isfinite(ci_quantile(0.95, 2.5))
