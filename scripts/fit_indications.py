"""Snakemake adapter of the fit rules (fit_part1..., or fit_<indication>): every pairwise analysis and every
candidate network of each of the job's indications, in one process (nutpie imported, models loaded once)."""

from pathlib import Path

from neuromod_evidence.workflow_io import logged


def main(contrasts_csv: str, output, config: dict, indications: list[str]) -> None:
    from neuromod_evidence.models.pipeline import fit_all
    from neuromod_evidence.nma.pipeline import fit_indication_networks
    from neuromod_evidence.settings import Settings

    settings = Settings.from_config(config)
    for iid in indications:
        summary_csv = output[f"summary_{iid}"]
        analyses = Path(summary_csv).parent / "analyses"
        fit_all(contrasts_csv, settings, analyses, indication=iid, summary_csv=summary_csv)
        fit_indication_networks(contrasts_csv, settings, iid, Path(output[f"networks_{iid}"]).parent)


if __name__ == "__main__":
    with logged(snakemake.log[0], progress=True):
        main(
            snakemake.input.contrasts,
            snakemake.output,
            snakemake.params.config,
            snakemake.params.indications,
        )
