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


def join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)
