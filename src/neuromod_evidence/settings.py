"""One typed view of the validated configuration, built once and handed to every stage.

Why: the configuration used to be re-read as raw dicts in a dozen modules, each with its own fallbacks, and
the defaults drifted apart. Here the JSON schema (``config.schema.yaml``, shipped with the package) is the
only home of defaults: :func:`neuromod_evidence.config.validate_config` fills them in, and this module turns
the result into frozen dataclasses. Nothing else reads raw config dicts.

Snakemake rules pass only the config sections a stage needs (narrow ``params``); the sections a stage does
not get are filled from the schema's defaults, so a stage's settings do not change when an unrelated section
(say a politeness rate of the fetch stage) is edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError, load_config, validate_config

Z_95 = 1.959963984540054  # the 97.5 % quantile of the standard normal, used wherever a 95 % Wald interval is built
RATIO_MEASURES = frozenset({"OR", "RR", "HR"})  # measures analysed on the log scale

# the sections every stage needs to resolve outcomes, classes and windows (required by the schema)
CORE_SECTIONS = (
    "intervention_classes",
    "comparator_classes",
    "scales",
    "outcomes",
    "timepoints",
    "indications",
)


def is_ratio(measure: str) -> bool:
    return str(measure).upper() in RATIO_MEASURES


@dataclass(frozen=True)
class Window:
    """An analysis window [lo, hi) in months; the last window of an outcome also takes its end point."""

    id: str
    label: str
    target: float
    lo: float
    hi: float
    primary: bool = False

    def contains(self, months: float, last: bool) -> bool:
        return self.lo <= months < self.hi or (last and months == self.hi)


@dataclass(frozen=True)
class ArmClass:
    id: str
    label: str
    role: str  # "intervention" or "comparator"


@dataclass(frozen=True)
class Scale:
    id: str
    family: str
    label: str
    factor: float
    offset: float
    low: float
    high: float


@dataclass(frozen=True)
class Outcome:
    """An outcome as defined under ``outcomes:``, with its analysis windows."""

    id: str
    label: str
    kind: str  # continuous | binary
    family: str
    direction: str  # lower_is_better | higher_is_better
    measure: str  # MD | OR
    mcid: float
    unit: str
    tau_prior: str | None
    windows: tuple[Window, ...]
    effect_prior: str | None = None  # None: models.effect_prior of the measure
    safety: bool = False  # listed in the indication's safety table (report/safety_view.py)

    def window_of(self, months: float) -> Window | None:
        """The window a follow-up falls in ([lo, hi); the last window also takes its end)."""
        ordered = sorted(self.windows, key=lambda w: w.lo)
        for i, w in enumerate(ordered):
            if w.contains(months, last=i == len(ordered) - 1):
                return w
        return None

    def window(self, window_id: str) -> Window | None:
        return next((w for w in self.windows if w.id == window_id), None)

    @property
    def primary_window(self) -> Window | None:
        return next((w for w in self.windows if w.primary), None)


@dataclass(frozen=True)
class OutcomeSettings(Outcome):
    """An outcome within one indication: the indication's own MCID, tau prior and pain sites win."""

    sites: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    id: str
    label: str
    intervention: tuple[str, ...]
    comparator: tuple[str, ...]


@dataclass(frozen=True)
class Indication:
    id: str
    label: str
    synonyms: tuple[str, ...]
    mesh_terms: tuple[str, ...]
    intervention_terms: tuple[str, ...] | None
    outcomes: dict[str, OutcomeSettings]
    comparisons: dict[str, Comparison]


@dataclass(frozen=True)
class NormalizeSettings:
    median_method: str
    use_p_values: bool
    assume_randomized_denominator: bool
    impute_missing_sd: bool
    crossover_prefer_first_period: bool
    ci_z_threshold_n: int
    registry_results: str = "fill"  # off | fill | prefer_registry (docs/data-model.md)
    min_analysed_fraction: float = 0.5  # feasible denominators are at least this share of the arm's size


@dataclass(frozen=True)
class SamplerSettings:
    backend: str
    chains: int
    draws: int
    tune: int
    target_accept: float
    retry_target_accept: float
    retry_tune: int


@dataclass(frozen=True)
class DiagnosticSettings:
    rhat_max: float
    ess_min: float
    max_divergences: int


