"""profiles/local and profiles/slurm are valid Snakemake profiles for this workflow (dry runs; no cluster).

The real SLURM run is tests/cluster/test_slurm_profile.py.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _dry_run(profile: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.run([sys.executable, "-m", "snakemake", "--profile", profile, "-n", "--forceall"],
                          cwd=ROOT, env=env, capture_output=True, text=True)  # fmt: skip


def test_local_profile_dry_run():
    result = _dry_run("profiles/local")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "fit" in result.stdout


@pytest.mark.skipif(
    importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
    reason="the SLURM executor plugin is not installed (pip install -e '.[cluster]')",
)
def test_slurm_profile_dry_run():
    result = _dry_run("profiles/slurm")
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("profile", ["local", "slurm"])
def test_profiles_give_every_job_memory_and_runtime(profile):
    config = yaml.safe_load((ROOT / "profiles" / profile / "config.yaml").read_text(encoding="utf-8"))
    defaults = config["default-resources"]
    assert defaults["mem_mb"] >= 500 and defaults["runtime"] >= 5
    assert config["rerun-incomplete"] is True


def test_slurm_profile_keeps_job_logs_under_logs():
    config = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text(encoding="utf-8"))
    assert config["executor"] == "slurm"
    assert config["slurm-logdir"] == "logs/slurm"
