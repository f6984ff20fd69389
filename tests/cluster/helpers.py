"""Helpers of the cluster tests: a copy of the workflow, Snakemake runs in it, what the runs did."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.small_workflow_run import snakemake_env

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# what a run reads from the checkout besides the package (src/, on PYTHONPATH) and the config it is given
WORKFLOW_FILES = ("Snakefile", "workflow", "scripts", "profiles", "environment.yml")


def copy_workflow(dest: Path, config: Path) -> Path:
    """The workflow as a fresh clone has it, with `config` as its only configuration file (no data/: the
    small configuration names its own evidence folder, as in the local run it is compared with)."""
    dest.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    shutil.copy2(config, dest / "config.yaml")
    return dest


def snakemake_command(*args: str) -> list[str]:
    return [*SNAKEMAKE, "--configfile", "config.yaml", *args]


def run_snakemake(work: Path, *args: str, env: dict, timeout: float = 1800) -> tuple:
    """Run Snakemake in `work`; return (CompletedProcess, wall seconds)."""
    start = time.monotonic()
    result = subprocess.run(snakemake_command(*args), cwd=work, env=snakemake_env(env), capture_output=True,
                            text=True, timeout=timeout)  # fmt: skip
    return result, time.monotonic() - start


def start_snakemake(work: Path, *args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(snakemake_command(*args), cwd=work, env=snakemake_env(env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip


def compared_outputs(results: Path) -> dict[str, bytes]:
    """The outputs a cluster run must reproduce byte for byte: normalized tables, the fit summary, the
    network summary and league tables."""
    files = [*sorted((results / "normalized").glob("*.csv")), results / "fit" / "summary.csv",
             results / "nma" / "summary.csv", *sorted((results / "nma").glob("*/league.csv"))]  # fmt: skip
    return {str(p.relative_to(results)): p.read_bytes() for p in files if p.exists()}


def own_output(log: str) -> str:
    """The submitting Snakemake's own lines: without the logs of failed jobs that --show-failed-logs
    prints between two rules of 80 "=" (a SLURM log holds the job's inner Snakemake output)."""
    return re.sub(r"^Logfile .*:\n={80}\n.*?^={80}$", "", log, flags=re.MULTILINE | re.DOTALL)


def rules_run(log: str, kind: str) -> list[str]:
    """Rule names of the jobs Snakemake started, one per job: kind "rule" (submitted) or "localrule"."""
    return re.findall(rf"^{kind} (\w+):$", own_output(log), flags=re.MULTILINE)


def submitted_jobs(log: str) -> dict[str, str]:
    """{SLURM job id: rule} of the jobs the executor says it submitted."""
    found = re.findall(r"submitted with SLURM jobid (\d+) \(log: \S*/rule_(\w+)/", own_output(log))
    return dict(found)


def slurm_rule(job: dict[str, str]) -> str | None:
    """The rule of a SLURM job, from the comment the executor sets (rule_<name>[_wildcards_...])."""
    match = re.match(r"rule_(\w+?)(?:_wildcards_.*)?$", job["comment"])
    return match.group(1) if match else None


def wait_for(ready, proc: subprocess.Popen, what: str, timeout: float = 900) -> None:
    """Poll `ready()` until true; fail if `proc` ends first (or after `timeout`, a guard against a hang)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(f"Snakemake ended before {what}:\n{proc.stdout.read()[-6000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no {what} after {timeout} s:\n{proc.communicate()[0][-6000:]}")
        time.sleep(0.5)
