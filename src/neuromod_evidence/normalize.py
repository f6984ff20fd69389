"""Curated evidence → analysis-ready study-level contrasts (docs/pipeline-tables.md).

For each indication × outcome × comparison × timepoint window, every trial contributes at most one
contrast: the site most preferred by the config, first-period data of crossovers when available, the
follow-up nearest the window's target, final values before change scores (never mixed within a trial),
arms of one side combined into one group so a shared control is never counted twice, and complete
arm-level data before a reported between-group estimate. Every curated row that ends up unused is listed
in issues.csv with the reason, so nothing disappears silently.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import conversions as cv
from .arm_values import convert_outcome_rows
from .config import outcome_settings
from .evidence import Evidence
from .timepoints import window_of

CONTRAST_COLUMNS = [
    "analysis_id", "indication", "outcome", "comparison", "timepoint", "trial_id", "study_label", "year",
    "design", "blinding", "sponsor", "measure", "direction", "data_type", "estimate", "se", "ci_low", "ci_high",
    "events_t", "n_t", "events_c", "n_c", "mean_t", "sd_t", "mean_c", "sd_c", "timepoint_months", "value_type",
    "site", "intervention_class", "comparator_class", "intervention_arms", "comparator_arms", "sd_imputed",
    "sd_from_median", "events_derived", "n_assumed", "crossover", "period", "uncertain", "method",
    "source_rows", "sources",
]  # fmt: skip
ISSUE_COLUMNS = ["file", "line", "row_id", "trial_id", "outcome", "severity", "reason"]


def analysis_id(indication: str, outcome: str, comparison: str, timepoint: str) -> str:
    return "__".join((indication, outcome, comparison, timepoint))


@dataclass
class Normalized:
    trials: pd.DataFrame
    arms: pd.DataFrame
    outcomes: pd.DataFrame
    contrasts: pd.DataFrame
    issues: pd.DataFrame


@dataclass
class _Ledger:
    """What happened to each curated row: used in which analyses, or why not."""

    used: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    reasons: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, row_ids, reason: str) -> None:
        for rid in row_ids:
            if reason not in self.reasons[rid]:
                self.reasons[rid].append(reason)

    def use(self, row_ids, aid: str) -> None:
        for rid in row_ids:
            self.used[rid].add(aid)


def normalize(evidence: Evidence, config: dict[str, Any]) -> Normalized:
    arms = evidence.arms
    outcomes = convert_outcome_rows(evidence.outcomes, arms, config)
    outcomes["row_key"] = "outcomes:" + outcomes["row_id"].astype(str)
    contrasts_in = evidence.contrasts.copy()
    contrasts_in["row_key"] = "contrasts:" + contrasts_in["row_id"].astype(str)
    ledger = _Ledger()
    for _, row in outcomes[~outcomes["usable"].astype(bool)].iterrows():
        ledger.skip([row["row_key"]], row["problem"])
    pooled_sds = _pooled_sds(outcomes)
    rows: list[dict[str, Any]] = []
    trials = evidence.trials.set_index("trial_id", drop=False)
    for indication, ind in config["indications"].items():
        for outcome in ind["outcomes"]:
            settings = outcome_settings(config, indication, outcome)
            for comp_id, comp in ind["comparisons"].items():
                for window in settings.timepoints:
                    aid = analysis_id(indication, outcome, comp_id, window["id"])
                    for _, trial in trials[trials["indication"] == indication].iterrows():
                        built = _TrialContrast(
                            trial,
                            arms,
                            outcomes,
                            contrasts_in,
                            settings,
                            comp,
                            window,
                            config,
                            pooled_sds,
                            ledger,
                        ).build()
                        if built is not None:
                            built.update(analysis_id=aid, indication=indication, outcome=outcome, comparison=comp_id,
                                         timepoint=window["id"])  # fmt: skip
                            rows.append(built)
    contrasts = pd.DataFrame(rows, columns=CONTRAST_COLUMNS)
    z = 1.959963984540054
    missing_ci = contrasts["ci_low"].isna()
    contrasts.loc[missing_ci, "ci_low"] = contrasts["estimate"] - z * contrasts["se"]
    contrasts.loc[missing_ci, "ci_high"] = contrasts["estimate"] + z * contrasts["se"]
    contrasts = contrasts.sort_values(["analysis_id", "year", "trial_id"], kind="stable").reset_index(
        drop=True
    )
    issues = _issues(outcomes, contrasts_in, config, ledger, contrasts)
    return Normalized(
        trials=evidence.trials.drop(columns=["_file", "_line", "indication_folder"], errors="ignore"),
        arms=arms.drop(columns=["_file", "_line", "indication_folder"], errors="ignore"),
        outcomes=outcomes.drop(columns=["_file", "_line", "indication_folder", "row_key"], errors="ignore"),
        contrasts=contrasts,
        issues=issues,
    )


def _pooled_sds(outcomes: pd.DataFrame) -> dict[tuple[str, str, str], tuple[float, list[str]]]:
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


class _TrialContrast:
    """Builds the one contrast a trial contributes to one analysis, or records why it contributes none."""

    def __init__(self, trial, arms, outcomes, contrasts, settings, comp, window, config, pooled_sds, ledger):
        self.trial, self.settings, self.comp, self.window = trial, settings, comp, window
        self.config, self.pooled_sds, self.ledger = config, pooled_sds, ledger
        tid = trial["trial_id"]
        t_arms = arms[arms["trial_id"] == tid]
        self.arms_t = t_arms[t_arms["class"].isin(comp["intervention"])]
        self.arms_c = t_arms[t_arms["class"].isin(comp["comparator"])]
        self.rows = outcomes[
            (outcomes["trial_id"] == tid)
            & (outcomes["outcome"] == settings.id)
            & (outcomes["window"] == window["id"])
            & outcomes["usable"].astype(bool)
        ]
        self.reported = contrasts[
            (contrasts["trial_id"] == tid)
            & (contrasts["outcome"] == settings.id)
            & contrasts["timepoint_months"].apply(lambda m: _in(window, m, config, settings))
        ]

    # -- selection ------------------------------------------------------------------------------
    def build(self) -> dict[str, Any] | None:
        if self.arms_t.empty or self.arms_c.empty:
            return None
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
        target = self.window["target"]
        months = min(candidates, key=lambda m: (abs(m - target), -m))
        result = self._contrast_at(months, side_t, side_c, reported)
        if result is None:
            return None
        chosen = set(result["_keys"])
        self.ledger.skip(
            [k for k in everything if k not in chosen],
            f"not selected for {self._aid()}: the trial's data at {months:g} months (nearest the {target:g}-month "
            f"target), site '{site or '-'}', were used instead",
        )
        keys = result.pop("_keys")
        self.ledger.use(keys, self._aid())
        result.update(self._common(months, site, period, keys))
        return result

    def _aid(self) -> str:
        t = self.trial
        return analysis_id(t["indication"], self.settings.id, self._comp_id(), self.window["id"])

    def _comp_id(self) -> str:
        ind = self.config["indications"][self.trial["indication"]]
        return next(k for k, v in ind["comparisons"].items() if v is self.comp)

    def _pick_site(self, side_t, side_c, reported):
        preferred = list(self.settings.sites)
        if not preferred:
            return side_t, side_c, reported, None
        keys = [*side_t["row_key"], *side_c["row_key"], *reported["row_key"]]
        sites_seen = (
            set(side_t["site"].dropna()) | set(side_c["site"].dropna()) | set(reported["site"].dropna())
        )
        for site in preferred:
            t, c, r = (df[df["site"] == site] for df in (side_t, side_c, reported))
            if (not t.empty and not c.empty) or not r.empty:
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

    def _pick_period(self, side_t, side_c, reported):
        if self.trial["design"] != "crossover":
            return side_t, side_c, reported, None
        prefer_first = self.config.get("normalize", {}).get("crossover_prefer_first_period", True)
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
            f"{'/'.join(self.comp['intervention'])} vs {'/'.join(self.comp['comparator'])} reports this outcome"
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
            t, c = _one_row_per_arm(t), _one_row_per_arm(c)
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
                           events_c=e_c, n_c=n_c, method=_join(method, _combined(t, c)), _keys=keys)  # fmt: skip
                out.update(_flags(pd.concat([t, c])))
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
            tv, cv_ = _one_row_per_arm(tv), _one_row_per_arm(cv_)
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
            if self.config.get("normalize", {}).get("impute_missing_sd", True):
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
        n_t, m_t, s_t = _combine(t)
        n_c, m_c, s_c = _combine(c)
        est, se = cv.mean_difference(m_t, s_t, n_t, m_c, s_c, n_c)
        sd_methods = sorted(set(pd.concat([t, c])["sd_method"].dropna()))
        method = _join(
            f"MD of {value_type} values on the common scale", "; ".join(sd_methods), *notes, _combined(t, c)
        )
        out = dict(data_type="arm_continuous", measure="MD", estimate=est, se=se, n_t=n_t, n_c=n_c, mean_t=m_t,
                   sd_t=s_t, mean_c=m_c, sd_c=s_c, value_type=value_type, method=method,
                   _keys=[*t["row_key"], *c["row_key"]])  # fmt: skip
        out.update(_flags(pd.concat([t, c])))
        out["sd_imputed"] = imputed
        return out

    def _from_reported(self, row: pd.Series, log: bool) -> dict[str, Any] | None:
        factor = 1.0 if log else self.config["scales"][row["scale"]]["factor"]
        level = row["ci_level"] if not pd.isna(row["ci_level"]) else 0.95
        n_t, n_c = row["n_intervention"], row["n_comparator"]
        df = None
        threshold = self.config.get("normalize", {}).get("ci_z_threshold_n", 60)
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
        elif not pd.isna(row["p_value"]) and self.config.get("normalize", {}).get("use_p_values", True):
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
                   method=_join(f"reported {value}" + ("" if factor == 1 else f" × {factor:g} to the common scale"), how),
                   _keys=[row["row_key"]])  # fmt: skip
        out.update(_flags(pd.DataFrame([row])))
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


def _in(window, months, config, settings) -> bool:
    w = window_of(config, settings.id, float(months)) if months > 0 else None
    return w is not None and w["id"] == window["id"]


def _one_row_per_arm(df: pd.DataFrame) -> pd.DataFrame:
    """If an arm has several rows at the same time (e.g. ITT and per-protocol), keep the first as listed."""
    return df.drop_duplicates(subset=["arm_id"], keep="first")


def _combine(df: pd.DataFrame) -> tuple[float, float, float]:
    rows = list(df[["n_used", "mean_common", "sd_common"]].itertuples(index=False, name=None))
    n, m, s = (float(x) for x in rows[0])
    for n2, m2, s2 in rows[1:]:
        n, m, s = cv.combine_groups(n, m, s, float(n2), float(m2), float(s2))
    return n, m, s


def _combined(t: pd.DataFrame, c: pd.DataFrame) -> str | None:
    parts = [
        f"{len(df)} {side} arms combined"
        for df, side in ((t, "intervention"), (c, "comparator"))
        if len(df) > 1
    ]
    return "; ".join(parts) or None


def _flags(rows: pd.DataFrame) -> dict[str, Any]:
    def any_true(col):
        return bool(rows[col].fillna(False).astype(bool).any()) if col in rows else False

    sources = sorted(set(rows["source"].dropna()))
    return dict(
        sd_imputed=False,
        sd_from_median=any_true("sd_from_median"),
        events_derived=any_true("events_derived"),
        n_assumed=any_true("n_assumed"),
        uncertain=bool((rows["status"] == "uncertain").any()),
        sources=";".join(sources),
    )


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def _issues(outcomes, contrasts_in, config, ledger: _Ledger, contrasts: pd.DataFrame) -> pd.DataFrame:
    records = []
    for table, df in (("outcomes", outcomes), ("contrasts", contrasts_in)):
        for _, row in df.iterrows():
            key = row["row_key"]
            base = dict(file=row["_file"], line=int(row["_line"]), row_id=row["row_id"], trial_id=row["trial_id"],
                        outcome=row["outcome"])  # fmt: skip
            if ledger.used.get(key):
                continue
            reasons = ledger.reasons.get(key) or [_unconsidered_reason(row, table, config)]
            records.append({**base, "severity": "excluded", "reason": " | ".join(reasons)})
    for _, c in contrasts.iterrows():
        caveats = [name for name, col in (("SD imputed", "sd_imputed"), ("SD from median", "sd_from_median"),
                   ("events derived from a percentage", "events_derived"), ("n randomized used as denominator", "n_assumed"),
                   ("crossover trial", "crossover"), ("source row marked uncertain", "uncertain")) if bool(c[col])]  # fmt: skip
        if caveats:
            records.append(dict(file="results/normalized/contrasts.csv", line=None, row_id=c["source_rows"],
                                trial_id=c["trial_id"], outcome=c["outcome"], severity="warning",
                                reason=f"{c['analysis_id']}: used with caveats: {', '.join(caveats)}"))  # fmt: skip
    issues = pd.DataFrame(records, columns=ISSUE_COLUMNS)
    return issues.sort_values(["severity", "file", "line"], kind="stable", na_position="last").reset_index(
        drop=True
    )


def _unconsidered_reason(row: pd.Series, table: str, config: dict[str, Any]) -> str:
    ind = config["indications"][row["indication_folder"]]
    if row["outcome"] not in ind["outcomes"]:
        return (
            f"outcome '{row['outcome']}' is not analysed for indication '{row['indication_folder']}' (config)"
        )
    return (
        f"the arm(s) of this row are not compared in any comparison configured for '{row['indication_folder']}' "
        f"({', '.join(ind['comparisons'])})"
    )


FLOAT_FORMAT = "%.10g"  # enough digits for any reported number; stable bytes for identical inputs


def write_normalized(result: Normalized, out_dir) -> dict[str, str]:
    """Write the five normalized tables atomically (temp file + rename), so a failed run leaves old ones."""
    import os
    from pathlib import Path

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in ("trials", "arms", "outcomes", "contrasts", "issues"):
        path = out_dir / f"{name}.csv"
        tmp = path.with_suffix(".csv.tmp")
        getattr(result, name).to_csv(tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        os.replace(tmp, path)
        written[name] = str(path)
    return written
