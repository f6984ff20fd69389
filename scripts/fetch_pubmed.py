"""Snakemake entry for rule fetch_pubmed_records (live: refresh the PubMed snapshot; offline: report)."""

from neuromod_evidence.refresh import PUBMED, fetch_to_report

from neuromod_evidence.workflow_io import logged


def main(
    indication: str,
    indication_cfg: dict,
    fetch_cfg: dict,
    evidence_dir: str,
    ctgov_snapshot: str,
    report: str,
) -> None:
    fetch_to_report(PUBMED, indication, indication_cfg, fetch_cfg, evidence_dir, report, ctgov_snapshot)


if __name__ == "__main__":
    with logged(snakemake.log[0]):
        main(
            snakemake.wildcards.indication,
            snakemake.params.indication,
            snakemake.params.fetch,
            snakemake.params.evidence_dir,
            snakemake.params.ctgov_snapshot,
            snakemake.output[0],
        )
