"""Snakemake adapter of rule fit_indication: every analysis of one indication, in one process."""

from pathlib import Path

from neuromod_evidence.workflow_io import logged


def main(contrasts_csv: str, summary_csv: str, config: dict, indication: str) -> None:
    from neuromod_evidence.models.pipeline import fit_all
    from neuromod_evidence.settings import Settings

    analyses = Path(summary_csv).parent / "analyses"
    fit_all(
        contrasts_csv, Settings.from_config(config), analyses, indication=indication, summary_csv=summary_csv
    )


if __name__ == "__main__":
    with logged(snakemake.log[0], progress=True):
        main(
            snakemake.input.contrasts,
            snakemake.output.summary,
            snakemake.params.config,
            snakemake.wildcards.indication,
        )
