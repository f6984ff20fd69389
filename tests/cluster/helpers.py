"""Helpers of the cluster tests: copies of the repository, Snakemake runs in them, the outputs compared."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]

# What a copy of the repository leaves out: environments, caches and everything a run produces.
_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "results", "logs", ".snakemake", ".cache", ".pytest_cache", ".ruff_cache",
    "__pycache__", "*.egg-info", "node_modules", "*.tsv", "report.zip",
)  # fmt: skip


def copy_repository(dest: Path) -> Path:
    """The workflow, config, data, scripts and package sources, as a fresh clone would have them."""
    shutil.copytree(ROOT, dest, ignore=_IGNORE)
    (dest / "results").mkdir(exist_ok=True)
    return dest


def run_snakemake(work: Path, *args: str, env: dict | None = None, timeout: float = 1800) -> tuple:
    """Run Snakemake in `work`; return (CompletedProcess, wall seconds). The package under test is the copy's."""
    env = dict(env or os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(work / "src"), str(work)])
    start = time.monotonic()
    result = subprocess.run([*SNAKEMAKE, *args], cwd=work, env=env, capture_output=True, text=True,
                            timeout=timeout)  # fmt: skip
    return result, time.monotonic() - start


def compared_outputs(results: Path) -> dict[str, bytes]:
    """The outputs a cluster run must reproduce byte for byte: normalized tables and the fit summary."""
    files = sorted((results / "normalized").glob("*.csv")) + [results / "fit" / "summary.csv"]
    return {str(p.relative_to(results)): p.read_bytes() for p in files if p.exists()}
