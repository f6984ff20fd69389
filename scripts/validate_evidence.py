"""Snakemake adapter of rule validate_evidence: validate the curated evidence, write the validated trials."""

from pathlib import Path

from neuromod_evidence.normalize import validate_stage
from neuromod_evidence.settings import Settings
from neuromod_evidence.workflow_io import logged


def main(config: dict, out_dir: str) -> None:
    validate_stage(Settings.from_config(config), out_dir)


if __name__ == "__main__":
    with logged(snakemake.log[0]):
        main(snakemake.params.config, str(Path(snakemake.output.validation).parent))
