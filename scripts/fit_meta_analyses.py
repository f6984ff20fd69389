"""Snakemake adapter of rule fit_meta_analyses: all analyses in one process (neuromod_evidence.models)."""

import logging
import sys
from pathlib import Path


def main(contrasts_csv, summary_csv, config: dict, seed: int, log_path=None) -> int:
    """Fit every analysis of ``contrasts_csv``; write ``summary_csv`` and one folder per analysis beside it."""
    handlers = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", handlers=handlers,
                        force=True)  # fmt: skip
    logging.captureWarnings(True)
    from neuromod_evidence.models.pipeline import fit_all

    out_dir = Path(summary_csv).parent
    fit_all(contrasts_csv, config, out_dir, seed=seed)
    return 0


if "snakemake" in globals():
    main(
        snakemake.input.contrasts,
        snakemake.output.summary,
        {
            "outcomes": snakemake.params.outcomes,
            "indications": snakemake.params.indications,
            "models": snakemake.params.models,
        },
        snakemake.params.seed,
        log_path=snakemake.log[0],
    )
    Path(snakemake.output.flag).write_text("done\n")
