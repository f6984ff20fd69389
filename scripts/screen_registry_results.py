"""Snakemake entry for rule extract_registry_results: posted registry results → arm-level outcome rows."""

from neuromod_evidence.screening import extract_registry_results_to_files
from neuromod_evidence.workflow_io import logged


def main(
    snapshot_dir: str, indications: list, evidence_dir: str, outcomes: dict, rows: str, unmapped: str
) -> None:
    extract_registry_results_to_files(snapshot_dir, indications, evidence_dir, outcomes, rows, unmapped)


if __name__ == "__main__":
    with logged(snakemake.log[0]):
        main(
            snakemake.params.snapshot_dir,
            snakemake.params.indications,
            snakemake.params.evidence_dir,
            snakemake.params.outcomes,
            snakemake.output.rows,
            snakemake.output.unmapped,
        )
