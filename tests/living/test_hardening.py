"""Hardening of the fetch layer (issue 12): the NCBI key never leaks (1), redirects never cross hosts (2),
bodies without a charset are decoded right (3), snapshot files follow the umask (10).

Every case runs the real transport against a local server; waits are recorded, never slept.
"""

from __future__ import annotations

import json
import logging
import os
import socket

import pytest
from living_helpers import Sleeps, fetch_cfg, settings, snapshot_state, text, transport
from pytest_httpserver import HTTPServer
from werkzeug import Response

from neuromod_evidence.living.errors import FetchError, RedirectError
from neuromod_evidence.living.pubmed.client import API_KEY_ENV
from neuromod_evidence.living.pubmed.parse import article_from_xml
from neuromod_evidence.living.refresh import refresh_pubmed
from neuromod_evidence.living.snapshots import SnapshotStore, read_snapshot
from neuromod_evidence.workflow_io import logged

KEY = "LEAKY0KEY0a1b2c3d4e5f6a7b8c9d0e1f2"  # recognisable, 34 characters like a real NCBI key
EFETCH = text("pubmed-efetch-PMID22663011.xml")


def esearch(ids):
    doc = {"esearchresult": {"count": str(len(ids)), "retmax": str(len(ids)), "retstart": "0", "idlist": ids}}
    return Response(json.dumps(doc), content_type="application/json")


def serve(httpserver, esearch_response=None, efetch_response=None):
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_response(
        esearch_response or esearch(["22663011"])
    )
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_response(
        efetch_response or Response(EFETCH, content_type="text/xml")
    )


def refresh(tmp_path, base_url, **kw):
    cfg = settings(fetch_cfg(tmp_path, base_url.removesuffix("/eutils")))
    t = transport(base_url, Sleeps(), max_retries=1, api_key_env=API_KEY_ENV, **kw)
    return refresh_pubmed(cfg, "fbss", nct_ids=["NCT01245062"], transport=t)


def _json(doc, status=200):
    return Response(json.dumps(doc), status=status, content_type="application/json")


PADDING = "x" * 185  # puts the key across the 200-character excerpt of an error body
LEAKS = {
    "400_invalid_key": dict(
        esearch=_json({"error": "API key invalid", "api-key": KEY, "type": "api-key"}, 400)
    ),
    "429_key_field": dict(
        esearch=_json({"error": "API rate limit exceeded", "api-key": KEY, "limit": "3"}, 429)
    ),
    "200_rate_limit_body": dict(esearch=_json({"error": "API rate limit exceeded", "api-key": KEY})),
    "500_echoes_url": dict(esearch=Response(f"failed: /esearch.fcgi?db=pubmed&api_key={KEY}", status=500)),
    "404_echoes_key": dict(esearch=Response(f"no such key {KEY}", status=404)),
    "403_key_cut_in_excerpt": dict(esearch=Response(f"{PADDING} key {KEY} rejected", status=403)),
    "html_page": dict(esearch=Response(f"<html><body>bad key {KEY}</body></html>", content_type="text/html")),
    "truncated_json": dict(
        esearch=Response('{"esearchresult": {"key": "' + KEY, content_type="application/json")
    ),
    "esearch_error": dict(esearch=_json({"esearchresult": {"ERROR": f"Invalid API key {KEY}"}})),
    "efetch_error": dict(
        efetch=Response(
            f"<eFetchResult><ERROR>api_key {KEY} invalid</ERROR></eFetchResult>", content_type="text/xml"
        )
    ),  # fmt: skip
    "efetch_not_xml": dict(efetch=Response(f"Service unavailable for {KEY}", content_type="text/plain")),
}


@pytest.mark.parametrize("case", [*LEAKS, "cross_host_redirect", "connection_refused"])
def test_the_api_key_never_leaks(httpserver, tmp_path, monkeypatch, caplog, capsys, case):
    monkeypatch.setenv(API_KEY_ENV, KEY)
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", True)  # the test server's access log
    caplog.set_level(logging.DEBUG)
    base = httpserver.url_for("/eutils")
    other = None
    if case == "cross_host_redirect":
        other = HTTPServer(host="127.0.0.1", port=0)
        other.start()
        other.expect_request("/eutils/esearch.fcgi").respond_with_response(esearch([]))
        target = other.url_for("/eutils/esearch.fcgi") + f"?api_key={KEY}&term=x"
        serve(httpserver, esearch_response=Response("", status=301, headers={"Location": target}))
    elif case == "connection_refused":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = f"http://127.0.0.1:{s.getsockname()[1]}/eutils"
    else:
        serve(httpserver, LEAKS[case].get("esearch"), LEAKS[case].get("efetch"))
    log_file = tmp_path / "logs" / "fetch_pubmed_records" / "fbss.log"
    try:
        with pytest.raises(FetchError) as err, logged(str(log_file)):
            refresh(tmp_path, base)
    finally:
        if other is not None:
            assert other.log == []  # the other host never saw a request (nor the key)
            other.stop()
    assert err.value.__cause__ is None
    outputs = {
        "exception": f"{err.value} {err.value!r} {err.value.url}",
        "log file": log_file.read_text(encoding="utf-8"),
        "stderr/stdout": "".join(capsys.readouterr()),
        "log records": "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")),
        **{str(p): p.read_text(encoding="utf-8") for p in (tmp_path / "snapshots").rglob("*.json")},
    }
    assert any("last_failure" in v for k, v in outputs.items() if k.endswith(".meta.json"))
    for where, content in outputs.items():
        assert KEY[:12] not in content, f"the key (or a piece of it) leaked into {where}"


