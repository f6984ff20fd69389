"""Snakemake entry for rule build_screening_queue: queue, PRISMA counts and registry cross-check."""

from neuromod_evidence.screening import build_screening_to_files
from neuromod_evidence.workflow_io import logged


def main(
    indications: dict,
    fetch_cfg: dict,
    scales: dict,
    snapshot_dir: str,
    evidence_dir: str,
    registry_rows: str,
    queue: str,
    prisma: str,
    crosscheck: str,
    decisions: str | None = None,
) -> None:
    build_screening_to_files(
        indications,
        fetch_cfg,
        scales,
        snapshot_dir,
        evidence_dir,
        registry_rows,
        queue,
        prisma,
        crosscheck,
        decisions,
    )


if __name__ == "__main__":
    with logged(snakemake.log[0]):
        main(
            snakemake.params.indications,
            snakemake.params.fetch,
            snakemake.params.scales,
            snakemake.params.snapshot_dir,
            snakemake.params.evidence_dir,
            snakemake.input.registry_rows,
            snakemake.output.queue,
            snakemake.output.prisma,
            snakemake.output.crosscheck,
            snakemake.params.decisions,
        )
