# Stage 3: Bayesian meta-analyses, pairwise (src/neuromod_evidence/models/pipeline.py) and network
# (src/neuromod_evidence/nma/pipeline.py), docs/methods.md.
# The indications are split into `fit_jobs` jobs (config; 0 = one per indication, for a cluster), named
# fit_part1... (or fit_<indication>). The jobs run in parallel (or on a cluster); each imports nutpie once,
# loads both models' densities from numba's on-disk cache (no compilation after the first run on a machine),
# and fits, indication by indication, the pairwise analyses and then every candidate network (fitted, or
# listed with its reason). Every file of every indication is a declared output.


for part, members in FIT_PARTS.items():

    rule:
        name:
            f"fit_{part}"
        input:
            contrasts="results/normalized/contrasts.csv",
        output:
            **fit_outputs(members),
        log:
            f"logs/fit/{part}.log",
        benchmark:
            f"benchmarks/fit/{part}.tsv"
        priority: 10  # the longest jobs, on the critical path: before the screening queue, which only the report waits for
        conda:
            "../../environment.yml"
        threads: config["fit_threads"]
        resources:
            mem_mb=3000,
            runtime=30 * len(members),
        params:
            config=fit_config(members),
            indications=members,
        script:
            "../../scripts/fit_indications.py"


rule collect_fit_summary:
    input:
        expand("results/fit/{indication}/summary.csv", indication=INDICATIONS),
    output:
        report(
            "results/fit/summary.csv",
            caption="../report/fit.rst",
            category="Meta-analyses",
        ),
    log:
        "logs/collect_fit_summary.log",
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../../scripts/collect_fit_summary.py"
