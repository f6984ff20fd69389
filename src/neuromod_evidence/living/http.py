"""HTTP transport shared by the ClinicalTrials.gov and PubMed clients (layer 1 of 3).

One `requests.Session` per API with:
- connect/read timeouts on every request;
- retries (urllib3 `Retry`) on connection errors, read timeouts, 429 and 5xx, with exponential backoff plus
  jitter, honouring `Retry-After` up to a cap;
- a client-side rate limiter (minimum interval between requests, retries included);
- a user agent naming the project and a contact address;
- an optional API key read from the environment at request time, never kept on the object, never logged,
  never part of an error message or of what callers store (see `redact`).

Failures surface as typed exceptions (`FetchError` and subclasses) carrying a redacted URL. Nothing here
parses documents: `get_json`/`get_text` only check that the body is what was asked for.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.util.retry import Retry

from neuromod_evidence import __version__

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = ("api_key", "apikey", "api-key")
_SECRET_NAMES = "|".join(re.escape(p) for p in SECRET_PARAMS)
_SECRET_RE = re.compile(rf"((?<![\w-])(?:{_SECRET_NAMES})=)[^&\s'\"]+", re.IGNORECASE)


# --------------------------------------------------------------------------------------------------
# typed errors
# --------------------------------------------------------------------------------------------------
class FetchError(RuntimeError):
    """Base class: a request did not yield the document asked for. `url` is always redacted."""

    def __init__(self, message: str, url: str = "", status: int | None = None):
        self.url = redact(url)
        self.status = status
        super().__init__(redact(f"{message} [{self.url}]" if url else message))


class TransportError(FetchError):
    """Connection refused/reset or DNS failure, after all retries."""


class FetchTimeout(TransportError):
    """The server did not answer within the timeout, after all retries."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (after retries for 429/5xx)."""


class RateLimitedError(HTTPStatusError):
    """429 (or an API's rate-limit body) after all retries."""


class ServerError(HTTPStatusError):
    """5xx after all retries."""


class NotFoundError(HTTPStatusError):
    """404: the record does not exist."""


class ResponseFormatError(FetchError):
    """The body is not the document asked for (HTML error page, truncated JSON, wrong root element)."""


class ApiError(FetchError):
    """The API answered 200 but reported an error inside the document."""


class IncompleteResultError(FetchError):
    """Paging ended with fewer (or more) records than the API said exist."""


# --------------------------------------------------------------------------------------------------
# secrets
# --------------------------------------------------------------------------------------------------
def redact(text: str) -> str:
    """Replace the value of any secret query parameter (api_key=...) with REDACTED."""
    return _SECRET_RE.sub(r"\1REDACTED", str(text)) if text else text


class RedactingFilter(logging.Filter):
    """Logging filter that redacts secrets from a record's final message (installed on urllib3's loggers,
    which log retried URLs with their query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def _install_redaction() -> None:
    for name in ("urllib3", "urllib3.connectionpool", "urllib3.util.retry", "requests", __name__):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


# --------------------------------------------------------------------------------------------------
# rate limiting and retries
# --------------------------------------------------------------------------------------------------
class RateLimiter:
    """At most `per_second` requests per second (a minimum interval between request starts)."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may start; return the time waited."""
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next - now)
            if wait > 0:
                self._sleep(wait)
            self._next = max(now, self._next) + self.interval
            return wait


def _retry_class(sleep: Callable[[float], None], on_wait: Callable[[float, str], None]) -> type[Retry]:
    """A Retry whose waits go through an injectable `sleep` (tests pass a recorder, not time.sleep).

    A class attribute, not an instance one, because Retry.new() rebuilds instances from known fields.
    """

    class _Retry(Retry):
        def sleep_for_retry(self, response) -> bool:  # type: ignore[override]
            retry_after = self.get_retry_after(response)  # already capped by retry_after_max
            if retry_after:
                on_wait(retry_after, "retry-after")
                sleep(retry_after)
                return True
            return False

        def _sleep_backoff(self) -> None:
            backoff = self.get_backoff_time()
            on_wait(backoff, "backoff")
            if backoff > 0:
                sleep(backoff)

    return _Retry


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


def settings_from_config(
    fetch, *, base_url: str, requests_per_second: float, **api_specific
) -> TransportSettings:
    """Transport settings from the config's `fetch:` block: timeouts and retries are shared by both APIs."""
    timeout = float(fetch.get("timeout_seconds", 60))
    backoff = float(fetch.get("backoff_seconds", 1.0))
    return TransportSettings(
        base_url=base_url,
        requests_per_second=requests_per_second,
        read_timeout=timeout,
        connect_timeout=min(10.0, timeout),
        max_retries=int(fetch.get("max_retries", 5)),
        backoff_factor=backoff,
        backoff_jitter=backoff,
        retry_after_cap=float(fetch.get("retry_after_cap_seconds", 120)),
        contact=str(fetch.get("email", "")),
        **api_specific,
    )


