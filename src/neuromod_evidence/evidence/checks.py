"""Checks of the curated evidence across columns, tables and the configuration.

Column-level checks are pandera's (`schemas.py`); these are the ones that need two columns (events within
total, a CI around its estimate), two tables (an outcome row's arm must exist) or the config (classes,
scales, outcomes, windows).
"""

from __future__ import annotations

import math

import pandas as pd

from ..settings import Scale, Settings
from .model import FILE_COL, LINE_COL, Evidence, Problem


def cross_check(ev: Evidence, settings: Settings) -> list[Problem]:
    problems: list[Problem] = []
    problems += _check_trials(ev.trials)
    problems += _check_arms(ev, settings)
    problems += _check_value_rows(ev, settings, ev.outcomes, "outcomes")
    problems += _check_value_rows(ev, settings, ev.contrasts, "contrasts")
    problems += _check_outcome_values(ev.outcomes, settings)
    problems += _check_contrast_values(ev.contrasts, settings)
    return problems


def _p(row: pd.Series, fld: str, message: str) -> Problem:
    return Problem(row[FILE_COL], int(row[LINE_COL]), fld, message)


def _has(row: pd.Series, col: str) -> bool:
    value = row.get(col)
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _check_trials(trials: pd.DataFrame) -> list[Problem]:
    problems = []
    first_seen: dict[str, pd.Series] = {}
    for _, row in trials.iterrows():
        if row["indication"] != row["indication_folder"]:
            problems.append(
                _p(
                    row,
                    "indication",
                    f"'{row['indication']}' does not match its folder '{row['indication_folder']}'",
                )
            )
        tid = row["trial_id"]
        if tid in first_seen:
            other = first_seen[tid]
            problems.append(
                _p(
                    row,
                    "trial_id",
                    f"duplicated trial id '{tid}' (also {other[FILE_COL]}, line {other[LINE_COL]})",
                )
            )
        else:
            first_seen[tid] = row
    return problems


def _check_arms(ev: Evidence, settings: Settings) -> list[Problem]:
    problems = []
    known = settings.class_roles()
    trial_ids = set(ev.trials["trial_id"])
    for _, row in ev.arms.iterrows():
        if row["trial_id"] not in trial_ids:
            problems.append(_p(row, "trial_id", f"unknown trial '{row['trial_id']}' (not in trials.csv)"))
        if row["class"] not in known:
            problems.append(
                _p(
                    row,
                    "class",
                    f"unknown intervention/comparator class '{row['class']}' (known: {', '.join(known)})",
                )
            )
    counts = ev.arms.groupby("trial_id").size()
    for _, row in ev.trials.iterrows():
        n_arms = int(counts.get(row["trial_id"], 0))
        if n_arms < 2:
            problems.append(
                _p(row, "trial_id", f"a randomized trial needs at least two arms in arms.csv, found {n_arms}")
            )
    return problems


def _check_value_rows(ev: Evidence, settings: Settings, df: pd.DataFrame, table: str) -> list[Problem]:
    """Checks shared by outcomes.csv and contrasts.csv: references, vocabulary, windows."""
    problems = []
    trials = ev.trials.drop_duplicates("trial_id").set_index("trial_id")  # duplicates reported elsewhere
    arms = set(zip(ev.arms["trial_id"], ev.arms["arm_id"], strict=True))
    arm_cols = ["arm_id"] if table == "outcomes" else ["arm_id_intervention", "arm_id_comparator"]
    for _, row in df.iterrows():
        tid = row["trial_id"]
        if tid not in trials.index:
            problems.append(_p(row, "trial_id", f"unknown trial '{tid}' (not in trials.csv)"))
            continue
        if trials.loc[tid, "indication"] != row["indication_folder"]:
            problems.append(
                _p(row, "trial_id", f"trial '{tid}' belongs to indication '{trials.loc[tid, 'indication']}'")
            )
        for col in arm_cols:
            if (tid, row[col]) not in arms:
                problems.append(_p(row, col, f"unknown arm '{row[col]}' of trial '{tid}' (not in arms.csv)"))
        if table == "contrasts" and row["arm_id_intervention"] == row["arm_id_comparator"]:
            problems.append(_p(row, "arm_id_comparator", "an arm cannot be compared with itself"))
        outcome_id = row["outcome"]
        outcome = settings.outcomes.get(outcome_id)
        if outcome is None:
            problems.append(
                _p(row, "outcome", f"unknown outcome '{outcome_id}' (known: {', '.join(settings.outcomes)})")
            )
            continue
        scale_id = row["scale"]
        scale = settings.scales.get(scale_id)
        if scale is None:
            problems.append(
                _p(row, "scale", f"unknown scale '{scale_id}' (known: {', '.join(settings.scales)})")
            )
        elif scale.family != outcome.family:
            problems.append(
                _p(
                    row,
                    "scale",
                    f"scale '{scale_id}' measures {scale.family}, "
                    f"but outcome '{outcome_id}' needs a {outcome.family} scale",
                )
            )
        months = row["timepoint_months"]
        if months > 0 and outcome.window_of(months) is None:
            spans = ", ".join(f"{w.id} [{w.lo:g}, {w.hi:g})" for w in outcome.windows)
            problems.append(
                _p(row, "timepoint_months", f"{months:g} months lies outside every analysis window ({spans})")
            )
        kind = outcome.kind
        if kind == "continuous" and not _has(row, "value_type"):
            problems.append(_p(row, "value_type", "continuous outcomes need 'final' or 'change'"))
        if kind == "binary" and _has(row, "value_type"):
            problems.append(_p(row, "value_type", "binary outcomes take no value_type"))
        design = trials.loc[tid, "design"]
        if _has(row, "period") and design != "crossover":
            problems.append(_p(row, "period", "only crossover trials have periods"))
    return problems


