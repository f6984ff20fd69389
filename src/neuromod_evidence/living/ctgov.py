"""ClinicalTrials.gov API v2: query building, parsers to small dataclasses, and a paging client.

- `build_query` turns an indication's config (synonyms, MeSH terms, intervention terms) into the API's
  `query.cond` / `query.intr` / `filter.advanced` parameters (interventional, randomized).
- `parse_*` check that a document is the one asked for and return dataclasses; they never touch the network.
- `CtgovClient` pages `/studies` to the end via `nextPageToken` and checks the number of studies against
  the `totalCount` of the first page (later pages omit it, as the API documents); `/studies/{nctId}`
  follows the API's 301 for an aliased NCT id; `/version` gives the data timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from neuromod_evidence.living.http import (
    IncompleteResultError,
    ResponseFormatError,
    Transport,
    TransportSettings,
    settings_from_config,
)

NCT_RE = re.compile(r"^NCT\d{8}$")

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

DEFAULT_INTERVENTION_TERMS = (
    "spinal cord stimulation",
    "spinal cord stimulator",
    "dorsal root ganglion stimulation",
    "peripheral nerve stimulation",
    "intrathecal drug delivery",
    "intrathecal pump",
    "neurostimulation",
)


# --------------------------------------------------------------------------------------------------
# query
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StudyQuery:
    condition: str
    intervention: str
    advanced_filter: str = "AREA[StudyType]INTERVENTIONAL AND AREA[DesignAllocation]RANDOMIZED"

    def params(self) -> dict[str, str]:
        out = {"query.cond": self.condition, "filter.advanced": self.advanced_filter}
        if self.intervention:
            out["query.intr"] = self.intervention
        return out


def _or_phrases(terms: Iterable[str]) -> str:
    seen: list[str] = []
    for term in terms:
        term = " ".join(str(term).replace('"', " ").split())
        if term and term.lower() not in (s.lower() for s in seen):
            seen.append(term)
    return " OR ".join(f'"{t}"' if " " in t else t for t in seen)


def condition_terms(indication: Mapping[str, Any]) -> list[str]:
    return [*indication.get("synonyms", []), *indication.get("mesh_terms", [])]


def intervention_terms(indication: Mapping[str, Any], fetch: Mapping[str, Any] | None = None) -> list[str]:
    terms = indication.get("intervention_terms") or (fetch or {}).get("intervention_terms")
    return list(terms or DEFAULT_INTERVENTION_TERMS)


def build_query(indication: Mapping[str, Any], fetch: Mapping[str, Any] | None = None) -> StudyQuery:
    """Conditions (synonyms + MeSH terms) × intervention terms, interventional and randomized."""
    terms = condition_terms(indication)
    if not terms:
        raise ValueError(
            f"indication {indication.get('label', '?')!r} has no synonyms or mesh_terms to search"
        )
    return StudyQuery(
        condition=_or_phrases(terms), intervention=_or_phrases(intervention_terms(indication, fetch))
    )


# --------------------------------------------------------------------------------------------------
# parsers
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiVersion:
    api_version: str
    data_timestamp: str


@dataclass(frozen=True)
class StudySummary:
    nct_id: str
    brief_title: str
    official_title: str
    acronym: str
    overall_status: str
    study_type: str
    allocation: str
    intervention_model: str
    phases: tuple[str, ...]
    conditions: tuple[str, ...]
    keywords: tuple[str, ...]
    interventions: tuple[str, ...]
    start_date: str
    completion_date: str
    first_posted: str
    last_update_posted: str
    enrollment: int | None
    lead_sponsor: str
    has_results: bool
    aliases: tuple[str, ...]
    pmids: tuple[str, ...]

    @property
    def title(self) -> str:
        return self.brief_title or self.official_title

    @property
    def year(self) -> str:
        for date in (self.start_date, self.first_posted):
            if date[:4].isdigit():
                return date[:4]
        return ""


def _get(doc: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(doc, Mapping) or key not in doc:
            return default
        doc = doc[key]
    return doc


def study_nct_id(study: Any) -> str:
    """The NCT id of a study record, or ResponseFormatError if the document is not one."""
    nct = _get(study, "protocolSection", "identificationModule", "nctId")
    if not isinstance(nct, str) or not NCT_RE.match(nct):
        raise ResponseFormatError(f"not a ClinicalTrials.gov study record (nctId={nct!r})")
    return nct


def parse_study(study: Mapping[str, Any]) -> StudySummary:
    nct = study_nct_id(study)
    p = study.get("protocolSection", {})
    ident = p.get("identificationModule", {})
    status = p.get("statusModule", {})
    design = p.get("designModule", {})
    info = design.get("designInfo", {}) or {}
    enrollment = _get(design, "enrollmentInfo", "count")
    try:
        enrollment = int(enrollment) if enrollment is not None else None
    except (TypeError, ValueError):
        enrollment = None
    refs = _get(p, "referencesModule", "references", default=[]) or []
    return StudySummary(
        nct_id=nct,
        brief_title=ident.get("briefTitle", "") or "",
        official_title=ident.get("officialTitle", "") or "",
        acronym=ident.get("acronym", "") or "",
        overall_status=status.get("overallStatus", "") or "",
        study_type=design.get("studyType", "") or "",
        allocation=info.get("allocation", "") or "",
        intervention_model=info.get("interventionModel", "") or "",
        phases=tuple(design.get("phases", []) or []),
        conditions=tuple(_get(p, "conditionsModule", "conditions", default=[]) or []),
        keywords=tuple(_get(p, "conditionsModule", "keywords", default=[]) or []),
        interventions=tuple(
            i.get("name", "") for i in _get(p, "armsInterventionsModule", "interventions", default=[]) or []
        ),
        start_date=_get(status, "startDateStruct", "date", default="") or "",
        completion_date=_get(status, "completionDateStruct", "date", default="") or "",
        first_posted=_get(status, "studyFirstPostDateStruct", "date", default="") or "",
        last_update_posted=_get(status, "lastUpdatePostDateStruct", "date", default="") or "",
        enrollment=enrollment,
        lead_sponsor=_get(p, "sponsorCollaboratorsModule", "leadSponsor", "name", default="") or "",
        has_results=bool(study.get("hasResults", False)),
        aliases=tuple(ident.get("nctIdAliases", []) or []),
        pmids=tuple(str(r["pmid"]) for r in refs if isinstance(r, Mapping) and r.get("pmid")),
    )


@dataclass(frozen=True)
class SearchPage:
    studies: list[dict[str, Any]]
    total_count: int | None
    next_page_token: str | None


def parse_search_page(doc: Any) -> SearchPage:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("studies"), list):
        raise ResponseFormatError("not a ClinicalTrials.gov search page (no 'studies' list)")
    for study in doc["studies"]:
        study_nct_id(study)
    total = doc.get("totalCount")
    if total is not None and not isinstance(total, int):
        raise ResponseFormatError(f"totalCount is not an integer: {total!r}")
    token = doc.get("nextPageToken") or None
    return SearchPage(list(doc["studies"]), total, token)


def parse_version(doc: Any) -> ApiVersion:
    if not isinstance(doc, Mapping) or "dataTimestamp" not in doc:
        raise ResponseFormatError("not a ClinicalTrials.gov /version document (no dataTimestamp)")
    return ApiVersion(str(doc.get("apiVersion", "")), str(doc["dataTimestamp"]))


# --------------------------------------------------------------------------------------------------
# client
# --------------------------------------------------------------------------------------------------
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


def transport_settings(fetch: Mapping[str, Any]) -> TransportSettings:
    return settings_from_config(
        fetch,
        base_url=fetch.get("ctgov_base_url", "https://clinicaltrials.gov/api/v2"),
        requests_per_second=float(fetch.get("ctgov_requests_per_second", 1.0)),
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
            aliases = _get(doc, "protocolSection", "identificationModule", "nctIdAliases", default=[]) or []
            if aliases and nct_id not in aliases:
                raise ResponseFormatError(
                    f"asked for {nct_id}, got {canonical} which does not list it as alias", shown
                )
        return FetchedStudy(nct_id, canonical, doc, shown)
