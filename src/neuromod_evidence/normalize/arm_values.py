"""Arm-level rows on the common scale: one usable (mean, SD, n) or (events, total) per curated row.

Each curated outcome row is converted once, here, with the method recorded in words; the contrast
builder (`normalize.py`) then only picks and combines. A row that cannot be made usable keeps its
reason in `problem`, which ends up in issues.csv.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..settings import NormalizeSettings, Scale, Settings
from . import conversions as cv

ARM_VALUE_COLUMNS = [
    "window",
    "mean_common",
    "sd_common",
    "n_used",
    "events_used",
    "total_used",
    "sd_method",
    "sd_from_median",
    "events_derived",
    "n_assumed",
    "usable",
    "problem",
    "total_min",
    "total_max",
]


def _num(row: pd.Series, col: str) -> float | None:
    value = row.get(col)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def arm_size(row: pd.Series, arms: pd.DataFrame) -> tuple[float | None, bool]:
    """Participants behind an arm-level value: the row's own `n`, else the arm's n randomized (assumed)."""
    n = _num(row, "n")
    if n is not None:
        return n, False
    match = arms[(arms["trial_id"] == row["trial_id"]) & (arms["arm_id"] == row["arm_id"])]
    if len(match) and not pd.isna(match.iloc[0]["n_randomized"]):
        return float(match.iloc[0]["n_randomized"]), True
    return None, False


def convert_outcome_rows(outcomes: pd.DataFrame, arms: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Add the ARM_VALUE_COLUMNS to a copy of the curated outcome rows."""
    out = outcomes.copy()
    records = [_convert_row(row, arms, settings) for _, row in outcomes.iterrows()]
    values = pd.DataFrame(records, columns=ARM_VALUE_COLUMNS, index=outcomes.index)
    for col in ARM_VALUE_COLUMNS:
        out[col] = values[col] if len(values) else pd.Series(dtype=object)
    return out


def _convert_row(row: pd.Series, arms: pd.DataFrame, settings: Settings) -> dict:
    rec: dict[str, Any] = dict.fromkeys(ARM_VALUE_COLUMNS)
    rec.update(sd_from_median=False, events_derived=False, n_assumed=False, usable=False)
    months = float(row["timepoint_months"])
    if months == 0:
        rec["problem"] = "baseline value (timepoint 0): not analysed"
        return rec
    outcome = settings.outcomes[row["outcome"]]
    window = outcome.window_of(months)
    rec["window"] = window.id if window else None
    if outcome.kind == "binary":
        _binary(row, arms, settings.normalize, rec)
    else:
        _continuous(row, arms, settings.scales[row["scale"]], settings.normalize, rec)
    return rec


