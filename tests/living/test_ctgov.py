"""ClinicalTrials.gov client and parsers against recorded payloads on a local server (no internet)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest
from living_helpers import (
    FBSS,
    GENUINE_STUDIES,
    PAGE1_TOKEN,
    Sleeps,
    fetch_cfg,
    genuine_study,
    load_json,
    settings,
    snapshot_state,
    transport,
    two_pages,
)
from pytest_httpserver import HTTPServer
from werkzeug import Response

from neuromod_evidence.living.ctgov.client import CtgovClient
from neuromod_evidence.living.ctgov.parse import parse_search_page, parse_study, study_nct_id
from neuromod_evidence.living.ctgov.query import StudyQuery, build_query
from neuromod_evidence.living.errors import (
    IncompleteResultError,
    NotFoundError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
)
from neuromod_evidence.living.refresh import refresh_ctgov
from neuromod_evidence.living.snapshots import read_snapshot
from neuromod_evidence.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VERSION = {"apiVersion": "2.0.5", "dataTimestamp": "2026-11-20T09:00:05"}


def client(server: HTTPServer, **kw) -> CtgovClient:
    return CtgovClient(transport(server.url_for("/api/v2"), **kw), page_size=5)


def pages_handler(p1, p2, page2_response=None):
    """Serve page 1, or page 2 when asked with page 1's token (optionally a failure instead of page 2)."""

    def handle(request):
        if request.args.get("pageToken") == PAGE1_TOKEN:
            return page2_response or Response(json.dumps(p2), content_type="application/json")
        return Response(json.dumps(p1), content_type="application/json")

    return handle


def serve_two_pages(server: HTTPServer, p1=None, p2=None, page2_response=None) -> None:
    a, b = two_pages()
    handler = pages_handler(p1 or a, p2 or b, page2_response)
    server.expect_request("/api/v2/studies").respond_with_handler(handler)


def test_query_from_config():
    config = Settings.load(ROOT / "config" / "config.yaml")
    q = build_query(config.indications["fbss"], config.fetch)
    params = q.params()
    assert '"failed back surgery syndrome"' in params["query.cond"]
    assert '"Postlaminectomy Syndrome"' in params["query.cond"]  # MeSH terms too
    assert '"spinal cord stimulation"' in params["query.intr"]
    assert "AREA[DesignAllocation]RANDOMIZED" in params["filter.advanced"]
    assert "INTERVENTIONAL" in params["filter.advanced"]


def test_indication_intervention_terms_override():
    fetch = replace(settings().fetch, intervention_terms=("x y",))
    q = build_query(replace(FBSS, intervention_terms=("burst stimulation",)), fetch)
    assert q.intervention == '"burst stimulation"'


@pytest.mark.parametrize("nct", GENUINE_STUDIES)
def test_parse_genuine_study(nct):
    s = parse_study(genuine_study(nct))
    assert s.nct_id == nct and s.title and s.has_results and s.overall_status


def test_parse_rejects_a_non_study():
    with pytest.raises(ResponseFormatError):
        parse_study({"error": "nope"})
    with pytest.raises(ResponseFormatError):
        parse_search_page({"items": []})


def test_paging_follows_tokens_to_the_end_and_checks_total(httpserver):
    serve_two_pages(httpserver)
    result = client(httpserver).search(StudyQuery("x", "y"))
    assert result.total_count == 10 and len(result.studies) == 10
    ids = [study_nct_id(s) for s in result.studies]
    assert ids == sorted(ids)
    first, second = (req for req, _ in httpserver.log)
    assert (
        first.args["countTotal"] == "true" and first.args["pageSize"] == "5" and "pageToken" not in first.args
    )
    assert second.args["pageToken"] == PAGE1_TOKEN and "countTotal" not in second.args
    assert "fields" in first.args and "resultsSection.outcomeMeasuresModule" in first.args["fields"]


def test_genuine_total_mismatch_is_incomplete(httpserver):
    # genuine page 1 says totalCount 21; we serve only two pages of 5
    p1 = load_json("ctgov-v2-search-page.json")
    _, p2 = two_pages()
    serve_two_pages(httpserver, p1, p2)
    with pytest.raises(IncompleteResultError, match="totalCount was 21"):
        client(httpserver).search(StudyQuery("x", "y"))


def test_empty_result(httpserver):
    httpserver.expect_request("/api/v2/studies").respond_with_json({"studies": [], "totalCount": 0})
    result = client(httpserver).search(StudyQuery("x", "y"))
    assert result.studies == [] and result.total_count == 0


def test_repeated_token_is_an_error(httpserver):
    p1, p2 = two_pages()
    p2 = {**p2, "nextPageToken": PAGE1_TOKEN}
    serve_two_pages(httpserver, p1, p2)
    with pytest.raises(IncompleteResultError):
        client(httpserver).search(StudyQuery("x", "y"))


