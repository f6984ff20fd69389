"""The curated rows as the contrast builder needs them: grouped once, and the small helpers that combine arms
and collect flags (Cochrane Handbook 6.5.a for combining two arms into one group)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..settings import Comparison, OutcomeSettings, Settings
from . import conversions as cv


def pooled_sds(outcomes: pd.DataFrame) -> dict[tuple[str, str, str], tuple[float, list[str]]]:
    """Pooled SD per (indication, outcome, value_type) from arms that report one, for imputation."""
    have = outcomes[outcomes["usable"].astype(bool) & outcomes["sd_common"].notna()]
    out = {}
    for key, grp in have.groupby(["indication_folder", "outcome", "value_type"]):
        n = grp["n_used"].astype(float)
        sd = grp["sd_common"].astype(float)
        if (n > 1).sum() == 0:
            continue
        pooled = math.sqrt(float(((n - 1) * sd**2).sum() / (n - 1).sum()))
        out[key] = (pooled, sorted(set(grp["trial_id"])))
    return out


class RowIndex:
    """The curated rows grouped once: arms by trial, usable outcome rows and reported contrasts by trial ×
    outcome × window. Why: an analysis grid of ~1000 trial × analysis cells used to filter whole tables in
    every cell (~20 s); a dictionary look-up per cell keeps the stage at a fraction of a second. Groups keep the
    rows' file order, exactly as a boolean filter would."""

    def __init__(
        self, arms: pd.DataFrame, outcomes: pd.DataFrame, contrasts: pd.DataFrame, settings: Settings
    ):
        self._arms = dict(tuple(arms.groupby("trial_id", sort=False)))
        usable = outcomes[outcomes["usable"].astype(bool)]
        self._rows = dict(tuple(usable.groupby(["trial_id", "outcome", "window"], sort=False)))
        windows = [
            _window_id(settings.outcomes[o], m)
            for o, m in zip(contrasts["outcome"], contrasts["timepoint_months"], strict=True)
        ]
        keyed = contrasts.assign(_window=windows)
        self._reported = {
            k: g.drop(columns="_window")
            for k, g in keyed.groupby(["trial_id", "outcome", "_window"], sort=False)
        }
        self._no = (arms.iloc[0:0], outcomes.iloc[0:0], contrasts.iloc[0:0])
        self._sides: dict[tuple[str, str], tuple[pd.DataFrame, pd.DataFrame]] = {}

    def sides(self, trial_id: str, comp: Comparison) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The trial's arms on the intervention and on the comparator side of a comparison (memoised)."""
        key = (trial_id, comp.id)
        if key not in self._sides:
            t_arms = self.arms(trial_id)
            self._sides[key] = (
                t_arms[t_arms["class"].isin(comp.intervention)],
                t_arms[t_arms["class"].isin(comp.comparator)],
            )
        return self._sides[key]

    def arms(self, trial_id: str) -> pd.DataFrame:
        return self._arms.get(trial_id, self._no[0])

    def rows(self, trial_id: str, outcome: str, window: str) -> pd.DataFrame:
        return self._rows.get((trial_id, outcome, window), self._no[1])

    def reported(self, trial_id: str, outcome: str, window: str) -> pd.DataFrame:
        return self._reported.get((trial_id, outcome, window), self._no[2])


def _window_id(outcome: OutcomeSettings, months: float) -> str | None:
    w = outcome.window_of(float(months)) if months > 0 else None
    return w.id if w is not None else None


def primary_sites(*frames: pd.DataFrame) -> set[str]:
    """Sites of rows the curator marked as the trial's primary outcome (notes starting with "PRIMARY:")."""
    out = set()
    for df in frames:
        marked = df["notes"].fillna("").astype(str).str.upper().str.startswith("PRIMARY")
        out |= set(df.loc[marked, "site"].dropna())
    return out


def one_row_per_arm(df: pd.DataFrame) -> pd.DataFrame:
    """If an arm has several rows at the same time (e.g. ITT and per-protocol), keep the first as listed."""
    return df.drop_duplicates(subset=["arm_id"], keep="first")


def combine(df: pd.DataFrame) -> tuple[float, float, float]:
    rows = list(df[["n_used", "mean_common", "sd_common"]].itertuples(index=False, name=None))
    n, m, s = (float(x) for x in rows[0])
    for n2, m2, s2 in rows[1:]:
        n, m, s = cv.combine_groups(n, m, s, float(n2), float(m2), float(s2))
    return n, m, s


def combined_note(t: pd.DataFrame, c: pd.DataFrame) -> str | None:
    parts = [
        f"{len(df)} {side} arms combined"
        for df, side in ((t, "intervention"), (c, "comparator"))
        if len(df) > 1
    ]
    return "; ".join(parts) or None


def flags(rows: pd.DataFrame) -> dict[str, Any]:
    def any_true(col):
        return bool(rows[col].fillna(False).astype(bool).any()) if col in rows else False

    sources = sorted(set(rows["source"].dropna()))
    kinds = {k for kind in rows["source_kind"].dropna() for k in str(kind).split("+")}
    return dict(
        sd_imputed=False,
        sd_from_median=any_true("sd_from_median"),
        events_derived=any_true("events_derived"),
        n_assumed=any_true("n_assumed"),
        uncertain=bool((rows["status"] == "uncertain").any()),
        sources=";".join(sources),
        source_kind="+".join(k for k in ("publication", "registry") if k in kinds),
    )


BOUND_COLUMNS = ("n_t_min", "events_t_at_min", "n_c_min", "events_c_at_min",
                 "n_t_max", "events_t_at_max", "n_c_max", "events_c_at_max")  # fmt: skip


def _at(row: pd.Series, total: float) -> tuple[int, int]:
    """(events, total) of an arm row at one denominator of its feasible range: the printed events when the
    source gives them, else the printed percentage of that denominator (which reproduces it, being feasible)."""
    if not pd.isna(row.get("events")):
        return int(row["events"]), int(total)
    return cv.events_from_percent(float(row["percent"]), int(total)), int(total)


def denominator_bounds(t: pd.DataFrame, c: pd.DataFrame) -> dict[str, Any]:
    """Arm counts of a binary contrast at the lowest and at the highest feasible denominator of every arm whose
    events were derived from a percentage with a range of denominators (arms without a range keep the counts
    used), for the sensitivity analysis (models/denominators.py); empty (NaN) when no arm has a range. Why: the
    denominator used is only the feasible one nearest the arm's size; the bounds show what the choice does."""
    both = pd.concat([t, c])
    low, high = (pd.to_numeric(both[f"total_{b}"], errors="coerce") for b in ("min", "max"))
    if not (low < high).any():
        return dict.fromkeys(BOUND_COLUMNS, float("nan"))
    out: dict[str, Any] = {}
    for side, df in (("t", t), ("c", c)):
        for bound in ("min", "max"):
            counts = [
                _at(r, r[f"total_{bound}"])
                if not pd.isna(r["total_min"])
                else (int(r["events_used"]), int(r["total_used"]))
                for _, r in df.iterrows()
            ]
            out[f"n_{side}_{bound}"] = float(sum(n for _, n in counts))
            out[f"events_{side}_at_{bound}"] = float(sum(e for e, _ in counts))
    return out


def join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)
