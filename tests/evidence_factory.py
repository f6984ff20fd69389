"""Build small, synthetic evidence folders for tests (every number here is made up, on purpose).

`write_indication` writes the four curated tables for one indication; keyword arguments replace or
extend the default rows so a test can plant exactly one defect.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import yaml

from neuromod_evidence.evidence.schemas import column_order

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[1] / "config" / "config.yaml"

PROV = {
    "source": "PMID:11111111",
    "location": "abstract",
    "quote": "synthetic test value",
    "status": "verified",
}


def trial(trial_id: str, indication: str, **kw) -> dict:
    row = dict(trial_id=trial_id, acronym=trial_id.upper(), title=f"Synthetic trial {trial_id}", first_author="Doe",
               year=2020, indication=indication, registry_ids="NCT00000001", pmids="11111111", design="parallel",
               blinding="open", sponsor="academic", source="PMID:11111111", location="abstract",
               quote="randomized", notes=None)  # fmt: skip
    row.update(kw)
    return row


def arm(trial_id: str, arm_id: str, cls: str, n: int | None, **kw) -> dict:
    row = dict(trial_id=trial_id, arm_id=arm_id, label=arm_id, **{"class": cls}, n_randomized=n, **PROV)
    row.update(kw)
    return row


def outcome(row_id: str, trial_id: str, arm_id: str, outcome: str = "pain_intensity", **kw) -> dict:
    row = dict(row_id=row_id, trial_id=trial_id, arm_id=arm_id, outcome=outcome, outcome_reported=outcome,
               site="overall", scale="vas_mm", timepoint_months=6, value_type="final", **PROV)  # fmt: skip
    row.update(kw)
    return row


def contrast(row_id: str, trial_id: str, arm_t: str, arm_c: str, **kw) -> dict:
    row = dict(row_id=row_id, trial_id=trial_id, arm_id_intervention=arm_t, arm_id_comparator=arm_c,
               outcome="pain_intensity", outcome_reported="pain", site="overall", scale="vas_mm",
               timepoint_months=6, value_type="final", measure="MD", **PROV)  # fmt: skip
    row.update(kw)
    return row


def write_indication(root: Path, indication: str, trials, arms, outcomes, contrasts=()) -> Path:
    folder = root / indication
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("trials", trials), ("arms", arms), ("outcomes", outcomes), ("contrasts", contrasts)):
        df = pd.DataFrame(list(rows), columns=column_order(name))
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


def base_config(**changes) -> dict:
    with open(DEFAULT_CONFIG_PATH, encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    config = copy.deepcopy(config)
    config.update(changes)
    return config


def knee_config(evidence_dir: Path) -> dict:
    """A config with a fourth indication added by configuration only: PNS for chronic knee pain."""
    config = base_config(evidence_dir=str(evidence_dir))
    config["indications"] = {
        "knee_pns": {
            "label": "Chronic knee pain (peripheral nerve stimulation)",
            "synonyms": ["chronic knee pain"],
            "mesh_terms": ["Arthralgia"],
            "outcomes": {"pain_intensity": {"sites": ["overall"]}, "responder_50": {"sites": ["overall"]}},
            "comparisons": {
                "pns_vs_sham": {
                    "label": "PNS vs sham",
                    "intervention": ["pns"],
                    "comparator": ["placebo_sham"],
                }
            },
        }
    }
    return config


def knee_evidence(root: Path) -> Path:
    """Two synthetic PNS trials with pain (mean/SD, median/IQR) and responders."""
    trials = [trial("knee_a2020", "knee_pns"), trial("knee_b2021", "knee_pns", year=2021, acronym=None)]
    arms = [arm("knee_a2020", "pns", "pns", 40), arm("knee_a2020", "sham", "placebo_sham", 40),
            arm("knee_b2021", "pns", "pns", 30), arm("knee_b2021", "sham", "placebo_sham", 31)]  # fmt: skip
    outcomes = [
        outcome("a-pain-pns", "knee_a2020", "pns", mean=35, sd=20, n=38),
        outcome("a-pain-sham", "knee_a2020", "sham", mean=55, sd=22, n=39),
        outcome("b-pain-pns", "knee_b2021", "pns", scale="nrs_0_10", median=3, q1=2, q3=5, n=30),
        outcome("b-pain-sham", "knee_b2021", "sham", scale="nrs_0_10", median=5, q1=4, q3=7, n=31),
        outcome("a-resp-pns", "knee_a2020", "pns", "responder_50", scale="proportion", value_type=None, events=20, total=38),
        outcome("a-resp-sham", "knee_a2020", "sham", "responder_50", scale="proportion", value_type=None, events=8, total=39),
        outcome("b-resp-pns", "knee_b2021", "pns", "responder_50", scale="proportion", value_type=None, percent=50),
        outcome("b-resp-sham", "knee_b2021", "sham", "responder_50", scale="proportion", value_type=None, percent=19.4, total=31),
    ]  # fmt: skip
    return write_indication(root, "knee_pns", trials, arms, outcomes)


def knee_cmm_trial(root: Path) -> Path:
    """Add a third synthetic knee trial, PNS vs conventional medical management (responders only)."""
    folder = root / "knee_pns"
    rows = {
        "trials": [trial("knee_c2022", "knee_pns", year=2022)],
        "arms": [arm("knee_c2022", "pns", "pns", 50), arm("knee_c2022", "cmm", "cmm", 50)],
        "outcomes": [
            outcome("c-resp-pns", "knee_c2022", "pns", "responder_50", scale="proportion", value_type=None, events=22, total=50),
            outcome("c-resp-cmm", "knee_c2022", "cmm", "responder_50", scale="proportion", value_type=None, events=6, total=50),
        ],
    }  # fmt: skip
    for name, new in rows.items():
        old = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        pd.concat([old, pd.DataFrame(new, columns=column_order(name))]).to_csv(
            folder / f"{name}.csv", index=False
        )
    return folder


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
