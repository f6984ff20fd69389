# neuromod-evidence: fetch → normalize → fit → report.
# This file is a table of contents; each stage lives in workflow/rules/<stage>.smk and its logic in the
# importable package src/neuromod_evidence/. Run from the repository root:  snakemake --cores 2


from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


wildcard_constraints:
    indication="|".join(INDICATIONS),


include: "workflow/rules/fetch_helpers.smk"
include: "workflow/rules/fetch.smk"
include: "workflow/rules/normalize.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/nma.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
