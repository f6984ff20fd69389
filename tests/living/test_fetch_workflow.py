"""The fetch rules end to end: offline needs no network; a live refresh against a local server updates the
snapshots and the screening tables; an unchanged second refresh re-runs nothing downstream."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from living_helpers import text, two_pages
from werkzeug import Response

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-c1", "--snakefile"]

pytestmark = pytest.mark.slow


def esearch(request):
    ids = ["22663011"] if "[pt]" in request.args["term"] else []
    doc = {"esearchresult": {"count": str(len(ids)), "idlist": ids}}
    return Response(json.dumps(doc), content_type="application/json")


def studies(request):
    p1, p2 = two_pages()
    return Response(json.dumps(p2 if request.args.get("pageToken") else p1), content_type="application/json")


def one_study(request):
    """Any curated NCT id: the synthetic SCS record (made up, see fixtures/api/PROVENANCE.md) under that id."""
    record = json.loads(text("synthetic-ctgov-scs-study.json"))
    record["protocolSection"]["identificationModule"]["nctId"] = request.path.rsplit("/", 1)[1]
    return Response(json.dumps(record), content_type="application/json")


def serve_apis(httpserver) -> str:
    """Replay both APIs on the local server; return the `fetch=` value of a live run pointed at it."""
    httpserver.expect_request("/api/v2/version").respond_with_json(
        {"apiVersion": "2", "dataTimestamp": "2026-11-20"}
    )
    httpserver.expect_request("/api/v2/studies").respond_with_handler(studies)
    httpserver.expect_request(re.compile(r"/api/v2/studies/NCT\d{8}")).respond_with_handler(one_study)
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_handler(esearch)
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(
        text("pubmed-efetch-PMID22663011.xml"), content_type="text/xml"
    )
    return live_fetch(httpserver)


def live_fetch(httpserver) -> dict:
    """The `fetch:` settings of a live run against the local server, with the fastest rates the schema
    allows and no real backoff (a config file, not --config: nested --config values arrive as strings)."""
    return {
        "mode": "live",
        "ctgov_base_url": httpserver.url_for("/api/v2"),
        "eutils_base_url": httpserver.url_for("/eutils"),
        "ctgov_requests_per_second": 10,
        "eutils_requests_per_second": 3,
        "backoff_seconds": 0.01,
        "max_retries": 1,
    }


def live_configfile(cwd: Path, httpserver) -> str:
    path = cwd / "live.yaml"
    path.write_text(json.dumps({"fetch": serve_apis(httpserver)}))  # JSON is YAML
    return str(path)


def fbss_only(config_dir: Path) -> dict:
    """The bundled configuration cut down to one indication (FBSS) with its evidence, written to ``config_dir``.

    The fetch and report logic is the same for every indication; one keeps these whole-workflow runs short."""
    import yaml

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["indications"] = {"fbss": config["indications"]["fbss"]}
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    shutil.copytree(ROOT / "data" / "evidence" / "fbss", config_dir.parent / "data" / "evidence" / "fbss")
    return config


def workdir(tmp_path: Path) -> Path:
    """The fetch stage with what it reads: the normalized (validated) curated tables."""
    fbss_only(tmp_path / "config")
    (tmp_path / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n'
        f'include: "{ROOT}/workflow/rules/common.smk"\n'
        f'include: "{ROOT}/workflow/rules/fetch.smk"\n'
        f'include: "{ROOT}/workflow/rules/normalize.smk"\n'
        "rule all:\n    input: fetch_outputs()\n"
    )
    return tmp_path


def snakemake(cwd: Path, *args: str) -> str:
    cmd = [*SNAKEMAKE, str(cwd / "Snakefile"), *args]
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_offline_then_live_refresh(httpserver, tmp_path):
    cwd = workdir(tmp_path)
    snakemake(cwd)  # offline default: no server needed, empty tables that say so
    prisma = (cwd / "results/screening/prisma.csv").read_text()
    assert "no registry snapshot yet" in prisma

    live = live_configfile(cwd, httpserver)
    snakemake(cwd, "refresh_snapshots", "--configfile", live)
    snap = cwd / "data/snapshots/ctgov/fbss.json"
    records = json.loads(snap.read_text())["records"]
    # the 10 records of the recorded search page, plus every curated FBSS trial's NCT id fetched by id
    trials = pd.read_csv(ROOT / "data" / "evidence" / "fbss" / "trials.csv", dtype=str, keep_default_na=False)
    curated = {i for ids in trials["registry_ids"] for i in ids.split(";") if i.startswith("NCT")}
    found = {r["id"] for r in records if "search" in r["matched_by"]}
    assert len(found) == 10
    assert {r["id"] for r in records} == found | curated and len(records) == len(found | curated)
    snakemake(cwd)
    queue = (cwd / "results/screening/queue.csv").read_text()
    assert "NCT02710084" in queue and "22663011" in queue

    mtimes = {p: p.stat().st_mtime_ns for p in (cwd / "results/screening").glob("*.csv")}
    snakemake(cwd, "refresh_snapshots", "--configfile", live)  # same content served again
    out = snakemake(cwd, "--dry-run")
    assert "Nothing to be done" in out
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_live_refresh_updates_the_report(httpserver, tmp_path):
    """The real workflow: after a live refresh the report's screening section lists the new records."""
    import yaml

    config = fbss_only(tmp_path / "config")
    config["models"]["sampler"].update(chains=4, draws=300, tune=300)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    live = live_configfile(tmp_path, httpserver)
    real = [*SNAKEMAKE, str(ROOT / "Snakefile")]
    # targets first: --configfile takes several values (later files win, merged key by key)
    for args in (["refresh_snapshots", "--configfile", "config.yaml", live],
                 ["--configfile", "config.yaml"]):  # fmt: skip
        done = subprocess.run([*real, *args], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-4000:]
    page = (tmp_path / "results" / "report" / "fbss.html").read_text(encoding="utf-8")
    assert "NCT02710084" in page
    assert "awaiting" in page.lower()
