"""Load the curated evidence tables and validate them against the schemas and the configuration.

Validation collects every problem it finds and reports each with file, row and field, so a curator can
fix a file in one pass. Nothing is modified on disk. Rows are numbered as a spreadsheet shows them: the
header is line 1, the first data row is line 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from ..settings import Settings
from . import schemas
from .changelog import check_changelog
from .checks import cross_check
from .model import FILE_COL, LINE_COL, Evidence, EvidenceError, Problem

TABLE_FILES = ("trials", "arms", "outcomes", "contrasts")
OPTIONAL_FILES = ("rob",)  # read and validated when present
# Curated tables are small (the largest holds a few hundred rows). Beyond these limits a file is almost
# certainly the wrong one, and validating it would take minutes and gigabytes: it is refused at once.
MAX_FILE_BYTES = 5_000_000
MAX_ROWS = 20_000
MAX_PROBLEMS = 200  # reported in full; the rest are counted


def read_table(path: Path, table: str) -> pd.DataFrame:
    """Read a curated CSV as text, so that a non-numeric cell is reported by validation, not by pandas."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise EvidenceError([Problem(str(path), None, "(file)", f"{size:,} bytes: larger than the limit of "
                                     f"{MAX_FILE_BYTES:,} bytes for a curated table (is this the right file?)")])  # fmt: skip
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EvidenceError([Problem(str(path), None, "(file)", f"not UTF-8 text: {exc}")]) from exc
    except pd.errors.EmptyDataError:
        header = ",".join(schemas.column_order(table))
        raise EvidenceError([Problem(str(path), None, "(file)", f"empty file: the {table} table needs at least "
                                     f"its header row ({header})")]) from None  # fmt: skip
    except pd.errors.ParserError as exc:
        raise EvidenceError([Problem(str(path), None, "(file)", f"not a readable CSV: {exc}")]) from exc
    if len(df) > MAX_ROWS:
        raise EvidenceError([Problem(str(path), None, "(file)", f"{len(df):,} rows: more than the limit of "
                                     f"{MAX_ROWS:,} rows for a curated table (is this the right file?)")])  # fmt: skip
    df.columns = [c.strip() for c in df.columns]
    df = df.apply(lambda s: s.str.strip() if s.dtype == object or pd.api.types.is_string_dtype(s) else s)
    df = df.replace({"": None})
    df[FILE_COL] = str(path)
    df[LINE_COL] = range(2, len(df) + 2)
    return df


def _non_finite_problems(df: pd.DataFrame, table: str, path: Path) -> list[Problem]:
    """'inf', '1e309', 'NaN' in a numeric column: pandas would read them as numbers or as missing."""
    problems = []
    numeric = [c for c in df.columns if c in schemas.numeric_columns(table)]
    for col in numeric:
        for line, value in zip(df[LINE_COL], df[col], strict=True):
            if not isinstance(value, str):  # an empty cell
                continue
            try:
                number = float(value)
            except ValueError:
                continue  # reported by the schema as "not a number"
            if not math.isfinite(number):
                problems.append(Problem(str(path), int(line), col, f"'{value}' is not a finite number (leave the "
                                        "cell empty when a value is not reported)"))  # fmt: skip
    return problems


