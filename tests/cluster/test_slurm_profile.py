"""The workflow on a real SLURM cluster (tests/cluster/slurm.py) through profiles/slurm.

One scenario, the one a cluster user meets: a fit job is killed by SLURM after it has written complete-looking
outputs (the worst case), the run fails without consuming them, and the same command run again resumes and
ends with outputs equal byte for byte to a local run of the same configuration (the session's
`small_workflow_run`, which tests/test_workflow.py checks too; requested only for the comparison). Along the way every job Snakemake submitted
is checked in SLURM itself (squeue's memory of finished jobs, the slurmctld log) and every local rule is
checked not to have gone there.

Nothing names a rule except by pattern (rules whose name starts with "fit", scripts/fit*.py): the rules may
change. The kill is `scancel` of the running job: SLURM's time limits count in whole minutes and slurmctld
enforces them on a 30-second cycle, so a time-limit kill costs 60-90 s of waiting, while the kill itself
(slurmd signals the job's processes, then SIGKILL after KillWait) and what Snakemake does about a job SLURM
ended are the same.
"""

from __future__ import annotations

import os

import pytest

from tests.cluster.helpers import (
    compared_outputs,
    copy_workflow,
    rules_run,
    run_snakemake,
    slurm_rule,
    start_snakemake,
    submitted_jobs,
    wait_for,
)
from tests.small_workflow_run import prepare

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

# Only what differs between this one-node test cluster and a real one: no accounting database (job states
# come from squeue, which the cluster keeps for MinJobAge = 10 min), the first status poll 1 s after a
# submission instead of the plugin's 40 s, no wait for a network file system, and fit jobs that fit on this
# machine's CPUs (the profile asks 4 per fit; --config replaces the profile's list, so fit_jobs is repeated).
TEST_CLUSTER_ARGS = (
    "--profile", "profiles/slurm",
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "1",
    "--latency-wait", "5",
    "--config", "fit_jobs=0", f"fit_threads={min(4, os.cpu_count() or 1)}",
)  # fmt: skip
STALL = """

# added by tests/cluster: the outputs are written; now outlive the job until SLURM kills it
import pathlib as _pathlib, time as _time  # noqa: E401,E402
_pathlib.Path({marker!r}).touch()
_time.sleep(600)
"""


def _new_jobs(cluster, before: set[str]) -> list[dict[str, str]]:
    return [job for job in cluster.jobs() if job["id"] not in before]


def _check_jobs_went_through_slurm(cluster, log: str, jobs: list[dict[str, str]]) -> None:
    """Each job Snakemake submitted is one SLURM job of its rule; no local rule reached SLURM."""
    submitted = submitted_jobs(log)
    assert {job["id"]: slurm_rule(job) for job in jobs} == submitted, jobs
    assert set(submitted.values()) == set(rules_run(log, "rule"))
    assert not set(rules_run(log, "localrule")) & {slurm_rule(job) for job in jobs}
    ctld = cluster.ctld_log()
    for job in jobs:
        assert f"JobId={job['id']}" in ctld, job


def _kill_the_fit_after_it_wrote_its_outputs(cluster, work) -> tuple[str, list[dict], list[str]]:
    """Run 1: the fit scripts stall after writing; scancel the running fit job. Returns (log, jobs, files
    the fit had written)."""
    scripts = sorted((work / "scripts").glob("fit*.py"))
    assert scripts
    marker = work / "fit-stalled"
    originals = {path: path.read_text() for path in scripts}
    for path, text in originals.items():
        path.write_text(text + STALL.format(marker=str(marker)))
    before = {job["id"] for job in cluster.jobs()}
    proc = start_snakemake(work, *TEST_CLUSTER_ARGS, env=cluster.env())
    try:
        wait_for(marker.exists, proc, "a fit job that wrote its outputs")
        new = _new_jobs(cluster, before)
        running = [j for j in new if j["state"] == "RUNNING" and slurm_rule(j).startswith("fit")]
        assert len(running) == 1, new
        written = sorted(
            str(p.relative_to(work)) for p in (work / "results" / "fit").rglob("*") if p.is_file()
        )
        cluster.run("scancel", running[0]["id"])
        log = proc.communicate(timeout=900)[0]
    finally:  # on a failure above: no stalled job or Snakemake outlives the test
        if proc.poll() is None:
            cluster.run("scancel", *[j["id"] for j in _new_jobs(cluster, before)], check=False)
            proc.kill()
            proc.wait()
    (work / "run-killed.log").write_text(log)
    assert proc.returncode != 0, log[-4000:]
    for path, text in originals.items():
        path.write_text(text)
    return log, _new_jobs(cluster, before), written


