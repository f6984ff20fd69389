"""Snakemake adapter of rule render_report: read snakemake.input/params/output/log, call the package."""

import logging
import traceback
from pathlib import Path


def main(
    *,
    trials: str | Path,
    summary: str | Path,
    fit_dir: str | Path,
    out_dir: str | Path,
    config: dict,
    prisma: str | Path | None = None,
    previous_dir: str | Path | None = None,
    forest_columns=None,
) -> list[Path]:
    """Render the report with plain paths (`trials` locates results/normalized/)."""
    from neuromod_evidence.report import DEFAULT_FOREST_COLUMNS, render_report

    return render_report(
        normalized_dir=Path(trials).parent,
        fit_summary=Path(summary),
        fit_dir=Path(fit_dir),
        out_dir=Path(out_dir),
        config=config,
        screening_dir=Path(prisma).parent if prisma else None,
        previous_dir=previous_dir,
        forest_columns=forest_columns or DEFAULT_FOREST_COLUMNS,
    )


if "snakemake" in globals():
    log_path = Path(snakemake.log[0])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.captureWarnings(True)
    try:
        pages = main(
            trials=snakemake.input.trials,
            summary=snakemake.input.summary,
            fit_dir=str(Path(snakemake.input.summary).parent),
            out_dir=Path(snakemake.output.index).parent,
            config=dict(snakemake.params.config),
            prisma=snakemake.input.get("prisma"),
            previous_dir=snakemake.params.previous_dir,
            forest_columns=snakemake.params.forest_columns,
        )
        logging.info("wrote %s", ", ".join(str(p) for p in pages))
    except Exception:
        logging.error("render_report failed:\n%s", traceback.format_exc())
        raise