def _schema_problems(df: pd.DataFrame, table: str, path: Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    schema = schemas.TABLES[table]
    data = df.drop(columns=[FILE_COL, LINE_COL])
    try:
        validated = schema.validate(data, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        for _, case in exc.failure_cases.iterrows():
            problems.append(_problem_from_failure(case, df, path))
        return None, _dedupe(_unreadable_columns_once(problems))
    validated[FILE_COL] = df[FILE_COL].values
    validated[LINE_COL] = df[LINE_COL].values
    return validated, []


def _problem_from_failure(case: pd.Series, df: pd.DataFrame, path: Path) -> Problem:
    check = str(case["check"])
    column = case["column"] if isinstance(case["column"], str) else "(columns)"
    index = case["index"]
    line = None if index is None or (isinstance(index, float) and math.isnan(index)) else int(index) + 2
    value = case["failure_case"]
    if check == "column_in_dataframe":
        return Problem(str(path), None, str(value), "required column is missing from the header")
    if check == "column_in_schema":
        return Problem(str(path), None, str(value), "unknown column (see docs/data-model.md for the columns)")
    if check.startswith("coerce_dtype"):
        return Problem(str(path), line, column, f"'{value}' is not a number")
    if check == "not_nullable":
        return Problem(str(path), line, column, "a value is required here")
    if check == "field_uniqueness" or check.startswith("unique"):
        return Problem(str(path), line, column, f"duplicated value '{value}'")
    return Problem(str(path), line, column, f"value '{value}' {_explain_check(check)}")


def _unreadable_columns_once(problems: list[Problem]) -> list[Problem]:
    """One message per bad cell: when a column has cells that are not numbers, pandera also runs the dtype
    and range checks on the unconverted text and reports them in its own words (a dtype name, a Python
    exception); those add nothing, so only the "is not a number" messages of that column are kept."""
    unreadable = {(p.file, p.field) for p in problems if p.message.endswith("is not a number")}
    return [
        p for p in problems if (p.file, p.field) not in unreadable or p.message.endswith("is not a number")
    ]


def _explain_check(check: str) -> str:
    """Turn pandera's check names into a sentence a curator can act on."""
    import re

    rules = [
        (r"greater_than\((.*)\)", "must be greater than {0}"),
        (r"greater_than_or_equal_to\((.*)\)", "must be at least {0}"),
        (r"less_than\((.*)\)", "must be less than {0}"),
        (r"less_than_or_equal_to\((.*)\)", "must be at most {0}"),
        (r"in_range\((.*), (.*)\)", "must lie between {0} and {1}"),
        (r"isin\((.*)\)", "is not one of the allowed values {0}"),
        (r"str_matches\('(.*)'\)", "does not have the expected form ({0})"),
        (r"str_length\((.*)\)", "must not be empty"),
    ]
    for pattern, text in rules:
        match = re.fullmatch(pattern, check)
        if match:
            return text.format(*match.groups())
    return f"fails the check {check}"


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.file, p.line, p.field, p.message) not in seen:
            seen.add((p.file, p.line, p.field, p.message))
            out.append(p)
    return out


def load_evidence(settings: Settings, evidence_dir: str | Path | None = None) -> Evidence:
    """Read and validate every indication folder named in the settings; raise EvidenceError on any problem.

    ``evidence_dir`` overrides ``settings.evidence_dir`` (the command line's --evidence-dir)."""
    evidence_dir = Path(evidence_dir or settings.evidence_dir)
    slots: list[_Slot] = []  # every file (and folder-level finding) in reading order
    files: list[str] = []
    for indication in settings.indications:
        folder = evidence_dir / indication
        if not folder.is_dir():
            slots.append(_Slot([Problem(str(folder), None, "(folder)",
                                        f"no evidence folder for indication '{indication}'")]))  # fmt: skip
            continue
        for table in (*TABLE_FILES, *OPTIONAL_FILES):
            path = folder / f"{table}.csv"
            if table in OPTIONAL_FILES and not path.is_file():
                continue
            if not path.is_file():
                slots.append(_Slot([Problem(str(path), None, "(file)",
                                            "missing (every indication needs all four tables)")]))  # fmt: skip
                continue
            files.append(str(path))
            try:
                raw = read_table(path, table)
            except EvidenceError as exc:
                slots.append(_Slot(list(exc.problems)))
                continue
            found = _non_finite_problems(raw, table, path)
            slots.append(_Slot(found, None if found else raw, table, path, indication))
        # the optional dated log of changes (the report's evidence date)
        slots.append(_Slot(check_changelog(folder)))
    _validate_slots(slots)
    problems = [p for slot in slots for p in slot.problems]
    if problems:
        raise EvidenceError(_capped(problems))
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in (*TABLE_FILES, *OPTIONAL_FILES)}
    for slot in slots:
        if slot.validated is not None:
            frames[slot.table].append(slot.validated.assign(indication_folder=slot.indication))
    tables = {t: _concat(frames[t], schemas.TABLES[t]) for t in TABLE_FILES}
    rob = _concat(frames["rob"], schemas.ROB)
    evidence = Evidence(**tables, files=files, rob=rob)
    problems = cross_check(evidence, settings) + _rob_problems(rob, evidence.trials)
    if problems:
        raise EvidenceError(_capped(problems))
    return evidence


