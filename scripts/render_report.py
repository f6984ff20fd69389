"""Snakemake adapter of rule render_report: plain arguments in, one call of the report stage."""

from pathlib import Path


def main(
    *,
    config: dict,
    trials: str | Path,
    summary: str | Path,
    out_dir: str | Path,
    fit_dir: str | Path | None = None,
    prisma: str | Path | None = None,
    state_dir: str | Path | None = None,
    history_dir: str | Path | None = None,
    fetch_mode: str | None = None,
    snapshot_dir: str | Path | None = None,
    forest_columns=None,
    nma_dir: str | Path | None = None,
) -> list[Path]:
    """Render the report. `trials` locates results/normalized/, `summary` the fit folder (unless `fit_dir`
    is given), `prisma` the screening folder; `config` holds the sections the rule passes (narrow params),
    `fetch_mode` the one fetch setting the methods page shows, `snapshot_dir` where the living header
    finds the searches' dates, `nma_dir` the network tables (results/nma)."""
    from neuromod_evidence.report import DEFAULT_FOREST_COLUMNS, render_report
    from neuromod_evidence.settings import Settings

    if fetch_mode is not None:
        config = {**config, "fetch": {"mode": fetch_mode}}
    return render_report(
        Settings.from_config(config),
        normalized_dir=Path(trials).parent,
        fit_summary=Path(summary),
        fit_dir=Path(fit_dir) if fit_dir else Path(summary).parent,
        out_dir=Path(out_dir),
        screening_dir=Path(prisma).parent if prisma else None,
        state_dir=state_dir,
        history_dir=history_dir,
        snapshot_dir=snapshot_dir,
        forest_columns=forest_columns or DEFAULT_FOREST_COLUMNS,
        nma_dir=Path(nma_dir) if nma_dir else None,
    )


if "snakemake" in globals():
    import logging

    from neuromod_evidence.workflow_io import logged

    with logged(snakemake.log[0]):
        pages = main(
            config=dict(snakemake.params.config),
            trials=snakemake.input.trials,
            summary=snakemake.input.summary,
            out_dir=Path(snakemake.output.index).parent,
            prisma=snakemake.input.get("prisma"),
            state_dir=Path(snakemake.output.state_meta).parent,
            history_dir=snakemake.params.history_dir,
            fetch_mode=snakemake.params.fetch_mode,
            snapshot_dir=snakemake.params.snapshot_dir,
            forest_columns=snakemake.params.forest_columns,
            nma_dir=Path(nets[0]).parents[1] if (nets := snakemake.input.get("nma_networks")) else None,
        )
        logging.getLogger("neuromod_evidence").info("wrote %s", ", ".join(str(p) for p in pages))