def test_a_killed_job_leaves_nothing_behind_and_the_rerun_matches_the_local_run(
    slurm_cluster, tmp_path, request, record_property
):
    # the small configuration with its own copy of the evidence: the SLURM runs need not wait for the local
    # run, which another xdist worker may be making meanwhile (the compared outputs do not name the folder)
    work = copy_workflow(tmp_path / "repo", prepare(tmp_path / "small") / "config.yaml")

    log, jobs, written = _kill_the_fit_after_it_wrote_its_outputs(slurm_cluster, work)
    assert "results/fit/summary.csv" not in written and any(p.endswith(".csv") for p in written), written
    killed = [job for job in jobs if job["state"] == "CANCELLED"]
    assert len(killed) == 1 and slurm_rule(killed[0]).startswith("fit"), jobs
    assert "CANCELLED" in log, "Snakemake reports SLURM's state of the failed job"
    assert list((work / "logs" / "slurm").rglob(f"{killed[0]['id']}.log")), "its SLURM log is kept"
    _check_jobs_went_through_slurm(slurm_cluster, log, jobs)
    # what the killed job had written is gone, and nothing downstream of it ran
    assert not [p for p in written if (work / p).exists()], "outputs of the killed job survived"
    assert not (work / "results" / "report" / "index.html").exists()
    assert not [r for r in rules_run(log, "rule") if r.startswith("render")]
    # the independent stages finished (keep-going), on the submitting node
    assert (work / "results" / "normalized" / "contrasts.csv").exists()
    assert {"validate_evidence", "normalize_evidence"} <= set(rules_run(log, "localrule"))
    finished_first = set(rules_run(log, "localrule")) | {
        slurm_rule(j) for j in jobs if j["state"] == "COMPLETED"
    }

    before = {job["id"] for job in slurm_cluster.jobs()}
    rerun, seconds = run_snakemake(work, *TEST_CLUSTER_ARGS, env=slurm_cluster.env())
    log = rerun.stdout + rerun.stderr
    (work / "run-resumed.log").write_text(log)
    assert rerun.returncode == 0, log[-6000:] + slurm_cluster.logs()
    jobs = _new_jobs(slurm_cluster, before)
    assert any(slurm_rule(job).startswith("fit") for job in jobs), jobs
    assert any(slurm_rule(job).startswith("render") for job in jobs), jobs
    assert {job["state"] for job in jobs} == {"COMPLETED"}, jobs
    _check_jobs_went_through_slurm(slurm_cluster, log, jobs)
    slurm_logs = {part for p in (work / "logs" / "slurm").rglob("*.log") for part in p.parts}
    assert {f"rule_{slurm_rule(job)}" for job in jobs} <= slurm_logs, (
        "each job's SLURM log is under logs/slurm"
    )
    again = set(rules_run(log, "rule")) | set(rules_run(log, "localrule"))
    assert not again & finished_first, "the rerun resumes: what finished is not repeated"

    # the same bytes as the local run
    outputs = compared_outputs(work / "results")
    expected = compared_outputs(request.getfixturevalue("small_workflow_run") / "results")
    assert len(expected) >= 6 and set(outputs) == set(expected)
    for name, content in expected.items():
        assert outputs[name] == content, f"{name} differs between the SLURM and the local run"
    assert (work / "results" / "report" / "index.html").exists()
    print(f"\nthe resuming run through SLURM took {seconds:.1f} s")
    record_property("slurm_rerun_seconds", round(seconds, 1))
