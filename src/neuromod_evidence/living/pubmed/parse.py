"""E-utilities documents → dataclasses; no network here.

``esearch`` answers are JSON (already decoded by the transport); ``efetch`` answers are XML, parsed from
bytes so that the document's own encoding declaration is honoured (a server that sends ``text/xml``
without a charset must not turn ≥, ü or α into mojibake).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ApiError, ResponseFormatError
from ..secrets import excerpt

RCT_TYPE = "Randomized Controlled Trial"
NCT_IN_TEXT = re.compile(r"\bNCT\d{8}\b")


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
        raise ApiError(f"esearch error: {excerpt(str(result['ERROR']), 200)}")
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


def parse_efetch(document: bytes | str) -> list[tuple[Article, str]]:
    """Parse an efetch PubmedArticleSet into (Article, the article's own XML) pairs.

    Bytes are parsed as sent (the XML declaration names the encoding, UTF-8 if it names none); a ``str``
    is taken as already decoded text.
    """
    data = document.encode("utf-8") if isinstance(document, str) else bytes(document)
    if not data.lstrip().startswith(b"<"):
        raise ResponseFormatError(f"efetch: not XML: {excerpt(data.decode('utf-8', 'replace'), 80)!r}")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ResponseFormatError(f"efetch: invalid or truncated XML ({exc})") from None
    if root.tag == "eFetchResult" or root.find("ERROR") is not None:
        raise ApiError(f"efetch error: {excerpt(_text(root.find('ERROR')) or _text(root), 200)}")
    if root.tag != "PubmedArticleSet":
        raise ResponseFormatError(f"efetch: expected PubmedArticleSet, got <{root.tag}>")
    out = []
    for el in root:
        if el.tag == "PubmedArticle":
            out.append((parse_article(el), ET.tostring(el, encoding="unicode")))
    return out


def article_from_xml(xml_text: str) -> Article:
    """Re-read one article stored in a snapshot (stored as text, without a declaration)."""
    return parse_article(ET.fromstring(xml_text.encode("utf-8")))
