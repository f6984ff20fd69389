# Stage 3b: network meta-analyses (src/neuromod_evidence/nma/pipeline.py, docs/methods.md).
# One job per indication: every candidate network (indication x outcome x window) is fitted or listed with
# the reason it is not; the job compiles the NMA model at most once and shares it across its networks.


rule fit_networks:
    input:
        contrasts="results/normalized/contrasts.csv",
    output:
        networks="results/nma/{indication}/networks.csv",
        league="results/nma/{indication}/league.csv",
        ranks="results/nma/{indication}/ranks.csv",
        splits="results/nma/{indication}/splits.csv",
        network="results/nma/{indication}/network.csv",
        nodes="results/nma/{indication}/nodes.csv",
        absolute="results/nma/{indication}/absolute.csv",
        posteriors=directory("results/nma/{indication}/posteriors"),
    log:
        "logs/fit_networks/{indication}.log",
    benchmark:
        "benchmarks/fit_networks/{indication}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        config=nma_config,
    script:
        "../../scripts/fit_networks.py"


rule collect_nma_summary:
    input:
        expand("results/nma/{indication}/networks.csv", indication=INDICATIONS),
    output:
        report(
            "results/nma/summary.csv",
            caption="../report/nma.rst",
            category="Network meta-analyses",
        ),
    log:
        "logs/collect_nma_summary.log",
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../../scripts/collect_nma_summary.py"
