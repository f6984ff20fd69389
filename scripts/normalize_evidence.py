"""Snakemake entry for rule normalize_evidence."""

from pathlib import Path

from neuromod_evidence.workflow_io import logged, normalize_evidence_to_dir


def main(config: dict, out_dir: str) -> None:
    normalize_evidence_to_dir(config, out_dir)


if __name__ == "__main__":
    with logged(snakemake.log[0]):
        main(snakemake.params.config, str(Path(snakemake.output[0]).parent))
