"""Snakemake entry for rule fetch_pubmed_records (live: refresh the PubMed snapshot; offline: report).

The PubMed search also covers the NCT ids of the indication's registry snapshot (refreshed just before).
"""

from neuromod_evidence.living.refresh import PUBMED, fetch_to_report
from neuromod_evidence.settings import Settings
from neuromod_evidence.workflow_io import logged


def main(config: dict, indication: str, trials: str, report: str, log: str) -> None:
    with logged(log):
        fetch_to_report(Settings.from_config(config), PUBMED, indication, trials, report)


if __name__ == "__main__":
    main(
        snakemake.params.config,
        snakemake.wildcards.indication,
        snakemake.input.trials,
        snakemake.output[0],
        snakemake.log[0],
    )
