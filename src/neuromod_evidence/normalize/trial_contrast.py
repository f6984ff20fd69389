"""The one contrast a trial contributes to one analysis (indication × outcome × comparison × window).

Selection, in order: the site most preferred by the config, first-period data of crossovers when available,
the follow-up nearest the window's target, final values before change scores (never mixed within a trial),
arms of one side combined into one group (Cochrane Handbook 6.5.a), complete arm-level data before a reported
between-group estimate. Whatever is not chosen is written to the ledger with the reason.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..settings import Comparison, OutcomeSettings, Settings, Window
from . import conversions as cv
from . import rows as arm_rows
from .ledger import Ledger
from .rows import RowIndex, combine, combined_note, flags, join, one_row_per_arm, primary_sites


def analysis_id(indication: str, outcome: str, comparison: str, timepoint: str) -> str:
    return "__".join((indication, outcome, comparison, timepoint))


class TrialContrast:
    """Builds the one contrast a trial contributes to one analysis, or records why it contributes none."""

    def __init__(self, trial, index: RowIndex, outcome: OutcomeSettings, comp: Comparison, window: Window,
                 settings: Settings, pooled_sds, ledger: Ledger):  # fmt: skip
        self.trial, self.settings, self.comp, self.window = trial, outcome, comp, window
        self.config, self.pooled_sds, self.ledger = settings, pooled_sds, ledger
        tid = trial["trial_id"]
        self.arms_t, self.arms_c = index.sides(tid, comp)
        self.rows = index.rows(tid, outcome.id, window.id)
        self.reported = index.reported(tid, outcome.id, window.id)

    # -- selection ------------------------------------------------------------------------------
    def build(self) -> dict[str, Any] | None:
        if self.arms_t.empty or self.arms_c.empty or (self.rows.empty and self.reported.empty):
            return None  # nothing to select from (most trial x analysis pairs): skip the filtering below
        side_t = self.rows[self.rows["arm_id"].isin(self.arms_t["arm_id"])]
        side_c = self.rows[self.rows["arm_id"].isin(self.arms_c["arm_id"])]
        reported = self.reported[
            self.reported["arm_id_intervention"].isin(self.arms_t["arm_id"])
            & self.reported["arm_id_comparator"].isin(self.arms_c["arm_id"])
        ]
        everything = [*side_t["row_key"], *side_c["row_key"], *reported["row_key"]]
        if not everything:
            return None
        side_t, side_c, reported, site = self._pick_site(side_t, side_c, reported)
        if site is False:
            return None
        side_t, side_c, reported, period = self._pick_period(side_t, side_c, reported)
        candidates = self._candidate_times(side_t, side_c, reported)
        if not candidates:
            self.ledger.skip(everything, self._one_sided_reason())
            return None
        target = self.window.target
        months = min(candidates, key=lambda m: (abs(m - target), -m))
        result = self._contrast_at(months, side_t, side_c, reported)
        if result is None:
            return None
        chosen = set(result["_keys"])
        self.ledger.skip(
            [k for k in everything if k not in chosen],
            f"not selected for {self._aid()}: the trial's data at {months:g} months (nearest the {target:g}-month "
            f"target), site '{site or '-'}' ({self.site_reason}), were used instead",
        )
        keys = result.pop("_keys")
        self.ledger.use(keys, self._aid())
        result.update(self._common(months, site, period, keys))
        return result

    def _aid(self) -> str:
        t = self.trial
        return analysis_id(t["indication"], self.settings.id, self.comp.id, self.window.id)

    def _pick_site(self, side_t, side_c, reported):
        preferred = list(self.settings.sites)
        if not preferred:
            return side_t, side_c, reported, None
        keys = [*side_t["row_key"], *side_c["row_key"], *reported["row_key"]]
        sites_seen = (
            set(side_t["site"].dropna()) | set(side_c["site"].dropna()) | set(reported["site"].dropna())
        )
        primary = primary_sites(side_t, side_c, reported)
        # the trial's own primary outcome first (curators mark it "PRIMARY:" in notes), then the config's order
        for site in [*(s for s in preferred if s in primary), *(s for s in preferred if s not in primary)]:
            t, c, r = (df[df["site"] == site] for df in (side_t, side_c, reported))
            if (not t.empty and not c.empty) or not r.empty:
                self.site_reason = (
                    "the trial's primary outcome" if site in primary else "the config's site order"
                )
                return t, c, r, site
        unlisted = sites_seen - set(preferred)
        reason = (
            f"pain site(s) {sorted(unlisted)} not among the sites analysed for {self.trial['indication']} "
            f"({', '.join(preferred)})"
            if unlisted
            else self._one_sided_reason()
        )
        if any(pd.isna(s) for s in [*side_t["site"], *side_c["site"], *reported["site"]]):
            reason += "; rows without a site are not analysed when the indication lists sites"
        self.ledger.skip(keys, reason)
        return side_t, side_c, reported, False

    site_reason = "no site preference"

    def _pick_period(self, side_t, side_c, reported):
        if self.trial["design"] != "crossover":
            return side_t, side_c, reported, None
        prefer_first = self.config.normalize.crossover_prefer_first_period
        order = ["first", "all"] if prefer_first else ["all", "first"]
        for period in order:
            t, c, r = (df[df["period"].fillna("all") == period] for df in (side_t, side_c, reported))
            if (not t.empty and not c.empty) or not r.empty:
                return t, c, r, period
        return side_t, side_c, reported, "all"

    def _candidate_times(self, side_t, side_c, reported) -> list[float]:
        both = set(side_t["timepoint_months"]) & set(side_c["timepoint_months"])
        return sorted(both | set(reported["timepoint_months"]))

    def _one_sided_reason(self) -> str:
        return (
            f"no comparison possible for {self._aid()}: only one side of "
            f"{'/'.join(self.comp.intervention)} vs {'/'.join(self.comp.comparator)} reports this outcome"
        )

    # -- building -------------------------------------------------------------------------------
    def _contrast_at(self, months, side_t, side_c, reported) -> dict[str, Any] | None:
        t = side_t[side_t["timepoint_months"] == months]
        c = side_c[side_c["timepoint_months"] == months]
        r = reported[reported["timepoint_months"] == months]
        if self.settings.kind == "binary":
            return self._binary(t, c, r)
        return self._continuous(t, c, r)

    def _binary(self, t, c, r) -> dict[str, Any] | None:
        if not t.empty and not c.empty:
            t, c = one_row_per_arm(t), one_row_per_arm(c)
            e_t, n_t = int(t["events_used"].sum()), int(t["total_used"].sum())
            e_c, n_c = int(c["events_used"].sum()), int(c["total_used"].sum())
            keys = [*t["row_key"], *c["row_key"]]
            if (e_t == 0 and e_c == 0) or (e_t == n_t and e_c == n_c):
                self.ledger.skip(
                    keys, f"{self._aid()}: no events (or only events) in both arms: odds ratio not estimable"
                )
            else:
                est, se, corrected = cv.log_odds_ratio(e_t, n_t, e_c, n_c)
                method = "log OR from arm counts" + (
                    " (0.5 added to each cell for this display estimate only)" if corrected else ""
                )
                out = dict(data_type="arm_binary", measure="OR", estimate=est, se=se, events_t=e_t, n_t=n_t,
                           events_c=e_c, n_c=n_c, method=join(method, combined_note(t, c)), _keys=keys)  # fmt: skip
                out.update(flags(pd.concat([t, c])))
                out.update(arm_rows.denominator_bounds(t, c))  # for the sensitivity analysis
                return out
        odds = r[r["measure"] == "OR"]
        if not odds.empty:
            return self._from_reported(odds.iloc[0], log=True)
        for _, row in r.iterrows():
            self.ledger.skip(
                [row["row_key"]],
                f"{self._aid()}: a reported {row['measure']} cannot be converted to an odds ratio without the arms' risks",
            )
        return None

    def _continuous(self, t, c, r) -> dict[str, Any] | None:
        for value_type in ("final", "change"):
            tv, cv_ = t[t["value_type"] == value_type], c[c["value_type"] == value_type]
            if tv.empty or cv_.empty:
                continue
            tv, cv_ = one_row_per_arm(tv), one_row_per_arm(cv_)
            complete = tv["sd_common"].notna().all() and cv_["sd_common"].notna().all()
            if complete:
                return self._md_from_arms(tv, cv_, value_type, imputed=False)
            rv = r[(r["value_type"] == value_type) & (r["measure"] == "MD")]
            if not rv.empty:
                self.ledger.skip(
                    [*tv["row_key"], *cv_["row_key"]],
                    f"{self._aid()}: arm means without dispersion; the reported mean difference "
                    f"'{rv.iloc[0]['row_id']}' was used instead",
                )
                return self._from_reported(rv.iloc[0], log=False)
            if self.config.normalize.impute_missing_sd:
                imputed = self._md_from_arms(tv, cv_, value_type, imputed=True)
                if imputed is not None:
                    return imputed
            self.ledger.skip(
                [*tv["row_key"], *cv_["row_key"]],
                f"{self._aid()}: arm means without any dispersion, and no SD to borrow",
            )
        rv = r[r["measure"] == "MD"]
        if not rv.empty:
            return self._from_reported(rv.iloc[0], log=False)
        return None

    def _md_from_arms(self, t, c, value_type, imputed: bool) -> dict[str, Any] | None:
        notes = []
        if imputed:
            key = (self.trial["indication"], self.settings.id, value_type)
            pooled = self.pooled_sds.get(key)
            donors = [x for x in (pooled[1] if pooled else []) if x != self.trial["trial_id"]]
            if not pooled or not donors:
                return None
            t, c = t.copy(), c.copy()
            for df in (t, c):
                df["sd_common"] = df["sd_common"].fillna(pooled[0])
            notes.append(f"missing SD imputed as the pooled SD {pooled[0]:.3g} of {', '.join(donors)}")
        n_t, m_t, s_t = combine(t)
        n_c, m_c, s_c = combine(c)
        est, se = cv.mean_difference(m_t, s_t, n_t, m_c, s_c, n_c)
        sd_methods = sorted(set(pd.concat([t, c])["sd_method"].dropna()))
        method = join(
            f"MD of {value_type} values on the common scale",
            "; ".join(sd_methods),
            *notes,
            combined_note(t, c),
        )
        out = dict(data_type="arm_continuous", measure="MD", estimate=est, se=se, n_t=n_t, n_c=n_c, mean_t=m_t,
                   sd_t=s_t, mean_c=m_c, sd_c=s_c, value_type=value_type, method=method,
                   _keys=[*t["row_key"], *c["row_key"]])  # fmt: skip
        out.update(flags(pd.concat([t, c])))
        out["sd_imputed"] = imputed
        return out

    def _from_reported(self, row: pd.Series, log: bool) -> dict[str, Any] | None:
        factor = 1.0 if log else self.config.scales[row["scale"]].factor
        level = row["ci_level"] if not pd.isna(row["ci_level"]) else 0.95
        n_t, n_c = row["n_intervention"], row["n_comparator"]
        df = None
        threshold = self.config.normalize.ci_z_threshold_n
        if not log and not pd.isna(n_t) and not pd.isna(n_c) and n_t + n_c < threshold:
            df = n_t + n_c - 2
        est = math.log(row["estimate"]) if log else row["estimate"] * factor
        how = None
        if not pd.isna(row["se"]):
            se, how = row["se"] * (1.0 if log else factor), "SE reported"
        elif not pd.isna(row["ci_low"]):
            lo, hi = (
                (math.log(row["ci_low"]), math.log(row["ci_high"]))
                if log
                else (row["ci_low"], row["ci_high"])
            )
            se = cv.se_from_ci(lo, hi, level, df) * factor
            how = f"SE from {level:.0%} CI ({'z' if df is None else f't(df={int(df)})'})"
        elif not pd.isna(row["p_value"]) and self.config.normalize.use_p_values:
            if est == 0 or row["p_value"] >= 1:
                self.ledger.skip(
                    [row["row_key"]], f"{self._aid()}: a p-value cannot give an SE for a null estimate"
                )
                return None
            se = cv.se_from_p(est, row["p_value"], df)
            bound = (
                " (p reported as an upper bound, so the SE is an upper bound)"
                if row["p_operator"] == "<"
                else ""
            )
            how = f"SE from p={row['p_value']:g} ({'z' if df is None else f't(df={int(df)})'}){bound}"
        else:
            self.ledger.skip([row["row_key"]], f"{self._aid()}: reported estimate without CI, SE or p-value")
            return None
        measure = "OR" if log else "MD"
        value = "log OR" if log else "MD"
        if how.startswith("SE from 95% CI"):
            ci = (
                (math.log(row["ci_low"]), math.log(row["ci_high"]))
                if log
                else (row["ci_low"] * factor, row["ci_high"] * factor)
            )
        else:
            ci = (None, None)
        out = dict(data_type="contrast", measure=measure, estimate=est, se=se,
                   n_t=None if pd.isna(n_t) else n_t, n_c=None if pd.isna(n_c) else n_c,
                   value_type=None if log else row["value_type"], ci_low=ci[0], ci_high=ci[1],
                   method=join(f"reported {value}" + ("" if factor == 1 else f" × {factor:g} to the common scale"), how),
                   _keys=[row["row_key"]])  # fmt: skip
        out.update(flags(pd.DataFrame([row])))
        return out

    def _common(self, months, site, period, keys) -> dict[str, Any]:
        trial = self.trial
        label = trial["acronym"] if isinstance(trial["acronym"], str) else None
        author_year = f"{trial['first_author']} {int(trial['year'])}"
        return dict(
            trial_id=trial["trial_id"],
            study_label=f"{label} ({author_year})" if label else author_year,
            year=int(trial["year"]),
            design=trial["design"],
            blinding=trial["blinding"],
            sponsor=trial["sponsor"],
            direction=self.settings.direction,
            timepoint_months=months,
            site=site,
            crossover=trial["design"] == "crossover",
            period=period,
            intervention_class=";".join(sorted(set(self.arms_t["class"]))),
            comparator_class=";".join(sorted(set(self.arms_c["class"]))),
            intervention_arms=";".join(self.arms_t["arm_id"]),
            comparator_arms=";".join(self.arms_c["arm_id"]),
            source_rows=";".join(k.split(":", 1)[1] for k in keys),
        )
