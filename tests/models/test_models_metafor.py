"""The frequentist reference and influence diagnostics against metafor's published numbers (R is not
available here; every reference number below is quoted from metafor's documentation or test files)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from neuromod_evidence import effects
from neuromod_evidence.models import frequentist
from neuromod_evidence.models.influence import influence

FIX = Path(__file__).parents[1] / "fixtures" / "fit"


@pytest.fixture
def nielweise():
    """dat.nielweise2007 as log ORs (the double-zero study Yucel 2004 dropped, as metafor's drop00=TRUE)."""
    df = pd.read_csv(FIX / "nielweise2007.csv")
    out = [effects.log_odds_ratio(r.events_t, r.n_t, r.events_c, r.n_c) for r in df.itertuples()]
    y, se, _ = map(np.array, zip(*[o for o in out if o is not None], strict=True))
    return y, se


def test_nielweise_reml_matches_metafor(nielweise):
    # metafor: rma(measure="OR", ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=dat.nielweise2007, drop00=TRUE)
    # (man/dat.nielweise2007.Rd of metadat, printed in its docs/reference page): k = 17, tau^2 = 0.036,
    # Q(df = 16) = 15.812, estimate -0.980, se 0.243, 95% CI -1.458 to -0.503 (also tests/testthat/
    # test_analysis_example_stijnen2010.r: coef -0.980, se 0.243, tau 0.19).
    y, se = nielweise
    assert y.size == 17
    r = frequentist.reference(y, se, method="REML")
    assert round(r.estimate, 3) == -0.980 and round(r.se, 3) == 0.243
    assert round(r.ci_low, 3) == -1.458 and round(r.ci_high, 3) == -0.503
    assert round(r.tau2, 3) == 0.036 and round(np.sqrt(r.tau2), 2) == 0.19


def test_dl_tau2_is_floored_at_zero_nielweise(nielweise):
    # Q = 15.812 < k - 1 = 16 (metafor, as above), so metafor's DL estimate max(0, (Q - (k-1)) / c) is 0 and
    # the DL random-effects model is the common-effect model; statsmodels' moment estimate is -0.0117.
    y, se = nielweise
    w = 1 / se**2
    mu_ce = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu_ce) ** 2)
    assert round(q, 3) == 15.812
    for method in ("DL", "DL+HKSJ"):
        r = frequentist.reference(y, se, method=method)
        assert r.tau2 == 0.0
        assert r.estimate == pytest.approx(mu_ce, abs=1e-12)
    wald = frequentist.reference(y, se, method="DL")
    assert wald.se == pytest.approx(np.sqrt(1 / np.sum(w)))
    # Hartung-Knapp at tau^2 = 0: SE^2 = Q / ((k - 1) sum w), t with 16 df
    hk = frequentist.reference(y, se, method="DL+HKSJ")
    assert hk.se == pytest.approx(np.sqrt(q / (16 * np.sum(w))))
    assert hk.ci_low == pytest.approx(mu_ce - stats.t.ppf(0.975, 16) * hk.se)


def test_identical_studies_give_no_nan():
    y, se = np.full(4, 0.3), np.full(4, 0.2)
    for method in ("DL+HKSJ", "DL", "REML+HKSJ", "PM+HKSJ"):
        r = frequentist.reference(y, se, method=method)
        assert r.tau2 == 0.0 and r.estimate == pytest.approx(0.3)
        assert np.isfinite([r.ci_low, r.ci_high, r.pred_low, r.pred_high]).all()