@dataclass(frozen=True)
class ModelSettings:
    effect_prior: dict[str, str]
    sensitivity_tau_priors: dict[str, tuple[str, ...]]
    baseline_risk: str
    baseline_prior: str
    therapy_types: dict[str, str]
    frequentist: str
    continuity_correction: float
    sampler: SamplerSettings
    diagnostics: DiagnosticSettings
    prediction_interval_df: str = "k-2"  # schema default; "k-1" as metafor with Hartung-Knapp

    @classmethod
    def defaults(cls) -> ModelSettings:
        """The ``models:`` section as the schema's defaults alone (the ``fit`` command has no config file)."""
        from .config import _defaulting_validator, load_schema

        section: dict[str, Any] = {"models": {}}
        validator = _defaulting_validator()(load_schema())
        for _ in range(2):  # the second pass fills defaults inside objects that were themselves defaulted
            for _error in validator.iter_errors(section):
                pass
        return _model_settings(section["models"])


@dataclass(frozen=True)
class FetchSettings:
    mode: str
    ctgov_base_url: str
    eutils_base_url: str
    tool: str
    email: str
    snapshot_dir: str
    intervention_terms: tuple[str, ...]
    ctgov_requests_per_second: float
    eutils_requests_per_second: float
    page_size: int
    timeout_seconds: float
    max_retries: int
    backoff_seconds: float
    retry_after_cap_seconds: float
    decisions_file: str


@dataclass(frozen=True)
class NmaSettings:
    """The ``nma:`` section: which networks are fitted and how their nodes and reference are chosen."""

    enabled: bool = True
    model: str = "random"
    reference: tuple[str, ...] = ("cmm", "physical_therapy", "placebo_sham")
    lump: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # node -> (label, classes)

    def node_of(self, class_id: str) -> str:
        """The network node of an arm class (its lumped node, else the class itself)."""
        return next((node for node, (_, classes) in self.lump.items() if class_id in classes), class_id)


@dataclass(frozen=True)
class Claim:
    """A claim to check against the analyses (config `claims:`); ``bears_on`` holds (indication or None,
    outcome, comparison or None)."""

    id: str
    text: str
    source: str
    bears_on: tuple[tuple[str | None, str, str | None], ...]
    size: str = "any"
    relative_reduction: float | None = None


@dataclass(frozen=True)
class Settings:
    """The whole validated configuration as typed, immutable values."""

    evidence_dir: str
    seed: int
    fetch: FetchSettings
    classes: dict[str, ArmClass]
    scales: dict[str, Scale]
    outcomes: dict[str, Outcome]
    windows: tuple[Window, ...]
    indications: dict[str, Indication]
    normalize: NormalizeSettings
    models: ModelSettings
    source: str = field(default="config", compare=False)
    claims: tuple[Claim, ...] = ()
    nma: NmaSettings = field(default_factory=NmaSettings)

    @classmethod
    def from_config(cls, config: dict[str, Any], source: str = "config") -> Settings:
        """Validate (and default) a raw config mapping, or a subset holding at least the core sections."""
        return _build(validate_config(dict(config), source=source), source)

    @classmethod
    def load(cls, path: str | Path) -> Settings:
        return _build(load_config(path), str(path))

    def outcome(self, indication: str, outcome: str) -> OutcomeSettings:
        try:
            return self.indications[indication].outcomes[outcome]
        except KeyError:
            raise ConfigError(
                f"{self.source}: outcome '{outcome}' is not analysed for '{indication}'"
            ) from None

    def class_label(self, class_id: str) -> str:
        found = self.classes.get(class_id)
        return found.label if found else class_id

    def node_label(self, node: str) -> str:
        """Label of a network node: a lumped node's own label, else its arm class's."""
        lumped = self.nma.lump.get(node)
        return lumped[0] if lumped else self.class_label(node)

    def class_roles(self) -> dict[str, str]:
        """class id -> 'intervention' or 'comparator'."""
        return {cid: c.role for cid, c in self.classes.items()}


def config_sections(config: dict[str, Any], *sections: str) -> dict[str, Any]:
    """The core sections plus ``sections`` of a raw config: what a Snakemake rule passes as its params."""
    return {k: config[k] for k in (*CORE_SECTIONS, *sections) if k in config}


def _window(w: dict[str, Any]) -> Window:
    lo, hi = w["window"]
    return Window(
        w["id"], w.get("label", w["id"]), float(w["target"]), float(lo), float(hi), bool(w.get("primary"))
    )


