# Shared helpers: configuration validation and the list of final outputs.

from pathlib import Path

from snakemake.utils import validate

from neuromod_evidence.config import validate_config

validate(config, "../schemas/config.schema.yaml")
config.update(validate_config(config, source="config"))

NORMALIZED_TABLES = ["trials", "arms", "outcomes", "contrasts", "issues"]


def evidence_files():
    """Every curated table of every configured indication (missing ones make validation fail loudly)."""
    root = Path(config["evidence_dir"])
    return [
        str(root / indication / f"{table}.csv")
        for indication in config["indications"]
        for table in ("trials", "arms", "outcomes", "contrasts")
    ]


def final_outputs():
    outputs = expand("results/normalized/{table}.csv", table=NORMALIZED_TABLES)
    for name in ("fit_outputs", "report_outputs", "fetch_outputs"):
        if name in globals():
            outputs += globals()[name]()
    return outputs
