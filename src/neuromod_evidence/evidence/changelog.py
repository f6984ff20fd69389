"""The dated log of changes to one indication's curated tables (``<evidence_dir>/<indication>/changelog.csv``).

Why: the report must say when the evidence last changed, and the only date that travels with the data (a
copy, an archive, a fresh checkout) is one written into it: file times are those of the checkout. Curators
add one row per change (``date``: ISO ``YYYY-MM-DD``, ``change``: what changed), newest last.

Checked here: the header, each date (a real calendar date, not in the future), a non-empty description, the
order (oldest first), and that no reviewer's dated tag in the curated tables or ``SOURCES.md`` (``[2nd reader
2026-12-02]``) is newer than the newest entry: a tagged edit without its log entry is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .model import Problem

FILE_NAME = "changelog.csv"
COLUMNS = ("date", "change")
DATED_TAG = re.compile(r"\[[^\]\n]{0,80}?(\d{4}-\d{2}-\d{2})\]")  # "[2nd reader 2026-12-02]"
TAGGED_FILES = ("trials.csv", "arms.csv", "outcomes.csv", "contrasts.csv", "rob.csv", "SOURCES.md")


@dataclass(frozen=True)
class Change:
    date: dt.date
    change: str


def changelog_path(evidence_dir: str | Path, indication: str) -> Path:
    return Path(evidence_dir) / indication / FILE_NAME


def read_changelog(path: str | Path, today: dt.date | None = None) -> tuple[list[Change], list[Problem]]:
    """(entries oldest first, problems); an absent file is no entries and no problem (it is optional)."""
    path = Path(path)
    if not path.is_file():
        return [], []
    today = today or dt.datetime.now(dt.UTC).date()
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        return [], [Problem(str(path), None, "(file)", f"unreadable: {exc}")]
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        return [], [Problem(str(path), 1, "(header)", f"lacks column(s) {', '.join(missing)}")]
    entries, problems = [], []
    for line, (raw_date, change) in enumerate(zip(df["date"], df["change"], strict=True), start=2):
        try:
            date = dt.date.fromisoformat(raw_date.strip())
        except ValueError:
            problems.append(Problem(str(path), line, "date", f"{raw_date!r} is not a date (YYYY-MM-DD)"))
            continue
        if date > today:
            problems.append(Problem(str(path), line, "date", f"{date} is in the future (today is {today})"))
        if not change.strip():
            problems.append(Problem(str(path), line, "change", "say what changed"))
        if entries and date < entries[-1].date:
            problems.append(
                Problem(str(path), line, "date", f"{date} is older than the row above: oldest first")
            )
        entries.append(Change(date, change.strip()))
    return entries, problems


def untracked_tags(folder: Path, entries: list[Change]) -> list[Problem]:
    """A reviewer's dated tag in the folder's files newer than the newest changelog entry."""
    if not entries:
        return []
    newest = max(e.date for e in entries)
    problems = []
    for name in TAGGED_FILES:
        path = folder / name
        if not path.is_file():
            continue
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for m in DATED_TAG.finditer(text):
                try:
                    tagged = dt.date.fromisoformat(m.group(1))
                except ValueError:
                    continue
                if tagged > newest:
                    problems.append(Problem(str(path), line, "(dated tag)", f"{m.group(0)} is newer than the "
                                            f"newest entry of {FILE_NAME} ({newest}): log the change there"))  # fmt: skip
    return problems


def check_changelog(folder: str | Path, today: dt.date | None = None) -> list[Problem]:
    """Every problem of one indication folder's changelog (none when the folder has no changelog)."""
    folder = Path(folder)
    entries, problems = read_changelog(folder / FILE_NAME, today)
    return problems + untracked_tags(folder, entries)


def last_changed(evidence_dir: str | Path, indications) -> dict[str, dt.date | None]:
    """indication -> the date of its newest changelog entry (None: no changelog). Raises on a bad file."""
    out = {}
    for iid in indications:
        path = changelog_path(evidence_dir, iid)
        entries, problems = read_changelog(path)
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        out[iid] = max((e.date for e in entries), default=None)
    return out
