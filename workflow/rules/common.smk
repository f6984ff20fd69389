# Shared helpers: configuration validation and the list of final outputs.

import os
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


def report_screening_inputs(wildcards):
    """prisma.csv / queue.csv of the screening stage, when it exists or a rule of this workflow makes it."""
    found = {}
    for name in ("prisma", "queue"):
        path = f"results/screening/{name}.csv"
        if os.path.exists(path) or any(r.is_producer(path) for r in workflow.rules):
            found[name] = path
    return found


def report_indication_pages():
    """One output per indication of the config: {indication id: report(page)}."""
    return {
        iid: report(
            f"results/report/{iid}.html",
            caption="../report/indication.rst",
            category=ind.get("label", iid),
            subcategory="Report page",
            labels={"indication": iid, "page": f"{iid}.html"},
        )
        for iid, ind in config["indications"].items()
    }


def final_outputs():
    """Everything `snakemake` builds by default: normalized tables, fits, report, screening tables."""
    return [
        *expand("results/normalized/{table}.csv", table=NORMALIZED_TABLES),
        "results/fit/summary.csv",
        "results/fit/analyses.done",
        "results/report/index.html",
        *(f"results/report/{iid}.html" for iid in config["indications"]),
        *fetch_outputs(),
    ]
