"""The curated evidence as screening sees it: read only from the validated, normalized tables.

Why: screening used to read ``data/evidence/<indication>/*.csv`` itself, a third reader of the curated
files that skipped validation, so a curated file in the wrong encoding crashed screening (and cost the
previous good screening tables). Now the rules that need curated trials take
``results/normalized/{trials,arms,outcomes}.csv`` as inputs; those exist only after validation passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from neuromod_evidence.tables import NORMALIZED_ARMS, NORMALIZED_OUTCOMES, NORMALIZED_TRIALS, read_table


def split_ids(value: Any) -> list[str]:
    """The ids of a ``registry_ids`` / ``pmids`` cell (separated by ;, commas or spaces)."""
    return [p.strip() for p in re.split(r"[;,\s]+", str(value or "")) if p.strip()]


def pmid_of(value: str) -> str:
    return value.upper().removeprefix("PMID:").strip()


@dataclass
class Curated:
    """One indication's curated trials, arms and outcome rows, and the registry ids and PMIDs they carry."""

    trials: pd.DataFrame
    arms: pd.DataFrame
    outcomes: pd.DataFrame
    nct_to_trial: dict[str, str] = field(default_factory=dict)
    pmid_to_trial: dict[str, str] = field(default_factory=dict)

    @property
    def n_trials(self) -> int:
        return int(self.trials["trial_id"].nunique())


@dataclass(frozen=True)
class NormalizedPaths:
    """Where the normalize stage wrote the curated tables (``results/normalized/*.csv``)."""

    trials: str | Path
    arms: str | Path | None = None
    outcomes: str | Path | None = None

    @classmethod
    def in_folder(cls, folder: str | Path) -> NormalizedPaths:
        folder = Path(folder)
        return cls(folder / "trials.csv", folder / "arms.csv", folder / "outcomes.csv")


class CuratedTables:
    """The normalized trials (and, when given, arms and outcomes) of every indication, read once."""

    def __init__(self, paths: NormalizedPaths):
        self.trials = read_table(NORMALIZED_TRIALS, paths.trials)
        self.arms = read_table(NORMALIZED_ARMS, paths.arms) if paths.arms else None
        self.outcomes = read_table(NORMALIZED_OUTCOMES, paths.outcomes) if paths.outcomes else None
        if self.outcomes is not None:  # the registry's own rows are not curated numbers to cross-check
            self.outcomes = self.outcomes[self.outcomes["source_kind"] != "registry"].reset_index(drop=True)

    def indication(self, indication: str) -> Curated:
        trials = self.trials[self.trials["indication"] == indication].reset_index(drop=True)
        ids = set(trials["trial_id"])
        arms = _of_trials(self.arms, ids, NORMALIZED_ARMS.columns)
        outcomes = _of_trials(self.outcomes, ids, NORMALIZED_OUTCOMES.columns)
        cur = Curated(trials, arms, outcomes)
        for _, row in trials.iterrows():
            for rid in split_ids(row["registry_ids"]):
                if rid.upper().startswith("NCT"):
                    cur.nct_to_trial[rid.upper()] = row["trial_id"]
            for pmid in split_ids(row["pmids"]):
                cur.pmid_to_trial[pmid_of(pmid)] = row["trial_id"]
        return cur


def _of_trials(table: pd.DataFrame | None, trial_ids: set[str], columns: tuple[str, ...]) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame(columns=list(columns))
    return table[table["trial_id"].isin(trial_ids)].reset_index(drop=True)


def curated_nct_ids(trials_csv: str | Path, indication: str) -> list[str]:
    """The NCT ids the curated trials of ``indication`` name (their own registry records are fetched too)."""
    return sorted(CuratedTables(NormalizedPaths(trials_csv)).indication(indication).nct_to_trial)
