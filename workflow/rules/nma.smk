# Stage 3b: network meta-analyses (src/neuromod_evidence/nma/pipeline.py, docs/methods.md).
# The networks of an indication are fitted by the fit job of that indication (fit.smk), in the process that has
# already imported the samplers: a separate job per indication would pay the imports again for the
# networks alone. Every candidate network (indication x outcome x window) is fitted or listed with the
# reason it is not; this rule collects the lists.


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
