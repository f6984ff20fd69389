# The report users read: results/report/index.html plus one self-contained page per indication
# (src/neuromod_evidence/report/). The pages are wrapped in report() so `snakemake --report report.zip`
# carries them too, one category per indication.
#
# The living header reads, besides the tables: data/evidence/<indication>/changelog.csv (the date the evidence
# last changed), certainty_overrides.csv (reviewers' GRADE overrides) and the snapshots' .meta.json sidecars
# (date of the last successful search per source); all declared as inputs (report_living_inputs).
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
        living=report_living_inputs,
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
    threads: 2  # figures are drawn by one worker process per thread (report/parallel.py)
    params:
        config=stage_config(
            "models", "normalize", "seed", "evidence_dir", "claims", "nma"
        ),
        fetch_mode=config["fetch"]["mode"],
        snapshot_dir=config["fetch"]["snapshot_dir"],
        history_dir="results/report/history",
        # extra forest-plot columns as [column, header] pairs (e.g. ["timepoint_months", "Month"]); none: the
        # plot's fixed width goes to per-arm data, pain site, weights and RoB (report/plots/forest.py)
        forest_columns=[],
    script:
        "../../scripts/render_report.py"
