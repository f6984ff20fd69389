"""Pandera schemas of the curated evidence tables (docs/data-model.md).

The schemas check each column on its own: type, allowed values, ranges, identifier patterns. Checks that
need two columns, two tables or the configuration live in `evidence.py`. Columns are declared in the
documented order, and `strict="filter"` is not used: an unknown column is an error, so a misspelt header
cannot silently hide a value.
"""

from __future__ import annotations

import pandera.pandas as pa

ID_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
SOURCE_PATTERN = r"^(PMID:[0-9]{1,9}|NCT[0-9]{8})$"
PMIDS_PATTERN = r"^[0-9]{1,9}(;[0-9]{1,9})*$"
REGISTRY_PATTERN = r"^[A-Za-z0-9-]+(;[A-Za-z0-9-]+)*$"

STATUSES = ["verified", "derived", "uncertain"]
DESIGNS = ["parallel", "crossover"]
BLINDING = ["open", "assessor", "single", "double", "unclear"]
SPONSORS = ["industry", "academic", "mixed", "unclear"]
VALUE_TYPES = ["final", "change"]
PERIODS = ["first", "all"]
CONTRAST_MEASURES = ["MD", "RR", "OR", "RD", "HR"]
P_OPERATORS = ["=", "<"]


def _text(required: bool = True, **kw) -> pa.Column:
    checks = [pa.Check.str_length(min_value=1)] if required else []
    return pa.Column(str, checks=checks, nullable=not required, required=True, **kw)


def _pattern(pattern: str, required: bool = True) -> pa.Column:
    return pa.Column(str, checks=pa.Check.str_matches(pattern), nullable=not required, required=True)


def _choice(values: list[str], required: bool = True) -> pa.Column:
    return pa.Column(str, checks=pa.Check.isin(values), nullable=not required, required=True)


def _number(required: bool = False, **bounds) -> pa.Column:
    checks = []
    if "gt" in bounds:
        checks.append(pa.Check.gt(bounds["gt"]))
    if "ge" in bounds:
        checks.append(pa.Check.ge(bounds["ge"]))
    if "le" in bounds:
        checks.append(pa.Check.le(bounds["le"]))
    if "lt" in bounds:
        checks.append(pa.Check.lt(bounds["lt"]))
    return pa.Column(float, checks=checks, nullable=not required, coerce=True, required=True)


def _count(required: bool = False, minimum: int = 0) -> pa.Column:
    """Whole numbers kept as float so an empty cell stays NaN; `is_integer` rejects 12.5 participants."""
    return pa.Column(
        float,
        checks=[
            pa.Check.ge(minimum),
            pa.Check(lambda s: s.dropna() % 1 == 0, element_wise=False, error="whole number"),
        ],
        nullable=not required,
        coerce=True,
        required=True,
    )


PROVENANCE = {
    "source": _pattern(SOURCE_PATTERN),
    "location": _text(),
    "quote": _text(),
}

TRIALS = pa.DataFrameSchema(
    {
        "trial_id": pa.Column(str, checks=pa.Check.str_matches(ID_PATTERN), unique=True),
        "acronym": _text(required=False),
        "title": _text(),
        "first_author": _text(),
        "year": pa.Column(float, checks=[pa.Check.in_range(1960, 2100)], coerce=True),
        "indication": _pattern(ID_PATTERN),
        "registry_ids": _pattern(REGISTRY_PATTERN, required=False),
        "pmids": _pattern(PMIDS_PATTERN),
        "design": _choice(DESIGNS),
        "blinding": _choice(BLINDING),
        "sponsor": _choice(SPONSORS),
        "sponsor_name": _text(required=False),
        "countries": _text(required=False),
        "max_follow_up_months": _number(ge=0),
        **PROVENANCE,
        "notes": _text(required=False),
    },
    strict=True,
    ordered=False,
    name="trials",
)

