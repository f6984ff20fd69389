# Stage 2: validate the curated evidence once, then normalize it into analysis-ready contrasts
# (src/neuromod_evidence/normalize/stage.py). A malformed file stops the run here, before any modelling,
# with every problem named by file, line and field.


rule normalize_evidence:
    input:
        evidence_files(),
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
    conda:
        "../../environment.yml"
    params:
        config=stage_config("evidence_dir", "normalize"),
    script:
        "../../scripts/normalize_evidence.py"
