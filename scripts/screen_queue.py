"""Snakemake entry for rule build_screening_queue: queue, PRISMA counts and registry cross-check."""

from neuromod_evidence.screening.build import build_screening
from neuromod_evidence.screening.curated import NormalizedPaths
from neuromod_evidence.settings import Settings
from neuromod_evidence.workflow_io import logged


def main(
    config: dict,
    trials: str,
    arms: str,
    outcomes: str,
    registry_rows: str,
    queue: str,
    prisma: str,
    crosscheck: str,
    log: str,
) -> None:
    with logged(log):
        normalized = NormalizedPaths(trials, arms, outcomes)
        build_screening(Settings.from_config(config), normalized, registry_rows, queue, prisma, crosscheck)


if __name__ == "__main__":
    main(
        snakemake.params.config,
        snakemake.input.trials,
        snakemake.input.arms,
        snakemake.input.outcomes,
        snakemake.input.registry_rows,
        snakemake.output.queue,
        snakemake.output.prisma,
        snakemake.output.crosscheck,
        snakemake.log[0],
    )
