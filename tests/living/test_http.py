"""Transport: retries, backoff, Retry-After, timeouts, typed errors, rate limit, key redaction.

Every test runs the real requests/urllib3 stack against a local pytest-httpserver; waits are recorded by an
injected sleep instead of being slept.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest
from living_helpers import Sleeps, text, transport
from werkzeug import Response

from neuromod_evidence.living.errors import (
    FetchTimeout,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from neuromod_evidence.living.pacing import RateLimiter
from neuromod_evidence.living.secrets import redact


def test_json_ok_and_user_agent(httpserver):
    httpserver.expect_request("/v").respond_with_json({"ok": 1})
    doc, shown = transport(httpserver.url_for("")).get_json("v", {"b": 2, "a": 1})
    assert doc == {"ok": 1}
    assert shown.endswith("/v?a=1&b=2")
    request, _ = httpserver.log[0]
    assert "neuromod-evidence/" in request.headers["User-Agent"]
    assert "mailto:tests@example.org" in request.headers["User-Agent"]


def test_429_with_retry_after_is_honoured_then_succeeds(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": True})
    sleeps = Sleeps()
    t = transport(httpserver.url_for(""), sleeps)
    assert t.get_json("x")[0] == {"ok": True}
    assert ("retry-after" in [why for _, why in t.waits]) and 2.0 in sleeps


def test_retry_after_is_capped(httpserver):
    httpserver.expect_ordered_request("/x").respond_with_data(
        "", status=429, headers={"Retry-After": "86400"}
    )
    httpserver.expect_ordered_request("/x").respond_with_json({})
    sleeps = Sleeps()
    transport(httpserver.url_for(""), sleeps, retry_after_cap=3.0).get_json("x")
    assert max(sleeps) == 3.0


def test_500s_then_success_backs_off_exponentially(httpserver):
    for _ in range(3):
        httpserver.expect_ordered_request("/x").respond_with_data("oops", status=500)
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": True})
    t = transport(httpserver.url_for(""), max_retries=3, backoff_factor=0.5, backoff_jitter=0.0)
    assert t.get_json("x")[0] == {"ok": True}
    backoffs = [s for s, why in t.waits if why == "backoff"]
    assert backoffs == [0.0, 1.0, 2.0]  # urllib3: no wait before the first retry, then factor * 2**k


def test_jitter_is_added_to_the_backoff(httpserver):
    for _ in range(3):
        httpserver.expect_ordered_request("/x").respond_with_data("", status=503)
    httpserver.expect_ordered_request("/x").respond_with_json({})
    t = transport(httpserver.url_for(""), backoff_factor=0.5, backoff_jitter=0.25)
    t.get_json("x")
    backoffs = [s for s, why in t.waits if why == "backoff"]
    assert 1.0 <= backoffs[1] <= 1.25 and 2.0 <= backoffs[2] <= 2.25


def test_persistent_5xx_raises_server_error_after_retries(httpserver):
    httpserver.expect_request("/x").respond_with_data("down", status=503)
    with pytest.raises(ServerError) as err:
        transport(httpserver.url_for(""), max_retries=2).get_json("x")
    assert err.value.status == 503
    assert len(httpserver.log) == 3


def test_persistent_429_with_ncbi_body_raises_rate_limited(httpserver):
    body = text("eutils-error-rate-limit-exceeded.json")  # genuine NCBI throttling body
    httpserver.expect_request("/esearch.fcgi").respond_with_data(
        body, status=429, content_type="application/json"
    )
    with pytest.raises(RateLimitedError):
        transport(httpserver.url_for(""), max_retries=1).get_json("esearch.fcgi")


def test_ncbi_rate_limit_body_with_200_is_not_data(httpserver):
    body = text("eutils-error-rate-limit-exceeded.json")
    httpserver.expect_request("/esummary.fcgi").respond_with_data(body, content_type="application/json")
    with pytest.raises(RateLimitedError):
        transport(httpserver.url_for("")).get_json("esummary.fcgi")


def test_truncated_json_is_a_format_error(httpserver):
    httpserver.expect_request("/x").respond_with_data(
        '{"studies": [{"protocolSection": {', content_type="application/json"
    )
    with pytest.raises(ResponseFormatError, match="truncated"):
        transport(httpserver.url_for("")).get_json("x")


def test_html_error_page_is_a_format_error(httpserver):
    page = "<!DOCTYPE html><html><body><h1>Service Temporarily Unavailable</h1></body></html>"
    httpserver.expect_request("/x").respond_with_data(page, content_type="text/html")
    with pytest.raises(ResponseFormatError, match="expected JSON"):
        transport(httpserver.url_for("")).get_json("x")


def test_read_timeout_is_retried_then_typed(httpserver):
    def slow(_request):
        time.sleep(0.3)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    t = transport(httpserver.url_for(""), read_timeout=0.05, max_retries=1, backoff_factor=0.0)
    with pytest.raises(FetchTimeout):
        t.get_json("slow")
    assert len(t.waits) == 1  # one retry happened


def test_timeout_then_success(httpserver):
    calls = []

    def first_slow(_request):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.3)
        return Response('{"ok": true}', content_type="application/json")

    httpserver.expect_request("/x").respond_with_handler(first_slow)
    t = transport(httpserver.url_for(""), read_timeout=0.2, max_retries=3, backoff_factor=0.0)
    assert t.get_json("x")[0] == {"ok": True}
    assert any(why == "backoff" for _, why in t.waits)  # the first attempt timed out and was retried


def test_connection_refused_is_a_transport_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransportError):
        transport(f"http://127.0.0.1:{port}", max_retries=1).get_json("x")


def test_api_key_is_sent_but_never_logged_or_raised(httpserver, monkeypatch, caplog):
    secret = "SECRETKEY0123456789abcdef"
    monkeypatch.setenv("NCBI_API_KEY", secret)
    httpserver.expect_request("/esearch.fcgi").respond_with_data("boom", status=500)
    t = transport(httpserver.url_for(""), api_key_env="NCBI_API_KEY", max_retries=2)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ServerError) as err:
        t.get_json("esearch.fcgi", {"db": "pubmed"})
    sent = [req for req, _ in httpserver.log if req.path == "/esearch.fcgi"]
    assert sent and all(req.args.get("api_key") == secret for req in sent)  # it was sent ...
    assert secret not in str(err.value) and secret not in err.value.url  # ... and never shown
    assert err.value.__cause__ is None
    ours = [
        r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")
    ]  # not the test server
    assert ours and not any(secret in m for m in ours)
    assert secret not in repr(t.__dict__)  # not kept on the transport


def test_key_raises_ncbi_rate(monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", "k")
    t = transport(
        "http://127.0.0.1:9",
        api_key_env="NCBI_API_KEY",
        requests_per_second=3,
        requests_per_second_with_key=10,
    )
    assert t.limiter.interval == pytest.approx(0.1)
    monkeypatch.delenv("NCBI_API_KEY")
    t = transport(
        "http://127.0.0.1:9",
        api_key_env="NCBI_API_KEY",
        requests_per_second=3,
        requests_per_second_with_key=10,
    )
    assert t.limiter.interval == pytest.approx(1 / 3)


def test_redact():
    assert (
        redact("https://x/e.fcgi?db=pubmed&api_key=abc123&term=x")
        == "https://x/e.fcgi?db=pubmed&api_key=REDACTED&term=x"
    )
    assert redact("no secrets here") == "no secrets here"


def test_rate_limiter_spaces_requests():
    now = [100.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.acquire()
    assert slept == pytest.approx([0.5, 0.5, 0.5])
    now[0] += 10  # idle time is not banked into a burst
    limiter.acquire()
    limiter.acquire()
    assert slept[-1] == pytest.approx(0.5)


def test_rate_limiter_applies_between_requests(httpserver):
    httpserver.expect_request("/x").respond_with_json({})
    sleeps = Sleeps()
    t = transport(httpserver.url_for(""), sleeps, requests_per_second=1.0)
    t.get_json("x")
    t.get_json("x")
    assert sleeps and 0 < sleeps[-1] <= 1.0
