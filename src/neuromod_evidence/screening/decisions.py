"""Reviewer decisions on queued records (``fetch.decisions_file``: indication,id,decision,reason).

A record a reviewer excluded leaves the queue and is counted in PRISMA with the reviewer's reason; one a
reviewer included counts as a record of a curated trial (it is being curated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

DECISION_COLUMNS = ["indication", "id", "decision", "reason"]


@dataclass
class Decisions:
    by_record: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def of(self, indication: str, record_id: str) -> tuple[str, str] | None:
        """(decision, reason) for a record, or None when nobody decided yet."""
        return self.by_record.get((indication, record_id.strip().upper()))


def read_decisions(path: str | Path | None) -> Decisions:
    """The decisions file, or no decisions when it does not exist (it is optional)."""
    if not path or not Path(path).exists():
        return Decisions()
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = set(DECISION_COLUMNS) - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    return Decisions(
        {
            (r["indication"], r["id"].strip().upper()): (r["decision"].strip().lower(), r["reason"])
            for _, r in df.iterrows()
        }
    )
