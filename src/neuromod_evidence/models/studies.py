"""The studies of one analysis, on the analysis scale: contrast rows → :class:`StudyData`.

Model choice (binary outcomes): when every study has arm counts (``data_type == arm_binary``) the
binomial–normal model on log OR with the exact binomial likelihood is used; when some studies only
report a log OR, the NNHM on log OR is used for all, with a continuity correction applied only to
arm-count studies with a zero cell (recorded in ``continuity_corrected`` and the notes).

An analysis in which no study has a finite estimate (every study has no events, or only events, in both
arms) is *not estimable*: :attr:`StudyData.estimable` is False and the engine reports that instead of
sampling the prior.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import effects

log = logging.getLogger(__name__)

_COLUMNS = [
    "trial_id", "study_label", "data_type", "sd_imputed", "events_derived", "n_t", "n_c", "events_t", "events_c",
    "y", "se", "corrected", "mean_t", "sd_t", "mean_c", "sd_c", "site", "value_type",
]  # fmt: skip
_EFFECT_FROM_COUNTS = {
    "OR": effects.log_odds_ratio,
    "RR": effects.log_risk_ratio,
    "RD": effects.risk_difference,
}


@dataclass
class StudyData:
    """The studies of one analysis on the analysis scale, plus counts when every study has them."""

    table: pd.DataFrame  # one row per study: label, y, se, flags, counts
    likelihood: str  # "binomial" or "normal"
    y: np.ndarray  # normal-approximation estimates of the studies that have one
    se: np.ndarray
    y_index: np.ndarray  # positions (in table) of those studies
    corrected: int
    excluded: list[str]
    notes: list[str]

    @property
    def estimable(self) -> bool:
        """False when no study carries information on the effect (e.g. all studies double-zero)."""
        return len(self.y) > 0


def _num(row, col):
    v = row.get(col, np.nan)
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _text(row, col) -> str:
    v = row.get(col)
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _flag(row, col) -> bool:
    v = row.get(col, False)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else False


def duplicate_labels(labels) -> list[str]:
    """Study labels that occur more than once, in order of first appearance."""
    seen: dict[str, int] = {}
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
    return [lab for lab, n in seen.items() if n > 1]


def _record(r, has_counts: bool, settings) -> dict:
    label = str(r.get("study_label", r.get("trial_id", "")) or r.get("trial_id", ""))
    rec = {
        "trial_id": str(r.get("trial_id", label)),
        "study_label": label,
        "data_type": str(r.get("data_type", "contrast")),
        "sd_imputed": _flag(r, "sd_imputed"),
        "events_derived": _flag(r, "events_derived"),
        "n_t": _num(r, "n_t"),
        "n_c": _num(r, "n_c"),
        "events_t": _num(r, "events_t"),
        "events_c": _num(r, "events_c"),
        "y": _num(r, "estimate"),
        "se": _num(r, "se"),
        "corrected": False,
        # carried for the forest plot's per-arm columns only (the model never reads them)
        **{c: _num(r, c) for c in ("mean_t", "sd_t", "mean_c", "sd_c")},
        **{c: _text(r, c) for c in ("site", "value_type")},
    }
    if settings.measure in _EFFECT_FROM_COUNTS and has_counts and rec["data_type"] == "arm_binary":
        out = _EFFECT_FROM_COUNTS[settings.measure](
            rec["events_t"], rec["n_t"], rec["events_c"], rec["n_c"], settings.continuity_correction
        )
        if out is None:
            rec["y"] = rec["se"] = float("nan")
        else:
            rec["y"], rec["se"], rec["corrected"] = out
    return rec


def prepare_studies(rows: pd.DataFrame, settings) -> StudyData:
    """Study estimates, standard errors and counts of one analysis (``settings``: an AnalysisSettings)."""
    rows = rows.reset_index(drop=True)
    notes: list[str] = []
    binary = settings.measure in _EFFECT_FROM_COUNTS
    has_counts = [
        all(not math.isnan(_num(r, c)) for c in ("events_t", "n_t", "events_c", "n_c"))
        for _, r in rows.iterrows()
    ]
    all_arm = binary and all(
        str(r.get("data_type", "arm_binary")) == "arm_binary" and hc
        for (_, r), hc in zip(rows.iterrows(), has_counts, strict=True)
    )
    likelihood = "binomial" if (settings.measure == "OR" and all_arm) else "normal"
    recs = [_record(r, hc, settings) for (_, r), hc in zip(rows.iterrows(), has_counts, strict=True)]
    table = pd.DataFrame(recs, columns=_COLUMNS)
    dups = duplicate_labels(table["study_label"]) if len(table) else []
    if dups:
        msg = f"duplicate study label(s) {', '.join(dups)}: each row is pooled as a separate study; check the input"
        log.warning(msg)
        notes.append(msg)
    excluded = []
    ok = np.zeros(0, dtype=bool)
    if len(table):
        ok = (
            np.isfinite(table["y"].to_numpy())
            & np.isfinite(table["se"].to_numpy())
            & (table["se"].to_numpy() > 0)
        )
    for i in np.flatnonzero(~ok):
        lab = table.loc[i, "study_label"]
        if likelihood == "binomial":
            notes.append(
                f"{lab}: no events in either arm; kept in the binomial model, left out of normal approximations"
            )
        else:
            excluded.append(lab)
            notes.append(f"{lab}: no finite estimate/SE; excluded")
    if likelihood == "normal" and ok.any():  # (nothing finite: keep the rows to report them, not estimable)
        table = table[ok].reset_index(drop=True)
        ok = np.ones(len(table), dtype=bool)
    corrected = int(table.loc[ok, "corrected"].sum()) if len(table) else 0
    if binary and corrected:
        where = (
            "normal approximations (frequentist, exact, sensitivity)"
            if likelihood == "binomial"
            else "the model"
        )
        notes.append(
            f"{settings.continuity_correction} continuity correction in {corrected} study(ies) with a zero cell, in {where}"
        )
    if settings.measure == "OR" and likelihood == "normal" and any(has_counts):
        notes.append("NNHM on log OR: not every study has arm counts (binomial-normal model needs all)")
    idx = np.flatnonzero(ok)
    y = table.loc[ok, "y"].to_numpy(float) if len(table) else np.zeros(0)
    se = table.loc[ok, "se"].to_numpy(float) if len(table) else np.zeros(0)
    return StudyData(table, likelihood, y, se, idx, corrected, excluded, notes)
