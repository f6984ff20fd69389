"""The normalize stage as the workflow and the `normalize` command run it: validate, add the registry's posted
results, normalize, write.

Why two functions: the registry extraction needs the curated trials (their NCT ids) and normalization needs
the extracted registry rows, so the workflow validates first (:func:`validate_stage`, which writes the
validated curated trials), extracts the registry results from them, then normalizes (:func:`normalize_stage`,
which takes the validated evidence from validation's ``evidence.pickle`` instead of validating again). Every
later stage (fit, screening, report) reads the normalized tables.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

from ..evidence import Evidence, evidence_counts, load_evidence
from ..screening.decisions import read_decisions
from ..settings import Settings
from ..tables import (
    NORMALIZED_TRIALS,
    REGISTRY_OUTCOMES,
    atomic_write_bytes,
    atomic_write_text,
    read_table,
    write_table,
)
from .build import BOOKKEEPING, Normalized, normalize, write_normalized
from .registry_evidence import with_registry_results

log = logging.getLogger(__name__)


def _write_validation(evidence: Evidence, out_dir: str | Path) -> None:
    lines = [f"valid: {evidence_counts(evidence)}", *(f"file\t{f}" for f in evidence.files)]
    atomic_write_text(Path(out_dir) / "validation.txt", "\n".join(lines) + "\n")


def validate_stage(
    settings: Settings, out_dir: str | Path, evidence_dir: str | Path | None = None
) -> Evidence:
    """Validate the curated evidence (raise EvidenceError naming file, line and field) and write the validated
    curated trials, ``out_dir/trials.csv`` (the NORMALIZED_TRIALS contract), plus ``out_dir/validation.txt``."""
    evidence = load_evidence(settings, evidence_dir)
    log.info("evidence valid: %s", evidence_counts(evidence))
    trials = evidence.trials.drop(columns=BOOKKEEPING, errors="ignore")
    write_table(NORMALIZED_TRIALS, trials, Path(out_dir) / "trials.csv")
    # the validated frames for normalize_stage, so the evidence is validated once per run (the file is this
    # workflow's own intermediate, written atomically; it is never read from anywhere else)
    atomic_write_bytes(
        Path(out_dir) / "evidence.pickle", pickle.dumps(evidence, protocol=pickle.HIGHEST_PROTOCOL)
    )
    _write_validation(evidence, out_dir)
    return evidence


def normalize_stage(
    settings: Settings,
    out_dir: str | Path,
    evidence_dir: str | Path | None = None,
    registry_outcomes: str | Path | None = None,
    decisions_file: str | Path | None = None,
    validated: str | Path | None = None,
) -> Normalized:
    """Validate the curated evidence, add the posted registry results of ``registry_outcomes`` (the
    REGISTRY_OUTCOMES table, when given) under ``settings.normalize.registry_results`` for curated trials and
    for registry records included in ``decisions_file``, normalize, and write
    ``out_dir/{trials,arms,outcomes,contrasts,issues}.csv`` plus ``out_dir/validation.txt``. ``validated`` is
    the ``evidence.pickle`` that :func:`validate_stage` wrote in this run (without it, the evidence is validated
    here)."""
    if validated is not None:
        evidence = pickle.loads(Path(validated).read_bytes())
    else:
        evidence = load_evidence(settings, evidence_dir)
        log.info("evidence valid: %s", evidence_counts(evidence))
    if registry_outcomes is not None:
        registry = read_table(REGISTRY_OUTCOMES, registry_outcomes)
        merged = with_registry_results(
            evidence, registry, read_decisions(decisions_file), settings, str(registry_outcomes)
        )
        added = len(merged.outcomes) - len(evidence.outcomes)
        log.info(
            "registry results (%s): %d registry rows considered, %d registry trials added",
            settings.normalize.registry_results,
            added,
            len(merged.trials) - len(evidence.trials),
        )
    else:
        merged = evidence
    result = normalize(merged, settings)
    write_normalized(result, out_dir)
    _write_validation(evidence, out_dir)
    log.info(
        "%d study contrasts in %d analyses; %d issues",
        len(result.contrasts),
        result.contrasts["analysis_id"].nunique(),
        len(result.issues),
    )
    return result
