"""Snakemake adapter of rule fit_networks: every candidate network of one indication, in one process."""

from pathlib import Path

from neuromod_evidence.workflow_io import logged


def main(contrasts_csv: str, networks_csv: str, config: dict, indication: str) -> None:
    from neuromod_evidence.nma.pipeline import fit_indication_networks
    from neuromod_evidence.settings import Settings

    fit_indication_networks(
        contrasts_csv, Settings.from_config(config), indication, Path(networks_csv).parent
    )


if __name__ == "__main__":
    with logged(snakemake.log[0], progress=True):
        main(
            snakemake.input.contrasts,
            snakemake.output.networks,
            snakemake.params.config,
            snakemake.wildcards.indication,
        )