@dataclass
class _Slot:
    """One file read for validation (or a finding about a folder), in reading order."""

    problems: list[Problem]
    raw: pd.DataFrame | None = None
    table: str = ""
    path: Path | None = None
    indication: str = ""
    validated: pd.DataFrame | None = None


def _validate_slots(slots: list[_Slot]) -> None:
    """Validate every file read. Files of one table with the same header are validated together, once
    (45 separate pandera runs cost seconds); when that finds anything, each file of the group is validated on
    its own, so every message (and a uniqueness rule) is about one file, exactly as before."""
    groups: dict[tuple, list[_Slot]] = {}
    for slot in slots:
        if slot.raw is not None:
            groups.setdefault((slot.table, tuple(slot.raw.columns)), []).append(slot)
    for (table, _), group in groups.items():
        if len(group) > 1:
            validated, found = _schema_problems(
                pd.concat([s.raw for s in group], ignore_index=True), table, group[0].path
            )
            if not found:
                start = 0
                for slot in group:
                    stop = start + len(slot.raw)
                    slot.validated = validated.iloc[start:stop].reset_index(drop=True)
                    start = stop
                continue
        for slot in group:
            slot.validated, found = _schema_problems(slot.raw, table, slot.path)
            slot.problems.extend(found)


def _concat(frames: list[pd.DataFrame], schema: pa.DataFrameSchema) -> pd.DataFrame:
    if frames:
        return pd.concat(frames, ignore_index=True)
    return pd.DataFrame(columns=[*schema.columns, FILE_COL, LINE_COL, "indication_folder"])


def _rob_problems(rob: pd.DataFrame, trials: pd.DataFrame) -> list[Problem]:
    """Each risk-of-bias row names a trial of its own indication folder, once per trial, outcome and domain."""
    problems = []
    known = set(zip(trials["indication_folder"], trials["trial_id"], strict=False)) if len(trials) else set()
    seen: set[tuple] = set()
    for _, r in rob.iterrows():
        if (r["indication_folder"], r["trial_id"]) not in known:
            problems.append(Problem(r[FILE_COL], int(r[LINE_COL]), "trial_id",
                                    f"'{r['trial_id']}' is not a trial of this indication's trials.csv"))  # fmt: skip
        key = (r["trial_id"], r["outcome"] or "", r["domain"])
        if key in seen:
            problems.append(Problem(r[FILE_COL], int(r[LINE_COL]), "domain",
                                    f"a second judgement of '{r['domain']}' for this trial and outcome"))  # fmt: skip
        seen.add(key)
    return problems


def _capped(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS], Problem("(evidence)", None, "(problems)", f"... and {rest:,} more problems "
                                              f"(only the first {MAX_PROBLEMS} are listed)")]  # fmt: skip


def evidence_counts(evidence: Evidence) -> str:
    """One line saying what was validated (printed by `validate`, logged by the workflow)."""
    return (
        f"{len(evidence.trials)} trials, {len(evidence.arms)} arms, {len(evidence.outcomes)} outcome rows, "
        f"{len(evidence.contrasts)} contrast rows in {len(evidence.files)} files"
    )
