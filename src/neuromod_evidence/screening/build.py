"""The two screening stages the workflow runs, from snapshots + normalized tables to the screening tables.

- :func:`extract_registry_results` (rule ``extract_registry_results``): every posted result in the registry
  snapshots → ``registry_outcomes.csv`` (rows in the format of ``outcomes.csv``) and
  ``registry_unmapped.csv`` (the cells not used, with why);
- :func:`build_screening` (rule ``build_screening_queue``): ``queue.csv``, ``prisma.csv`` and
  ``crosscheck.csv``.

Both take the :class:`~neuromod_evidence.settings.Settings` and read the curated evidence only from the
validated, normalized tables; every table is written through its contract (:mod:`neuromod_evidence.tables`),
atomically. With no snapshot (offline, never fetched) the tables are empty and ``prisma.csv`` says why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from neuromod_evidence.living.snapshots import read_snapshot
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import (
    CROSSCHECK,
    PRISMA,
    QUEUE,
    REGISTRY_OUTCOMES,
    REGISTRY_UNMAPPED,
    read_table,
    write_table,
)

from .crosscheck import crosscheck
from .curated import CuratedTables, NormalizedPaths
from .decisions import read_decisions
from .queue import screen_indication
from .registry import study_rows
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)


def snapshot_paths(
    snapshot_dir: str | Path, source: str, indications: Iterable[str]
) -> dict[str, Path | None]:
    """indication -> its snapshot file, or None when there is none yet."""
    out: dict[str, Path | None] = {}
    for indication in indications:
        path = Path(snapshot_dir) / source / f"{indication}.json"
        out[indication] = path if path.exists() else None
    return out


def registry_outcome_tables(
    settings: Settings, ctgov_snapshots: Mapping[str, str | Path | None], curated: CuratedTables
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Arm-level rows from every posted result in the registry snapshots, and the cells not used."""
    vocab = Vocabulary.from_settings(settings)
    rows, unmapped = [], []
    done: set[str] = set()
    for indication, path in sorted(ctgov_snapshots.items()):
        doc = read_snapshot(path) if path else None
        if doc is None:
            continue
        cur = curated.indication(indication)
        for rec in doc["records"]:
            study = rec.get("study", {})
            if not study.get("hasResults") and "resultsSection" not in study:
                continue
            nct = rec["id"]
            if nct in done:  # a trial matched by two indications is extracted once
                continue
            done.add(nct)
            aliases = [nct, *rec.get("requested_as", [])]
            trial_id = next((cur.nct_to_trial[a] for a in aliases if a in cur.nct_to_trial), None)
            got, missed = study_rows(study, vocab, trial_id=trial_id)
            rows += [{**r, "indication": indication} for r in got]
            unmapped += missed
    return (
        pd.DataFrame(rows, columns=list(REGISTRY_OUTCOMES.columns)),
        pd.DataFrame(unmapped, columns=list(REGISTRY_UNMAPPED.columns)),
    )


def extract_registry_results(
    settings: Settings, trials_csv: str | Path, rows_path: str | Path, unmapped_path: str | Path
) -> None:
    """Rule ``extract_registry_results``: registry snapshots + normalized trials → the two registry tables."""
    snaps = snapshot_paths(settings.fetch.snapshot_dir, "ctgov", settings.indications)
    rows, unmapped = registry_outcome_tables(settings, snaps, CuratedTables(NormalizedPaths(trials_csv)))
    write_table(REGISTRY_OUTCOMES, rows, rows_path)
    write_table(REGISTRY_UNMAPPED, unmapped, unmapped_path, for_people=True)
    missing = sorted(k for k, v in snaps.items() if v is None)
    if missing:
        log.info("no registry snapshot for %s: nothing extracted for them", ", ".join(missing))
    log.info("%d registry rows mapped to the outcome vocabulary, %d cells not used", len(rows), len(unmapped))


def screening_tables(
    settings: Settings, curated: CuratedTables, registry_rows: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(queue, PRISMA, cross-check) frames for every indication of the settings."""
    snap_dir = settings.fetch.snapshot_dir
    ctgov = snapshot_paths(snap_dir, "ctgov", settings.indications)
    pubmed = snapshot_paths(snap_dir, "pubmed", settings.indications)
    decisions = read_decisions(settings.fetch.decisions_file)
    by_indication = {iid: curated.indication(iid) for iid in sorted(settings.indications)}
    queue, prisma = [], []
    for iid, cur in by_indication.items():
        q, p = screen_indication(settings, iid, ctgov[iid], pubmed[iid], cur, decisions)
        queue += q
        prisma.append(p)
    queue_df = pd.DataFrame(queue, columns=list(QUEUE.columns)).sort_values(
        ["indication", "source", "id"], kind="stable"
    )
    prisma_df = pd.DataFrame(prisma, columns=list(PRISMA.columns))
    return queue_df, prisma_df, crosscheck(registry_rows, by_indication, settings)


def build_screening(
    settings: Settings,
    normalized: NormalizedPaths,
    registry_rows_csv: str | Path,
    queue_path: str | Path,
    prisma_path: str | Path,
    crosscheck_path: str | Path,
) -> None:
    """Rule ``build_screening_queue``: snapshots + normalized tables + registry rows → queue, PRISMA, cross-check."""
    registry_rows = read_table(REGISTRY_OUTCOMES, registry_rows_csv)
    queue, prisma, cross = screening_tables(settings, CuratedTables(normalized), registry_rows)
    write_table(QUEUE, queue, queue_path, for_people=True)
    write_table(PRISMA, prisma, prisma_path)
    write_table(CROSSCHECK, cross, crosscheck_path, for_people=True)
    for _, p in prisma.iterrows():
        log.info(
            "%s: %s awaiting review; %s",
            p["indication"],
            p["awaiting_review"],
            p["note"] or "snapshots present",
        )
    log.info("cross-check: %d comparisons, %d differ", len(cross), int((cross["verdict"] == "differ").sum()))
