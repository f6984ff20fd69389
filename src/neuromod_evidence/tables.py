"""The contract of every table passed between stages: its columns, their kinds, and one way to read and write it.

Why: writers and readers used to agree on column names by convention only, and the report guessed names from
alias lists. Each table is declared here once; every stage writes through :func:`write_table` and reads
through :func:`read_table`, which refuse a frame or file whose columns differ from the contract. Columns may
be added at the end of a table in a later version; they are never renamed or dropped
(docs/pipeline-tables.md documents each column).

One writer, one float format: ``%.10g`` (ten significant digits, no trailing zeros), after rounding to the
table's ``decimals`` where a table declares them (fit tables carry Monte Carlo error, so 4 decimals). Files
are written atomically (temporary file + rename, with the process umask's permissions), so a failed run never
leaves half a table behind. Tables meant for people (report downloads) neutralise spreadsheet formulas.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FLOAT_FORMAT = "%.10g"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection: cells a spreadsheet would evaluate


class TableError(ValueError):
    """A table does not match its contract; the message names the file and the columns."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    ints: frozenset[str] = field(default_factory=frozenset)
    floats: frozenset[str] = field(default_factory=frozenset)
    bools: frozenset[str] = field(default_factory=frozenset)
    decimals: int | None = None  # round floats to this many decimals before writing

    def kind(self, column: str) -> str:
        for kind, members in (("int", self.ints), ("float", self.floats), ("bool", self.bools)):
            if column in members:
                return kind
        return "text"


def _t(name: str, columns: str, ints: str = "", floats: str = "", bools: str = "", decimals=None) -> Table:
    return Table(name, tuple(columns.split()), frozenset(ints.split()), frozenset(floats.split()),
                 frozenset(bools.split()), decimals)  # fmt: skip


# ------------------------------------------------------------------------------------------ curated values
_CURATED_VALUES = "n events total percent mean sd se ci_low ci_high ci_level median q1 q3 min max"
_CURATED_OUTCOME_COLUMNS = (
    "row_id trial_id arm_id outcome outcome_reported site scale timepoint_months value_type period "
    f"{_CURATED_VALUES} source location quote status notes"
)

# ------------------------------------------------------------------------------------------ normalize stage
NORMALIZED_TRIALS = _t(
    "trials",
    "trial_id acronym title first_author year indication registry_ids pmids design blinding sponsor "
    "sponsor_name countries max_follow_up_months source location quote notes",
    floats="year max_follow_up_months",
)
NORMALIZED_ARMS = _t(
    "arms",
    "trial_id arm_id label class n_randomized source location quote status notes",
    floats="n_randomized",
)
# Where a normalized outcome row's registry numbers came from (empty for a publication's own numbers): the NCT
# id, the registry's group and time frame, and the record's last-update date (issue 10: registry provenance).
REGISTRY_PROVENANCE = "registry_id registry_group registry_time_frame registry_last_update"
NORMALIZED_OUTCOMES = _t(
    "outcomes",
    f"{_CURATED_OUTCOME_COLUMNS} window mean_common sd_common n_used events_used total_used sd_method "
    "sd_from_median events_derived n_assumed usable problem total_min total_max source_kind "
    f"{REGISTRY_PROVENANCE}",
    floats=f"timepoint_months {_CURATED_VALUES} mean_common sd_common n_used events_used total_used total_min total_max",
    bools="sd_from_median events_derived n_assumed usable",
)
CONTRASTS = _t(
    "contrasts",
    "analysis_id indication outcome comparison timepoint trial_id study_label year design blinding sponsor "
    "measure direction data_type estimate se ci_low ci_high events_t n_t events_c n_c mean_t sd_t mean_c sd_c "
    "timepoint_months value_type site intervention_class comparator_class intervention_arms comparator_arms "
    "sd_imputed sd_from_median events_derived n_assumed crossover period uncertain method source_rows sources "
    "source_kind n_t_min events_t_at_min n_c_min events_c_at_min n_t_max events_t_at_max n_c_max events_c_at_max",
    ints="year",
    floats="estimate se ci_low ci_high events_t n_t events_c n_c mean_t sd_t mean_c sd_c timepoint_months "
    "n_t_min events_t_at_min n_c_min events_c_at_min n_t_max events_t_at_max n_c_max events_c_at_max",
    bools="sd_imputed sd_from_median events_derived n_assumed crossover uncertain",
)
ROB = _t(
    "rob",
    "trial_id outcome domain judgement source location quote status notes indication",
)
ISSUES = _t("issues", "file line row_id trial_id outcome severity reason", floats="line")

