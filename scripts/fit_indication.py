"""Snakemake adapter of rule fit_indication: every pairwise analysis and every candidate network of one
indication, in one process."""

from pathlib import Path

from neuromod_evidence.workflow_io import logged


def main(contrasts_csv: str, summary_csv: str, networks_csv: str, config: dict, indication: str) -> None:
    from neuromod_evidence.models.pipeline import fit_all
    from neuromod_evidence.nma.pipeline import fit_indication_networks
    from neuromod_evidence.settings import Settings

    settings = Settings.from_config(config)
    analyses = Path(summary_csv).parent / "analyses"
    fit_all(contrasts_csv, settings, analyses, indication=indication, summary_csv=summary_csv)
    fit_indication_networks(contrasts_csv, settings, indication, Path(networks_csv).parent)


if __name__ == "__main__":
    with logged(snakemake.log[0], progress=True):
        main(
            snakemake.input.contrasts,
            snakemake.output.summary,
            snakemake.output.networks,
            snakemake.params.config,
            snakemake.wildcards.indication,
        )
