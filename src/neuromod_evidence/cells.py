"""Reading one cell of an analyst's input table as a number, with an error that names the row, the study and
the column (shared by the ``fit`` and ``nma`` commands' input readers)."""

from __future__ import annotations

import math

import pandas as pd


def number_cell(
    df: pd.DataFrame,
    i: int,
    col: str,
    error: type[Exception],
    *,
    integer: bool = False,
    positive: bool = False,
    nonneg: bool = False,
) -> float:
    """``df.iloc[i][col]`` as a finite float; anything else raises ``error`` naming row ``i + 1`` (the
    spreadsheet row below the header), its study and the column."""
    raw = df.iloc[i][col]
    where = f"row {i + 1} (study {str(df.iloc[i]['study']).strip()!r}), column '{col}'"
    try:
        x = float(str(raw).strip())
    except ValueError:
        raise error(f"{where}: {raw!r} is not a number") from None
    if not math.isfinite(x):
        raise error(f"{where}: {raw!r} is not a finite number")
    if integer and x != int(x):
        raise error(f"{where}: {raw!r} must be a whole number")
    if positive and not x > 0:
        raise error(f"{where}: must be > 0, got {raw!r}")
    if nonneg and x < 0:
        raise error(f"{where}: must be >= 0, got {raw!r}")
    return x
