# Shared helpers: configuration validation, the narrow per-stage config, and the list of final outputs.

from pathlib import Path

from snakemake.utils import validate

from neuromod_evidence.settings import Settings, config_sections
from neuromod_evidence.workflow_io import fit_parts

validate(config, "../schemas/config.schema.yaml")
SETTINGS = Settings.from_config(
    config
)  # the cross-reference checks a JSON schema cannot express
INDICATIONS = list(SETTINGS.indications)
NORMALIZED_TABLES = ["trials", "arms", "outcomes", "contrasts", "issues", "rob"]


def stage_config(*sections):
    """The config handed to a stage script (as its params): the core sections plus the named ones, from
    which the script builds its Settings. A stage re-runs when these change, not when another section does.
    """
    return config_sections(config, *sections)


def fit_config(indications):
    """A fit job (pairwise and network) depends on its indications' configuration, the models and the nma
    sections only."""
    sections = stage_config("models", "seed", "nma")
    sections["indications"] = {iid: config["indications"][iid] for iid in indications}
    return sections


def evidence_size(indication):
    """Lines of an indication's curated outcome and contrast tables: the proxy of its fitting work (the number
    of analyses follows the rows, not their length) that balances the fit jobs."""
    root = Path(config["evidence_dir"]) / indication
    files = [root / f"{table}.csv" for table in ("outcomes", "contrasts")]
    return float(
        sum(
            len(p.read_text(encoding="utf-8").splitlines()) for p in files if p.exists()
        )
    )


FIT_PARTS = fit_parts(
    {iid: evidence_size(iid) for iid in INDICATIONS}, config["fit_jobs"]
)


NMA_TABLES = ["networks", "league", "ranks", "splits", "network", "nodes", "absolute"]


def fit_outputs(indications):
    """Every file and folder the fit of ``indications`` writes, declared per indication."""
    per_indication = {
        "summary": "results/fit/{indication}/summary.csv",
        "analyses": "results/fit/{indication}/analyses",
        **{name: f"results/nma/{{indication}}/{name}.csv" for name in NMA_TABLES},
        "posteriors": "results/nma/{indication}/posteriors",
    }
    folders = ("analyses", "posteriors")
    return {
        f"{key}_{iid}": (directory(path) if key in folders else path).format(
            indication=iid
        )
        for iid in indications
        for key, path in per_indication.items()
    }


def report_nma_inputs(wildcards):
    """Every network table of every indication, by table name, when this workflow makes them or they exist
    (a workflow without the network stage renders pages without network sections)."""
    found = {}
    for name in NMA_TABLES:
        paths = expand(
            "results/nma/{indication}/{name}.csv", indication=INDICATIONS, name=name
        )
        if all(
            Path(p).exists() or any(r.is_producer(p) for r in workflow.rules)
            for p in paths
        ):
            found[f"nma_{name}"] = paths
    return found


def evidence_files():
    """Every curated table of every configured indication (missing ones make validation fail loudly), and
    the optional risk-of-bias tables and changelogs that exist."""
    root = Path(config["evidence_dir"])
    required = [
        str(root / indication / f"{table}.csv")
        for indication in INDICATIONS
        for table in ("trials", "arms", "outcomes", "contrasts")
    ]
    return required + optional_evidence_files("rob.csv", "changelog.csv")


def optional_evidence_files(*names):
    """The optional per-indication files that exist (risk of bias, the dated changelog, reviewers'
    certainty overrides)."""
    root = Path(config["evidence_dir"])
    paths = (root / indication / name for indication in INDICATIONS for name in names)
    return [str(p) for p in paths if p.exists()]


def report_living_inputs(wildcards):
    """What the report's living header reads besides the tables: each indication's changelog, the
    reviewers' certainty overrides, and the snapshots' sidecars (their last successful search).
    """
    files = optional_evidence_files("changelog.csv", "certainty_overrides.csv")
    root = Path(config["fetch"]["snapshot_dir"])
    metas = (
        root / s / f"{i}.meta.json" for s in ("ctgov", "pubmed") for i in INDICATIONS
    )
    return files + [str(p) for p in metas if p.exists()]


def final_outputs():
    """Everything `snakemake` builds by default: normalized tables, fits, networks, report, screening tables."""
    return [
        *expand("results/normalized/{table}.csv", table=NORMALIZED_TABLES),
        "results/fit/summary.csv",
        "results/nma/summary.csv",
        "results/report/index.html",
        *(f"results/report/{iid}.html" for iid in INDICATIONS),
        *fetch_outputs(),
    ]


def report_screening_inputs(wildcards):
    """prisma.csv / queue.csv / crosscheck.csv of the screening stage, when it exists or this workflow makes it."""
    found = {}
    for name in ("prisma", "queue", "crosscheck"):
        path = f"results/screening/{name}.csv"
        if Path(path).exists() or any(r.is_producer(path) for r in workflow.rules):
            found[name] = path
    return found


def report_indication_pages():
    """One output per indication of the config: {indication id: report(page)}."""
    return {
        iid: report(
            f"results/report/{iid}.html",
            caption="../report/indication.rst",
            category=ind.label,
            subcategory="Report page",
            labels={"indication": iid, "page": f"{iid}.html"},
        )
        for iid, ind in SETTINGS.indications.items()
    }
