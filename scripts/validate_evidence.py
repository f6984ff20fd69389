"""Snakemake entry for rule validate_evidence: stop the run before modelling if the evidence is malformed."""

from neuromod_evidence.workflow_io import logged, validate_evidence_to_file


def main(config: dict, output: str) -> None:
    validate_evidence_to_file(config, output)


if __name__ == "__main__":
    with logged(snakemake.log[0]):
        main(snakemake.params.config, snakemake.output[0])
