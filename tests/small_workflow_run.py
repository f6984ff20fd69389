"""One local run of the whole workflow on a small configuration, shared by the tests that need one.

The end-to-end test (tests/test_workflow.py) checks its results (synthetic trials of a configuration-only
indication: pairwise fits, a network, the report); the SLURM test (tests/cluster/) runs the
same configuration through a real SLURM and compares its outputs with these byte for byte. Running it once
per test session (the `small_workflow_run` fixture in tests/conftest.py, a file lock between the xdist
workers) saves a second local run of a minute or more.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.evidence_factory import knee_cmm_trial, knee_config, knee_evidence, write_config

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
DONE = "run-complete"


def snakemake_env(base: dict | None = None) -> dict[str, str]:
    """The environment of a Snakemake subprocess: the package under test is this checkout's."""
    env = dict(base or os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


def small_config(evidence_dir: Path) -> dict:
    """The configuration-only fourth indication with short chains, and a PNS vs medical management
    comparison that makes its responder outcome a three-treatment network."""
    config = knee_config(evidence_dir)
    config.setdefault("models", {})["sampler"] = {"chains": 4, "draws": 300, "tune": 300}
    config["indications"]["knee_pns"]["comparisons"]["pns_vs_medical"] = {
        "label": "PNS vs medical management", "intervention": ["pns"], "comparator": ["cmm"]
    }  # fmt: skip
    return config


def prepare(root: Path) -> Path:
    """`root/evidence/` and `root/config.yaml`; the working directory holds no config/config.yaml, so
    `--configfile config.yaml` is the whole configuration."""
    root.mkdir(parents=True, exist_ok=True)
    knee_evidence(root / "evidence")
    knee_cmm_trial(root / "evidence")  # a third trial, PNS vs CMM: a three-treatment responder network
    write_config(root / "config.yaml", small_config(root / "evidence"))
    return root


def build(root: Path) -> Path:
    """Run the default target locally in `root` (2 cores); `root/run-complete` marks success."""
    prepare(root)
    result = subprocess.run([*SNAKEMAKE, "--configfile", "config.yaml", "--cores", "2"], cwd=root,
                            env=snakemake_env(), capture_output=True, text=True)  # fmt: skip
    (root / "run.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode == 0:
        (root / DONE).touch()
    return root
