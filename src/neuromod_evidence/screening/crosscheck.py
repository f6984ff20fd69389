"""The registry cross-check: curated arm-level numbers of registry-posted trials against the posted ones.

Curated arms are matched to registry groups by the unique best word overlap of label/class with group
titles; each curated row is compared with the registry row of the same outcome, arm and timepoint
(± 0.5 month), statistic by statistic, on the common scale when the two differ. Two numbers agree when
they differ by no more than the rounding of the coarser one. Curated values come from the normalized
outcomes table (written with ten significant digits, so trailing zeros of the curated file are gone).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from neuromod_evidence.settings import Scale, Settings
from neuromod_evidence.tables import CROSSCHECK, FLOAT_FORMAT

from .curated import Curated


def _tokens(text: str) -> set[str]:
    synonyms = {
        "scs": "stimulation", "stimulator": "stimulation", "cmm": "medical", "omm": "medical",
        "conventional": "medical", "hf10": "10khz", "10": "10khz", "khz": "10khz", "drg": "ganglion",
        "sham": "placebo", "pt": "physical", "physiotherapy": "physical", "reoperation": "surgery",
    }  # fmt: skip
    words = re.findall(r"[a-z0-9]+", text.lower())
    stop = {"and", "or", "plus", "with", "the", "of", "arm", "group", "to", "a", "in", "only", "alone"}
    return {synonyms.get(w, w) for w in words if w not in stop}


def match_arms(curated_arms: pd.DataFrame, registry_groups: Mapping[str, str]) -> dict[str, str]:
    """curated arm_id -> registry arm id: the unique best word overlap of label/class with group titles."""
    out: dict[str, str] = {}
    for _, arm in curated_arms.iterrows():
        mine = _tokens(" ".join(_text(arm.get(c)) for c in ("arm_id", "label", "class")))
        scores = {gid: len(mine & _tokens(_text(title))) for gid, title in registry_groups.items()}
        if not scores:
            continue
        best = max(scores.values())
        winners = [g for g, s in scores.items() if s == best]
        if best > 0 and len(winners) == 1:
            out[arm["arm_id"]] = winners[0]
    if len(set(out.values())) != len(out):  # two curated arms on one group: ambiguous, match nothing
        return {}
    return out


def _text(value: Any) -> str:
    """A cell as the text of its table file: floats in the table format, empty for missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return FLOAT_FORMAT % value
    return str(value)