def _outcome(oid: str, o: dict[str, Any], default_windows: tuple[Window, ...]) -> Outcome:
    windows = tuple(_window(w) for w in o["timepoints"]) if "timepoints" in o else default_windows
    return Outcome(
        id=oid,
        label=o["label"],
        kind=o["kind"],
        family=o["family"],
        direction=o["direction"],
        measure=o["measure"],
        mcid=float(o["mcid"]),
        unit=o.get("unit", ""),
        tau_prior=o.get("tau_prior"),
        windows=windows,
        effect_prior=o.get("effect_prior"),
        safety=bool(o.get("safety", False)),
    )


def _in_indication(base: Outcome, local: dict[str, Any] | None) -> OutcomeSettings:
    local = local or {}
    values = {f: getattr(base, f) for f in Outcome.__dataclass_fields__}
    values["mcid"] = float(local.get("mcid", base.mcid))
    values["tau_prior"] = local.get("tau_prior", base.tau_prior)
    return OutcomeSettings(**values, sites=tuple(local.get("sites", ())))


def _indication(iid: str, ind: dict[str, Any], outcomes: dict[str, Outcome]) -> Indication:
    terms = ind.get("intervention_terms")
    return Indication(
        id=iid,
        label=ind.get("label", iid),
        synonyms=tuple(ind.get("synonyms", ())),
        mesh_terms=tuple(ind.get("mesh_terms", ())),
        intervention_terms=tuple(terms) if terms is not None else None,
        outcomes={oid: _in_indication(outcomes[oid], local) for oid, local in ind["outcomes"].items()},
        comparisons={
            cid: Comparison(cid, c["label"], tuple(c["intervention"]), tuple(c["comparator"]))
            for cid, c in ind["comparisons"].items()
        },
    )


def _claim(c: dict[str, Any]) -> Claim:
    bears = tuple((b.get("indication"), b["outcome"], b.get("comparison")) for b in c["bears_on"])
    rr = c.get("relative_reduction")
    return Claim(c["id"], c["text"], c["source"], bears, c.get("size", "any"), float(rr) if rr else None)


def _build(config: dict[str, Any], source: str) -> Settings:
    default_windows = tuple(_window(w) for w in config["timepoints"])
    outcomes = {oid: _outcome(oid, o, default_windows) for oid, o in config["outcomes"].items()}
    classes = {
        cid: ArmClass(cid, c["label"], "intervention") for cid, c in config["intervention_classes"].items()
    }
    classes.update(
        {cid: ArmClass(cid, c["label"], "comparator") for cid, c in config["comparator_classes"].items()}
    )
    m = config["models"]
    return Settings(
        evidence_dir=config["evidence_dir"],
        seed=int(config["seed"]),
        fetch=FetchSettings(
            **{**config["fetch"], "intervention_terms": tuple(config["fetch"]["intervention_terms"])}
        ),
        classes=classes,
        scales={
            sid: Scale(
                sid,
                s["family"],
                s["label"],
                float(s["factor"]),
                float(s.get("offset", 0)),
                *map(float, s["range"]),
            )
            for sid, s in config["scales"].items()
        },
        outcomes=outcomes,
        windows=default_windows,
        indications={iid: _indication(iid, ind, outcomes) for iid, ind in config["indications"].items()},
        normalize=NormalizeSettings(
            **{**config["normalize"], "registry_results": config["normalize"]["registry_results"] or "off"}
        ),
        models=_model_settings(m),
        source=source,
        claims=tuple(_claim(c) for c in config.get("claims", [])),
        nma=_nma_settings(config["nma"]),
    )


def _nma_settings(n: dict[str, Any]) -> NmaSettings:
    lump = {node: (spec["label"], tuple(spec["classes"])) for node, spec in n["lump"].items()}
    return NmaSettings(bool(n["enabled"]), n["model"], tuple(n["reference"]), lump)


def _model_settings(m: dict[str, Any]) -> ModelSettings:
    return ModelSettings(
        effect_prior=dict(m["effect_prior"]),
        sensitivity_tau_priors={k: tuple(v) for k, v in m["sensitivity_tau_priors"].items()},
        baseline_risk=m["baseline_risk"],
        baseline_prior=m["baseline_prior"],
        therapy_types=dict(m["therapy_types"]),
        frequentist=m["frequentist"],
        continuity_correction=float(m["continuity_correction"]),
        sampler=SamplerSettings(**m["sampler"]),
        diagnostics=DiagnosticSettings(**m["diagnostics"]),
        prediction_interval_df=m["prediction_interval_df"],
    )
