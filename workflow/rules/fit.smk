# Stage 3: Bayesian meta-analyses of every analysable contrast (src/neuromod_evidence/models,
# docs/methods.md). One process fits all analyses: PyMC is imported once and the model compiled once.
# rule all needs results/fit/summary.csv and results/fit/analyses.done (list them in common.smk).


rule fit_meta_analyses:
    input:
        contrasts="results/normalized/contrasts.csv",
    output:
        summary="results/fit/summary.csv",
        flag="results/fit/analyses.done",
    log:
        "logs/fit_meta_analyses.log",
    benchmark:
        "benchmarks/fit_meta_analyses.tsv"
    conda:
        "../../environment.yml"
    params:
        outcomes=config["outcomes"],
        indications=config["indications"],
        models=config["models"],
        seed=config["seed"],
    script:
        "../../scripts/fit_meta_analyses.py"
