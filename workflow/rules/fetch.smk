# Stage 1: living evidence — registry and PubMed snapshots, posted registry results, screening queue.
#
# Snapshots live in config["fetch"]["snapshot_dir"] and are NOT outputs of any rule: Snakemake deletes a
# rule's outputs before running it, and a failed or partial fetch must never remove the last good snapshot.
# The fetch rules update them in place (atomically, only when the content changed) and emit a small
# temporary report; the downstream rules read whichever snapshots exist. Hence a weekly live run is two
# commands (docs/living-evidence.md):
#     snakemake -c1 refresh_snapshots --config fetch='{mode: live}'    # refresh (network)
#     snakemake -c1                                                    # rebuild only what changed
# In offline mode (the default) no rule opens a connection; with no snapshot the tables are empty and
# results/screening/prisma.csv says why.
#
# Every rule reads the curated evidence only through validated tables, so it runs after validation: the
# fetch rules and the registry extraction read the validated curated trials (results/validated/trials.csv,
# before normalization, which takes the extracted registry rows as input); the screening queue and the
# cross-check read the normalized tables. A malformed curated file stops the run at validation and the
# previous screening tables stay. Package functions: living.refresh.fetch_to_report,
# screening.build.extract_registry_results, screening.build.build_screening.


include: "fetch_helpers.smk"


rule fetch_ctgov_studies:
    input:
        trials="results/validated/trials.csv",
    output:
        temp("results/screening/fetch/ctgov_{indication}.json"),
    log:
        "logs/fetch_ctgov_studies/{indication}.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        config=stage_config("fetch"),
    script:
        "../../scripts/fetch_ctgov.py"


rule fetch_pubmed_records:
    input:
        # the registry refresh first: its NCT ids are searched in PubMed as [si]
        ctgov="results/screening/fetch/ctgov_{indication}.json",
        trials="results/validated/trials.csv",
    output:
        temp("results/screening/fetch/pubmed_{indication}.json"),
    log:
        "logs/fetch_pubmed_records/{indication}.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        config=stage_config("fetch"),
    script:
        "../../scripts/fetch_pubmed.py"


rule refresh_snapshots:
    default_target: False
    input:
        expand(
            "results/screening/fetch/{source}_{indication}.json",
            source=["ctgov", "pubmed"],
            indication=config["indications"],
        ),
    log:
        "logs/refresh_snapshots.log",
    localrule: True
    conda:
        "../../environment.yml"
    shell:
        "echo 'snapshots refreshed: {input}' > {log}"


rule extract_registry_results:
    input:
        snapshots=existing_ctgov_snapshots,
        trials="results/validated/trials.csv",
    output:
        rows="results/screening/registry_outcomes.csv",
        unmapped="results/screening/registry_unmapped.csv",
    log:
        "logs/extract_registry_results.log",
    benchmark:
        "benchmarks/extract_registry_results.tsv"
    localrule: True  # a small table: on a cluster it runs on the submitting node
    conda:
        "../../environment.yml"
    params:
        config=screening_config(),
    script:
        "../../scripts/screen_registry_results.py"


rule build_screening_queue:
    input:
        snapshots=existing_all_snapshots,
        decisions=decisions_file,
        trials="results/normalized/trials.csv",
        arms="results/normalized/arms.csv",
        outcomes="results/normalized/outcomes.csv",
        registry_rows="results/screening/registry_outcomes.csv",
    output:
        queue="results/screening/queue.csv",
        prisma="results/screening/prisma.csv",
        crosscheck="results/screening/crosscheck.csv",
    log:
        "logs/build_screening_queue.log",
    benchmark:
        "benchmarks/build_screening_queue.tsv"
    localrule: True  # a small table: on a cluster it runs on the submitting node
    conda:
        "../../environment.yml"
    params:
        config=screening_config(),
    script:
        "../../scripts/screen_queue.py"
