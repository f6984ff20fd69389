"""Prior specifications for the pooled effect and the heterogeneity tau.

Specification strings (the config and the ``fit`` command use the same forms)::

    half-normal:SCALE          tau ~ half-normal(SCALE)
    half-cauchy:SCALE          tau ~ half-Cauchy(SCALE)
    turner:OUTCOME_TYPE        log(tau^2) ~ Normal(m, s)   Turner et al. 2015, log OR only
    rhodes:OUTCOME_TYPE        log(tau^2) ~ t_5(m, s)      Rhodes et al. 2015, SMD only
    normal:MEAN,SD             effect prior (mu ~ Normal(MEAN, SD))

The empirical priors also depend on the type of comparison; the command line can append it
(``turner:pain:non_pharmacological_vs_pharmacological``), the pipeline derives it from the arm classes
(``models.intervention_types`` in the config).

Sources of the numbers
----------------------
Turner RM, Jackson D, Wei Y, Thompson SG, Higgins JPT. Predictive distributions for between-study
heterogeneity and simple methods for their application in Bayesian meta-analysis. Stat Med
2015;34(6):984–998, **Table IV** (log-normal predictive distributions for tau^2 on the log-OR scale, by
outcome type × comparison type). Rhodes KM, Turner RM, Higgins JPT. Predictive distributions were
developed for the extent of heterogeneity in meta-analyses of continuous outcome data. J Clin Epidemiol
2015;68(1):52–60, **Table 3** (log-t with 5 degrees of freedom for tau^2 on the SMD scale, medical areas
other than respiratory and cancer). The values below were checked against the transcription of both
tables in R's bayesmeta package (TurnerEtAlParameters, RhodesEtAlParameters; Röver 2020, J Stat Softw
93(6)).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

COMPARISON_TYPES = (
    "pharmacological_vs_placebo",
    "pharmacological_vs_pharmacological",
    "non_pharmacological_vs_placebo",
    "non_pharmacological_vs_pharmacological",
    "non_pharmacological_vs_non_pharmacological",
)

# Turner et al. 2015, Table IV: (mean, sd) of log(tau^2), columns in the order of COMPARISON_TYPES.
_TURNER_MEAN = {
    "all_cause_mortality": (-3.95, -4.18, -4.17, -2.92, -3.50),
    "obstetric": (-3.52, -3.75, -3.74, -2.49, -3.08),
    "cause_specific_mortality": (-3.71, -3.95, -3.93, -2.68, -3.27),
    "resource_use": (-2.34, -2.58, -2.56, -1.31, -1.90),
    "surgical_device": (-2.14, -2.37, -2.36, -1.11, -1.69),
    "withdrawals": (-2.99, -3.23, -3.21, -1.96, -2.55),
    "internal_structure": (-2.71, -2.94, -2.93, -1.67, -2.26),
    "general_physical_health": (-2.29, -2.53, -2.51, -1.26, -1.85),
    "adverse_event": (-1.87, -2.10, -2.10, -0.84, -1.43),
    "infection": (-2.49, -2.73, -2.71, -1.46, -2.05),
    "signs_symptoms": (-2.06, -2.29, -2.28, -1.03, -1.61),
    "pain": (-1.83, -2.06, -2.05, -0.80, -1.38),
    "quality_of_life": (-2.54, -2.78, -2.77, -1.51, -2.10),
    "mental_health": (-2.12, -2.35, -2.34, -1.09, -1.67),
    "biological_markers": (-1.77, -2.00, -1.99, -0.74, -1.33),
    "subjective": (-2.70, -2.93, -2.92, -1.67, -2.26),
}
_TURNER_SD = {
    "all_cause_mortality": (1.34, 1.41, 1.55, 1.02, 1.26),
    "obstetric": (1.74, 1.79, 1.91, 1.50, 1.68),
    "cause_specific_mortality": (1.74, 1.79, 1.91, 1.51, 1.68),
    "resource_use": (1.74, 1.79, 1.91, 1.50, 1.68),
    "surgical_device": (1.74, 1.79, 1.91, 1.50, 1.68),
    "withdrawals": (1.74, 1.79, 1.91, 1.51, 1.68),
    "internal_structure": (1.74, 1.79, 1.92, 1.51, 1.68),
    "general_physical_health": (1.53, 1.58, 1.72, 1.25, 1.46),
    "adverse_event": (1.52, 1.58, 1.71, 1.24, 1.45),
    "infection": (1.52, 1.58, 1.71, 1.24, 1.45),
    "signs_symptoms": (1.51, 1.58, 1.71, 1.24, 1.45),
    "pain": (1.52, 1.58, 1.71, 1.25, 1.45),
    "quality_of_life": (1.54, 1.60, 1.73, 1.27, 1.47),
    "mental_health": (1.53, 1.60, 1.72, 1.27, 1.47),
    "biological_markers": (1.52, 1.58, 1.71, 1.24, 1.45),
    "subjective": (1.52, 1.58, 1.71, 1.25, 1.45),
}
# Rhodes et al. 2015, Table 3 ("other" medical areas): (location, scale) of log(tau^2) ~ t_5; columns:
# pharmacological vs placebo/control, pharmacological vs pharmacological, non-pharmacological (any).
_RHODES = {
    "obstetric": ((-4.13, 2.34), (-4.40, 2.31), (-3.99, 2.11)),
    "resource_use": ((-2.55, 2.73), (-2.83, 2.70), (-2.41, 2.57)),
    "internal_structure": ((-2.43, 2.50), (-2.70, 2.46), (-2.29, 2.32)),
    # "general physical health and adverse event and pain and quality of life / functioning"
    "general_physical_health": ((-3.16, 2.50), (-3.44, 2.44), (-3.02, 2.27)),
    "signs_symptoms": ((-3.00, 2.50), (-3.27, 2.47), (-2.86, 2.33)),
    "mental_health": ((-2.99, 2.16), (-3.27, 2.14), (-3.85, 1.93)),
    "biological_marker": ((-3.41, 2.83), (-3.68, 2.78), (-3.27, 2.66)),
    "subjective": ((-2.76, 2.58), (-3.03, 2.59), (-2.62, 2.41)),
}
_RHODES_ALIASES = {
    "pain": "general_physical_health",
    "quality_of_life": "general_physical_health",
    "adverse_event": "general_physical_health",
}
RHODES_DF = 5.0

# the families the compiled model knows, in the order of its weight vector
FAMILIES = ("half_normal", "half_cauchy", "lognormal_tau2", "logt_tau2")


class PriorError(ValueError):
    """A prior specification cannot be parsed or does not suit the measure."""


@dataclass(frozen=True)
class TauPrior:
    """A prior for tau. ``a``/``b`` are the scale (half-normal, half-Cauchy) or the location and scale of
    log(tau^2) (log-normal, log-t_5)."""

    family: str
    a: float
    b: float = 0.0
    spec: str = ""

    @property
    def label(self) -> str:
        if self.family == "half_normal":
            return f"half-normal(scale={self.a:g})"
        if self.family == "half_cauchy":
            return f"half-Cauchy(scale={self.a:g})"
        if self.family == "lognormal_tau2":
            return f"log(tau^2) ~ Normal({self.a:g}, {self.b:g}^2)"
        return f"log(tau^2) ~ t_5({self.a:g}, {self.b:g})"

    def logpdf(self, tau):
        """Log density of tau (not of log tau) for tau > 0."""
        from scipy import stats  # here, not at the top: the report imports this module and never needs it

        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore"):
            if self.family == "half_normal":
                return math.log(2.0) + stats.norm.logpdf(tau, scale=self.a)
            if self.family == "half_cauchy":
                return math.log(2.0) + stats.cauchy.logpdf(tau, scale=self.a)
            # density of log tau^2 = 2 log tau, times |d(2 log tau)/d tau| = 2 / tau
            z = 2.0 * np.log(tau)
            if self.family == "lognormal_tau2":
                return stats.norm.logpdf(z, self.a, self.b) + math.log(2.0) - np.log(tau)
            return stats.t.logpdf(z, RHODES_DF, self.a, self.b) + math.log(2.0) - np.log(tau)

    def ppf(self, q):
        """Quantiles of tau, from the special functions scipy.stats itself calls (the same floating-point
        operations as ``stats.halfnorm.ppf(q, scale=a)`` etc., tested) without importing scipy.stats."""
        from scipy import special

        q = np.asarray(q, dtype=float)
        if self.family == "half_normal":
            return special.ndtri((1.0 + q) / 2.0) * self.a
        if self.family == "half_cauchy":
            return np.tan(np.pi / 2.0 * q) * self.a
        if self.family == "lognormal_tau2":
            return np.exp(0.5 * (special.ndtri(q) * self.b + self.a))
        return np.exp(0.5 * (special.stdtrit(RHODES_DF, q) * self.b + self.a))

    def median(self) -> float:
        return float(self.ppf(0.5))

    def reference_scale(self) -> float:
        """Scale that relative sensitivity priors ("half-normal:x2") multiply."""
        return self.a if self.family in ("half_normal", "half_cauchy") else self.median()

    def model_parameters(self) -> dict[str, np.ndarray]:
        """Data for the compiled model: one-hot family weights and the parameters of every family."""
        w = np.array([f == self.family for f in FAMILIES], dtype=float)
        par = np.array([self.a, self.b if self.b > 0 else 1.0])
        return {"tau_family": w, "tau_par": par}

    def to_dict(self) -> dict:
        return {"spec": self.spec, "family": self.family, "a": self.a, "b": self.b, "label": self.label}


@dataclass(frozen=True)
class EffectPrior:
    mean: float
    sd: float
    spec: str = ""

    @property
    def label(self) -> str:
        return f"Normal({self.mean:g}, {self.sd:g}^2)"

    def to_dict(self) -> dict:
        return {"spec": self.spec, "mean": self.mean, "sd": self.sd, "label": self.label}


_NUM = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"


def parse_effect_prior(spec: str) -> EffectPrior:
    m = re.fullmatch(rf"normal:\s*(-?{_NUM})\s*,\s*({_NUM})", spec.strip())
    if not m:
        raise PriorError(f"effect prior {spec!r}: expected 'normal:MEAN,SD'")
    mean, sd = float(m.group(1)), float(m.group(2))
    if not sd > 0:
        raise PriorError(f"effect prior {spec!r}: SD must be > 0")
    return EffectPrior(mean, sd, spec.strip())


def parse_tau_prior(
    spec: str,
    measure: str = "OR",
    comparison_type: str = "non_pharmacological_vs_pharmacological",
    reference_scale: float | None = None,
) -> TauPrior:
    """Parse a tau-prior specification.

    ``measure`` guards the empirical priors (Turner: log OR; Rhodes: SMD). ``reference_scale`` resolves the
    relative form ``half-normal:xF`` (F times the reference scale, e.g. of the outcome's primary prior).
    """
    text = spec.strip()
    fam, _, arg = text.partition(":")
    if fam in ("half-normal", "half-cauchy"):
        m = re.fullmatch(rf"(x?)({_NUM})", arg)
        if not m:
            raise PriorError(f"tau prior {spec!r}: expected '{fam}:SCALE' with a positive number")
        scale = float(m.group(2))
        if m.group(1):
            if reference_scale is None:
                raise PriorError(f"tau prior {spec!r}: a relative scale needs a reference prior")
            scale *= reference_scale
        if not scale > 0:
            raise PriorError(f"tau prior {spec!r}: scale must be > 0")
        return TauPrior(fam.replace("-", "_"), scale, 0.0, text)
    if fam in ("turner", "rhodes"):
        outcome, _, ctype = arg.partition(":")
        ctype = ctype or comparison_type
        if ctype not in COMPARISON_TYPES:
            raise PriorError(f"tau prior {spec!r}: comparison type {ctype!r} not one of {COMPARISON_TYPES}")
        if fam == "turner":
            if measure not in ("OR", "GENERIC"):
                raise PriorError(
                    f"tau prior {spec!r}: Turner et al. priors are for log odds ratios, not {measure}"
                )
            if outcome not in _TURNER_MEAN:
                raise PriorError(
                    f"tau prior {spec!r}: unknown Turner outcome type {outcome!r}; one of {sorted(_TURNER_MEAN)}"
                )
            col = COMPARISON_TYPES.index(ctype)
            return TauPrior("lognormal_tau2", _TURNER_MEAN[outcome][col], _TURNER_SD[outcome][col], text)
        if measure not in ("SMD", "GENERIC"):
            raise PriorError(f"tau prior {spec!r}: Rhodes et al. priors are for SMDs, not {measure}")
        key = _RHODES_ALIASES.get(outcome, outcome)
        if key not in _RHODES:
            raise PriorError(
                f"tau prior {spec!r}: unknown Rhodes outcome type {outcome!r}; one of {sorted(_RHODES)}"
            )
        col = {"pharmacological_vs_placebo": 0, "pharmacological_vs_pharmacological": 1}.get(ctype, 2)
        loc, scale = _RHODES[key][col]
        return TauPrior("logt_tau2", loc, scale, text)
    raise PriorError(
        f"tau prior {spec!r}: expected half-normal:SCALE, half-cauchy:SCALE, turner:TYPE or rhodes:TYPE"
    )


def comparison_type(intervention_types: list[str], comparator_types: list[str]) -> str:
    """Turner/Rhodes comparison type from the therapy types ('pharmacological', 'non_pharmacological',
    'placebo') of the two sides; the most frequent type per side wins (ties: sorted order)."""

    def mode(types: list[str], default: str) -> str:
        if not types:
            return default
        values, counts = np.unique(np.asarray(types), return_counts=True)
        return str(values[int(np.argmax(counts))])

    a = mode(intervention_types, "non_pharmacological")
    b = mode(comparator_types, "pharmacological")
    if a == "placebo":
        a, b = b, a
    if b == "placebo":
        return f"{a}_vs_placebo"
    if a == "pharmacological" and b == "non_pharmacological":
        a, b = b, a
    return f"{a}_vs_{b}"
