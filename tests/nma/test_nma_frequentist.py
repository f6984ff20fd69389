"""Frequentist NMA: metafor's rma.mv numbers, Bucher's indirect comparison, multi-arm covariance."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuromod_evidence.nma import frequentist as freq
from neuromod_evidence.nma.network import from_dataframe

REF = Path(__file__).resolve().parents[1] / "reference" / "nma"


def load(name: str, reference: str, measure: str = "OR"):
    return from_dataframe(pd.read_csv(REF / name, dtype=str, keep_default_na=False), measure, reference)


@pytest.mark.parametrize(
    ("network", "file", "reference"),
    [("smoking", "smoking.csv", "No contact"), ("multiarm", "multiarm.csv", "A")],
)
@pytest.mark.parametrize("model", ["random", "common"])
def test_agrees_with_metafor_rma_mv(network, file, reference, model):
    """Stored output of tests/reference/nma/metafor_reference.R (metafor 3.8-1)."""
    ref = pd.read_csv(REF / "metafor_reference.csv")
    ref = ref[(ref.network == network) & (ref.model == model)]
    fit = freq.fit(load(file, reference), model)
    assert fit.tau2 == pytest.approx(ref.tau2.iloc[0], abs=1e-6)
    for row in ref.itertuples():
        est, lo, hi = fit.interval(row.treatment_1, row.treatment_2)
        assert est == pytest.approx(row.estimate, abs=1e-5)
        assert fit.effect(row.treatment_1, row.treatment_2)[1] == pytest.approx(row.se, abs=1e-5)
        assert (lo, hi) == pytest.approx((row.ci_low, row.ci_high), abs=1e-5)


STAR = """study,treatment_1,treatment_2,estimate,se
ab1,B,A,0.40,0.20
ab2,B,A,0.10,0.25
ab3,B,A,0.55,0.30
ac1,C,A,-0.20,0.15
ac2,C,A,0.05,0.22
"""


def _pool(y, se):
    w = 1 / np.asarray(se) ** 2
    return float(np.sum(w * y) / np.sum(w)), float(math.sqrt(1 / np.sum(w)))


def star():
    return from_dataframe(pd.read_csv(io.StringIO(STAR), dtype=str), "GENERIC", "A")


def test_network_without_loops_common_effect_equals_bucher_exactly():
    ab = _pool([0.40, 0.10, 0.55], [0.20, 0.25, 0.30])
    ac = _pool([-0.20, 0.05], [0.15, 0.22])
    bucher = (ac[0] - ab[0], math.sqrt(ab[1] ** 2 + ac[1] ** 2))
    fit = freq.fit(star(), "common")
    assert fit.effect("C", "B") == pytest.approx(bucher, abs=1e-12)
    assert fit.effect("B", "A") == pytest.approx(ab, abs=1e-12)
    assert not star().has_loops()


THREE_ARM = "study,treatment,events,n\nT,A,20,100\nT,B,30,100\nT,C,45,110\n"


def test_three_arm_trial_multivariate_result_and_naive_splitting_differs():
    net = from_dataframe(pd.read_csv(io.StringIO(THREE_ARM), dtype=str), "OR", "A")
    fit = freq.fit(net, "common")
    s = net.studies[0]
    # the correct multivariate treatment of one trial returns its own contrasts and covariance
    assert np.allclose(fit.d, s.y) and np.allclose(fit.cov, s.V)
    # naive splitting: the three pairwise log ORs as independent two-arm studies (A counted twice)
    lo = {t: math.log(e / (n - e)) for t, e, n in (("A", 20, 100), ("B", 30, 100), ("C", 45, 110))}
    v = {t: 1 / e + 1 / (n - e) for t, e, n in (("A", 20, 100), ("B", 30, 100), ("C", 45, 110))}
    rows = [
        (f"p{i}", a, b, lo[a] - lo[b], math.sqrt(v[a] + v[b]))
        for i, (a, b) in enumerate((("B", "A"), ("C", "A"), ("C", "B")))
    ]
    naive = from_dataframe(
        pd.DataFrame(rows, columns=["study", "treatment_1", "treatment_2", "estimate", "se"]).astype(str),
        "OR",
        "A",
    )
    nfit = freq.fit(naive, "common")
    assert fit.effect("B", "A")[0] == pytest.approx(lo["B"] - lo["A"], abs=1e-12)
    assert abs(nfit.effect("B", "A")[1] - fit.effect("B", "A")[1]) > 0.02  # over-precise
    assert abs(nfit.effect("C", "B")[1] - fit.effect("C", "B")[1]) > 0.02


def test_three_arm_trial_in_a_network_matches_metafor_and_differs_from_splitting():
    ref = pd.read_csv(REF / "metafor_reference.csv")
    ref = ref[(ref.network == "multiarm") & (ref.model == "random")].set_index(["treatment_1", "treatment_2"])
    net = load("multiarm.csv", "A")
    fit = freq.fit(net, "random")
    assert fit.effect("C", "B")[0] == pytest.approx(ref.loc[("C", "B"), "estimate"], abs=1e-5)
    # split the three-arm trial T1 into three independent two-arm "studies" of its pairwise contrasts
    arms = pd.read_csv(REF / "multiarm.csv")
    split = []
    for i, (a, b) in enumerate((("A", "B"), ("A", "C"), ("B", "C"))):
        t = arms[arms.study == "T1"].set_index("treatment")
        split += [(f"T1_{i}", a, *t.loc[a, ["events", "n"]]), (f"T1_{i}", b, *t.loc[b, ["events", "n"]])]
    naive = pd.concat([arms[arms.study != "T1"], pd.DataFrame(split, columns=arms.columns)])
    nfit = freq.fit(from_dataframe(naive.astype(str), "OR", "A"), "random")
    assert (
        abs(nfit.effect("C", "B")[0] - fit.effect("C", "B")[0]) > 0.01
        or abs(nfit.effect("C", "B")[1] - fit.effect("C", "B")[1]) > 0.01
    )


def test_back_calculation_splits_the_network_estimate():
    net = load("multiarm.csv", "A")
    fit = freq.fit(net, "common")
    r = freq.back_calculation(net, fit, "C", "B")
    w_dir, w_ind = 1 / r["direct_se"] ** 2, 1 / r["indirect_se"] ** 2
    assert (w_dir * r["direct"] + w_ind * r["indirect"]) / (w_dir + w_ind) == pytest.approx(
        r["network"], abs=1e-10
    )
    assert 0 <= r["p"] <= 1
