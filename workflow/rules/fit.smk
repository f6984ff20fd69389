# Stage 3: Bayesian meta-analyses, pairwise (src/neuromod_evidence/models/pipeline.py) and network
# (src/neuromod_evidence/nma/pipeline.py), docs/methods.md.
# One job per indication: the jobs run in parallel (or on a cluster); each imports nutpie once, loads both
# models' densities from numba's on-disk cache (no compilation after the first run on a machine), fits the
# indication's pairwise analyses and then every candidate network (fitted, or listed with its reason).


rule fit_indication:
    input:
        contrasts="results/normalized/contrasts.csv",
    output:
        summary="results/fit/{indication}/summary.csv",
        analyses=directory("results/fit/{indication}/analyses"),
        networks="results/nma/{indication}/networks.csv",
        league="results/nma/{indication}/league.csv",
        ranks="results/nma/{indication}/ranks.csv",
        splits="results/nma/{indication}/splits.csv",
        network="results/nma/{indication}/network.csv",
        nodes="results/nma/{indication}/nodes.csv",
        absolute="results/nma/{indication}/absolute.csv",
        posteriors=directory("results/nma/{indication}/posteriors"),
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
