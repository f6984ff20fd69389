"""Typed failures of the fetch layer: what went wrong, on which (redacted) request.

Callers catch :class:`FetchError` to keep the last good snapshot; the subclasses say why, so a test (or a
person reading a log) can tell a timeout from a throttled request from a page that is not the document
asked for. Every message and URL goes through :func:`.secrets.redact` when the error is built.
"""

from __future__ import annotations

from .secrets import redact


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


class RedirectError(FetchError):
    """A redirect to another scheme or host (never followed: the key would go with it), or too many."""


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
