"""Snakemake adapter of rule normalize_evidence: validate once, normalize, write the tables."""

from pathlib import Path

from neuromod_evidence.normalize import normalize_stage
from neuromod_evidence.settings import Settings
from neuromod_evidence.workflow_io import logged


def main(config: dict, out_dir: str) -> None:
    normalize_stage(Settings.from_config(config), out_dir)


if __name__ == "__main__":
    with logged(snakemake.log[0]):
        main(snakemake.params.config, str(Path(snakemake.output.validation).parent))