def test_prediction_interval_df_setting(bcg_log_rr):
    # metafor with test="knha" uses t with k - 1 df for the prediction interval (W. Viechtbauer on
    # r-sig-meta-analysis, 2018-06-05, "predicted intervals in metafor"); Higgins, Thompson & Spiegelhalter
    # (2009) use k - 2. metafor's REML + knha on dat.bcg: estimate -0.7145, se 0.1808, tau^2 0.3132
    # (test_bcg_reml_hksj and test_bcg_reml in test_models_exact_frequentist.py).
    y, se = bcg_log_rr
    k = y.size
    default = frequentist.reference(y, se, method="REML+HKSJ")
    metafor = frequentist.reference(y, se, method="REML+HKSJ", prediction_df="k-1")
    half = stats.t.ppf(0.975, k - 1) * np.sqrt(0.3132 + 0.1808**2)
    assert metafor.pred_low == pytest.approx(-0.7145 - half, abs=2e-3)
    assert metafor.pred_high == pytest.approx(-0.7145 + half, abs=2e-3)
    half2 = stats.t.ppf(0.975, k - 2) * np.sqrt(default.tau2 + default.se**2)
    assert default.pred_low == pytest.approx(default.estimate - half2)
    assert default.pred_high - default.pred_low > metafor.pred_high - metafor.pred_low
    with pytest.raises(ValueError, match="prediction_df"):
        frequentist.reference(y, se, prediction_df="k")


def test_influence_matches_metafor_bcg(bcg_log_rr):
    # metafor tests/testthat/test_misc_influence.r, "influence() works for rma()": rma(yi, vi) (REML) on
    # dat.bcg log RRs, study 1: rstudent -0.218142474344442, dffits -0.0407075604868486, cook.d
    # 0.00171654236729195, cov.r 1.11644891104804, tau2.del 0.336156745300306, hat 0.0505948307931551,
    # dfbetas -0.0402659025974144, not influential.
    y, se = bcg_log_rr
    inf = influence(y, se, "REML")
    assert inf.rstudent[0] == pytest.approx(-0.218142474344442, abs=1e-5)
    assert inf.dffits[0] == pytest.approx(-0.0407075604868486, abs=1e-5)
    assert inf.cook_d[0] == pytest.approx(0.00171654236729195, abs=1e-6)
    assert inf.cov_r[0] == pytest.approx(1.11644891104804, abs=1e-5)
    assert inf.tau2_del[0] == pytest.approx(0.336156745300306, abs=1e-5)
    assert inf.hat[0] == pytest.approx(0.0505948307931551, abs=1e-7)
    assert inf.dfbetas[0] == pytest.approx(-0.0402659025974144, abs=1e-5)
    assert not inf.influential[0] and not inf.outlier[0]


def test_influence_flags_an_outlier():
    y = np.array([0.1, -0.05, 0.0, 0.08, 2.5, -0.02])
    se = np.array([0.1, 0.12, 0.1, 0.15, 0.12, 0.11])
    inf = influence(y, se, "REML")
    flags = inf.flags()
    assert "outlier" in flags[4] and abs(inf.rstudent[4]) > 1.96
    assert all("outlier" not in f for i, f in enumerate(flags) if i != 4)
    assert influence(y[:2], se[:2]) is None  # k < 3: nothing to leave out


def test_heterogeneity_q_and_i2_match_metafor(bcg_log_rr, nielweise):
    # metafor: rma(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg, method="DL") prints
    # "Q(df = 12) = 152.2330, p-val < .0001" and "I^2 (total heterogeneity / total variability): 92.12%"
    # (metafor's reference page for rma.uni; with DL, I² = (Q - df) / Q as RevMan computes it).
    h = frequentist.heterogeneity(*bcg_log_rr)
    assert round(h.q, 4) == 152.2330 and h.q_df == 12 and h.q_p < 1e-4
    assert round(h.i2, 2) == 92.12
    # nielweise2007: Q(df = 16) = 15.812 < df, so I² is 0 (truncated), p = P(chi²_16 > 15.812)
    h = frequentist.heterogeneity(*nielweise)
    assert round(h.q, 3) == 15.812 and h.q_df == 16 and h.i2 == 0.0
    assert h.q_p == pytest.approx(stats.chi2.sf(15.812, 16), abs=1e-3)


def test_heterogeneity_of_one_study_is_not_a_number():
    h = frequentist.heterogeneity([0.3], [0.1])
    assert h.q_df == 0 and np.isnan(h.q) and np.isnan(h.q_p) and np.isnan(h.i2)
