"""Keep API keys out of everything the fetch layer says or stores.

Why: an API key sent as a query parameter comes back in places nobody thinks of: urllib3's retry log lines
(the URL), an error body that quotes it (NCBI answers ``{"error": "API key invalid", "api-key": "<key>"}``),
and from there exception messages, ``.meta.json`` sidecars, rule logs and cron mail. :func:`redact`
scrubs three shapes: ``api_key=<value>`` in a URL, an ``"api-key": "<value>"`` field in a JSON/text body,
and the key's value itself wherever it appears (the values of :data:`SECRET_ENV` and any value registered
with :func:`register_secret`, also in URL-encoded form).

Always redact a whole text before cutting an excerpt from it: a key cut in half is no longer recognisable.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import quote, quote_plus

SECRET_PARAMS = ("api_key", "apikey", "api-key")
SECRET_ENV = ("NCBI_API_KEY",)  # environment variables whose values are secrets wherever they appear
REDACTED = "REDACTED"
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words

_NAMES = "|".join(re.escape(p) for p in SECRET_PARAMS)
_PARAM_RE = re.compile(rf"((?<![\w-])(?:{_NAMES})=)[^&\s'\"]+", re.IGNORECASE)
_FIELD_RE = re.compile(rf"""(["']?(?<![\w-])(?:{_NAMES})["']?\s*[:=]\s*["'])[^"']*(["'])""", re.IGNORECASE)
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value (e.g. a key read from the environment) so that it is scrubbed everywhere."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _registered.add(value)


def _secret_values() -> set[str]:
    values = set(_registered)
    values.update(v for name in SECRET_ENV if len(v := os.environ.get(name, "")) >= MIN_SECRET_LENGTH)
    encoded = {f(v, safe="") for v in values for f in (quote, quote_plus)}
    return values | encoded


def redact(text: str) -> str:
    """``text`` with every secret (parameter, JSON field, or the bare value) replaced by REDACTED."""
    if not text:
        return text
    out = _FIELD_RE.sub(rf"\1{REDACTED}\2", _PARAM_RE.sub(rf"\1{REDACTED}", str(text)))
    for value in sorted(_secret_values(), key=len, reverse=True):
        out = out.replace(value, REDACTED)
    return out


def excerpt(text: str, limit: int) -> str:
    """A one-line, redacted excerpt of at most ``limit`` characters (redacted first, then cut)."""
    return redact(str(text)).strip().replace("\n", " ")[:limit]


def redact_tree(value):
    """A JSON-like value with secret fields dropped and every string redacted (for stored documents)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_tree(v) for k, v in value.items() if str(k).lower() not in SECRET_PARAMS}
    if isinstance(value, list | tuple):
        return [redact_tree(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Logging filter that redacts secrets from a record's final message (installed on urllib3's loggers,
    which log retried URLs with their query string, and on this package's fetch loggers)."""

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
FILTERED_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.util.retry",
    "requests",
    "neuromod_evidence",
    "neuromod_evidence.living",
    "neuromod_evidence.living.http",
    "neuromod_evidence.living.refresh",
    "neuromod_evidence.living.snapshots",
)


def install_redaction() -> None:
    """Attach the filter to every logger that may see a URL or an error body (filters do not propagate)."""
    for name in FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
