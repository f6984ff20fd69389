# The report users read: results/report/index.html plus one self-contained page per indication
# (src/neuromod_evidence/report.py). The pages are wrapped in report() so `snakemake --report report.zip`
# carries them too, one category per indication.


rule render_report:
    input:
        unpack(report_screening_inputs),
        trials="results/normalized/trials.csv",
        arms="results/normalized/arms.csv",
        contrasts="results/normalized/contrasts.csv",
        issues="results/normalized/issues.csv",
        summary="results/fit/summary.csv",
    output:
        **report_indication_pages(),
        index=report(
            "results/report/index.html",
            caption="../report/index.rst",
            category="Overview",
            labels={"page": "index.html"},
        ),
        downloads=directory("results/report/downloads"),
    log:
        "logs/report/render_report.log",
    conda:
        "../../environment.yml"
    params:
        config=stage_config("models", "normalize", "seed", "evidence_dir"),
        previous_dir="results/report/.previous",
        forest_columns=[
            ["intervention_class", "Intervention"],
            ["timepoint_months", "Month"],
        ],
    script:
        "../../scripts/render_report.py"
