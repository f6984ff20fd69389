"""The view model of one analysis: the words and numbers its section of an indication page shows.

Fed by one row of ``summary.csv`` (SUMMARY), the analysis's ``studies.csv`` (STUDIES) and ``sensitivity.csv``
(SENSITIVITY), with labels, units and the MCID from :class:`~neuromod_evidence.settings.Settings` (the
indication's own MCID, as the fit used it). Nothing is recomputed: study intervals and weights are the
engine's. The figures are drawn elsewhere (:mod:`.figures`) from the frames kept on :class:`AnalysisView`.
Ratio measures arrive on the log scale; an analysis whose ``converged`` is False shows none of its pooled
numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..settings import Settings
from .certainty_view import NOT_RATED, certainty_context
from .forest_text import Heterogeneity, Pooled
from .forest_view import forest_parts, forest_rows, with_rob
from .headline import sensitivity_label
from .inputs import ReportInputs
from .result_view import result_context
from .scale import format_number, is_ratio
from .text import (
    _noun,
    analysis_flags,
    describe_prior,
    fmt_effect,
    fmt_interval,
    fmt_prob,
    fmt_range,
    measure_decimals,
    plain_language,
    split_comparison,
)

SUMMARY_NUMBERS = [
    "estimate",
    "ci_low",
    "ci_high",
    "pred_low",
    "pred_high",
    "tau",
    "tau_low",
    "tau_high",
    "p_benefit",
    "p_mcid",
    "exact_estimate",
    "exact_ci_low",
    "exact_ci_high",
    "freq_estimate",
    "freq_ci_low",
    "freq_ci_high",
    "rhat_max",
    "ess_bulk_min",
    "ess_tail_min",
    "divergences",
    "per1000_estimate",
    "per1000_ci_low",
    "per1000_ci_high",
    "freq_tau2",
]
ANALYSIS_FILES = ("summary.json", "studies.csv", "sensitivity.csv", "heterogeneity.csv", "posterior.nc")


def num(value: Any) -> float:
    """A float, NaN for missing (None, pd.NA, empty)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes", "t"}


@dataclass
class AnalysisView:
    """`context` goes to the templates; the frames feed the figures."""

    context: dict[str, Any]
    studies: pd.DataFrame
    pooled: Pooled | None
    sensitivity: pd.DataFrame
    posterior: Path
    forest_columns: list[tuple[str, str]]
    common: Pooled | None = None  # the common-effect result beside the pooled one (two trials)
    heterogeneity: Heterogeneity | None = None
    not_pooled: str | None = None


def study_rows(inputs: ReportInputs, aid: str, converged: bool, forest_columns) -> pd.DataFrame:
    """One row per trial for the forest plot (:func:`.forest_view.forest_rows`: the engine's studies.csv, or
    the contrasts when the fit wrote none), plus extra columns from contrasts/trials."""
    contrasts = inputs.contrasts[inputs.contrasts["analysis_id"] == aid]
    src = inputs.studies(aid)
    if not len(src) and not inputs.analysis_file(aid, "studies.csv").exists():
        src = contrasts
    out = forest_rows(src, converged)
    by_trial = contrasts.groupby("trial_id").first() if len(contrasts) else pd.DataFrame()
    trials = inputs.trials.set_index("trial_id")
    for col in [c for c, _ in forest_columns]:
        if col in src:
            out[col] = src[col].to_numpy()
        elif col in by_trial.columns:
            out[col] = out["trial_id"].map(by_trial[col])
        elif col in trials.columns:
            out[col] = out["trial_id"].map(trials[col])
    return out


def sensitivity_rows(sens: pd.DataFrame) -> pd.DataFrame:
    """Rows to show, labelled from the engine's `scenario`/`method`; the engine's own 'primary' row is dropped
    (the main analysis comes from summary.csv), so are rows with no estimate."""
    if not len(sens):
        return sens.assign(label=pd.Series(dtype=object))
    sens = sens[sens["scenario"].str.strip().str.lower() != "primary"].copy()
    sens["label"] = [
        sensitivity_label(s, m) for s, m in zip(sens["scenario"], sens["method"].fillna(""), strict=False)
    ]
    return sens[pd.to_numeric(sens["estimate"], errors="coerce").notna()]


