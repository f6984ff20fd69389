"""Curated evidence → analysis-ready study-level contrasts (docs/pipeline-tables.md): the normalize stage.

For each indication × outcome × comparison × window of the settings, every trial contributes at most one
contrast (:mod:`.trial_contrast`); every curated row left unused is listed in issues.csv with the reason
(:mod:`.ledger`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..evidence import Evidence
from ..settings import Z_95, Settings
from ..tables import CONTRASTS, NORMALIZED, ROB, empty_frame, write_table
from .arm_values import convert_outcome_rows
from .ledger import Ledger, issues_table
from .registry_trials import as_publication_rows
from .rows import RowIndex, pooled_sds
from .trial_contrast import TrialContrast, analysis_id

BOOKKEEPING = ["_file", "_line", "indication_folder", "row_key", "_hold"]


@dataclass
class Normalized:
    trials: pd.DataFrame
    arms: pd.DataFrame
    outcomes: pd.DataFrame
    contrasts: pd.DataFrame
    issues: pd.DataFrame
    rob: pd.DataFrame = field(default_factory=lambda: empty_frame(ROB))


def normalize(evidence: Evidence, settings: Settings) -> Normalized:
    arms = evidence.arms
    outcomes = convert_outcome_rows(evidence.outcomes, arms, settings)
    outcomes["row_key"] = "outcomes:" + outcomes["row_id"].astype(str)
    if "source_kind" not in outcomes:  # no registry results merged (with_registry_results adds these)
        outcomes = as_publication_rows(outcomes)
    held = outcomes["_hold"].notna()  # registry rows kept out, publication rows set aside: the reason stays
    outcomes.loc[held, "usable"] = False
    outcomes.loc[held, "problem"] = outcomes.loc[held, "_hold"]
    contrasts_in = evidence.contrasts.copy()
    contrasts_in["source_kind"] = "publication"
    contrasts_in["row_key"] = "contrasts:" + contrasts_in["row_id"].astype(str)
    ledger = Ledger()
    for _, row in outcomes[~outcomes["usable"].astype(bool)].iterrows():
        ledger.skip([row["row_key"]], row["problem"])
    pooled = pooled_sds(outcomes)
    index = RowIndex(arms, outcomes, contrasts_in, settings)
    rows: list[dict[str, Any]] = []
    trials = evidence.trials.set_index("trial_id", drop=False)
    for iid, ind in settings.indications.items():
        own = [trial for _, trial in trials[trials["indication"] == iid].iterrows()]  # once, not per analysis
        for oid, outcome in ind.outcomes.items():
            for comp in ind.comparisons.values():
                for window in outcome.windows:
                    aid = analysis_id(iid, oid, comp.id, window.id)
                    for trial in own:
                        built = TrialContrast(
                            trial, index, outcome, comp, window, settings, pooled, ledger
                        ).build()
                        if built is not None:
                            built.update(analysis_id=aid, indication=iid, outcome=oid, comparison=comp.id,
                                         timepoint=window.id)  # fmt: skip
                            rows.append(built)
    contrasts = pd.DataFrame(rows, columns=list(CONTRASTS.columns))
    missing_ci = contrasts["ci_low"].isna()
    contrasts.loc[missing_ci, "ci_low"] = contrasts["estimate"] - Z_95 * contrasts["se"]
    contrasts.loc[missing_ci, "ci_high"] = contrasts["estimate"] + Z_95 * contrasts["se"]
    contrasts = contrasts.sort_values(["analysis_id", "year", "trial_id"], kind="stable").reset_index(
        drop=True
    )
    issues = issues_table(outcomes, contrasts_in, settings, ledger, contrasts)
    return Normalized(
        trials=evidence.trials.drop(columns=BOOKKEEPING, errors="ignore"),
        arms=arms.drop(columns=BOOKKEEPING, errors="ignore"),
        outcomes=outcomes.drop(columns=BOOKKEEPING, errors="ignore"),
        contrasts=contrasts,
        issues=issues,
        rob=rob_table(evidence),
    )


def rob_table(evidence: Evidence) -> pd.DataFrame:
    """The curated risk-of-bias rows, passed on unchanged with their indication (the ROB contract)."""
    rob = evidence.rob
    if rob is None or not len(rob):
        return empty_frame(ROB)
    return rob.rename(columns={"indication_folder": "indication"})[list(ROB.columns)].reset_index(drop=True)


def write_normalized(result: Normalized, out_dir: str | Path) -> dict[str, str]:
    """Write the normalized tables (trials, arms, outcomes, contrasts, issues, rob) through their contracts (atomically: a failed run leaves old ones)."""
    out_dir = Path(out_dir)
    return {
        name: str(write_table(table, getattr(result, name), out_dir / f"{name}.csv"))
        for name, table in NORMALIZED.items()
    }