ARMS = pa.DataFrameSchema(
    {
        "trial_id": _pattern(ID_PATTERN),
        "arm_id": _pattern(ID_PATTERN),
        "label": _text(),
        "class": _pattern(ID_PATTERN),
        "n_randomized": _count(minimum=1),
        **PROVENANCE,
        "status": _choice(STATUSES),
        "notes": _text(required=False),
    },
    strict=True,
    unique=["trial_id", "arm_id"],
    name="arms",
)

_ARM_VALUES = {
    "n": _count(minimum=1),
    "events": _count(),
    "total": _count(minimum=1),
    "percent": _number(ge=0, le=100),
    "mean": _number(),
    "sd": _number(gt=0),
    "se": _number(gt=0),
    "ci_low": _number(),
    "ci_high": _number(),
    "ci_level": _number(gt=0, lt=1),
    "median": _number(),
    "q1": _number(),
    "q3": _number(),
    "min": _number(),
    "max": _number(),
}

_WHAT_AND_WHEN = {
    "outcome": _pattern(ID_PATTERN),
    "outcome_reported": _text(),
    "site": _pattern(ID_PATTERN, required=False),
    "scale": _pattern(ID_PATTERN),
    "timepoint_months": _number(required=True, ge=0),
    "value_type": _choice(VALUE_TYPES, required=False),
    "period": _choice(PERIODS, required=False),
}

OUTCOMES = pa.DataFrameSchema(
    {
        "row_id": pa.Column(str, checks=pa.Check.str_length(min_value=1), unique=True),
        "trial_id": _pattern(ID_PATTERN),
        "arm_id": _pattern(ID_PATTERN),
        **_WHAT_AND_WHEN,
        **_ARM_VALUES,
        **PROVENANCE,
        "status": _choice(STATUSES),
        "notes": _text(required=False),
    },
    strict=True,
    name="outcomes",
)

CONTRASTS = pa.DataFrameSchema(
    {
        "row_id": pa.Column(str, checks=pa.Check.str_length(min_value=1), unique=True),
        "trial_id": _pattern(ID_PATTERN),
        "arm_id_intervention": _pattern(ID_PATTERN),
        "arm_id_comparator": _pattern(ID_PATTERN),
        **_WHAT_AND_WHEN,
        "measure": _choice(CONTRAST_MEASURES),
        "estimate": _number(required=True),
        "ci_low": _number(),
        "ci_high": _number(),
        "ci_level": _number(gt=0, lt=1),
        "se": _number(gt=0),
        "p_value": _number(gt=0, le=1),
        "p_operator": _choice(P_OPERATORS, required=False),
        "n_intervention": _count(minimum=1),
        "n_comparator": _count(minimum=1),
        **PROVENANCE,
        "status": _choice(STATUSES),
        "notes": _text(required=False),
    },
    strict=True,
    name="contrasts",
)

ROB_DOMAINS = ["randomization", "deviations", "missing_data", "measurement", "selection"]
ROB_JUDGEMENTS = ["low", "some_concerns", "high", "not_assessable"]

# Risk of bias per trial (RoB 2 domains), optional per indication: a blank outcome applies to every outcome
# of the trial, an outcome-specific row replaces it for that outcome and domain.
ROB = pa.DataFrameSchema(
    {
        "trial_id": _pattern(ID_PATTERN),
        "outcome": _pattern(ID_PATTERN, required=False),
        "domain": _choice(ROB_DOMAINS),
        "judgement": _choice(ROB_JUDGEMENTS),
        **PROVENANCE,
        "status": _choice(STATUSES),
        "notes": _text(required=False),
    },
    strict=True,
    name="rob",
)

TABLES = {"trials": TRIALS, "arms": ARMS, "outcomes": OUTCOMES, "contrasts": CONTRASTS, "rob": ROB}


def column_order(table: str) -> list[str]:
    """The documented column order of a curated table (used to write templates and normalized copies)."""
    return list(TABLES[table].columns)


def numeric_columns(table: str) -> list[str]:
    """The columns read as numbers (their text is checked for 'inf' and 'NaN' before coercion)."""
    return [
        name for name, col in TABLES[table].columns.items() if str(col.dtype).startswith(("float", "int"))
    ]
