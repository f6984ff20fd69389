# Stage 3: Bayesian meta-analyses (src/neuromod_evidence/models/pipeline.py, docs/methods.md).
# One job per indication: the jobs run in parallel (or on a cluster); each imports PyMC/nutpie once and
# loads the model's density from numba's on-disk cache, so no job pays a compilation after the first run.


rule fit_indication:
    input:
        contrasts="results/normalized/contrasts.csv",
    output:
        summary="results/fit/{indication}/summary.csv",
        analyses=directory("results/fit/{indication}/analyses"),
    log:
        "logs/fit_indication/{indication}.log",
    benchmark:
        "benchmarks/fit_indication/{indication}.tsv"
    conda:
        "../../environment.yml"
    threads: 1  # nutpie samples the chains on threads of its own; on a cluster, profiles/slurm sets 4
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        config=fit_config,
    script:
        "../../scripts/fit_indication.py"


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
