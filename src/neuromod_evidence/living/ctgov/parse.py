"""ClinicalTrials.gov API v2 documents → small dataclasses; no network here.

Each ``parse_*`` checks that a document is the one asked for (a study record has an ``NCT`` id, a search
page a ``studies`` list, ``/version`` a ``dataTimestamp``) and raises :class:`ResponseFormatError` if not,
so that an HTML error page or a truncated body never becomes a snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ResponseFormatError

NCT_RE = re.compile(r"^NCT\d{8}$")


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


def get_path(doc: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(doc, Mapping) or key not in doc:
            return default
        doc = doc[key]
    return doc


def study_nct_id(study: Any) -> str:
    """The NCT id of a study record, or ResponseFormatError if the document is not one."""
    nct = get_path(study, "protocolSection", "identificationModule", "nctId")
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
    enrollment = get_path(design, "enrollmentInfo", "count")
    try:
        enrollment = int(enrollment) if enrollment is not None else None
    except (TypeError, ValueError):
        enrollment = None
    refs = get_path(p, "referencesModule", "references", default=[]) or []
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
        conditions=tuple(get_path(p, "conditionsModule", "conditions", default=[]) or []),
        keywords=tuple(get_path(p, "conditionsModule", "keywords", default=[]) or []),
        interventions=tuple(
            i.get("name", "")
            for i in get_path(p, "armsInterventionsModule", "interventions", default=[]) or []
        ),
        start_date=get_path(status, "startDateStruct", "date", default="") or "",
        completion_date=get_path(status, "completionDateStruct", "date", default="") or "",
        first_posted=get_path(status, "studyFirstPostDateStruct", "date", default="") or "",
        last_update_posted=get_path(status, "lastUpdatePostDateStruct", "date", default="") or "",
        enrollment=enrollment,
        lead_sponsor=get_path(p, "sponsorCollaboratorsModule", "leadSponsor", "name", default="") or "",
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
