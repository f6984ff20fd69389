"""PubMed through NCBI E-utilities: every PMID of a search (esearch, JSON) and their records (efetch, XML).

Every request carries ``tool`` and ``email`` as NCBI asks. An API key, if set, comes only from the
environment variable NCBI_API_KEY (read by the transport at request time, scrubbed from everything stored
or logged) and raises the rate limit from 3 to 10 requests per second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from neuromod_evidence.settings import FetchSettings

from ..errors import IncompleteResultError
from ..http import Transport, TransportSettings, transport_settings
from .parse import Article, parse_efetch, parse_esearch

API_KEY_ENV = "NCBI_API_KEY"
KEYED_REQUESTS_PER_SECOND = 10.0  # NCBI's limit with a key
ESEARCH_MAX = 9999  # esearch cannot page past the first 10,000 ids


def eutils_transport_settings(fetch: FetchSettings) -> TransportSettings:
    return transport_settings(
        fetch,
        base_url=fetch.eutils_base_url,
        requests_per_second=fetch.eutils_requests_per_second,
        requests_per_second_with_key=KEYED_REQUESTS_PER_SECOND,
        api_key_env=API_KEY_ENV,
        api_key_param="api_key",
    )


@dataclass
class EsearchResult:
    ids: list[str]
    count: int
    requests: list[str]
    warnings: dict[str, list[str]]


class PubmedClient:
    def __init__(
        self, transport: Transport, tool: str, email: str, page_size: int = 5000, batch_size: int = 200
    ):
        self.transport = transport
        self.tool = tool
        self.email = email
        self.page_size = page_size
        self.batch_size = batch_size

    def _params(self, **extra: Any) -> dict[str, Any]:
        return {"tool": self.tool, "email": self.email, **extra}

    def esearch(self, term: str) -> EsearchResult:
        """All PMIDs matching `term`, paging with retstart; the count must match the ids returned."""
        ids: list[str] = []
        requests: list[str] = []
        warnings: dict[str, list[str]] = {}
        count = None
        start = 0
        while True:
            params = self._params(
                db="pubmed", term=term, retmode="json", retstart=start, retmax=self.page_size
            )
            doc, shown = self.transport.get_json("esearch.fcgi", params)
            requests.append(shown)
            page = parse_esearch(doc)
            warnings.update(page.warnings)
            if count is None:
                count = page.count
                if count > ESEARCH_MAX:
                    raise IncompleteResultError(
                        f"{count} records: narrow the query (esearch stops at 9,999)", shown
                    )
            ids += page.ids
            start += len(page.ids)
            if not page.ids or start >= count:
                break
        unique = sorted(set(ids), key=int)
        if len(unique) != count:
            raise IncompleteResultError(
                f"esearch returned {len(unique)} ids but count was {count}", requests[0]
            )
        return EsearchResult(unique, count, requests, warnings)

    def efetch(self, pmids: Iterable[str]) -> tuple[list[tuple[Article, str]], list[str]]:
        """Articles for `pmids` (batches of `batch_size`); every requested PMID must come back."""
        pmids = sorted(set(pmids), key=int)
        out: list[tuple[Article, str]] = []
        requests: list[str] = []
        for i in range(0, len(pmids), self.batch_size):
            batch = pmids[i : i + self.batch_size]
            params = self._params(db="pubmed", id=",".join(batch), retmode="xml", rettype="abstract")
            body, shown = self.transport.get_bytes("efetch.fcgi", params, accept="application/xml")
            requests.append(shown)
            articles = parse_efetch(body)
            got = {a.pmid for a, _ in articles}
            missing = sorted(set(batch) - got, key=int)
            if missing:
                raise IncompleteResultError(f"efetch did not return PMIDs {', '.join(missing[:10])}", shown)
            out += [(a, x) for a, x in articles if a.pmid in set(batch)]
        return out, requests
