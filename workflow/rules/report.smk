# The report users read: results/report/index.html plus one self-contained page per indication
# (src/neuromod_evidence/report/). The pages are wrapped in report() so `snakemake --report report.zip`
# carries them too, one category per indication.
#
# Run-to-run state ("what changed since the previous run"), two places:
#   results/report/state/    declared outputs: the state this report shows (summary.csv, trials.csv,
#                            meta.json with its fingerprint and data date).
#   results/report/history/  the log of distinct states rendered so far (the last 10), read and appended by
#                            this rule only. It cannot be an output: Snakemake deletes a rule's outputs
#                            before running it, and the previous state must survive. The report compares with
#                            the newest state there whose data differ from its own; delete the folder to
#                            start afresh.


rule render_report:
    input:
        unpack(report_screening_inputs),
        unpack(report_nma_inputs),
        trials="results/normalized/trials.csv",
        arms="results/normalized/arms.csv",
        outcomes="results/normalized/outcomes.csv",
        contrasts="results/normalized/contrasts.csv",
        issues="results/normalized/issues.csv",
        rob="results/normalized/rob.csv",
        summary="results/fit/summary.csv",
        analyses=expand("results/fit/{indication}/analyses", indication=INDICATIONS),
    output:
        **report_indication_pages(),
        index=report(
            "results/report/index.html",
            caption="../report/index.rst",
            category="Overview",
            labels={"page": "index.html"},
        ),
        claims=report(
            "results/report/claims.html",
            caption="../report/index.rst",
            category="Overview",
            labels={"page": "claims.html"},
        ),
        downloads=directory("results/report/downloads"),
        state_summary="results/report/state/summary.csv",
        state_trials="results/report/state/trials.csv",
        state_meta="results/report/state/meta.json",
    log:
        "logs/report/render_report.log",
    benchmark:
        "benchmarks/render_report.tsv"
    conda:
        "../../environment.yml"
    params:
        config=stage_config(
            "models", "normalize", "seed", "evidence_dir", "claims", "nma"
        ),
        fetch_mode=config["fetch"]["mode"],
        history_dir="results/report/history",
        forest_columns=[
            ["intervention_class", "Intervention"],
            ["timepoint_months", "Month"],
        ],
    script:
        "../../scripts/render_report.py"
