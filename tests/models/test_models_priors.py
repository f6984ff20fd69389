"""Prior parsing and densities (no sampling)."""

import numpy as np
import pytest
from scipy import integrate

from neuromod_evidence.models.priors import PriorError, comparison_type, parse_effect_prior, parse_tau_prior


def test_half_normal_and_cauchy():
    hn = parse_tau_prior("half-normal:2")
    assert (hn.family, hn.a) == ("half_normal", 2.0)
    hc = parse_tau_prior("half-cauchy:0.5")
    assert (hc.family, hc.a) == ("half_cauchy", 0.5)
    assert hc.median() == pytest.approx(0.5)  # the median of a half-Cauchy is its scale


def test_relative_scale_needs_reference():
    assert parse_tau_prior("half-normal:x2", reference_scale=1.5).a == 3.0
    with pytest.raises(PriorError, match="reference"):
        parse_tau_prior("half-normal:x2")


def test_turner_values_table_iv():
    # Turner et al. 2015 Table IV, pain, non-pharmacological vs pharmacological: LN(-0.80, 1.25^2)
    p = parse_tau_prior("turner:pain", "OR", "non_pharmacological_vs_pharmacological")
    assert (p.family, p.a, p.b) == ("lognormal_tau2", -0.80, 1.25)
    # surgical/device-related, non-pharmacological vs placebo/control: LN(-2.36, 1.91^2)
    p = parse_tau_prior("turner:surgical_device:non_pharmacological_vs_placebo", "OR")
    assert (p.a, p.b) == (-2.36, 1.91)
    # median of tau is exp(m / 2)
    assert p.median() == pytest.approx(np.exp(-2.36 / 2))


def test_rhodes_values_table_3():
    p = parse_tau_prior("rhodes:pain", "SMD", "non_pharmacological_vs_placebo")
    assert (p.family, p.a, p.b) == ("logt_tau2", -3.02, 2.27)


@pytest.mark.parametrize(
    "spec, measure, msg",
    [
        ("turner:pain", "MD", "log odds"),
        ("rhodes:pain", "OR", "SMD"),
        ("turner:pharmacological", "OR", "unknown Turner outcome type"),
        ("half-normal:-1", "MD", "positive number"),
        ("gamma:1", "MD", "expected"),
    ],
)
def test_bad_tau_priors(spec, measure, msg):
    with pytest.raises(PriorError, match=msg):
        parse_tau_prior(spec, measure)


@pytest.mark.parametrize("spec", ["half-normal:2", "half-cauchy:0.5", "turner:pain", "turner:adverse_event"])
def test_tau_density_integrates_to_one(spec):
    p = parse_tau_prior(spec, "OR")
    total, _ = integrate.quad(lambda t: np.exp(p.logpdf(t)), 0, np.inf, limit=200)
    assert total == pytest.approx(1.0, abs=1e-4)
    # ppf is the inverse of the density's CDF
    q = float(p.ppf(0.3))
    cdf, _ = integrate.quad(lambda t: np.exp(p.logpdf(t)), 0, q, limit=200)
    assert cdf == pytest.approx(0.3, abs=1e-5)


def test_effect_prior():
    e = parse_effect_prior("normal:0,2.82")
    assert (e.mean, e.sd) == (0.0, 2.82)
    with pytest.raises(PriorError):
        parse_effect_prior("normal:0")


def test_comparison_type():
    assert (
        comparison_type(["non_pharmacological"], ["pharmacological"])
        == "non_pharmacological_vs_pharmacological"
    )
    assert comparison_type(["non_pharmacological"], ["placebo"]) == "non_pharmacological_vs_placebo"
    assert (
        comparison_type(["pharmacological"], ["non_pharmacological"])
        == "non_pharmacological_vs_pharmacological"
    )


@pytest.mark.parametrize(
    "family, a, b",
    [
        ("half_normal", 0.5, 0.0),
        ("half_cauchy", 0.3, 0.0),
        ("lognormal_tau2", -2.06, 1.58),
        ("log_t_tau2", -2.1, 1.5),
    ],
)
def test_tau_quantiles_equal_scipy_stats_exactly(family, a, b):
    """ppf avoids importing scipy.stats (the report needs only quantiles) but must be the same numbers."""
    import numpy as np
    from scipy import stats

    from neuromod_evidence.models.priors import RHODES_DF, TauPrior

    q = np.linspace(0.0005, 0.9995, 2001)
    reference = {
        "half_normal": lambda: stats.halfnorm.ppf(q, scale=a),
        "half_cauchy": lambda: stats.halfcauchy.ppf(q, scale=a),
        "lognormal_tau2": lambda: np.exp(0.5 * stats.norm.ppf(q, a, b)),
        "log_t_tau2": lambda: np.exp(0.5 * stats.t.ppf(q, RHODES_DF, a, b)),
    }[family]()
    assert np.array_equal(TauPrior(family, a, b).ppf(q), reference)
