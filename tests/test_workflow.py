"""The Snakemake workflow itself: lint, dry run, and real runs on small configurations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.evidence_factory import knee_config, knee_evidence, write_config

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join((str(ROOT / "src"), str(ROOT))),
    }  # this checkout's package
    return subprocess.run([*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True)  # fmt: skip


def test_lint_is_clean():
    result = snakemake("--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations" in result.stdout + result.stderr


def test_dry_run_of_the_default_pipeline(tmp_path):
    result = snakemake("-n", "--directory", str(ROOT), "--forceall")
    assert result.returncode == 0, result.stderr
    for rule in ("normalize_evidence", "fit_part1", "collect_fit_summary", "render_report"):
        assert rule in result.stdout
    # the fit is split into the configured number of jobs, which together fit every indication
    import yaml

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    assert result.stdout.count("rule fit_part") == config["fit_jobs"] == 2
    for indication in config["indications"]:
        assert f"results/fit/{indication}/summary.csv" in result.stdout
        assert f"results/nma/{indication}/league.csv" in result.stdout


def test_fit_jobs_zero_gives_one_job_per_indication():
    result = snakemake("-n", "--directory", str(ROOT), "--forceall", "--config", "fit_jobs=0")
    assert result.returncode == 0, result.stderr
    import yaml

    indications = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))["indications"]
    for indication in indications:
        assert result.stdout.count(f"rule fit_{indication}:") == 1
    assert "rule fit_part" not in result.stdout
    assert "rule collect_nma_summary:" in result.stdout


def test_rules_get_narrow_params_never_the_whole_config():
    text = "\n".join(p.read_text() for p in sorted((ROOT / "workflow" / "rules").glob("*.smk")))
    assert "config=config" not in text.replace(" ", "")


def test_a_config_edit_reruns_only_the_stages_that_read_it(tmp_path):
    """A politeness rate of the fetch stage must not re-run normalization; a normalization choice must."""
    import yaml

    work = _knee_workdir(tmp_path)
    target = ("--configfile", "config.yaml", "--cores", "1", "results/normalized/contrasts.csv")
    first = snakemake(*target, cwd=work)
    assert first.returncode == 0, first.stderr[-3000:]
    config = yaml.safe_load((work / "config.yaml").read_text())
    config.setdefault("fetch", {})["ctgov_requests_per_second"] = 0.5
    write_config(work / "config.yaml", config)
    again = snakemake(*target, "-n", cwd=work)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "normalize_evidence" not in again.stdout
    config.setdefault("normalize", {})["impute_missing_sd"] = False
    write_config(work / "config.yaml", config)
    changed = snakemake(*target, "-n", cwd=work)
    assert "normalize_evidence" in changed.stdout


def test_every_rule_that_runs_something_declares_a_log():
    import re

    text = "\n".join(p.read_text() for p in sorted((ROOT / "workflow" / "rules").glob("*.smk")))
    blocks = re.split(r"\n(?=rule |checkpoint )", text)
    acting = [
        b
        for b in blocks
        if re.match(r"(rule|checkpoint) ", b) and re.search(r"\n    (script|shell|run|wrapper):", b)
    ]
    assert len(acting) >= 6
    missing = [b.split(":", 1)[0] for b in acting if "\n    log:" not in b]
    assert not missing, f"rules without log: {missing}"


def _knee_workdir(tmp_path: Path) -> Path:
    knee_evidence(tmp_path / "evidence")
    write_config(tmp_path / "config.yaml", knee_config(tmp_path / "evidence"))
    return tmp_path


def test_fourth_indication_runs_from_config_and_data_only(tmp_path):
    work = _knee_workdir(tmp_path)
    result = snakemake(
        "--configfile", "config.yaml", "--cores", "1", "results/normalized/contrasts.csv", cwd=work
    )
    assert result.returncode == 0, result.stderr[-3000:]
    contrasts = pd.read_csv(work / "results" / "normalized" / "contrasts.csv")
    assert set(contrasts["indication"]) == {"knee_pns"}
    assert set(contrasts["analysis_id"]) == {
        "knee_pns__pain_intensity__pns_vs_sham__m6",
        "knee_pns__responder_50__pns_vs_sham__m6",
    }


def test_malformed_evidence_stops_the_run_before_modelling(tmp_path):
    work = _knee_workdir(tmp_path)
    arms = work / "evidence" / "knee_pns" / "arms.csv"
    arms.write_text(arms.read_text().replace(",pns,40,", ",stimulator,40,", 1))
    result = snakemake("--configfile", "config.yaml", "--cores", "1", cwd=work)
    assert result.returncode != 0
    log = (work / "logs" / "validate_evidence.log").read_text()  # validation runs first, in its own rule
    assert "arms.csv, line 2, field 'class': unknown intervention/comparator class 'stimulator'" in log
    assert not (work / "results" / "normalized" / "contrasts.csv").exists()


@pytest.mark.slow
def test_whole_pipeline_end_to_end_on_a_small_config(small_workflow_run):
    """Normalize → fit → report for the configuration-only fourth indication, with short chains (one local
    run per session, tests/small_workflow_run.py; the SLURM test compares its own run with it)."""
    work = small_workflow_run
    summary = pd.read_csv(work / "results" / "fit" / "summary.csv")
    assert set(summary["analysis_id"]) == {
        "knee_pns__pain_intensity__pns_vs_sham__m6",
        "knee_pns__responder_50__pns_vs_sham__m6",
        "knee_pns__responder_50__pns_vs_medical__m6",
    }
    assert summary["converged"].isin([True, False]).all()
    assert (summary.set_index("comparison").loc["pns_vs_sham", "k"] == 2).all()
    # the network stage: every candidate network listed, the one with three treatments fitted (one NMA fit)
    networks = pd.read_csv(work / "results" / "nma" / "summary.csv").set_index("network_id")
    assert list(networks.index) == ["knee_pns__pain_intensity__m6", "knee_pns__responder_50__m6"]
    assert networks.loc["knee_pns__pain_intensity__m6", "status"] == "not fitted"
    assert "one comparison" in networks.loc["knee_pns__pain_intensity__m6", "reason"]
    fitted = networks.loc["knee_pns__responder_50__m6"]
    assert (fitted["status"], fitted["reference"], fitted["n_trials"]) == ("fitted", "cmm", 3)
    assert fitted["inconsistency"] == "no closed loops: consistency cannot be checked"
    league = pd.read_csv(work / "results" / "nma" / "knee_pns" / "league.csv")
    assert len(league) == 6 and set(league["evidence"]) == {"direct", "indirect"}
    assert (work / "results" / "nma" / "knee_pns" / "posteriors" / "knee_pns__responder_50__m6.nc").exists()
    pain = summary.set_index("analysis_id").loc["knee_pns__pain_intensity__pns_vs_sham__m6"]
    # both synthetic trials show about −2 points; the pooled posterior median must sit near them
    assert -3.5 < pain["estimate"] < -0.5
    analyses = work / "results" / "fit" / "knee_pns" / "analyses"
    assert (analyses / "knee_pns__pain_intensity__pns_vs_sham__m6" / "posterior.nc").exists()
    page = (work / "results" / "report" / "knee_pns.html").read_text(encoding="utf-8")
    assert "Chronic knee pain" in page and "KNEE_A2020" in page
    assert 'id="net-knee_pns__responder_50__m6"' in page and "Network diagram" in page


def test_the_report_rule_declares_what_it_reads_besides_the_tables(tmp_path):
    """Reviewers' certainty overrides, the changelogs and the snapshot sidecars are inputs of render_report:
    editing one re-renders the report."""
    import shutil

    evidence = tmp_path / "evidence"
    shutil.copytree(ROOT / "data" / "evidence", evidence)
    (evidence / "fbss" / "certainty_overrides.csv").write_text("analysis_id,domain,judgement,reason\n")
    snap = tmp_path / "snapshots" / "pubmed"
    snap.mkdir(parents=True)
    (snap / "crps.json").write_text('{"records": []}')
    (snap / "crps.meta.json").write_text("{}")
    result = snakemake("-n", "--directory", str(ROOT), "--forceall", "results/report/index.html", "--config",
                       f"evidence_dir={evidence}", f"fetch={{snapshot_dir: {tmp_path / 'snapshots'}}}")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    job = result.stdout[result.stdout.index("rule render_report:") :]
    inputs = job[: job.index("\n    output:")]
    assert str(evidence / "fbss" / "certainty_overrides.csv") in inputs
    assert str(evidence / "pdn" / "changelog.csv") in inputs
    assert str(snap / "crps.meta.json") in inputs
