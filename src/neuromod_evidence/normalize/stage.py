"""The normalize stage as the workflow and the `normalize` command run it: validate once, normalize, write.

Why one function: the curated evidence used to be validated by one rule and again by the next. Validation
happens here, once, and the validated, normalized tables are what every later stage (fit, screening, report)
reads.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..evidence import evidence_counts, load_evidence
from ..settings import Settings
from ..tables import atomic_write_text
from .build import Normalized, normalize, write_normalized

log = logging.getLogger(__name__)


def normalize_stage(
    settings: Settings, out_dir: str | Path, evidence_dir: str | Path | None = None
) -> Normalized:
    """Validate the curated evidence (raise EvidenceError naming file, line and field), normalize it and write
    ``out_dir/{trials,arms,outcomes,contrasts,issues}.csv`` plus ``out_dir/validation.txt``."""
    evidence = load_evidence(settings, evidence_dir)
    log.info("evidence valid: %s", evidence_counts(evidence))
    result = normalize(evidence, settings)
    write_normalized(result, out_dir)
    lines = [f"valid: {evidence_counts(evidence)}", *(f"file\t{f}" for f in evidence.files)]
    atomic_write_text(Path(out_dir) / "validation.txt", "\n".join(lines) + "\n")
    log.info(
        "%d study contrasts in %d analyses; %d issues",
        len(result.contrasts),
        result.contrasts["analysis_id"].nunique(),
        len(result.issues),
    )
    return result
