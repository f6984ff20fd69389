"""Reviewer overrides of a suggested domain judgement (``data/evidence/<indication>/certainty_overrides.csv``).

Why: the computed certainty is a suggestion; a reviewer who reads the full texts may judge a domain
differently. Each override names the analysis, the domain, the judgement (not serious / serious / very
serious) and the reason; the summary of findings shows it as overridden, with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .domains import DOMAINS, LEVELS, Judgement

OVERRIDE_COLUMNS = ("analysis_id", "domain", "judgement", "reason")
_LEVEL_OF = {v: k for k, v in LEVELS.items()}


class OverrideError(ValueError):
    """An override file names an unknown domain or judgement, or lacks a reason (file and line given)."""


def read_overrides(path: str | Path) -> pd.DataFrame:
    """Read and check an override file; an absent file is no overrides."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=list(OVERRIDE_COLUMNS))
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in OVERRIDE_COLUMNS if c not in df.columns]
    if missing:
        raise OverrideError(f"{path}: lacks column(s) {', '.join(missing)}")
    for line, row in enumerate(df.itertuples(index=False), start=2):
        if row.domain not in DOMAINS:
            raise OverrideError(
                f"{path}, line {line}, field 'domain': {row.domain!r} is not one of {DOMAINS}"
            )
        if row.judgement.strip().lower() not in _LEVEL_OF:
            raise OverrideError(
                f"{path}, line {line}, field 'judgement': {row.judgement!r} is not one of {tuple(_LEVEL_OF)}"
            )
        if not row.reason.strip():
            raise OverrideError(f"{path}, line {line}, field 'reason': an override needs its reason")
    return df[list(OVERRIDE_COLUMNS)]


def apply_overrides(
    judgements: list[Judgement], overrides: pd.DataFrame, analysis_id: str
) -> list[Judgement]:
    """Replace the suggested judgement of each overridden domain of one analysis."""
    own = overrides[overrides["analysis_id"] == analysis_id] if len(overrides) else overrides
    by_domain = {r.domain: r for r in own.itertuples(index=False)}
    out = []
    for j in judgements:
        r = by_domain.get(j.domain)
        if r is None:
            out.append(j)
        else:
            out.append(Judgement(j.domain, _LEVEL_OF[r.judgement.strip().lower()],
                                 f"reviewer: {r.reason.strip()} (suggested: {j.level}, {j.reason})", True))  # fmt: skip
    return out