def _binary(row: pd.Series, arms: pd.DataFrame, settings: NormalizeSettings, rec: dict) -> None:
    events, total, percent = _num(row, "events"), _num(row, "total"), _num(row, "percent")
    if events is not None and total is not None:
        rec.update(events_used=int(events), total_used=int(total), n_used=total, usable=True)
        if percent is not None and not cv.reproduces_percent(events, total, percent):
            rec["sd_method"] = (f"warning: {int(events)}/{int(total)} = {100 * events / total:.2f}% does not "
                                f"reproduce the printed {percent:g}%")  # fmt: skip
        return
    if percent is None:
        rec["problem"] = "no events/total or percent"
        return
    if total is not None:  # a stated denominator: it must reproduce the printed percentage
        derived = cv.events_from_percent(percent, int(total))
        if not cv.reproduces_percent(derived, total, percent):
            rec["problem"] = (
                f"no whole number of events out of the stated {int(total)} gives the printed {percent:g}%"
            )
            return
        rec.update(events_used=derived, total_used=int(total), n_used=total, events_derived=True, usable=True)
        rec["sd_method"] = (
            f"events = {derived} of the stated {int(total)} (reproduces the printed {percent:g}%)"
        )
        return
    ceiling, assumed = arm_size(row, arms)
    if ceiling is None:
        rec["problem"] = f"{percent:g}% of an unknown denominator (no total, no n, no n randomized)"
        return
    if not settings.assume_randomized_denominator and assumed:
        rec["problem"] = f"{percent:g}% of an unknown denominator (assuming n randomized is switched off)"
        return
    floor = math.ceil(settings.min_analysed_fraction * ceiling)
    feasible = [n for n in cv.feasible_denominators(percent, int(ceiling), events) if n >= floor]
    what = "n randomized" if assumed else "n analysed"
    if not feasible:
        rec["problem"] = (f"no denominator from {floor} to the arm's {what} ({int(ceiling)}) reproduces the "
                          f"printed {percent:g}%" + (f" with {int(events)} events" if events is not None else ""))  # fmt: skip
        return
    chosen = feasible[-1]  # the one nearest the arm's size: the fewest participants assumed missing
    derived = int(events) if events is not None else cv.events_from_percent(percent, chosen)
    rec.update(events_used=derived, total_used=chosen, n_used=chosen, events_derived=True, usable=True,
               n_assumed=True, total_min=feasible[0], total_max=feasible[-1])  # fmt: skip
    span = f"{feasible[0]}–{feasible[-1]}" if len(feasible) > 1 else str(chosen)
    rec["sd_method"] = (f"events = {derived} of {chosen}: the denominator nearest the arm's {what} "
                        f"({int(ceiling)}) that reproduces the printed {percent:g}% (feasible: {span})")  # fmt: skip


def _continuous(
    row: pd.Series, arms: pd.DataFrame, scale: Scale, settings: NormalizeSettings, rec: dict
) -> None:
    factor, offset = scale.factor, scale.offset
    change = row.get("value_type") == "change"
    n, assumed = arm_size(row, arms)
    rec["n_used"], rec["n_assumed"] = n, assumed
    mean = _num(row, "mean")
    if mean is None:
        _from_median(row, n, factor, offset, change, settings, rec)
        return
    rec["mean_common"] = (
        cv.spread_to_common_scale(mean, factor) if change else cv.to_common_scale(mean, factor, offset)
    )
    sd, se, lo, hi = (_num(row, c) for c in ("sd", "se", "ci_low", "ci_high"))
    level = _num(row, "ci_level") or 0.95
    if sd is not None:
        rec["sd_common"], rec["sd_method"] = sd * factor, "SD reported"
    elif se is not None and n is not None:
        rec["sd_common"], rec["sd_method"] = cv.sd_from_se(se, n) * factor, f"SD from SE × √n (n={n:g})"
    elif lo is not None and hi is not None and n is not None:
        sd_raw, how = cv.sd_from_ci(lo, hi, n, level, settings.ci_z_threshold_n)
        rec["sd_common"], rec["sd_method"] = sd_raw * factor, f"SD from {level:.0%} CI ({how}, n={n:g})"
    if n is None:
        rec["problem"] = "no n for this arm (neither the row nor arms.csv gives one)"
        return
    rec["usable"] = True
    if rec["sd_common"] is None:
        rec["sd_method"] = "no dispersion reported"


def _from_median(row, n, factor, offset, change, settings, rec) -> None:
    median = _num(row, "median")
    if median is None or n is None:
        rec["problem"] = "no mean, and no median with n"
        return
    quartiles = {k: _num(row, k) for k in ("q1", "q3", "min", "max")}
    if quartiles["q1"] is None and quartiles["min"] is None:
        rec["problem"] = "median without IQR or range: no mean and SD can be estimated"
        return
    method = "luo" if settings.median_method == "wan_luo" else "wan"
    est = cv.mean_sd_from_quantiles(
        n, median, quartiles["q1"], quartiles["q3"], quartiles["min"], quartiles["max"], mean_method=method
    )
    loc = est.mean * factor if change else cv.to_common_scale(est.mean, factor, offset)
    rec.update(
        mean_common=loc, sd_common=est.sd * factor, sd_method=est.method, sd_from_median=True, usable=True
    )
