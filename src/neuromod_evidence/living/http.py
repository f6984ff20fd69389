"""HTTP transport shared by the ClinicalTrials.gov and PubMed clients (layer 1 of 3: transport, client, refresh).

One `requests.Session` per API with:
- connect/read timeouts on every request;
- retries (urllib3 `Retry`) on connection errors, read timeouts, 429 and 5xx, with exponential backoff plus
  jitter, honouring `Retry-After` up to a cap (:mod:`.pacing`);
- a client-side rate limiter (minimum interval between requests, retries and redirects included);
- redirects followed only within the configured scheme + host + port: a redirect elsewhere is a
  :class:`RedirectError` and is never requested, so the key never leaves for another host;
- a user agent naming the project and a contact address;
- an optional API key read from the environment at request time, never kept on the object, never logged,
  never part of an error message or of what callers store (:mod:`.secrets`).

Bodies are decoded here and nowhere else: JSON as UTF-8 (as RFC 8259 requires), XML handed on as bytes so
that the parser honours the document's own declaration; a server's missing charset never garbles a title.
Nothing here parses documents beyond checking that the body is what was asked for.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions

from neuromod_evidence import __version__
from neuromod_evidence.settings import FetchSettings

from .errors import (
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NotFoundError,
    RateLimitedError,
    RedirectError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from .pacing import RETRY_STATUSES, RateLimiter, retry_class
from .secrets import SECRET_PARAMS, excerpt, install_redaction, redact, register_secret

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass
class TransportSettings:
    base_url: str
    requests_per_second: float = 1.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_retries: int = 5
    backoff_factor: float = 1.0
    backoff_jitter: float = 1.0
    backoff_max: float = 60.0
    retry_after_cap: float = 120.0
    contact: str = ""
    # name of an environment variable holding an API key, and the query parameter it is sent as
    api_key_env: str | None = None
    api_key_param: str = "api_key"
    # requests/second allowed when the key is present (NCBI: 10 instead of 3)
    requests_per_second_with_key: float | None = None


def transport_settings(
    fetch: FetchSettings, *, base_url: str, requests_per_second: float, **api_specific: Any
) -> TransportSettings:
    """Transport settings from ``settings.fetch``: timeouts and retries are shared by both APIs."""
    timeout = float(fetch.timeout_seconds)
    return TransportSettings(
        base_url=base_url,
        requests_per_second=float(requests_per_second),
        read_timeout=timeout,
        connect_timeout=min(10.0, timeout),
        max_retries=int(fetch.max_retries),
        backoff_factor=float(fetch.backoff_seconds),
        backoff_jitter=float(fetch.backoff_seconds),
        retry_after_cap=float(fetch.retry_after_cap_seconds),
        contact=str(fetch.email),
        **api_specific,
    )


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def without_secrets(url: str) -> str:
    """A URL as it may be stored: secret query parameters removed, everything else kept in order."""
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS
    ]
    return redact(urlunsplit(parts._replace(query=urlencode(query))))


@dataclass
class Transport:
    """One session against one API. No network activity until the first `get_*` call."""

    settings: TransportSettings
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    waits: list[tuple[float, str]] = field(default_factory=list)  # (seconds, why): observable in tests

    def __post_init__(self) -> None:
        install_redaction()
        s = self.settings
        rate = s.requests_per_second
        if s.requests_per_second_with_key and self._api_key():
            rate = s.requests_per_second_with_key
        self.limiter = RateLimiter(rate, clock=self.clock, sleep=self.sleep)
        retry = retry_class(self.sleep, self._record_wait)(
            total=s.max_retries,
            connect=s.max_retries,
            read=s.max_retries,
            status=s.max_retries,
            other=0,
            redirect=False,  # redirects are followed below, one checked hop at a time
            allowed_methods=frozenset({"GET"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=s.backoff_factor,
            backoff_jitter=s.backoff_jitter,
            backoff_max=s.backoff_max,
            retry_after_max=int(max(0, s.retry_after_cap)),
            respect_retry_after_header=True,
            raise_on_status=False,  # hand back the last response; we raise a typed error
            raise_on_redirect=False,
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        contact = f"; mailto:{s.contact}" if s.contact else ""
        self.session.headers["User-Agent"] = (
            f"neuromod-evidence/{__version__} (living evidence fetch{contact})"
        )

    # -- internals -------------------------------------------------------------------------------
    def _api_key(self) -> str | None:
        if not self.settings.api_key_env:
            return None
        key = os.environ.get(self.settings.api_key_env) or None
        register_secret(key)
        return key

    def _record_wait(self, seconds: float, why: str) -> None:
        self.waits.append((float(seconds), why))
        if seconds > 0:
            log.info("waiting %.2f s before retrying (%s)", seconds, why)

    def url(self, path: str) -> str:
        return self.settings.base_url.rstrip("/") + "/" + path.lstrip("/")

    def describe(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """The request as it may be stored or logged: the URL with its parameters, never the key."""
        query = urlencode(sorted((k, v) for k, v in (params or {}).items() if k not in SECRET_PARAMS))
        return redact(self.url(path) + (f"?{query}" if query else ""))

    def _send(self, url: str, params: Mapping[str, Any] | None, accept: str, shown: str) -> requests.Response:
        self.limiter.acquire()
        log.debug("GET %s", shown)
        retries = self.settings.max_retries
        try:
            return self.session.get(
                url,
                params=params,
                headers={"Accept": accept},
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                allow_redirects=False,
            )
        except requests.Timeout:
            raise FetchTimeout(f"timed out after {retries} retries", shown) from None
        except requests.exceptions.RetryError as exc:
            raise HTTPStatusError(f"gave up after retries: {type(exc).__name__}", shown) from None
        except requests.ConnectionError as exc:
            if _is_timeout(exc):
                raise FetchTimeout(f"timed out after {retries} retries", shown) from None
            raise TransportError(f"connection failed after {retries} retries", shown) from None
        except requests.RequestException as exc:
            # exceptions from requests/urllib3 quote the full URL (with any key): never chain them
            raise TransportError(f"request failed: {type(exc).__name__}", shown) from None

    # -- the one request ---------------------------------------------------------------------------
    def get(
        self, path: str, params: Mapping[str, Any] | None = None, accept: str = "*/*"
    ) -> tuple[requests.Response, str]:
        """GET ``path``; return (response, the request as it may be stored: final URL, never the key)."""
        params = dict(params or {})
        key = self._api_key()
        if key:
            params[self.settings.api_key_param] = key
        shown = self.describe(path, params)
        response = self._send(self.url(path), params, accept, shown)
        home = origin(self.settings.base_url)
        hops = 0
        while response.is_redirect:
            target = urljoin(response.url, response.headers.get("Location", ""))
            scheme, host, port = origin(target)
            if (scheme, host, port) != home:
                raise RedirectError(
                    f"HTTP {response.status_code} redirect to another host ({scheme}://{host}:{port}); "
                    "not followed: only redirects within the configured host are",
                    shown,
                    response.status_code,
                )
            hops += 1
            if hops > MAX_REDIRECTS:
                raise RedirectError(f"more than {MAX_REDIRECTS} redirects", shown, response.status_code)
            response = self._send(target, None, accept, shown)
        if hops:  # record where the document really came from
            shown = f"{without_secrets(response.url)} (redirected from {shown})"
        self._raise_for_status(response, shown)
        return response, shown

    @staticmethod
    def _raise_for_status(response: requests.Response, shown: str) -> None:
        status = response.status_code
        if status < 400:
            return
        snippet = excerpt(response.content.decode("utf-8", "replace"), 200)
        if status == 429:
            raise RateLimitedError(f"HTTP 429 after retries: {snippet}", shown, status)
        if status == 404:
            raise NotFoundError(f"HTTP 404: {snippet}", shown, status)
        if status >= 500:
            raise ServerError(f"HTTP {status} after retries: {snippet}", shown, status)
        raise HTTPStatusError(f"HTTP {status}: {snippet}", shown, status)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, str]:
        """GET a JSON document, decoded as UTF-8 whatever the charset says; return (document, request)."""
        response, shown = self.get(path, params, accept="application/json")
        ctype = response.headers.get("Content-Type", "")
        try:
            body = response.content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ResponseFormatError(f"JSON body is not UTF-8 (byte {exc.start})", shown) from None
        if "html" in ctype.lower() or body.lstrip()[:1] == "<":
            raise ResponseFormatError(f"expected JSON, got {ctype or 'markup'}: {excerpt(body, 80)!r}", shown)
        try:
            doc = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ResponseFormatError(
                f"invalid or truncated JSON ({exc.msg} at char {exc.pos})", shown
            ) from None
        if (
            isinstance(doc, dict)
            and isinstance(doc.get("error"), str)
            and "rate limit" in doc["error"].lower()
        ):
            # NCBI sometimes sends its throttling body; never keep it as data
            raise RateLimitedError(
                f"API rate limit body: {excerpt(doc['error'], 200)}", shown, response.status_code
            )
        return doc, shown

    def get_bytes(
        self, path: str, params: Mapping[str, Any] | None = None, accept: str = "*/*"
    ) -> tuple[bytes, str]:
        """GET a document as bytes (XML: its parser reads the encoding from the declaration)."""
        response, shown = self.get(path, params, accept=accept)
        return response.content, shown

    def close(self) -> None:
        self.session.close()


def _is_timeout(exc: BaseException) -> bool:
    """requests reports exhausted read-timeout retries as ConnectionError(MaxRetryError(ReadTimeoutError))."""
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)
    return isinstance(reason, TimeoutError | urllib3_exceptions.TimeoutError)


__all__ = ["FetchError", "Transport", "TransportSettings", "transport_settings", "origin", "without_secrets"]
