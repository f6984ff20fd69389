"""A tiny synthetic evidence set run through the REAL stages (normalize, fit) once per test session.

Every trial, number and identifier is invented (PMIDs 1000000x, NCT0000000x point at nothing). One trial's
title and acronym carry HTML/script markup on purpose (escaping tests). The screening tables are written
through their contracts (the screening stage needs snapshots; its own tests cover it).

Analyses: fbss pain m6 (3 trials) and m24 (1), fbss responders m6 (2), fbss ODI 10 kHz vs tonic m12 (1),
crps pain m6 (2; fitted with an impossible ESS threshold so it is NOT converged), crps responders DRG vs SCS
m12 (1), pdn pain m6 (2; the indication's own MCID of 1.5 points) and pdn responders m6 (2).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

from neuromod_evidence.evidence import load_evidence
from neuromod_evidence.normalize import normalize, write_normalized
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import (
    CONTRASTS,
    PRISMA,
    QUEUE,
    SUMMARY,
    fit_analysis_dir,
    read_table,
    write_table,
)
from tests.evidence_factory import arm, base_config, outcome, trial, write_indication

MALICIOUS = "<script>alert(1)</script> <b>bold</b> & <img src=x onerror=alert(2)>"
FORMULA = '=HYPERLINK("http://example.invalid","10 kHz versus tonic")'
NOT_CONVERGED = "crps__pain_intensity__scs_vs_medical__m6"
ANALYSES = 8


def config(evidence_dir: Path) -> dict:
    cfg = base_config(evidence_dir=str(evidence_dir))
    # the bundled config has grown more indications; this evidence set covers three of them
    cfg["indications"] = {i: cfg["indications"][i] for i in ("fbss", "crps", "pdn")}
    keep = {"fbss": ("scs_vs_medical", "high_frequency_vs_tonic"), "crps": ("scs_vs_medical", "drg_vs_scs"),
            "pdn": ("scs_vs_medical",)}  # fmt: skip
    for iid, comps in keep.items():
        ind = cfg["indications"][iid]
        ind["comparisons"] = {c: ind["comparisons"][c] for c in comps}
    cfg["models"]["sampler"].update(chains=2, draws=400, tune=400, retry_tune=400)
    cfg["models"]["diagnostics"].update(ess_min=50, rhat_max=1.05)  # 2 x 400 draws: tail ESS ~70
    cfg["indications"]["pdn"]["outcomes"]["pain_intensity"]["mcid"] = 1.5  # the fit and the report use it
    return cfg


def _pain(rid, tid, arm_id, mean, n, months=6, **kw):
    return outcome(rid, tid, arm_id, scale="nrs_0_10", timepoint_months=months, mean=mean, sd=2.0, n=n, **kw)


def _resp(rid, tid, arm_id, events, total, months=6):
    return outcome(rid, tid, arm_id, "responder_50", scale="proportion", value_type=None, timepoint_months=months,
                   events=events, total=total)  # fmt: skip


def write_evidence(root: Path) -> None:
    write_indication(
        root,
        "fbss",
        [
            trial(
                "alpha_smith2007",
                "fbss",
                acronym="ALPHA",
                first_author="Smith",
                year=2007,
                pmids="10000001;10000011",
                sponsor="industry",
                title="Synthetic trial of SCS versus CMM",
            ),
            trial(
                "beta_jones2005",
                "fbss",
                acronym=MALICIOUS,
                first_author="Jones",
                year=2005,
                registry_ids="ISRCTN00000002",
                pmids="10000002",
                blinding="assessor",
                title=f"{MALICIOUS} a synthetic trial whose title holds markup",
            ),
            trial(
                "gamma_lee2018",
                "fbss",
                acronym="GAMMA",
                first_author="Lee",
                year=2018,
                registry_ids="NCT00000003",
                pmids="10000003",
                sponsor="mixed",
            ),
            trial(
                "delta_wu2015",
                "fbss",
                acronym="DELTA",
                first_author="Wu",
                year=2015,
                registry_ids="NCT00000004",
                pmids="10000004",
                sponsor="industry",
                title=FORMULA,
            ),
        ],  # fmt: skip
        [
            *(
                arm(t, "scs", "scs_tonic", n)
                for t, n in (("alpha_smith2007", 60), ("beta_jones2005", 70), ("gamma_lee2018", 75))
            ),
            *(
                arm(t, "cmm", "cmm", n)
                for t, n in (("alpha_smith2007", 60), ("beta_jones2005", 70), ("gamma_lee2018", 75))
            ),
            arm("delta_wu2015", "hf", "scs_10khz", 50),
            arm("delta_wu2015", "tonic", "scs_tonic", 50),
        ],  # fmt: skip
        [
            _pain("a-pain-scs", "alpha_smith2007", "scs", 4.0, 60),
            _pain("a-pain-cmm", "alpha_smith2007", "cmm", 7.2, 60),
            _pain("a-pain24-scs", "alpha_smith2007", "scs", 4.5, 55, months=24),
            _pain("a-pain24-cmm", "alpha_smith2007", "cmm", 6.9, 52, months=24),
            outcome(
                "a-qol-scs", "alpha_smith2007", "scs", "qol_eq5d", scale="eq5d_index", mean=0.6, sd=0.2, n=60
            ),
            _pain("b-pain-scs", "beta_jones2005", "scs", 4.2, 70),
            _pain("b-pain-cmm", "beta_jones2005", "cmm", 7.1, 70),
            _pain("g-pain-scs", "gamma_lee2018", "scs", 3.9, 75),
            _pain("g-pain-cmm", "gamma_lee2018", "cmm", 7.0, 75),
            _resp("a-resp-scs", "alpha_smith2007", "scs", 28, 60),
            _resp("a-resp-cmm", "alpha_smith2007", "cmm", 6, 60),
            _resp("b-resp-scs", "beta_jones2005", "scs", 30, 70),
            _resp("b-resp-cmm", "beta_jones2005", "cmm", 9, 70),
            outcome(
                "d-odi-hf",
                "delta_wu2015",
                "hf",
                "disability_odi",
                scale="odi_0_100",
                timepoint_months=12,
                mean=30,
                sd=15,
                n=48,
            ),
            outcome(
                "d-odi-tonic",
                "delta_wu2015",
                "tonic",
                "disability_odi",
                scale="odi_0_100",
                timepoint_months=12,
                mean=36,
                sd=15,
                n=47,
            ),
        ],  # fmt: skip
    )
    write_indication(
        root,
        "crps",
        [
            trial(
                "crps_kemp2000",
                "crps",
                acronym=None,
                first_author="Kemp",
                year=2000,
                registry_ids=None,
                pmids="10000005",
            ),
            trial(
                "crps_ray2008",
                "crps",
                acronym="RAY",
                first_author="Ray",
                year=2008,
                registry_ids="NCT00000006",
                pmids="10000006",
            ),
            trial(
                "crps_deer2017",
                "crps",
                acronym="ACCU-SYN",
                first_author="Deer",
                year=2017,
                registry_ids="NCT00000007",
                pmids="10000007",
                sponsor="industry",
            ),
        ],  # fmt: skip
        [
            arm("crps_kemp2000", "scs", "scs_tonic", 36),
            arm("crps_kemp2000", "pt", "physical_therapy", 18),
            arm("crps_ray2008", "scs", "scs_tonic", 30),
            arm("crps_ray2008", "cmm", "cmm", 30),
            arm("crps_deer2017", "drg", "drg", 76),
            arm("crps_deer2017", "scs", "scs_tonic", 76),
        ],  # fmt: skip
        [
            _pain("k-pain-scs", "crps_kemp2000", "scs", 4.8, 36),
            _pain("k-pain-pt", "crps_kemp2000", "pt", 7.3, 18),
            _pain("r-pain-scs", "crps_ray2008", "scs", 5.0, 30),
            _pain("r-pain-cmm", "crps_ray2008", "cmm", 6.9, 30),
            _resp("d-resp-drg", "crps_deer2017", "drg", 55, 76, months=12),
            _resp("d-resp-scs", "crps_deer2017", "scs", 40, 76, months=12),
            outcome(
                "k-odi", "crps_kemp2000", "scs", "disability_odi", scale="odi_0_100", mean=30, sd=10, n=36
            ),
        ],  # fmt: skip
    )
    write_indication(
        root,
        "pdn",
        [
            trial("pdn_slangen2014", "pdn", acronym="PDN-A", first_author="Slangen", year=2014),
            trial("pdn_vanbeek2016", "pdn", acronym="PDN-B", first_author="van Beek", year=2016),
        ],  # fmt: skip
        [
            arm(t, a, c, 40)
            for t in ("pdn_slangen2014", "pdn_vanbeek2016")
            for a, c in (("scs", "scs_tonic"), ("cmm", "cmm"))
        ],  # fmt: skip
        [
            _pain("s-pain-scs", "pdn_slangen2014", "scs", 3.5, 40),
            _pain("s-pain-cmm", "pdn_slangen2014", "cmm", 6.5, 40),
            _pain("v-pain-scs", "pdn_vanbeek2016", "scs", 4.0, 40),
            _pain("v-pain-cmm", "pdn_vanbeek2016", "cmm", 6.0, 40),
            _resp("s-resp-scs", "pdn_slangen2014", "scs", 24, 40),
            _resp("s-resp-cmm", "pdn_slangen2014", "cmm", 4, 40),
            _resp("v-resp-scs", "pdn_vanbeek2016", "scs", 20, 40),
            _resp("v-resp-cmm", "pdn_vanbeek2016", "cmm", 6, 40),
        ],
    )


ROB_ROWS = [  # fbss: alpha at high risk for pain, beta some concerns, gamma low; delta and the others unassessed
    ("alpha_smith2007", "", "randomization", "low"),
    ("alpha_smith2007", "", "deviations", "some_concerns"),
    ("alpha_smith2007", "pain_intensity", "measurement", "high"),
    ("beta_jones2005", "", "randomization", "not_assessable"),
    ("beta_jones2005", "", "measurement", "some_concerns"),
    ("gamma_lee2018", "", "randomization", "low"),
    ("gamma_lee2018", "", "missing_data", "low"),
]


def write_rob(root: Path) -> None:
    rows = [{"trial_id": t, "outcome": o, "domain": d, "judgement": j, "source": "PMID:10000001",
             "location": "abstract", "quote": f"synthetic quote on {d}", "status": "verified", "notes": ""}
            for t, o, d, j in ROB_ROWS]  # fmt: skip
    pd.DataFrame(rows).to_csv(root / "fbss" / "rob.csv", index=False)


def write_screening(folder: Path) -> None:
    """prisma.csv for fbss and crps (none for pdn: 'not available'), queue.csv with one record awaiting review."""
    rows = [
        {"indication": "fbss", "records_identified_registry": 212, "records_identified_pubmed": 488,
         "records_identified_other": 0, "duplicates_removed": 40, "records_screened": 660,
         "records_of_curated_trials": 4, "awaiting_review": 1, "excluded_with_reason": 655,
         "exclusion_reasons": "not randomized: 540; wrong population: 115", "included_curated": 4,
         "registry_snapshot": "", "pubmed_snapshot": "", "note": ""},
        {"indication": "crps", "records_identified_registry": 30, "records_identified_pubmed": 90,
         "records_identified_other": 0, "duplicates_removed": 5, "records_screened": 115,
         "records_of_curated_trials": 3, "awaiting_review": 0, "excluded_with_reason": 112,
         "exclusion_reasons": "not randomized: 112", "included_curated": 3,
         "registry_snapshot": "", "pubmed_snapshot": "", "note": ""},
    ]  # fmt: skip
    write_table(PRISMA, pd.DataFrame(rows, columns=list(PRISMA.columns)), folder / "prisma.csv")
    queue = [{"indication": "fbss", "source": "ctgov", "id": "NCT00000096", "title": "A synthetic queued trial",
              "year": "2024", "date": "2024-01-01", "status": "RECRUITING", "why_matched": "condition and intervention",
              "first_seen": "2024-02-01", "linked_ids": "", "has_results": "False", "registry_snapshot": "",
              "pubmed_snapshot": ""}]  # fmt: skip
    write_table(QUEUE, pd.DataFrame(queue, columns=list(QUEUE.columns)), folder / "queue.csv")


def _fit(contrasts_csv: Path, settings: Settings, out_dir: Path) -> None:
    """The fit stage as the workflow runs it: one job per indication, then the collected summary."""
    from neuromod_evidence.models.collect import collect_summary_files
    from neuromod_evidence.models.pipeline import fit_all

    for iid in settings.indications:
        fit_all(contrasts_csv, settings, out_dir / iid / "analyses", indication=iid,
                summary_csv=out_dir / iid / "summary.csv")  # fmt: skip
    collect_summary_files(
        [out_dir / iid / "summary.csv" for iid in settings.indications], out_dir / "summary.csv"
    )


def build(root: Path) -> Path:
    """Write evidence, normalize and fit it, write screening tables; ``root/results/...`` as the workflow."""
    evidence = root / "evidence"
    write_evidence(evidence)
    write_rob(evidence)
    cfg = config(evidence)
    (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    settings = Settings.from_config(cfg)
    results = root / "results"
    write_normalized(normalize(load_evidence(settings), settings), results / "normalized")
    contrasts = results / "normalized" / "contrasts.csv"
    _fit(contrasts, settings, results / "fit")
    # the not-converged analysis: the same engine, with an ESS threshold no 2 x 300 draws can meet
    strict = config(evidence)
    strict["models"]["diagnostics"]["ess_min"] = 10**6
    rows = read_table(CONTRASTS, contrasts)
    only = root / "strict" / "contrasts.csv"
    only.parent.mkdir(parents=True, exist_ok=True)
    write_table(CONTRASTS, rows[rows["analysis_id"] == NOT_CONVERGED], only)
    _fit(only, Settings.from_config(strict), root / "strict" / "fit")
    shutil.rmtree(fit_analysis_dir(results / "fit", NOT_CONVERGED))
    shutil.copytree(
        fit_analysis_dir(root / "strict" / "fit", NOT_CONVERGED),
        fit_analysis_dir(results / "fit", NOT_CONVERGED),
    )
    summary = read_table(SUMMARY, results / "fit" / "summary.csv")
    strict_row = read_table(SUMMARY, root / "strict" / "fit" / "summary.csv")
    summary = pd.concat([summary[summary["analysis_id"] != NOT_CONVERGED], strict_row], ignore_index=True)
    write_table(SUMMARY, summary.sort_values("analysis_id", kind="stable"), results / "fit" / "summary.csv")
    (results / "fit" / "complete").touch()
    write_screening(results / "screening")
    return root
