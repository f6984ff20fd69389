"""Two published network meta-analyses of spinal cord stimulation, reproduced from their published inputs.

Both networks have three treatments and no closed loop, so each paper's indirect estimate is the Bucher
combination of its two direct estimates: HF-SCS vs LF-SCS through CMM in painful diabetic neuropathy
(Duarte et al. 2022, PMID 36150057, frequentist, 95 % CI) and closed-loop SCS vs CMM through fixed-output
SCS in non-surgical refractory back pain (Duarte et al. 2024, PMID 38751011, Bayesian fixed effect, 95 % CrI).
The inputs are the published direct estimates, entered as contrasts with SE = (high - low) / (2 x 1.96)
(the per-trial data of these analyses were not readable; see tests/reference/nma/README.md).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuromod_evidence.models.diagnostics import quantile_mcse
from neuromod_evidence.models.priors import EffectPrior, TauPrior
from neuromod_evidence.nma import bayes
from neuromod_evidence.nma import frequentist as freq
from neuromod_evidence.nma.network import from_dataframe

REF = Path(__file__).resolve().parents[1] / "reference" / "nma"
Z = 1.959963984540054
# reference treatment, a vague effect-prior SD, and the indirect contrast as a sum of the two inputs (file order):
# HF - LF = (HF - CMM) - (LF - CMM); closed-loop - CMM = (closed-loop - fixed-output) + (fixed-output - CMM)
NETWORKS = {"pdn_pain": ("CMM", 100.0, (-1.0, 1.0)), "nsrbp_pain": ("CMM", 1000.0, (1.0, 1.0))}
# the published limits are rounded to 2 decimals: the indirect limits computed from rounded inputs can be off by
# up to ~0.01 (PDN); the NSRBP numbers are WinBUGS posterior summaries with their own Monte Carlo error
# (unknown; 0.1 is about 1 % of the indirect estimate's posterior SD)
ROUNDING = {"pdn_pain": 0.015, "nsrbp_pain": 0.1}


def published(network: str) -> pd.DataFrame:
    df = pd.read_csv(REF / "neuromod_published.csv")
    return df[df.network == network]


def network_of(network: str):
    rows = published(network)
    inputs = rows[rows.role == "input"]
    contrasts = pd.DataFrame(
        {
            "study": [f"{r.treatment_1} vs {r.treatment_2} (PMID {r.pmid})" for r in inputs.itertuples()],
            "treatment_1": inputs.treatment_1,
            "treatment_2": inputs.treatment_2,
            "estimate": inputs.estimate,
            "se": (inputs.high - inputs.low) / (2 * Z),
        }
    )
    return from_dataframe(contrasts.astype(str), "MD", NETWORKS[network][0]), rows[
        rows.role == "indirect"
    ].iloc[0]


@pytest.mark.parametrize("network", list(NETWORKS))
def test_frequentist_indirect_estimate_reproduces_the_paper(network):
    net, target = network_of(network)
    assert not net.has_loops()
    fit = freq.fit(net, "common")
    est, lo, hi = fit.interval(target.treatment_1, target.treatment_2)
    # exactly Bucher's combination of the two inputs
    inputs = published(network)[published(network).role == "input"]
    se = (inputs.high - inputs.low) / (2 * Z)
    bucher = float(np.dot(NETWORKS[network][2], inputs.estimate))
    assert est == pytest.approx(bucher, abs=1e-9)
    assert fit.effect(target.treatment_1, target.treatment_2)[1] == pytest.approx(math.hypot(*se), abs=1e-9)
    # and the paper's published numbers, within their rounding
    tol = ROUNDING[network]
    assert est == pytest.approx(target.estimate, abs=0.006)
    assert lo == pytest.approx(target.low, abs=tol)
    assert hi == pytest.approx(target.high, abs=tol)


@pytest.mark.slow
@pytest.mark.parametrize("network", list(NETWORKS))
def test_bayesian_common_effect_reproduces_the_paper(network):
    net, target = network_of(network)
    priors = {
        "tau": TauPrior("half_normal", 1.0),  # not used by the common-effect model
        "effect": EffectPrior(0.0, NETWORKS[network][1]),
        "baseline": EffectPrior(0.0, 10.0),
    }
    fit = bayes.fit(net, "common", priors, seed=5, sampler={"draws": 2000, "tune": 1000, "chains": 4})
    assert fit.diagnostics.converged, fit.diagnostics.reasons
    x = fit.contrast(target.treatment_1, target.treatment_2)
    chains = x.reshape(fit.d.shape[:2])
    for prob, expected in ((0.5, target.estimate), (0.025, target.low), (0.975, target.high)):
        mcse = quantile_mcse(chains, prob)
        assert np.quantile(x, prob) == pytest.approx(expected, abs=4 * mcse + ROUNDING[network]), prob
