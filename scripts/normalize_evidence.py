"""Snakemake adapter of rule normalize_evidence: validate, add the posted registry results, normalize, write."""

from pathlib import Path

from neuromod_evidence.normalize import normalize_stage
from neuromod_evidence.settings import Settings
from neuromod_evidence.workflow_io import logged


def main(
    config: dict, out_dir: str, registry_rows: str | None = None, decisions: str | None = None, validated=None
) -> None:
    normalize_stage(
        Settings.from_config(config),
        out_dir,
        registry_outcomes=registry_rows,
        decisions_file=decisions,
        validated=validated,
    )


if __name__ == "__main__":
    decisions = getattr(snakemake.input, "decisions", None)  # an optional file: absent is an empty list
    decisions = decisions if isinstance(decisions, str) else (decisions[0] if decisions else None)
    with logged(snakemake.log[0]):
        main(
            snakemake.params.config,
            str(Path(snakemake.output.validation).parent),
            snakemake.input.registry_rows,
            decisions,
            snakemake.input.validated,
        )
