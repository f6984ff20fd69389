# Helpers of workflow/rules/fetch.smk (apart, as snakemake --lint wants rules and functions split).

from pathlib import Path

FETCH = config["fetch"]
SNAPSHOT_DIR = FETCH["snapshot_dir"]
SCREENING_TABLES = ["queue", "prisma", "crosscheck"]
# what the screening rules read of the fetch settings: not the mode, rates or URLs, so switching to a live
# refresh (or changing a politeness rate) does not re-run them; a changed snapshot does, through its mtime
SCREENING_FETCH_KEYS = ["snapshot_dir", "intervention_terms", "decisions_file"]


def fetch_outputs():
    return [
        "results/screening/registry_outcomes.csv",
        "results/screening/registry_unmapped.csv",
        *expand("results/screening/{table}.csv", table=SCREENING_TABLES),
    ]


def screening_config():
    """The core config sections plus the part of `fetch:` the screening rules depend on."""
    return {
        **stage_config(),
        "fetch": {k: FETCH[k] for k in SCREENING_FETCH_KEYS if k in FETCH},
    }


def existing_snapshots(source):
    """The snapshot files present now (input functions run when the DAG is built)."""
    paths = (Path(SNAPSHOT_DIR) / source / f"{i}.json" for i in config["indications"])
    return [str(p) for p in paths if p.exists()]


def existing_ctgov_snapshots(wildcards):
    return existing_snapshots("ctgov")


def existing_all_snapshots(wildcards):
    return existing_snapshots("ctgov") + existing_snapshots("pubmed")


def decisions_file(wildcards):
    path = FETCH.get("decisions_file")
    return [path] if path and Path(path).exists() else []