def _decimals(value: Any) -> int:
    text = _text(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text.lower() else 0


def _num(value: Any) -> float | None:
    try:
        number = float(_text(value))
    except (TypeError, ValueError):
        return None
    return None if number != number else number


STATISTICS = ("mean", "sd", "se", "median", "q1", "q3", "events", "total", "percent", "n")
LOCATION_STATS = ("mean", "median", "q1", "q3")  # shifted by a scale's offset; sd/se only scaled


def _near(value: Any, target: float | None, tolerance: float = 0.5) -> bool:
    v = _num(value)
    return v is not None and target is not None and abs(v - target) <= tolerance


def _registry_match(trial_reg: pd.DataFrame, c: pd.Series, reg_arm: str) -> pd.DataFrame:
    tp = _num(c["timepoint_months"])
    cand = trial_reg[
        (trial_reg["outcome"] == c["outcome"])
        & (trial_reg["arm_id"] == reg_arm)
        & trial_reg["timepoint_months"].map(lambda v: _near(v, tp))
    ]
    for col in ("value_type", "site"):
        if c.get(col):
            cand = cand[(cand[col] == c[col]) | cand[col].isna() | (cand[col] == "")]
    return cand


def compare_statistic(
    c: pd.Series, r: pd.Series, stat: str, scales: Mapping[str, Scale]
) -> dict[str, Any] | None:
    """One statistic of a curated row against a registry row: agree / differ (beyond rounding) / not comparable."""
    cv, rv = _num(c.get(stat)), _num(r.get(stat))
    if cv is None or rv is None:
        return None
    row = dict(
        statistic=stat,
        curated_value=c[stat],
        registry_value=r[stat],
        registry_row_id=r["row_id"],
        registry_outcome_title=r["outcome_reported"],
        note="",
    )
    if stat in (*LOCATION_STATS, "sd", "se") and c.get("scale") != r.get("scale"):
        cs, rs = scales.get(c.get("scale")), scales.get(r.get("scale"))
        if cs is None or rs is None:
            return {
                **row,
                "verdict": "not comparable",
                "note": f"scales {c.get('scale')} vs {r.get('scale')}",
            }
        off_c = cs.offset if stat in LOCATION_STATS else 0
        off_r = rs.offset if stat in LOCATION_STATS else 0
        cv, rv = (cv - off_c) * cs.factor, (rv - off_r) * rs.factor
        row["note"] = f"compared on the common scale ({c.get('scale')} vs {r.get('scale')})"
    tolerance = 0.5 * 10 ** -min(_decimals(c[stat]), _decimals(r[stat])) + 1e-9  # rounding of the coarser
    diff = rv - cv
    return {**row, "difference": f"{diff:.6g}", "verdict": "agree" if abs(diff) <= tolerance else "differ"}


def _crosscheck_trial(
    trial_id: str, trial_reg: pd.DataFrame, cur: Curated, scales: Mapping[str, Scale]
) -> list[dict[str, Any]]:
    out = []
    nct = trial_reg["nct_id"].iloc[0]
    groups = {
        a: _text(t) for a, t in zip(trial_reg["arm_id"], trial_reg["registry_group_title"], strict=False)
    }
    arms = cur.arms[cur.arms["trial_id"] == trial_id]
    arm_map = match_arms(arms, groups)
    for _, c in cur.outcomes[cur.outcomes["trial_id"] == trial_id].iterrows():
        base = dict(
            trial_id=trial_id,
            nct_id=nct,
            outcome=c["outcome"],
            timepoint_months=c["timepoint_months"],
            arm=c["arm_id"],
            curated_row_id=c["row_id"],
        )
        reg_arm = arm_map.get(c["arm_id"])
        if reg_arm is None:
            out.append(
                {**base, "verdict": "arm not matched", "note": f"registry groups: {sorted(groups.values())}"}
            )
            continue
        cand = _registry_match(trial_reg, c, reg_arm)
        if cand.empty:
            out.append(
                {**base, "verdict": "no registry counterpart", "note": "outcome/timepoint/arm not posted"}
            )
            continue
        r = cand.iloc[0]
        compared = [x for x in (compare_statistic(c, r, stat, scales) for stat in STATISTICS) if x]
        if not compared:
            compared = [
                dict(
                    verdict="nothing to compare",
                    registry_row_id=r["row_id"],
                    registry_outcome_title=r["outcome_reported"],
                    note="no statistic reported by both",
                )
            ]
        out += [{**base, **x} for x in compared]
    return out


def crosscheck(
    registry_rows: pd.DataFrame, curated: Mapping[str, Curated], settings: Settings
) -> pd.DataFrame:
    """Curated arm-level numbers of registry-posted trials against the posted ones (the CROSSCHECK table)."""
    out: list[dict[str, Any]] = []
    if not registry_rows.empty:
        for indication in sorted(curated):
            cur = curated[indication]
            if cur.outcomes.empty:
                continue
            for trial_id in sorted(set(cur.nct_to_trial.values())):
                trial_reg = registry_rows[registry_rows["trial_id"] == trial_id]
                if not trial_reg.empty:
                    out += _crosscheck_trial(trial_id, trial_reg, cur, settings.scales)
    df = pd.DataFrame(out, columns=list(CROSSCHECK.columns))
    return df.sort_values(["trial_id", "outcome", "timepoint_months", "arm", "statistic"], kind="stable")
