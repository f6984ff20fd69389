"""ClinicalTrials.gov API v2 client: every page of a search, one record, the data timestamp.

``search`` pages ``/studies`` to the end via ``nextPageToken`` and checks the number of studies against the
``totalCount`` of the first page (later pages omit it, as the API documents); ``study`` follows the API's
301 for an aliased NCT id (the transport follows redirects within the API's host only); ``version`` gives
the data timestamp stored with every snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from neuromod_evidence.settings import FetchSettings

from ..errors import IncompleteResultError, ResponseFormatError
from ..http import Transport, TransportSettings, transport_settings
from .parse import NCT_RE, ApiVersion, get_path, parse_search_page, parse_version, study_nct_id
from .query import StudyQuery

# the pieces of a record the pipeline reads (registry results and screening); `fields=` keeps pages small
STUDY_FIELDS = (
    "protocolSection.identificationModule",
    "protocolSection.statusModule",
    "protocolSection.sponsorCollaboratorsModule",
    "protocolSection.conditionsModule",
    "protocolSection.designModule",
    "protocolSection.armsInterventionsModule",
    "protocolSection.referencesModule",
    "resultsSection.participantFlowModule",
    "resultsSection.outcomeMeasuresModule",
    "hasResults",
)


@dataclass
class SearchResult:
    studies: list[dict[str, Any]]  # sorted by NCT id
    total_count: int
    requests: list[str]


@dataclass
class FetchedStudy:
    requested_id: str
    nct_id: str  # canonical id (differs from requested_id for an alias)
    study: dict[str, Any]
    request: str


def ctgov_transport_settings(fetch: FetchSettings) -> TransportSettings:
    return transport_settings(
        fetch, base_url=fetch.ctgov_base_url, requests_per_second=fetch.ctgov_requests_per_second
    )


class CtgovClient:
    def __init__(self, transport: Transport, page_size: int = 1000, max_pages: int = 1000):
        if not 1 <= page_size <= 1000:
            raise ValueError("pageSize must be between 1 and 1000")
        self.transport = transport
        self.page_size = page_size
        self.max_pages = max_pages

    def version(self) -> ApiVersion:
        doc, _ = self.transport.get_json("version")
        return parse_version(doc)

    def search(self, query: StudyQuery, fields: Iterable[str] | None = STUDY_FIELDS) -> SearchResult:
        """Every study matching `query`, all pages; raises IncompleteResultError on a count mismatch."""
        base = {**query.params(), "pageSize": self.page_size, "format": "json"}
        if fields:
            base["fields"] = ",".join(fields)
        params = {**base, "countTotal": "true"}
        studies: dict[str, dict[str, Any]] = {}
        requests: list[str] = []
        total: int | None = None
        seen_tokens: set[str] = set()
        for page_no in range(self.max_pages):
            doc, shown = self.transport.get_json("studies", params)
            requests.append(shown)
            page = parse_search_page(doc)
            if page_no == 0:
                if page.total_count is None:
                    raise ResponseFormatError(
                        "first search page has no totalCount although countTotal=true", shown
                    )
                total = page.total_count
            for study in page.studies:
                nct = study_nct_id(study)
                if nct in studies:
                    raise IncompleteResultError(f"{nct} returned twice while paging (data changed?)", shown)
                studies[nct] = study
            if not page.next_page_token:
                break
            if page.next_page_token in seen_tokens:
                raise IncompleteResultError("the API repeated a nextPageToken", shown)
            seen_tokens.add(page.next_page_token)
            params = {**base, "pageToken": page.next_page_token}
        else:
            raise IncompleteResultError(f"more than {self.max_pages} pages", requests[-1])
        assert total is not None
        if len(studies) != total:
            raise IncompleteResultError(
                f"paging returned {len(studies)} studies but totalCount was {total}", requests[0]
            )
        return SearchResult([studies[k] for k in sorted(studies)], total, requests)

    def study(self, nct_id: str, fields: Iterable[str] | None = STUDY_FIELDS) -> FetchedStudy:
        """One study record; an aliased id is redirected (301) by the API to the current record."""
        nct_id = nct_id.strip().upper()
        if not NCT_RE.match(nct_id):
            raise ValueError(f"not an NCT id: {nct_id!r}")
        params = {"format": "json"}
        if fields:
            params["fields"] = ",".join(fields)
        doc, shown = self.transport.get_json(f"studies/{nct_id}", params)
        canonical = study_nct_id(doc)
        if canonical != nct_id:
            aliases = (
                get_path(doc, "protocolSection", "identificationModule", "nctIdAliases", default=[]) or []
            )
            if aliases and nct_id not in aliases:
                raise ResponseFormatError(
                    f"asked for {nct_id}, got {canonical} which does not list it as alias", shown
                )
        return FetchedStudy(nct_id, canonical, doc, shown)