# ------------------------------------------------------------------------------------------ fit stage
_SUMMARY_FLOATS = (
    "n_participants estimate ci_low ci_high pred_low pred_high tau tau_low tau_high p_benefit p_mcid rhat_max "
    "exact_estimate exact_ci_low exact_ci_high freq_estimate freq_ci_low freq_ci_high mcid exact_pred_low "
    "exact_pred_high exact_tau exact_tau_low exact_tau_high freq_tau2 freq_pred_low freq_pred_high "
    "target_accept baseline_risk log_rr_estimate log_rr_ci_low log_rr_ci_high rd_estimate rd_ci_low rd_ci_high "
    "per1000_estimate per1000_ci_low per1000_ci_high"
)
SUMMARY = _t(
    "summary",
    "analysis_id indication outcome comparison timepoint measure model k n_participants estimate ci_low ci_high "
    "pred_low pred_high tau tau_low tau_high p_benefit p_mcid rhat_max ess_bulk_min ess_tail_min divergences "
    "converged exact_estimate exact_ci_low exact_ci_high exact_agrees freq_estimate freq_ci_low freq_ci_high "
    "freq_method tau_prior effect_prior direction mcid scale exact_pred_low exact_pred_high exact_tau "
    "exact_tau_low exact_tau_high freq_tau2 freq_pred_low freq_pred_high sampler target_accept attempts seed "
    "baseline_risk log_rr_estimate log_rr_ci_low log_rr_ci_high rd_estimate rd_ci_low rd_ci_high "
    "per1000_estimate per1000_ci_low per1000_ci_high continuity_corrected excluded_studies notes source_kind sources",
    ints="k ess_bulk_min ess_tail_min divergences attempts seed continuity_corrected",
    floats=_SUMMARY_FLOATS,
    bools="converged exact_agrees",
    decimals=4,
)
STUDIES = _t(
    "studies",
    "trial_id study_label data_type estimate se ci_low ci_high shrunk_estimate shrunk_ci_low shrunk_ci_high "
    "weight events_t n_t events_c n_c sd_imputed events_derived corrected "
    # additions: metafor-style influence diagnostics (models/influence.py); per-arm summaries and the pain
    # site / outcome variant of each row, carried from contrasts.csv for the forest plot's data columns
    "rstudent cook_d influence mean_t sd_t mean_c sd_c site value_type",
    floats="estimate se ci_low ci_high shrunk_estimate shrunk_ci_low shrunk_ci_high weight events_t n_t "
    "events_c n_c rstudent cook_d mean_t sd_t mean_c sd_c",
    bools="sd_imputed events_derived corrected",
    decimals=4,
)
HETEROGENEITY = _t(  # one row per analysis: the forest plot's heterogeneity line (models/analysis.py)
    "heterogeneity",
    "analysis_id k tau2 tau2_low tau2_high freq_tau2 freq_method q q_df q_p i2",
    ints="k q_df",
    floats="tau2 tau2_low tau2_high freq_tau2 q q_p i2",
    decimals=4,
)
SENSITIVITY = _t(
    "sensitivity",
    "analysis_id scenario method k left_out tau_prior estimate ci_low ci_high pred_low pred_high tau tau_low "
    "tau_high p_benefit p_mcid note",
    ints="k",
    floats="estimate ci_low ci_high pred_low pred_high tau tau_low tau_high p_benefit p_mcid",
    decimals=4,
)

