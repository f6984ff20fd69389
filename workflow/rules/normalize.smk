# Stage 2: validate the curated evidence, then normalize it — with the posted registry results
# (results/screening/registry_outcomes.csv, extracted in fetch.smk from the validated trials) — into
# analysis-ready contrasts (src/neuromod_evidence/normalize/stage.py). A malformed file stops the run at
# validation, before any extraction or modelling, with every problem named by file, line and field.
# Order, with no cycle: validate_evidence -> extract_registry_results -> normalize_evidence -> screening/fit.


rule validate_evidence:
    input:
        evidence_files(),
    output:
        trials="results/validated/trials.csv",
        evidence="results/validated/evidence.pickle",
        validation="results/validated/validation.txt",
    log:
        "logs/validate_evidence.log",
    benchmark:
        "benchmarks/validate_evidence.tsv"
    localrule: True  # a small table: on a cluster it runs on the submitting node
    conda:
        "../../environment.yml"
    params:
        config=stage_config("evidence_dir"),
    script:
        "../../scripts/validate_evidence.py"


rule normalize_evidence:
    input:
        validated="results/validated/evidence.pickle",
        registry_rows="results/screening/registry_outcomes.csv",
        decisions=decisions_file,
    output:
        report(
            expand("results/normalized/{table}.csv", table=NORMALIZED_TABLES),
            caption="../report/normalized.rst",
            category="Evidence tables",
        ),
        validation="results/normalized/validation.txt",
    log:
        "logs/normalize_evidence.log",
    benchmark:
        "benchmarks/normalize_evidence.tsv"
    localrule: True  # a small table: on a cluster it runs on the submitting node
    conda:
        "../../environment.yml"
    params:
        config=stage_config("evidence_dir", "normalize"),
    script:
        "../../scripts/normalize_evidence.py"
