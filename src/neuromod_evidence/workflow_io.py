"""Glue the Snakemake scripts call: load, run one stage, write its outputs, log what happened.

Kept out of scripts/ so that it is importable and testable without Snakemake.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .evidence import load_evidence
from .normalize import normalize, write_normalized

log = logging.getLogger("neuromod_evidence")


@contextlib.contextmanager
def logged(log_path: str) -> Iterator[None]:
    """Send this package's log records to the rule's log file; log and re-raise any failure."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield
    except Exception as exc:
        log.error("%s", exc)
        print(exc, file=sys.stderr)
        raise
    finally:
        root.removeHandler(handler)
        handler.close()


def validate_evidence_to_file(config: dict[str, Any], output: str) -> None:
    evidence = load_evidence(config["evidence_dir"], config)
    lines = [
        f"trials\t{len(evidence.trials)}",
        f"arms\t{len(evidence.arms)}",
        f"outcome_rows\t{len(evidence.outcomes)}",
        f"contrast_rows\t{len(evidence.contrasts)}",
        *(f"file\t{f}" for f in evidence.files),
    ]
    Path(output).write_text("\n".join(lines) + "\n", encoding="utf-8")
    log.info("evidence valid: %s", ", ".join(lines[:4]))


def normalize_evidence_to_dir(config: dict[str, Any], out_dir: str) -> None:
    evidence = load_evidence(config["evidence_dir"], config)
    result = normalize(evidence, config)
    write_normalized(result, out_dir)
    log.info(
        "%d study contrasts in %d analyses; %d issues",
        len(result.contrasts),
        result.contrasts["analysis_id"].nunique(),
        len(result.issues),
    )
