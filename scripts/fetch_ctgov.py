"""Snakemake entry for rule fetch_ctgov_studies (live: refresh the registry snapshot; offline: report)."""

from neuromod_evidence.refresh import CTGOV, fetch_to_report

from neuromod_evidence.workflow_io import logged


def main(indication: str, indication_cfg: dict, fetch_cfg: dict, evidence_dir: str, report: str) -> None:
    fetch_to_report(CTGOV, indication, indication_cfg, fetch_cfg, evidence_dir, report)


if __name__ == "__main__":
    with logged(snakemake.log[0]):
        main(
            snakemake.wildcards.indication,
            snakemake.params.indication,
            snakemake.params.fetch,
            snakemake.params.evidence_dir,
            snakemake.output[0],
        )