def test_cross_host_redirect_keeps_the_last_good_snapshot(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, KEY)
    serve(httpserver)
    assert refresh(tmp_path, httpserver.url_for("/eutils")).n_records == 1
    before = snapshot_state(tmp_path / "snapshots")
    httpserver.clear()
    with HTTPServer(host="127.0.0.1", port=0) as other:
        other.expect_request("/eutils/esearch.fcgi").respond_with_response(esearch([]))  # would empty it
        moved = other.url_for("/eutils/esearch.fcgi") + f"?api_key={KEY}&term=x"
        serve(httpserver, esearch_response=Response("", status=301, headers={"Location": moved}))
        with pytest.raises(RedirectError, match="another host"):
            refresh(tmp_path, httpserver.url_for("/eutils"))
        assert other.log == []
    assert snapshot_state(tmp_path / "snapshots") == before
    meta = json.loads((tmp_path / "snapshots" / "pubmed" / "fbss.meta.json").read_text())
    assert "RedirectError" in meta["last_failure"]["error"]


def test_same_host_redirect_is_followed_and_the_final_url_recorded(httpserver, tmp_path):
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_response(
        Response(
            "", status=301, headers={"Location": httpserver.url_for("/v2/eutils/esearch.fcgi") + "?term=x"}
        )
    )
    httpserver.expect_request("/v2/eutils/esearch.fcgi").respond_with_response(esearch(["22663011"]))
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_data(EFETCH, content_type="text/xml")
    refresh(tmp_path, httpserver.url_for("/eutils"))
    meta = json.loads((tmp_path / "snapshots" / "pubmed" / "fbss.meta.json").read_text())
    assert any("/v2/eutils/esearch.fcgi?term=x (redirected from " in r for r in meta["requests"])


TITLE = "Spinal cord stimulation: ≥ 50 % relief in Müller's α-cohort"


def test_xml_without_charset_keeps_non_ascii_titles(httpserver, tmp_path):
    start = EFETCH.index("<ArticleTitle>") + len("<ArticleTitle>")
    end = EFETCH.index("</ArticleTitle>")
    body = (EFETCH[:start] + TITLE + EFETCH[end:]).encode("utf-8")
    serve(httpserver, efetch_response=Response(body, headers={"Content-Type": "text/xml"}))
    refresh(tmp_path, httpserver.url_for("/eutils"))
    sent = [r for r, response in httpserver.log if r.path.endswith("efetch.fcgi")]
    assert sent and "charset" not in httpserver.log[-1][1].headers["Content-Type"]
    [record] = read_snapshot(tmp_path / "snapshots" / "pubmed" / "fbss.json")["records"]
    assert article_from_xml(record["xml"]).title == TITLE


def test_xml_declaring_latin1_is_read_as_latin1(httpserver, tmp_path):
    start = EFETCH.index("<ArticleTitle>") + len("<ArticleTitle>")
    end = EFETCH.index("</ArticleTitle>")
    latin = "Stimulation für Müller"
    doc = EFETCH[:start] + latin + EFETCH[end:]
    body = doc.replace('<?xml version="1.0" ?>', '<?xml version="1.0" encoding="ISO-8859-1"?>').encode(
        "latin-1"
    )
    serve(httpserver, efetch_response=Response(body, headers={"Content-Type": "text/xml"}))
    refresh(tmp_path, httpserver.url_for("/eutils"))
    [record] = read_snapshot(tmp_path / "snapshots" / "pubmed" / "fbss.json")["records"]
    assert article_from_xml(record["xml"]).title == latin


def test_json_without_charset_is_utf8(httpserver):
    doc = {"title": TITLE}
    httpserver.expect_request("/x").respond_with_response(
        Response(json.dumps(doc, ensure_ascii=False).encode("utf-8"), headers={"Content-Type": "text/plain"})
    )
    assert transport(httpserver.url_for("")).get_json("x")[0] == doc


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_snapshot_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        store = SnapshotStore(tmp_path)
        store.save("ctgov", "fbss", [{"id": "NCT1"}], query={}, requests=[])
        store.record_failure("ctgov", "fbss", RuntimeError("x"))
    finally:
        os.umask(old)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 3  # snapshot, sidecar, history entry
    assert {p.name: p.stat().st_mode & 0o777 for p in files} == {p.name: mode for p in files}
