"""Reviewer decisions on queued records (``fetch.decisions_file``: indication,id,decision,reason[,arm_classes]).

A record a reviewer excluded leaves the queue and is counted in PRISMA with the reviewer's reason; one a
reviewer included counts as a record of a curated trial (it is being curated). An included registry record
(an NCT id) that no curated trial names also brings its posted results into the analyses
(:mod:`neuromod_evidence.normalize.registry_trials`): the optional ``arm_classes`` column says which arm class
each of its registry groups is, as ``group=class`` pairs separated by ``;`` where ``group`` is the registry
group id (``OG000``), the arm id of ``registry_outcomes.csv`` or the group title (docs/data-model.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

DECISION_COLUMNS = ["indication", "id", "decision", "reason"]
OPTIONAL_COLUMNS = ["arm_classes"]


@dataclass
class Decisions:
    by_record: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    arm_classes: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def of(self, indication: str, record_id: str) -> tuple[str, str] | None:
        """(decision, reason) for a record, or None when nobody decided yet."""
        return self.by_record.get((indication, record_id.strip().upper()))

    def included(self, indication: str, record_id: str) -> bool:
        decided = self.of(indication, record_id)
        return decided is not None and decided[0] == "include"

    def classes_of(self, indication: str, record_id: str) -> dict[str, str]:
        """group (id, arm id or title, lower case) -> arm class, as the reviewer mapped them."""
        return self.arm_classes.get((indication, record_id.strip().upper()), {})


def parse_arm_classes(text: str, where: str = "arm_classes") -> dict[str, str]:
    """``OG000=scs_tonic; OG001=cmm`` -> {"og000": "scs_tonic", "og001": "cmm"} (keys compared lower-case)."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in str(text or "").split(";")):
        if not part:
            continue
        key, sep, cls = part.rpartition("=")
        if not sep or not key.strip() or not cls.strip():
            raise ValueError(f"{where}: '{part}' is not of the form group=class")
        out[key.strip().lower()] = cls.strip()
    return out


def read_decisions(path: str | Path | None) -> Decisions:
    """The decisions file, or no decisions when it does not exist (it is optional)."""
    if not path or not Path(path).exists():
        return Decisions()
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = set(DECISION_COLUMNS) - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    out = Decisions()
    for line, r in enumerate(df.to_dict("records"), start=2):
        key = (r["indication"], r["id"].strip().upper())
        out.by_record[key] = (r["decision"].strip().lower(), r["reason"])
        if r.get("arm_classes"):
            out.arm_classes[key] = parse_arm_classes(r["arm_classes"], f"{path}, line {line}, arm_classes")
    return out
