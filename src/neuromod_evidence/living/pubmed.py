"""PubMed through NCBI E-utilities: esearch (JSON) and efetch (XML), parsers to dataclasses, a client.

Every request carries `tool` and `email` as NCBI asks. An API key, if set, comes only from the environment
variable NCBI_API_KEY (read by the transport at request time, redacted everywhere) and raises the rate
limit from 3 to 10 requests per second.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from neuromod_evidence.living.ctgov import condition_terms, intervention_terms
from neuromod_evidence.living.http import (
    ApiError,
    IncompleteResultError,
    ResponseFormatError,
    Transport,
    TransportSettings,
    settings_from_config,
)

API_KEY_ENV = "NCBI_API_KEY"
RCT_TYPE = "Randomized Controlled Trial"
ESEARCH_MAX = 9999  # esearch cannot page past the first 10,000 ids
NCT_IN_TEXT = re.compile(r"\bNCT\d{8}\b")


# --------------------------------------------------------------------------------------------------
# queries
# --------------------------------------------------------------------------------------------------
def _phrase(term: str, tag: str) -> str:
    term = " ".join(term.replace('"', " ").split())
    return f'"{term}"[{tag}]'


def build_rct_query(indication: Mapping[str, Any], fetch: Mapping[str, Any] | None = None) -> str:
    """(condition synonyms [tiab] or MeSH [mh]) AND (intervention terms [tiab]) AND RCT[pt]."""
    cond = [_phrase(t, "tiab") for t in indication.get("synonyms", [])]
    cond += [_phrase(t, "mh") for t in indication.get("mesh_terms", [])]
    if not cond:
        cond = [_phrase(t, "tiab") for t in condition_terms(indication)]
    intr = [_phrase(t, "tiab") for t in intervention_terms(indication, fetch)]
    return f"({' OR '.join(cond)}) AND ({' OR '.join(intr)}) AND randomized controlled trial[pt]"


def build_registry_id_query(nct_ids: Iterable[str]) -> str:
    return " OR ".join(f"{n}[si]" for n in sorted(set(nct_ids)))


# --------------------------------------------------------------------------------------------------
# parsers
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchPage:
    count: int
    ids: list[str]
    warnings: dict[str, list[str]]


def parse_esearch(doc: Any) -> SearchPage:
    result = doc.get("esearchresult") if isinstance(doc, Mapping) else None
    if not isinstance(result, Mapping):
        raise ResponseFormatError("not an esearch JSON document (no esearchresult)")
    if "ERROR" in result:
        raise ApiError(f"esearch error: {result['ERROR']}")
    try:
        count = int(result["count"])
    except (KeyError, TypeError, ValueError):
        raise ResponseFormatError(f"esearch count is not a number: {result.get('count')!r}") from None
    ids = result.get("idlist", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) and i.isdigit() for i in ids):
        raise ResponseFormatError("esearch idlist is not a list of PMIDs")
    warnings = {}
    for key in ("errorlist", "warninglist"):
        block = result.get(key) or {}
        for name, values in block.items() if isinstance(block, Mapping) else []:
            if values:
                warnings[f"{key}.{name}"] = list(values)
    return SearchPage(count, list(ids), warnings)


@dataclass(frozen=True)
class Article:
    pmid: str
    title: str
    journal: str
    journal_abbrev: str
    year: str
    doi: str
    authors: tuple[str, ...]
    publication_types: tuple[str, ...]
    abstract: str
    nct_ids: tuple[str, ...]

    @property
    def is_rct(self) -> bool:
        return RCT_TYPE in self.publication_types

    @property
    def first_author(self) -> str:
        return self.authors[0] if self.authors else ""


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _year(article: ET.Element) -> str:
    pub = article.find("MedlineCitation/Article/Journal/JournalIssue/PubDate")
    if pub is not None:
        year = pub.findtext("Year")
        if year and year.strip()[:4].isdigit():
            return year.strip()[:4]
        match = re.search(r"\b(1[89]|20)\d\d\b", pub.findtext("MedlineDate") or "")
        if match:
            return match.group(0)
    for path in ("MedlineCitation/Article/ArticleDate/Year", "PubmedData/History/PubMedPubDate/Year"):
        year = article.findtext(path)
        if year and year.strip().isdigit():
            return year.strip()
    return ""


def parse_article(article: ET.Element) -> Article:
    if article.tag != "PubmedArticle":
        raise ResponseFormatError(f"expected PubmedArticle, got {article.tag}")
    pmid = (article.findtext("MedlineCitation/PMID") or "").strip()
    if not pmid.isdigit():
        raise ResponseFormatError("PubmedArticle without a PMID")
    art = article.find("MedlineCitation/Article")
    if art is None:
        raise ResponseFormatError(f"PMID {pmid}: no Article element")
    authors = []
    for author in art.findall("AuthorList/Author"):
        collective = author.findtext("CollectiveName")
        if collective:
            authors.append(" ".join(collective.split()))
            continue
        last = author.findtext("LastName") or ""
        initials = author.findtext("Initials") or ""
        if last:
            authors.append(f"{last} {initials}".strip())
    doi = ""
    for aid in article.findall("PubmedData/ArticleIdList/ArticleId"):
        if aid.get("IdType") == "doi" and aid.text:
            doi = aid.text.strip()
            break
    if not doi:
        for loc in art.findall("ELocationID"):
            if loc.get("EIdType") == "doi" and loc.text:
                doi = loc.text.strip()
                break
    parts = []
    for piece in art.findall("Abstract/AbstractText"):
        label = piece.get("Label")
        text = _text(piece)
        parts.append(f"{label}: {text}" if label else text)
    nct_ids = []
    for bank in art.findall("DataBankList/DataBank"):
        if (bank.findtext("DataBankName") or "").strip().lower() == "clinicaltrials.gov":
            nct_ids += [
                (a.text or "").strip().upper() for a in bank.findall("AccessionNumberList/AccessionNumber")
            ]
    return Article(
        pmid=pmid,
        title=_text(art.find("ArticleTitle")),
        journal=_text(art.find("Journal/Title")),
        journal_abbrev=_text(art.find("Journal/ISOAbbreviation")),
        year=_year(article),
        doi=doi,
        authors=tuple(authors),
        publication_types=tuple(_text(p) for p in art.findall("PublicationTypeList/PublicationType")),
        abstract="\n".join(parts),
        nct_ids=tuple(sorted({n for n in nct_ids if NCT_IN_TEXT.fullmatch(n)})),
    )


def parse_efetch(xml_text: str) -> list[tuple[Article, str]]:
    """Parse an efetch PubmedArticleSet into (Article, the article's own XML) pairs."""
    if not xml_text.lstrip().startswith("<"):
        raise ResponseFormatError(f"efetch: not XML: {xml_text[:80]!r}")
    try:
        root = ET.fromstring(xml_text.encode("utf-8"))
    except ET.ParseError as exc:
        raise ResponseFormatError(f"efetch: invalid or truncated XML ({exc})") from None
    if root.tag == "eFetchResult" or root.find("ERROR") is not None:
        raise ApiError(f"efetch error: {_text(root.find('ERROR')) or _text(root)}")
    if root.tag != "PubmedArticleSet":
        raise ResponseFormatError(f"efetch: expected PubmedArticleSet, got <{root.tag}>")
    out = []
    for el in root:
        if el.tag == "PubmedArticle":
            out.append((parse_article(el), ET.tostring(el, encoding="unicode")))
    return out


def article_from_xml(xml_text: str) -> Article:
    """Re-read one article stored in a snapshot."""
    return parse_article(ET.fromstring(xml_text.encode("utf-8")))


# --------------------------------------------------------------------------------------------------
# client
# --------------------------------------------------------------------------------------------------
def transport_settings(fetch: Mapping[str, Any]) -> TransportSettings:
    return settings_from_config(
        fetch,
        base_url=fetch.get("eutils_base_url", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"),
        requests_per_second=float(fetch.get("eutils_requests_per_second", 3.0)),
        requests_per_second_with_key=10.0,
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
            text, shown = self.transport.get_text("efetch.fcgi", params, accept="application/xml")
            requests.append(shown)
            articles = parse_efetch(text)
            got = {a.pmid for a, _ in articles}
            missing = sorted(set(batch) - got, key=int)
            if missing:
                raise IncompleteResultError(f"efetch did not return PMIDs {', '.join(missing[:10])}", shown)
            out += [(a, x) for a, x in articles if a.pmid in set(batch)]
        return out, requests