# ------------------------------------------------------------------------------------------ nma stage
# One file of each per indication (results/nma/<indication>/), every row keyed by `network_id`
# (`<indication>__<outcome>__<timepoint>`); docs/pipeline-tables.md explains the columns.
NMA_NETWORKS = _t(
    "nma_networks",
    "network_id indication outcome timepoint measure direction status reason layout reference reference_rule "
    "treatments n_treatments n_comparisons n_trials n_participants trials model loops inconsistency tau "
    "tau_low tau_high freq_tau2 reference_risk rhat_max ess_bulk_min ess_tail_min divergences converged "
    "attempts seed notes",
    ints="n_treatments n_comparisons n_trials ess_bulk_min ess_tail_min divergences attempts seed",
    floats="n_participants tau tau_low tau_high freq_tau2 reference_risk rhat_max",
    bools="loops converged",
    decimals=4,
)
_EFFECT = "estimate ci_low ci_high"
NMA_LEAGUE = _t(
    "nma_league",
    f"network_id treatment_1 treatment_2 {_EFFECT} pred_low pred_high p_better freq_estimate freq_ci_low "
    "freq_ci_high evidence",
    floats=f"{_EFFECT} pred_low pred_high p_better freq_estimate freq_ci_low freq_ci_high",
    decimals=4,
)
NMA_RANKS = _t(
    "nma_ranks", "network_id treatment rank probability sucra mean_rank", ints="rank",
    floats="probability sucra mean_rank", decimals=4,
)  # fmt: skip
_SPLIT = "direct direct_low direct_high indirect indirect_low indirect_high network p freq_direct freq_indirect freq_network freq_p"
NMA_SPLITS = _t("nma_splits", f"network_id treatment_1 treatment_2 {_SPLIT}", floats=_SPLIT, decimals=4)
NMA_EDGES = _t(
    "nma_edges",
    "network_id treatment_1 treatment_2 trials participants",
    ints="trials",
    floats="participants",
)
NMA_NODES = _t("nma_nodes", "network_id treatment trials participants", ints="trials", floats="participants")
_ABS = "risk risk_low risk_high per_1000_diff per_1000_low per_1000_high"
NMA_ABSOLUTE = _t("nma_absolute", f"network_id treatment {_ABS}", floats=_ABS, decimals=4)
NMA = {
    name: t
    for name, t in (("networks", NMA_NETWORKS), ("league", NMA_LEAGUE), ("ranks", NMA_RANKS),
                    ("splits", NMA_SPLITS), ("network", NMA_EDGES), ("nodes", NMA_NODES),
                    ("absolute", NMA_ABSOLUTE))
}  # fmt: skip

# ------------------------------------------------------------------------------------------ screening stage
REGISTRY_EXTRA_COLUMNS = (
    "nct_id registry_group_id registry_group_title registry_outcome_type param_type dispersion_type unit "
    "time_frame class_title category_title"
)
# the study-level facts a registry trial accepted in the decisions file needs to become a trial of the analyses
# (design, masking and sponsor class as the registry states them; normalize/registry_trials.py maps them)
REGISTRY_STUDY_COLUMNS = "last_update_posted study_title study_acronym study_year study_design study_masking sponsor_class sponsor_name"
REGISTRY_OUTCOMES = _t(
    "registry_outcomes",
    f"{_CURATED_OUTCOME_COLUMNS} {REGISTRY_EXTRA_COLUMNS} indication {REGISTRY_STUDY_COLUMNS}",
    floats=f"timepoint_months {_CURATED_VALUES}",
)
REGISTRY_UNMAPPED = _t(
    "registry_unmapped",
    "nct_id trial_id outcome_title outcome_type time_frame class_title category_title group_id group_title "
    "param_type unit value maps_to reason",
)
QUEUE = _t(
    "queue",
    "indication source id title year date status why_matched first_seen linked_ids has_results "
    "registry_snapshot pubmed_snapshot",
)
PRISMA = _t(
    "prisma",
    "indication records_identified_registry records_identified_pubmed records_identified_other "
    "duplicates_removed records_screened records_of_curated_trials awaiting_review excluded_with_reason "
    "exclusion_reasons included_curated registry_snapshot pubmed_snapshot note",
    ints="records_identified_registry records_identified_pubmed records_identified_other duplicates_removed "
    "records_screened records_of_curated_trials awaiting_review excluded_with_reason included_curated",
)
CROSSCHECK = _t(
    "crosscheck",
    "trial_id nct_id outcome timepoint_months arm statistic curated_value registry_value difference verdict "
    "curated_row_id registry_row_id registry_outcome_title note",
    floats="timepoint_months curated_value registry_value difference",
)

NORMALIZED = {
    t.name: t for t in (NORMALIZED_TRIALS, NORMALIZED_ARMS, NORMALIZED_OUTCOMES, CONTRASTS, ISSUES, ROB)
}
FIT = {t.name: t for t in (SUMMARY, STUDIES, SENSITIVITY, HETEROGENEITY)}
SCREENING = {t.name: t for t in (REGISTRY_OUTCOMES, REGISTRY_UNMAPPED, QUEUE, PRISMA, CROSSCHECK)}


