"""Snakemake entry for rule extract_registry_results: posted registry results → arm-level outcome rows."""

from neuromod_evidence.screening.build import extract_registry_results
from neuromod_evidence.settings import Settings
from neuromod_evidence.workflow_io import logged


def main(config: dict, trials: str, rows: str, unmapped: str, log: str) -> None:
    with logged(log):
        extract_registry_results(Settings.from_config(config), trials, rows, unmapped)


if __name__ == "__main__":
    main(
        snakemake.params.config,
        snakemake.input.trials,
        snakemake.output.rows,
        snakemake.output.unmapped,
        snakemake.log[0],
    )
