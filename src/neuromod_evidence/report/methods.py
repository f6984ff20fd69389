"""The methods section: outcomes, thresholds, priors, windows, sampler and diagnostics, software — all from
Settings (per indication on an indication page: its own MCID and tau prior, as the fit used them)."""

from __future__ import annotations

import importlib.metadata
import platform

from ..settings import OutcomeSettings, Settings
from .text import describe_prior

SOFTWARE = (
    "numpy",
    "scipy",
    "pandas",
    "pymc",
    "pytensor",
    "nutpie",
    "arviz",
    "statsmodels",
    "matplotlib",
    "jinja2",
    "snakemake",
)


def software_versions() -> list[tuple[str, str]]:
    out = [("python", platform.python_version())]
    for name in ("neuromod-evidence", *SOFTWARE):
        try:
            out.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _outcome_row(o, effect_prior: dict[str, str]) -> dict:
    return {
        "label": o.label,
        "measure": o.measure,
        "direction": "lower is better" if o.direction == "lower_is_better" else "higher is better",
        "mcid": f"{o.mcid} {o.unit}".strip(),
        "tau_prior": describe_prior(o.tau_prior or ""),
        "effect_prior": describe_prior(o.effect_prior or effect_prior.get(o.measure, "")),
    }


def methods_context(settings: Settings, indication: str | None = None, software=None) -> dict:
    """What the methods macro shows; ``software`` (name, version) pairs are looked up when not given."""
    models = settings.models
    outcomes: list[OutcomeSettings] | list = (
        list(settings.indications[indication].outcomes.values())
        if indication
        else list(settings.outcomes.values())
    )
    return {
        "outcomes": [_outcome_row(o, models.effect_prior) for o in outcomes],
        "timepoints": [
            {"label": w.label, "window": (f"{w.lo:g}", f"{w.hi:g}"), "primary": w.primary}
            for w in settings.windows
        ],
        "sensitivity_priors": [
            f"{measure}: " + ", ".join(describe_prior(p) for p in priors)
            for measure, priors in models.sensitivity_tau_priors.items()
            if priors
        ],
        "sampler": models.sampler,
        "diagnostics": models.diagnostics,
        "normalize": settings.normalize,
        "seed": settings.seed,
        "software": software if software is not None else software_versions(),
        "evidence_dir": settings.evidence_dir,
        "fetch_mode": settings.fetch.mode,
    }
