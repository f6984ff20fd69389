# Helpers of workflow/rules/fetch.smk (apart, as snakemake --lint wants rules and functions split).

from pathlib import Path

FETCH = config["fetch"]
SNAPSHOT_DIR = FETCH["snapshot_dir"]
SCREENING_TABLES = ["queue", "prisma", "crosscheck"]


wildcard_constraints:
    indication="|".join(config["indications"]),


def fetch_outputs():
    return [
        "results/screening/registry_outcomes.csv",
        "results/screening/registry_unmapped.csv",
        *expand("results/screening/{table}.csv", table=SCREENING_TABLES),
    ]


def indication_config(wildcards):
    return config["indications"][wildcards.indication]


def ctgov_snapshot_of(wildcards):
    return f"{SNAPSHOT_DIR}/ctgov/{wildcards.indication}.json"


def existing_snapshots(source):
    """The snapshot files present now (input functions run when the DAG is built)."""
    paths = (Path(SNAPSHOT_DIR) / source / f"{i}.json" for i in config["indications"])
    return [str(p) for p in paths if p.exists()]


def existing_ctgov_snapshots(wildcards):
    return existing_snapshots("ctgov")


def existing_all_snapshots(wildcards):
    return existing_snapshots("ctgov") + existing_snapshots("pubmed")


def curated_tables(wildcards):
    root = Path(config["evidence_dir"])
    paths = (
        root / i / f"{t}.csv"
        for i in config["indications"]
        for t in ("trials", "arms", "outcomes")
    )
    return [str(p) for p in paths if p.exists()]


def decisions_file(wildcards):
    path = FETCH.get("decisions_file")
    return [path] if path and Path(path).exists() else []


def decisions_param(wildcards):
    path = FETCH.get("decisions_file")
    return path if path and Path(path).exists() else None


def search_settings():
    """The fetch settings downstream rules depend on (not the mode: switching it must not re-run them)."""
    return {"intervention_terms": FETCH["intervention_terms"]}
