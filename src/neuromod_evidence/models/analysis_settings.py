"""What one analysis needs to know: :class:`AnalysisSettings`, built from the typed ``Settings``.

The defaults (effect priors, sensitivity tau priors, sampler, convergence gate, frequentist method,
continuity correction, prediction-interval df) live only in the config schema; :meth:`AnalysisSettings.build`
takes them from a :class:`~neuromod_evidence.settings.ModelSettings`, so the workflow and the ``fit``
command resolve them the same way.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field

from .priors import EffectPrior, TauPrior, parse_effect_prior, parse_tau_prior


@dataclass
class AnalysisSettings:
    measure: str  # MD, SMD, OR, RR, RD, GENERIC (OR/RR on the log scale)
    direction: str  # lower_is_better | higher_is_better
    mcid: float | None
    tau_prior: TauPrior
    effect_prior: EffectPrior
    sensitivity_tau_priors: list[TauPrior] = field(default_factory=list)
    baseline_prior: EffectPrior = field(default_factory=lambda: EffectPrior(0.0, 10.0, "normal:0,10"))
    sampler: dict = field(
        default_factory=lambda: {
            "chains": 4, "draws": 1000, "tune": 1000, "target_accept": 0.95,
            "retry_target_accept": 0.99, "retry_tune": 3000,
        }
    )  # fmt: skip
    diagnostics: dict = field(
        default_factory=lambda: {"rhat_max": 1.01, "ess_min": 400, "max_divergences": 0}
    )
    seed: int = 20261124
    freq_method: str = "REML+HKSJ"
    continuity_correction: float = 0.5
    prediction_df: str = (
        "k-2"  # frequentist prediction interval: "k-2" (Higgins 2009) or "k-1" (metafor, knha)
    )

    @classmethod
    def build(
        cls,
        models,
        *,
        measure: str,
        direction: str,
        mcid: float | None,
        tau_prior: str,
        seed: int,
        comparison_type: str = "non_pharmacological_vs_pharmacological",
        effect_prior: str | None = None,
        sampler: dict | None = None,
    ) -> AnalysisSettings:
        """Settings of one analysis; ``models`` is a ``settings.ModelSettings`` (the schema's defaults).

        ``effect_prior`` and ``sampler`` (a partial dict) override the configured ones (the ``fit`` command's
        options)."""
        tau = parse_tau_prior(tau_prior, measure, comparison_type)
        sens = [
            parse_tau_prior(p, measure, comparison_type, reference_scale=tau.reference_scale())
            for p in models.sensitivity_tau_priors.get(measure, ())
        ]
        configured = asdict(models.sampler)
        configured.pop("backend", None)
        return cls(
            measure=measure,
            direction=direction,
            mcid=mcid,
            tau_prior=tau,
            effect_prior=parse_effect_prior(effect_prior or models.effect_prior[measure]),
            sensitivity_tau_priors=sens,
            baseline_prior=parse_effect_prior(models.baseline_prior),
            sampler={**configured, **(sampler or {})},
            diagnostics=asdict(models.diagnostics),
            seed=int(seed),
            freq_method=models.frequentist,
            continuity_correction=float(models.continuity_correction),
            prediction_df=models.prediction_interval_df,
        )


def analysis_seed(seed: int, analysis_id: str) -> int:
    """A per-analysis seed that does not depend on which other analyses run or in what order."""
    return (int(seed) * 1_000_003 + zlib.crc32(analysis_id.encode())) % (2**31 - 1)
