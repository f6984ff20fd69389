"""Snakemake adapter of rule collect_fit_summary: the per-indication summaries as one table."""

from neuromod_evidence.models.collect import collect_summary_files
from neuromod_evidence.workflow_io import logged

if __name__ == "__main__":
    with logged(snakemake.log[0]):
        collect_summary_files(list(snakemake.input), snakemake.output[0])
