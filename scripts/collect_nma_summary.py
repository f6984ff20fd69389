"""Snakemake adapter of rule collect_nma_summary: the per-indication network lists as one table."""

from neuromod_evidence.nma.collect import collect_networks
from neuromod_evidence.workflow_io import logged

if __name__ == "__main__":
    with logged(snakemake.log[0]):
        collect_networks(list(snakemake.input), snakemake.output[0])