def test_alias_is_followed_through_301(httpserver):
    study = copy.deepcopy(genuine_study("NCT00763412"))
    study["protocolSection"]["identificationModule"]["nctIdAliases"] = ["NCT00000001"]
    httpserver.expect_request("/api/v2/studies/NCT00000001").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/api/v2/studies/NCT00763412")}
    )
    httpserver.expect_request("/api/v2/studies/NCT00763412").respond_with_json(study)
    got = client(httpserver).study("nct00000001")
    assert got.requested_id == "NCT00000001" and got.nct_id == "NCT00763412"


def test_unknown_study_is_not_found(httpserver):
    httpserver.expect_request("/api/v2/studies/NCT00000002").respond_with_json(
        {"message": "not found"}, status=404
    )
    with pytest.raises(NotFoundError):
        client(httpserver).study("NCT00000002")


def test_version(httpserver):
    httpserver.expect_request("/api/v2/version").respond_with_json(VERSION)
    assert client(httpserver).version().data_timestamp == "2026-11-20T09:00:05"


# ---- refresh: snapshots written only from a complete fetch --------------------------------------------
def _refresh(httpserver, tmp_path, **kw):
    cfg = settings(fetch_cfg(tmp_path, httpserver.url_for("")))
    t = transport(httpserver.url_for("/api/v2"), Sleeps(), max_retries=1)
    return refresh_ctgov(cfg, "fbss", transport=t, **kw), tmp_path / "snapshots"


def test_refresh_writes_then_leaves_unchanged_snapshot_alone(httpserver, tmp_path):
    httpserver.expect_request("/api/v2/version").respond_with_json(VERSION)
    serve_two_pages(httpserver)
    httpserver.expect_request("/api/v2/studies/NCT00763412").respond_with_json(genuine_study("NCT00763412"))
    report, snaps = _refresh(httpserver, tmp_path, curated_nct_ids=["NCT00763412", "NCT02710084"])
    assert report.status == "updated" and report.n_records == 11
    doc = read_snapshot(snaps / "ctgov" / "fbss.json")
    by_id = {r["id"]: r for r in doc["records"]}
    assert by_id["NCT00763412"]["matched_by"] == ["curated"]
    assert by_id["NCT02710084"]["matched_by"] == ["curated", "search"]
    before = snapshot_state(snaps)
    report, _ = _refresh(httpserver, tmp_path, curated_nct_ids=["NCT00763412", "NCT02710084"])
    assert report.status == "unchanged"
    assert snapshot_state(snaps) == before  # same bytes, same mtime: nothing downstream re-runs


@pytest.mark.parametrize(
    "failure",
    ["server_error", "truncated_page2", "html_page2", "rate_limited", "count_mismatch", "version_down"],
)
def test_failed_refresh_keeps_the_last_good_snapshot(httpserver, tmp_path, failure):
    httpserver.expect_request("/api/v2/version").respond_with_json(VERSION)
    serve_two_pages(httpserver)
    _refresh(httpserver, tmp_path)
    snaps = tmp_path / "snapshots"
    before = snapshot_state(snaps)
    httpserver.clear()
    p1, p2 = two_pages()
    version = httpserver.expect_request("/api/v2/version")
    page2 = {
        "server_error": Response("Internal Server Error", status=500),
        "truncated_page2": Response(
            '{"studies": [{"protocolSection": {"identific', content_type="application/json"
        ),
        "html_page2": Response("<html><body>Bad gateway</body></html>", content_type="text/html"),
        "rate_limited": Response("", status=429, headers={"Retry-After": "1"}),
        "count_mismatch": Response(
            json.dumps({"studies": p2["studies"][:3]}), content_type="application/json"
        ),
    }.get(failure)
    if failure == "version_down":
        version.respond_with_data("", status=503)
    else:
        version.respond_with_json(VERSION)
    serve_two_pages(httpserver, p1, p2, page2)
    with pytest.raises((ServerError, RateLimitedError, ResponseFormatError, IncompleteResultError)):
        _refresh(httpserver, tmp_path)
    assert snapshot_state(snaps) == before
    leftovers = [p for p in snaps.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    meta = (snaps / "ctgov" / "fbss.meta.json").read_text()
    assert '"last_failure": {' in meta


def test_offline_mode_never_opens_a_connection(tmp_path):
    cfg = settings(fetch_cfg(tmp_path, "http://127.0.0.1:9", mode="offline"))
    report = refresh_ctgov(cfg, "fbss")  # port 9: would fail if anything connected
    assert report.status == "offline" and report.n_records is None
    assert not (tmp_path / "snapshots").exists()