def build_analysis(row: pd.Series, inputs: ReportInputs, settings: Settings, forest_columns) -> AnalysisView:
    aid, indication = row["analysis_id"], row["indication"]
    outcome = settings.outcome(indication, row["outcome"])
    comparison = settings.indications[indication].comparisons[row["comparison"]]
    window = outcome.window(row["timepoint"])
    measure = row["measure"] or outcome.measure
    direction, mcid = outcome.direction, outcome.mcid
    intervention, control = split_comparison(comparison.label)
    tp_label = window.label if window else row["timepoint"]
    converged = truthy(row["converged"])
    k = int(num(row["k"])) if math.isfinite(num(row["k"])) else 0
    n = int(num(row["n_participants"])) if math.isfinite(num(row["n_participants"])) else None
    dec = measure_decimals(measure, mcid)
    nums = {c: num(row[c]) for c in SUMMARY_NUMBERS}
    title = f"{outcome.label} \u2014 {comparison.label}, {tp_label}"
    contrast_rows = inputs.contrasts[inputs.contrasts["analysis_id"] == aid]
    a: dict[str, Any] = {
        "id": aid,
        "indication": indication,
        "outcome": outcome.id,
        "comparison": comparison.id,
        "timepoint": row["timepoint"],
        "outcome_label": outcome.label,
        "comparison_label": comparison.label,
        "outcome_short": re.sub(r"\s*\(.*?\)\s*$", "", outcome.label),
        "timepoint_label": tp_label,
        "title": title,
        "measure": measure,
        "k": k,
        "n": n,
        "converged": converged,
        "direction": direction,
        "mcid": mcid,
        "primary": bool(window and window.primary),
    }
    a["flags"] = analysis_flags(row, contrast_rows, inputs.trials, k, converged)
    a["diagnostics"] = [
        ("Model", row["model"] or "\u2013"),
        ("Heterogeneity prior", describe_prior(row["tau_prior"] or outcome.tau_prior)),
        ("Effect prior", describe_prior(row["effect_prior"])),
        ("Max R-hat", format_number(nums["rhat_max"], 3)),
        ("Min bulk ESS", format_number(nums["ess_bulk_min"], 0)),
        ("Min tail ESS", format_number(nums["ess_tail_min"], 0)),
        ("Divergences", format_number(nums["divergences"], 0)),
        ("Converged", "yes" if converged else "NO"),
        (
            "MCMC agrees with exact integration",
            {"true": "yes", "false": "NO"}.get(str(row["exact_agrees"]).strip().lower(), "not applicable"),
        ),
    ]
    studies = study_rows(inputs, aid, converged, forest_columns)
    a["studies"] = [
        {"label": r["label"], "est": fmt_interval(measure, r["estimate"], r["ci_low"], r["ci_high"], dec)}
        for _, r in studies.iterrows()
    ]
    studies = with_rob(studies, inputs.rob_of(indication), outcome.id)
    sens_raw = inputs.sensitivity(aid) if converged else pd.DataFrame()
    forest = forest_parts(studies, nums, k, converged, sens_raw, inputs.heterogeneity(aid), measure=measure,
                          decimals=dec)  # fmt: skip
    pooled = forest["pooled"]
    a["forest_table"] = forest.pop("table")
    a["forest_alt"] = f"Forest plot, {title}: {k} trial{'s' if k != 1 else ''}" + (
        f"; pooled {fmt_effect(measure, nums['estimate'], dec)} (95% CrI "
        f"{fmt_range(measure, nums['ci_low'], nums['ci_high'], dec)})"
        if pooled
        else "; no pooled estimate shown" + ("" if converged else " (not converged)")
    )
    sensitivity = pd.DataFrame()
    a["sensitivity"] = []
    result = {"result": None, "absolute": None, "numbers": [], "two_trials": None, "notes": []}
    result["headline"] = {"effect": "", "interval_name": "", "kind": "", "kind_label": "", "absolute": ""}
    if converged:
        result = result_context(row, nums, measure, dec, k, studies, sens_raw)
        sensitivity = _sensitivity_frame(sensitivity_rows(sens_raw), nums)
        a["sensitivity"] = [
            {
                "label": r["label"],
                "value": fmt_interval(measure, r["estimate"], r["ci_low"], r["ci_high"], dec),
                "main": bool(r["main"]),
            }
            for _, r in sensitivity.iterrows()
        ]
    a["numbers"], a["two_trials"], a["notes"] = result["numbers"], result["two_trials"], result["notes"]
    a["result"], a["absolute"] = result["result"], result["absolute"]
    a["sentence"] = (
        plain_language(a, nums, outcome.unit, intervention, control, result["result"], result["absolute"])
        if converged
        else ""
    )
    a["headline"] = {
        **result["headline"],
        "p_benefit": fmt_prob(nums["p_benefit"]) if converged else "",
        "p_mcid": fmt_prob(nums["p_mcid"]) if converged else "",
        "unit": "odds ratio" if is_ratio(measure) else (outcome.unit or measure),
    }
    a["downloads"] = [
        (f"downloads/analyses/{aid}/{name}", name)
        for name in ANALYSIS_FILES
        if inputs.analysis_file(aid, name).exists()
    ]
    a.update(intervention=intervention, control=control, decimals=dec)
    a["grade"] = (
        certainty_context(
            a,
            row,
            nums,
            result["result"],
            studies,
            contrast_rows,
            inputs.rob_of(indication),
            inputs.overrides,
            _noun(outcome.label),
        )  # fmt: skip
        if converged
        else dict(NOT_RATED)
    )
    return AnalysisView(
        context=a,
        studies=studies,
        pooled=pooled,
        sensitivity=sensitivity,
        posterior=inputs.analysis_file(aid, "posterior.nc"),
        forest_columns=[c for c in forest_columns if c[0] in studies],
        common=forest["common"],
        heterogeneity=forest["heterogeneity"],
        not_pooled=forest["not_pooled"],
    )


def _sensitivity_frame(sens: pd.DataFrame, nums: dict) -> pd.DataFrame:
    """The main analysis (from summary.csv) first, then the variants; empty when there are none."""
    if not len(sens):
        return pd.DataFrame()
    main = {"label": "Main analysis", "main": True, **{c: nums[c] for c in ("estimate", "ci_low", "ci_high")}}
    variants = sens[["label", "estimate", "ci_low", "ci_high"]].astype(
        {c: float for c in ("estimate", "ci_low", "ci_high")}
    )
    return pd.concat([pd.DataFrame([main]), variants.assign(main=False)], ignore_index=True)