@dataclass
class Transport:
    """One session against one API. No network activity until the first `get_*` call."""

    settings: TransportSettings
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    waits: list[tuple[float, str]] = field(default_factory=list)  # (seconds, why): observable in tests

    def __post_init__(self) -> None:
        _install_redaction()
        s = self.settings
        rate = s.requests_per_second
        if s.requests_per_second_with_key and self._api_key():
            rate = s.requests_per_second_with_key
        self.limiter = RateLimiter(rate, clock=self.clock, sleep=self.sleep)
        retry_cls = _retry_class(self._sleep_between_retries, self._record_wait)
        retry = retry_cls(
            total=s.max_retries,
            connect=s.max_retries,
            read=s.max_retries,
            status=s.max_retries,
            other=0,
            redirect=False,  # requests follows redirects itself (301 for an aliased NCT id)
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
        return os.environ.get(self.settings.api_key_env) or None

    def _record_wait(self, seconds: float, why: str) -> None:
        self.waits.append((float(seconds), why))
        if seconds > 0:
            log.info("waiting %.2f s before retrying (%s)", seconds, why)

    def _sleep_between_retries(self, seconds: float) -> None:
        self.sleep(seconds)

    def url(self, path: str) -> str:
        return self.settings.base_url.rstrip("/") + "/" + path.lstrip("/")

    def describe(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """The request as it may be stored or logged: the URL with its parameters, never the key."""
        query = urlencode(sorted((k, v) for k, v in (params or {}).items() if k not in SECRET_PARAMS))
        return self.url(path) + (f"?{query}" if query else "")

    # -- the one request ---------------------------------------------------------------------------
    def get(
        self, path: str, params: Mapping[str, Any] | None = None, accept: str = "*/*"
    ) -> requests.Response:
        params = dict(params or {})
        key = self._api_key()
        if key:
            params[self.settings.api_key_param] = key
        url = self.url(path)
        shown = self.describe(path, params)
        self.limiter.acquire()
        log.debug("GET %s", shown)
        try:
            response = self.session.get(
                url,
                params=params,
                headers={"Accept": accept},
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            )
        except requests.Timeout:
            raise FetchTimeout(f"timed out after {self.settings.max_retries} retries", shown) from None
        except requests.exceptions.RetryError as exc:
            raise HTTPStatusError(f"gave up after retries: {type(exc).__name__}", shown) from None
        except requests.ConnectionError as exc:
            if _is_timeout(exc):
                raise FetchTimeout(f"timed out after {self.settings.max_retries} retries", shown) from None
            raise TransportError(
                f"connection failed after {self.settings.max_retries} retries", shown
            ) from None
        except requests.RequestException as exc:
            # exceptions from requests/urllib3 quote the full URL (with any key): never chain them
            raise TransportError(f"request failed: {type(exc).__name__}", shown) from None
        self._raise_for_status(response, shown)
        return response

    @staticmethod
    def _raise_for_status(response: requests.Response, shown: str) -> None:
        status = response.status_code
        if status < 400:
            return
        snippet = redact(response.text[:200].strip().replace("\n", " "))
        if status == 429:
            raise RateLimitedError(f"HTTP 429 after retries: {snippet}", shown, status)
        if status == 404:
            raise NotFoundError(f"HTTP 404: {snippet}", shown, status)
        if status >= 500:
            raise ServerError(f"HTTP {status} after retries: {snippet}", shown, status)
        raise HTTPStatusError(f"HTTP {status}: {snippet}", shown, status)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, str]:
        """GET a JSON document; return (document, redacted request URL)."""
        shown = self.describe(path, params)
        response = self.get(path, params, accept="application/json")
        body = response.text
        ctype = response.headers.get("Content-Type", "")
        if "html" in ctype.lower() or body.lstrip()[:1] == "<":
            raise ResponseFormatError(f"expected JSON, got {ctype or 'markup'}: {body[:80]!r}", shown)
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
            raise RateLimitedError(f"API rate limit body: {doc['error']}", shown, response.status_code)
        return doc, shown

    def get_text(
        self, path: str, params: Mapping[str, Any] | None = None, accept: str = "*/*"
    ) -> tuple[str, str]:
        """GET a text document (XML); return (text, redacted request URL)."""
        shown = self.describe(path, params)
        response = self.get(path, params, accept=accept)
        return response.text, shown

    def close(self) -> None:
        self.session.close()


def _is_timeout(exc: BaseException) -> bool:
    """requests reports exhausted read-timeout retries as ConnectionError(MaxRetryError(ReadTimeoutError))."""
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)
    return isinstance(reason, TimeoutError | urllib3_exceptions.TimeoutError)
