"""What one forest plot shows, from the engine's tables: shared by the report and the `fit` command.

Rows come from ``studies.csv`` (STUDIES: estimates, weights, per-arm data, pain site), the pooled rows from
the summary row (random effects), ``sensitivity.csv`` (the common-effect result, shown beside it for two
trials) and ``heterogeneity.csv`` (HETEROGENEITY: tau², Q, df, p, I²); the RoB column from ``rob.csv``.
Nothing is estimated here. The same cells feed the page's data table beside the figure (screen readers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..grade.domains import domain_judgements
from . import forest_text as ft
from .forest_text import Heterogeneity, Pooled
from .headline import common_effect_row
from .rob import ROB_DOMAINS
from .scale import measure_axis_label

ARM_COLUMNS = ("events_t", "n_t", "events_c", "n_c", "mean_t", "sd_t", "mean_c", "sd_c")
COMMON_LABEL = "Common effect (\u03c4 = 0)"


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def forest_rows(src: pd.DataFrame, converged: bool) -> pd.DataFrame:
    """One row per trial: ``studies.csv`` (or the normalized contrasts, when the fit wrote none); shrunken
    estimates and weights only from a converged fit."""
    out = pd.DataFrame(
        {
            "trial_id": src["trial_id"].to_numpy(),
            "label": src["study_label"].to_numpy(),
            **{
                c: pd.to_numeric(src[c], errors="coerce").to_numpy()
                for c in ("estimate", "ci_low", "ci_high")
            },
        }
    )
    if converged and "shrunk_estimate" in src:
        for col in ("shrunk_estimate", "shrunk_ci_low", "shrunk_ci_high", "weight"):
            out[col] = pd.to_numeric(src[col], errors="coerce").to_numpy()
    for col in ARM_COLUMNS:
        out[col] = pd.to_numeric(src[col], errors="coerce").to_numpy() if col in src else math.nan
    for col in ("data_type", "site", "value_type"):
        out[col] = src[col].to_numpy() if col in src else None
    return out


def with_rob(rows: pd.DataFrame, rob: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Add `rob`: each trial's RoB 2 judgement per domain for this outcome (outcome-specific rows replace
    the trial's general ones, as in the certainty rating), None for a trial without an assessment."""
    rows = rows.copy()
    if not len(rob):
        rows["rob"] = None
        return rows

    def lights(trial_id):
        by_domain = domain_judgements(rob, trial_id, outcome)
        return tuple(by_domain.get(d, "not_assessed") for d, _, _ in ROB_DOMAINS) if by_domain else None

    rows["rob"] = [lights(t) for t in rows["trial_id"]]
    return rows


def pooled_of(summary: Mapping, k: int, converged: bool) -> Pooled | None:
    """The random-effects posterior (median, 95 % CrI, prediction) for a converged analysis of >= 2 trials."""
    est = _num(summary.get("estimate"))
    if not converged or k < 2 or not math.isfinite(est):
        return None
    pred = (_num(summary.get("pred_low")), _num(summary.get("pred_high")))
    return Pooled(est, _num(summary.get("ci_low")), _num(summary.get("ci_high")), *pred)


def common_of(sensitivity: pd.DataFrame, k: int, pooled: Pooled | None) -> Pooled | None:
    """The engine's common-effect result, drawn beside the random-effects one when there are two trials."""
    row = common_effect_row(sensitivity) if pooled is not None and k == 2 else None
    if row is None:
        return None
    return Pooled(_num(row["estimate"]), _num(row["ci_low"]), _num(row["ci_high"]), label=COMMON_LABEL)


def heterogeneity_of(frame: pd.DataFrame) -> Heterogeneity | None:
    """The one row of ``heterogeneity.csv``; None when the engine wrote none (not estimable, older run)."""
    if not len(frame):
        return None
    r = frame.iloc[0]
    floats = {c: _num(r[c]) for c in ("tau2", "tau2_low", "tau2_high", "freq_tau2", "q", "q_p", "i2")}
    df = int(r["q_df"]) if pd.notna(r["q_df"]) else 0
    return Heterogeneity(**floats, freq_method=str(r["freq_method"] or ""), q_df=df)


def not_pooled_reason(k: int, converged: bool) -> str | None:
    if k == 1:
        return None  # the plot says "single trial, not pooled"
    return None if converged else "Not pooled: the model did not converge"


def data_table(rows: pd.DataFrame, pooled, common, het, *, measure: str, decimals: int) -> dict:
    """The forest plot's cells as an HTML table for screen readers (the figure's own formatting)."""
    body = []
    for _, r in rows.iterrows():
        body.append(
            {
                "label": str(r["label"]),
                "variant": ft.variant_cell(r),
                "arm_t": ft.arm_cell(r, "t", measure, decimals),
                "arm_c": ft.arm_cell(r, "c", measure, decimals),
                "weight": ft.weight_cell(r.get("weight")),
                "effect": ft.effect_cell(r, measure, decimals),
                "rob": "; ".join(words for _, _, words in ft.rob_cells(r.get("rob"))) or "not assessed",
            }
        )
    pooled_rows = []
    for p in (common, pooled):
        if p is not None:
            pooled_rows.append({"label": p.label, "effect": ft.pooled_cell(p, measure, decimals)})
    if ft.has_prediction(pooled):
        pooled_rows.append(
            {
                "label": "95% prediction interval (new trial)",
                "effect": ft.prediction_cell(pooled, measure, decimals),
            }
        )
    return {
        "arm_header": ft.arm_header(measure),
        "effect_header": measure_axis_label(measure),
        "rows": body,
        "pooled": pooled_rows,
        "heterogeneity": ft.heterogeneity_lines(het, measure, len(rows)) if pooled is not None else [],
        "single": len(rows) == 1,
    }


def forest_parts(
    rows: pd.DataFrame, summary: Mapping, k: int, converged: bool, sensitivity: pd.DataFrame,
    heterogeneity: pd.DataFrame, *, measure: str, decimals: int,
) -> dict:  # fmt: skip
    """Everything the forest plot draws beyond the trial rows, and its data table:
    ``pooled``, ``common``, ``heterogeneity``, ``not_pooled`` (keyword arguments of ``forest_plot``), ``table``."""
    pooled = pooled_of(summary, k, converged)
    common = common_of(sensitivity, k, pooled)
    het = heterogeneity_of(heterogeneity)
    parts = {
        "pooled": pooled,
        "common": common,
        "heterogeneity": het,
        "not_pooled": not_pooled_reason(k, converged),
    }
    return {**parts, "table": data_table(rows, pooled, common, het, measure=measure, decimals=decimals)}
