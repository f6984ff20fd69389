"""PubMed E-utilities client and parsers against recorded payloads on a local server (no internet)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from living_helpers import FBSS, Sleeps, fetch_cfg, load_json, settings, snapshot_state, text, transport
from werkzeug import Response

from neuromod_evidence.living.errors import (
    ApiError,
    IncompleteResultError,
    RateLimitedError,
    ResponseFormatError,
)
from neuromod_evidence.living.pubmed import client as pubmed_client
from neuromod_evidence.living.pubmed import parse as pubmed
from neuromod_evidence.living.pubmed import query as pubmed_query
from neuromod_evidence.living.refresh import refresh_pubmed
from neuromod_evidence.living.snapshots import read_snapshot

EFETCH = text("pubmed-efetch-PMID22663011.xml")  # genuine


def esearch_doc(ids, count=None):
    return {"header": {"type": "esearch"}, "esearchresult": {"count": str(len(ids) if count is None else count),
            "retmax": str(len(ids)), "retstart": "0", "idlist": ids}}  # fmt: skip


def test_parse_genuine_efetch():
    [(art, xml)] = pubmed.parse_efetch(EFETCH)
    assert art.pmid == "22663011"
    assert art.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma."
    assert art.journal == "The New England journal of medicine" and art.journal_abbrev == "N Engl J Med"
    assert art.year == "2012" and art.doi == "10.1056/NEJMoa1203421"
    assert art.authors[0] == "Flaherty KT" and art.authors[-1] == "METRIC Study Group"
    assert art.is_rct and "Clinical Trial, Phase III" in art.publication_types
    assert art.abstract.startswith("BACKGROUND: Activating mutations") and "\nRESULTS: " in art.abstract
    assert art.nct_ids == ("NCT01245062",)
    assert pubmed.article_from_xml(xml) == art


def test_parse_genuine_esearch_with_errorlist():
    page = pubmed.parse_esearch(load_json("pubmed-esearch-json-sample.json"))
    assert page.count == 40362 and len(page.ids) == 100
    assert page.warnings == {"errorlist.phrasesnotfound": ["p.E1317Q"]}


def test_esearch_error_and_wrong_documents():
    with pytest.raises(ApiError):
        pubmed.parse_esearch({"esearchresult": {"ERROR": "Invalid query"}})
    with pytest.raises(ResponseFormatError):
        pubmed.parse_esearch({"result": {}})
    with pytest.raises(ApiError):
        pubmed.parse_efetch("<eFetchResult><ERROR>Empty id list</ERROR></eFetchResult>")
    with pytest.raises(ResponseFormatError, match="truncated"):
        pubmed.parse_efetch(EFETCH[: len(EFETCH) // 2])
    with pytest.raises(ResponseFormatError):
        pubmed.parse_efetch("Service unavailable")


def test_rct_query_from_indication():
    q = pubmed_query.build_rct_query(
        FBSS, replace(settings().fetch, intervention_terms=("spinal cord stimulation",))
    )
    assert '"failed back surgery syndrome"[tiab]' in q and '"Failed Back Surgery Syndrome"[mh]' in q
    assert '"spinal cord stimulation"[tiab]' in q and q.endswith("randomized controlled trial[pt]")
    assert pubmed_query.build_registry_id_query(["NCT2", "NCT1"]) == "NCT1[si] OR NCT2[si]"


def client(httpserver, **kw):
    return pubmed_client.PubmedClient(
        transport(httpserver.url_for("/eutils"), **kw), tool="t", email="e@x.org", page_size=2
    )


def test_esearch_pages_and_checks_count(httpserver):
    def handle(request):
        start = int(request.args["retstart"])
        ids = ["5", "4", "3"][start : start + 2]
        return Response(json.dumps(esearch_doc(ids, count=3)), content_type="application/json")

    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_handler(handle)
    result = client(httpserver).esearch("x")
    assert result.ids == ["3", "4", "5"] and len(result.requests) == 2
    request = httpserver.log[0][0]
    assert (
        request.args["tool"] == "t"
        and request.args["email"] == "e@x.org"
        and request.args["retmode"] == "json"
    )


def test_esearch_count_mismatch(httpserver):
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_json(esearch_doc(["1"], count=3))
    with pytest.raises(IncompleteResultError):
        client(httpserver).esearch("x")


def test_efetch_missing_record_is_incomplete(httpserver):
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(EFETCH, content_type="text/xml")
    with pytest.raises(IncompleteResultError, match="123"):
        client(httpserver).efetch(["22663011", "123"])


def serve_pubmed(httpserver, efetch=EFETCH):
    def search(request):
        ids = ["22663011"] if "[si]" in request.args["term"] or "[pt]" in request.args["term"] else []
        return Response(json.dumps(esearch_doc(ids)), content_type="application/json")

    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_handler(search)
    if isinstance(efetch, Response):
        httpserver.expect_request("/eutils/efetch.fcgi").respond_with_response(efetch)
    else:
        httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(efetch, content_type="text/xml")


def _refresh(httpserver, tmp_path):
    cfg = settings(fetch_cfg(tmp_path, httpserver.url_for("")))
    t = transport(
        httpserver.url_for("/eutils"), Sleeps(), max_retries=1, api_key_env=pubmed_client.API_KEY_ENV
    )
    return refresh_pubmed(cfg, "fbss", nct_ids=["NCT01245062"], transport=t)


def test_refresh_pubmed_and_key_never_stored(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", "SECRETKEYVALUE42")
    serve_pubmed(httpserver)
    report = _refresh(httpserver, tmp_path)
    assert report.status == "updated" and report.n_records == 1
    doc = read_snapshot(tmp_path / "snapshots" / "pubmed" / "fbss.json")
    assert doc["records"][0]["matched_by"] == ["query", "registry_id"]
    assert all(req.args.get("api_key") == "SECRETKEYVALUE42" for req, _ in httpserver.log)
    for path in (tmp_path / "snapshots").rglob("*.json"):
        assert "SECRETKEYVALUE42" not in path.read_text()
    assert _refresh(httpserver, tmp_path).status == "unchanged"


@pytest.mark.parametrize("failure", ["rate_limit_body", "truncated_xml", "html", "429"])
def test_failed_pubmed_refresh_keeps_last_good_snapshot(httpserver, tmp_path, failure):
    serve_pubmed(httpserver)
    _refresh(httpserver, tmp_path)
    before = snapshot_state(tmp_path / "snapshots")
    httpserver.clear()
    genuine_429 = text("eutils-error-rate-limit-exceeded.json")
    bad = {
        "rate_limit_body": Response(genuine_429, content_type="application/json"),
        "truncated_xml": Response(EFETCH[:5000], content_type="text/xml"),
        "html": Response("<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"),
        "429": Response(
            genuine_429, status=429, content_type="application/json", headers={"Retry-After": "1"}
        ),
    }[failure]
    if failure in ("rate_limit_body", "429"):
        httpserver.expect_request("/eutils/esearch.fcgi").respond_with_response(bad)
    else:
        serve_pubmed(httpserver, efetch=bad)
    with pytest.raises((RateLimitedError, ResponseFormatError)):
        _refresh(httpserver, tmp_path)
    assert snapshot_state(tmp_path / "snapshots") == before