def fit_analysis_dir(fit_dir: str | os.PathLike, analysis_id: str) -> Path:
    """Where the fit stage puts one analysis: ``<fit_dir>/<indication>/analyses/<analysis_id>/`` (one fit job
    per indication writes ``<fit_dir>/<indication>/``; the analysis id starts with the indication id)."""
    return Path(fit_dir) / analysis_id.split("__", 1)[0] / "analyses" / analysis_id


# ------------------------------------------------------------------------------------------ reading
def read_table(table: Table, path: str | os.PathLike) -> pd.DataFrame:
    """Read a table written by a stage, typed by its contract; a header that differs is an error."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except FileNotFoundError:
        raise TableError(f"{path}: missing ({table.name} table)") from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: empty file, expected the {table.name} table's header") from None
    missing = [c for c in table.columns if c not in raw.columns]
    if missing:
        raise TableError(f"{path}: the {table.name} table lacks column(s) {', '.join(missing)}")
    # Column by column into a new frame: ~2x faster than typing blocks of a copy (the report reads ~150 tables).
    typed = {}
    for c in table.columns:
        try:
            typed[c] = _typed(raw[c], table.kind(c))
        except (ValueError, TypeError) as exc:
            raise TableError(f"{path}: column {c} of the {table.name} table: {exc}") from None
    return pd.DataFrame(typed, index=raw.index)


def _typed(column: pd.Series, kind: str) -> pd.Series:
    """A column read as text, typed by its kind; text cells that are empty become None."""
    if kind == "float":
        if column.isna().all():
            return pd.Series(np.nan, index=column.index, dtype=float)
        return column.astype(float)  # a cell that is not a number raises ValueError
    if kind == "int":
        return pd.to_numeric(column, errors="raise").astype("Int64")
    if kind == "bool":
        return column.map({"True": True, "False": False, "true": True, "false": False}).astype("boolean")
    return pd.Series(column.to_numpy(dtype=object, na_value=None), index=column.index, dtype=object)


# ------------------------------------------------------------------------------------------ writing
def _format(value: Any, kind: str, decimals: int | None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    # a boolean column with gaps arrives as floats (True -> 1.0): written "1", it read back as missing
    if isinstance(value, (bool, np.bool_)) or (kind == "bool" and isinstance(value, (int, float, np.number))):
        return str(bool(value))
    if kind == "int" and isinstance(value, (int, float, np.integer, np.floating)):
        if not math.isfinite(float(value)):
            return ""
        return str(int(round(float(value))))
    if isinstance(value, (float, np.floating, int, np.integer)) and not isinstance(value, bool):
        x = float(value)
        if not math.isfinite(x):
            return ""
        if decimals is not None:
            x = round(x, decimals)
        return FLOAT_FORMAT % (x + 0.0)  # + 0.0 turns -0.0 into 0.0
    return str(value)


def neutralise_formula(text: str) -> str:
    """Prefix a cell that a spreadsheet would evaluate as a formula with a single quote (OWASP)."""
    if text and text.startswith(FORMULA_PREFIXES):
        try:
            float(text)  # a plain negative number is data, not a formula
            return text
        except ValueError:
            return "'" + text
    return text


def format_table(table: Table, df: pd.DataFrame, for_people: bool = False) -> pd.DataFrame:
    """The frame as the strings that go into the file (columns in contract order)."""
    extra = [c for c in df.columns if c not in table.columns]
    missing = [c for c in table.columns if c not in df.columns]
    if extra or missing:
        raise TableError(
            f"{table.name}: frame does not match the contract (missing {missing or 'none'}, extra {extra or 'none'})"
        )
    columns = {}
    for c in table.columns:
        kind = table.kind(c)
        cells = [_format(v, kind, table.decimals) for v in df[c].tolist()]
        if for_people and kind == "text":
            cells = [neutralise_formula(v) for v in cells]
        columns[c] = cells
    return pd.DataFrame(columns, index=df.index, columns=list(table.columns), dtype=object)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write via a temporary file in the same folder and rename; permissions follow the process umask."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename; permissions follow the process umask."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(table: Table, df: pd.DataFrame, path: str | os.PathLike, for_people: bool = False) -> Path:
    """Write ``df`` as ``table`` to ``path`` atomically; ``for_people`` neutralises spreadsheet formulas."""
    text = format_table(table, df, for_people).to_csv(index=False, lineterminator="\n")
    atomic_write_text(path, text)
    return Path(path)


def empty_frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(columns=list(table.columns))
