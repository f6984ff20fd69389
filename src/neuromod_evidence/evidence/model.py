"""The curated evidence as loaded: four tables tagged with file and line, and the problems validation finds."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

FILE_COL, LINE_COL = "_file", "_line"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line is not None else self.file
        return f"{where}, field '{self.field}': {self.message}"


class EvidenceError(ValueError):
    """The curated evidence is malformed; `problems` lists every finding with file, line and field."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        head = (
            f"{len(problems)} problem(s) in the curated evidence:"
            if len(problems) > 1
            else "invalid evidence:"
        )
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))


@dataclass
class Evidence:
    """The four curated tables of every indication (and the optional risk-of-bias table), concatenated, each row
    tagged with file and line."""

    trials: pd.DataFrame
    arms: pd.DataFrame
    outcomes: pd.DataFrame
    contrasts: pd.DataFrame
    files: list[str] = field(default_factory=list)
    rob: pd.DataFrame | None = None  # risk of bias (optional rob.csv per indication); None when none was read

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)
