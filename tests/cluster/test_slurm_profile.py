"""The workflow on a real SLURM cluster (tests/cluster/slurm.py) through profiles/slurm.

Nothing here names a rule except by pattern (rules whose name starts with "fit"): the rules are allowed to
change; what is checked is that every job Snakemake ran remotely really went through SLURM, that the
results equal a local run's byte for byte, and that a job killed by SLURM leaves nothing that a later job
consumes and is resumed by a rerun.
"""

from __future__ import annotations

import re

import pytest

from tests.cluster.helpers import compared_outputs, copy_repository, run_snakemake

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

# Only what differs between this one-node test cluster and a real one: no accounting database (job states
# come from squeue, which the cluster keeps for MinJobAge = 10 min), and a quick
# first status poll so that a 2-minute workflow is not dominated by the plugin's 40-second default.
TEST_CLUSTER_ARGS = (
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "2",
    "--latency-wait", "5",
)  # fmt: skip


def _rules_run(output: str, kind: str) -> set[str]:
    """Rule names of the jobs Snakemake started: kind "rule" (submitted) or "localrule" (run locally)."""
    return set(re.findall(rf"^{kind} (\w+):$", output, flags=re.MULTILINE))


def _slurm_rules(cluster, state: str | None = None) -> set[str]:
    """Rules of the SLURM jobs, from the comment the executor sets (rule_<name>[_wildcards_...])."""
    rules = set()
    for job in cluster.jobs():
        match = re.match(r"rule_(\w+?)(?:_wildcards_.*)?$", job["comment"])
        if match and (state is None or job["state"] == state):
            rules.add(match.group(1))
    return rules


def _fit_rules(work) -> list[str]:
    result, _ = run_snakemake(work, "--list-rules")
    assert result.returncode == 0, result.stderr[-2000:]
    rules = [line.split()[0] for line in result.stdout.splitlines() if line.strip().startswith("fit")]
    assert rules, result.stdout
    return rules


def test_workflow_runs_through_slurm_and_matches_the_local_run(slurm_cluster, local_reference, tmp_path,
                                                                record_property):  # fmt: skip
    work = copy_repository(tmp_path / "repo")
    before = {job["id"] for job in slurm_cluster.jobs()}
    result, seconds = run_snakemake(work, "--profile", "profiles/slurm", *TEST_CLUSTER_ARGS,
                                    env=slurm_cluster.env())  # fmt: skip
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:] + slurm_cluster.logs()

    # every job Snakemake submitted is a SLURM job of this run, and it completed there
    submitted = _rules_run(log, "rule")
    assert any(r.startswith("fit") for r in submitted), submitted
    assert {"validate_evidence", "normalize_evidence"} <= submitted
    new_jobs = [job for job in slurm_cluster.jobs() if job["id"] not in before]
    assert _slurm_rules(slurm_cluster, "COMPLETED") >= submitted, new_jobs
    started = re.findall(r"^rule \w+:$", log, flags=re.MULTILINE)  # one line per submitted job
    assert len(new_jobs) == len(started), new_jobs
    ctld = slurm_cluster.ctld_log()
    for job in new_jobs:
        assert f"JobId={job['id']}" in ctld
    # local rules (fetches, rules without an action) stayed on the submitting node
    assert not _rules_run(log, "localrule") & _slurm_rules(slurm_cluster)
    slurm_logs = {part for p in (work / "logs" / "slurm").rglob("*.log") for part in p.parts}
    assert {f"rule_{r}" for r in submitted} <= slurm_logs, "each job's SLURM log is kept under logs/slurm"

    # the same bytes as the local run
    outputs = compared_outputs(work / "results")
    assert set(outputs) == set(local_reference["outputs"])
    assert len(outputs) >= 6
    for name, content in local_reference["outputs"].items():
        assert outputs[name] == content, f"{name} differs between the SLURM and the local run"
    assert (work / "results" / "report" / "index.html").exists()

    print(f"\nwall time on the bundled data: SLURM {seconds:.1f} s, local {local_reference['seconds']:.1f} s")
    record_property("slurm_seconds", round(seconds, 1))
    record_property("local_seconds", round(local_reference["seconds"], 1))


def test_a_job_killed_by_slurm_leaves_no_output_behind_and_a_rerun_resumes(slurm_cluster, local_reference,
                                                                          tmp_path):  # fmt: skip
    work = copy_repository(tmp_path / "repo")
    fit_rules = _fit_rules(work)
    # Make the fit outlive a 1-minute SLURM time limit after it has written its outputs: the worst case,
    # complete-looking files on disk from a job that did not finish.
    scripts = sorted((work / "scripts").glob("fit*.py"))
    assert scripts
    originals = {p: p.read_text() for p in scripts}
    for path, text in originals.items():
        path.write_text(text + "\nimport time\n\ntime.sleep(600)  # test: outlive the time limit\n")
    limits = [f"{rule}:runtime=1" for rule in fit_rules]
    before = {job["id"] for job in slurm_cluster.jobs()}

    killed, _ = run_snakemake(work, "--profile", "profiles/slurm", *TEST_CLUSTER_ARGS,
                              "--set-resources", *limits, env=slurm_cluster.env())  # fmt: skip
    log = killed.stdout + killed.stderr
    assert killed.returncode != 0, log[-4000:]
    timed_out = [j for j in slurm_cluster.jobs() if j["id"] not in before and j["state"] == "TIMEOUT"]
    assert timed_out, slurm_cluster.jobs()
    assert all(j["comment"].startswith("rule_fit") for j in timed_out), timed_out
    assert "TIMEOUT" in log, "Snakemake reports SLURM's reason"
    for job in timed_out:  # the SLURM log of a failed job is kept, where the error message says
        assert list((work / "logs" / "slurm").rglob(f"{job['id']}.log")), job
    finished_first = _rules_run(log, "rule") - set(fit_rules)
    # what the killed job had written is gone, and nothing downstream of it ran
    assert not (work / "results" / "fit" / "summary.csv").exists()
    assert not (work / "results" / "report" / "index.html").exists()
    assert not [r for r in _rules_run(log, "rule") if r.startswith("render")]
    # the independent stages did finish (keep-going)
    assert (work / "results" / "normalized" / "contrasts.csv").exists()

    for path, text in originals.items():
        path.write_text(text)
    rerun, _ = run_snakemake(work, "--profile", "profiles/slurm", *TEST_CLUSTER_ARGS, env=slurm_cluster.env())
    log = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, log[-6000:]
    again = _rules_run(log, "rule")
    assert any(r.startswith("fit") for r in again)
    assert not again & finished_first, "the rerun resumes: jobs that finished are not repeated"
    outputs = compared_outputs(work / "results")
    assert outputs == local_reference["outputs"]
    assert (work / "results" / "report" / "index.html").exists()
