"""The counts a PRISMA 2020 flow diagram needs, per indication, tallied while the queue is built.

records_screened = identified (registry search + PubMed + registry records fetched because a curated trial
names them) − duplicates removed; every screened record is then a record of a curated trial, excluded with
a reason, or awaiting review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    identified_registry: int = 0
    identified_pubmed: int = 0
    identified_other: int = 0  # registry records fetched because a curated trial names them
    duplicates: int = 0
    curated: int = 0
    excluded: dict[str, int] = field(default_factory=dict)

    def exclude(self, why: str) -> None:
        self.excluded[why] = self.excluded.get(why, 0) + 1

    @property
    def identified(self) -> int:
        return self.identified_registry + self.identified_pubmed + self.identified_other


def prisma_row(
    indication: str,
    tally: Tally,
    awaiting_review: int,
    included_curated: int,
    registry_snapshot: str,
    pubmed_snapshot: str,
    notes: list[str],
) -> dict[str, Any]:
    """One row of ``prisma.csv`` (the PRISMA table contract)."""
    return dict(
        indication=indication,
        records_identified_registry=tally.identified_registry,
        records_identified_pubmed=tally.identified_pubmed,
        records_identified_other=tally.identified_other,
        duplicates_removed=tally.duplicates,
        records_screened=tally.identified - tally.duplicates,
        records_of_curated_trials=tally.curated,
        awaiting_review=awaiting_review,
        excluded_with_reason=sum(tally.excluded.values()),
        exclusion_reasons="; ".join(f"{k}: {v}" for k, v in sorted(tally.excluded.items())),
        included_curated=included_curated,
        registry_snapshot=registry_snapshot,
        pubmed_snapshot=pubmed_snapshot,
        note="; ".join(notes),
    )
