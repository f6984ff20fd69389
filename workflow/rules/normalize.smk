# Stage 2: validate the curated evidence, then normalize it into analysis-ready contrasts.


rule validate_evidence:
    input:
        evidence_files(),
    output:
        "results/normalized/validation.txt",
    log:
        "logs/validate_evidence.log",
    conda:
        "../../environment.yml"
    params:
        config=config,
    script:
        "../../scripts/validate_evidence.py"


rule normalize_evidence:
    input:
        validation="results/normalized/validation.txt",
        evidence=evidence_files(),
    output:
        report(
            expand("results/normalized/{table}.csv", table=NORMALIZED_TABLES),
            caption="../report/normalized.rst",
            category="Evidence tables",
        ),
    log:
        "logs/normalize_evidence.log",
    conda:
        "../../environment.yml"
    params:
        config=config,
    script:
        "../../scripts/normalize_evidence.py"