def _check_outcome_values(df: pd.DataFrame, settings: Settings) -> list[Problem]:
    problems = []
    for _, row in df.iterrows():
        outcome = settings.outcomes.get(row["outcome"])
        scale = settings.scales.get(row["scale"])
        if outcome is None or scale is None:
            continue  # already reported
        if outcome.kind == "binary":
            problems += _check_binary_row(row)
        else:
            problems += _check_continuous_row(row, scale)
    return problems


def _check_binary_row(row: pd.Series) -> list[Problem]:
    problems = []
    if not (_has(row, "events") or _has(row, "percent")):
        problems.append(_p(row, "events", "a binary row needs 'events' (with 'total') or 'percent'"))
    if _has(row, "events") and not _has(row, "total"):
        problems.append(_p(row, "total", "'events' needs its denominator in 'total'"))
    if _has(row, "events") and _has(row, "total") and row["events"] > row["total"]:
        problems.append(_p(row, "events", f"events {row['events']:g} exceed total {row['total']:g}"))
    for col in ("mean", "sd", "se", "median", "q1", "q3", "min", "max"):
        if _has(row, col):
            problems.append(_p(row, col, "binary outcomes are recorded as events/total or percent"))
    return problems


def _check_continuous_row(row: pd.Series, scale: Scale) -> list[Problem]:
    problems = []
    if not (_has(row, "mean") or _has(row, "median")):
        problems.append(_p(row, "mean", "a continuous row needs 'mean' or 'median'"))
    for col in ("events", "total", "percent"):
        if _has(row, col):
            problems.append(_p(row, col, "continuous outcomes are recorded as mean/median with dispersion"))
    lo, hi = scale.low, scale.high
    if row.get("value_type") == "change":
        lo, hi = lo - hi, hi - lo
    for col in ("mean", "median", "q1", "q3", "min", "max", "ci_low", "ci_high"):
        if _has(row, col) and not lo <= row[col] <= hi:
            problems.append(
                _p(
                    row,
                    col,
                    f"{row[col]:g} lies outside the range [{lo:g}, {hi:g}] of scale '{row['scale']}'",
                )
            )
    if _has(row, "ci_low") != _has(row, "ci_high"):
        problems.append(_p(row, "ci_high", "a confidence interval needs both limits"))
    if (
        _has(row, "ci_low")
        and _has(row, "ci_high")
        and _has(row, "mean")
        and not (row["ci_low"] <= row["mean"] <= row["ci_high"])
    ):
        problems.append(
            _p(
                row,
                "ci_low",
                f"CI [{row['ci_low']:g}, {row['ci_high']:g}] does not contain the mean {row['mean']:g}",
            )
        )
    order = [c for c in ("min", "q1", "median", "q3", "max") if _has(row, c)]
    for a, b in zip(order, order[1:], strict=False):
        if row[a] > row[b]:
            problems.append(_p(row, b, f"{b} {row[b]:g} is below {a} {row[a]:g}"))
    return problems


def _check_contrast_values(df: pd.DataFrame, settings: Settings) -> list[Problem]:
    problems = []
    for _, row in df.iterrows():
        outcome = settings.outcomes.get(row["outcome"])
        if outcome is None:
            continue
        measure = row["measure"]
        if outcome.kind == "continuous" and measure != "MD":
            problems.append(
                _p(row, "measure", f"continuous outcome '{row['outcome']}' takes MD, not {measure}")
            )
        if outcome.kind == "binary" and measure == "MD":
            problems.append(
                _p(row, "measure", f"binary outcome '{row['outcome']}' takes RR, OR, RD or HR, not MD")
            )
        ratio = measure in ("RR", "OR", "HR")
        if ratio:
            for col in ("estimate", "ci_low", "ci_high"):
                if _has(row, col) and row[col] <= 0:
                    problems.append(_p(row, col, f"a {measure} must be positive, got {row[col]:g}"))
        if _has(row, "ci_low") != _has(row, "ci_high"):
            problems.append(_p(row, "ci_high", "a confidence interval needs both limits"))
        elif _has(row, "ci_low") and not row["ci_low"] <= row["estimate"] <= row["ci_high"]:
            problems.append(
                _p(
                    row,
                    "ci_low",
                    f"CI [{row['ci_low']:g}, {row['ci_high']:g}] does not contain the estimate {row['estimate']:g}",
                )
            )
        if _has(row, "p_operator") and not _has(row, "p_value"):
            problems.append(_p(row, "p_value", "'p_operator' given without a p-value"))
    return problems
