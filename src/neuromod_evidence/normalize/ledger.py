"""The issues ledger: what happened to each curated row — used in which analyses, or why not.

Nothing disappears silently: every curated row ends up either in a contrast or in issues.csv with its reasons.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from ..settings import Settings
from ..tables import ISSUES


@dataclass
class Ledger:
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


def issues_table(
    outcomes, contrasts_in, settings: Settings, ledger: Ledger, contrasts: pd.DataFrame
) -> pd.DataFrame:
    """Every curated row not used in any analysis, with the reasons; plus a warning per contrast used with caveats."""
    records = []
    for df in (outcomes, contrasts_in):
        for _, row in df.iterrows():
            key = row["row_key"]
            base = dict(file=row["_file"], line=int(row["_line"]), row_id=row["row_id"], trial_id=row["trial_id"],
                        outcome=row["outcome"])  # fmt: skip
            if ledger.used.get(key):
                continue
            reasons = ledger.reasons.get(key) or [_unconsidered_reason(row, settings)]
            records.append({**base, "severity": "excluded", "reason": " | ".join(reasons)})
    for _, c in contrasts.iterrows():
        caveats = [name for name, col in (("SD imputed", "sd_imputed"), ("SD from median", "sd_from_median"),
                   ("events derived from a percentage", "events_derived"), ("n randomized used as denominator", "n_assumed"),
                   ("crossover trial", "crossover"), ("source row marked uncertain", "uncertain")) if bool(c[col])]  # fmt: skip
        if caveats:
            records.append(dict(file="results/normalized/contrasts.csv", line=None, row_id=c["source_rows"],
                                trial_id=c["trial_id"], outcome=c["outcome"], severity="warning",
                                reason=f"{c['analysis_id']}: used with caveats: {', '.join(caveats)}"))  # fmt: skip
    issues = pd.DataFrame(records, columns=list(ISSUES.columns))
    return issues.sort_values(["severity", "file", "line"], kind="stable", na_position="last").reset_index(
        drop=True
    )


def _unconsidered_reason(row: pd.Series, settings: Settings) -> str:
    ind = settings.indications[row["indication_folder"]]
    if row["outcome"] not in ind.outcomes:
        return (
            f"outcome '{row['outcome']}' is not analysed for indication '{row['indication_folder']}' (config)"
        )
    return (
        f"the arm(s) of this row are not compared in any comparison configured for '{row['indication_folder']}' "
        f"({', '.join(ind.comparisons)})"
    )
