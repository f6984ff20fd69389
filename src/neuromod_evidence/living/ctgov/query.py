"""An indication's settings → the search parameters of ClinicalTrials.gov API v2.

The condition side is the indication's synonyms and MeSH terms (``query.cond``); the intervention side its
own ``intervention_terms`` or else ``fetch.intervention_terms`` (``query.intr``); ``filter.advanced`` keeps
interventional, randomized studies. The same term lists feed the PubMed query and the screening queue's
"why matched" text, so they live here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from neuromod_evidence.settings import FetchSettings, Indication


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


def or_phrases(terms: Iterable[str]) -> str:
    """Terms joined with OR, multi-word terms quoted, case-insensitive duplicates dropped."""
    seen: list[str] = []
    for term in terms:
        term = " ".join(str(term).replace('"', " ").split())
        if term and term.lower() not in (s.lower() for s in seen):
            seen.append(term)
    return " OR ".join(f'"{t}"' if " " in t else t for t in seen)


def condition_terms(indication: Indication) -> list[str]:
    return [*indication.synonyms, *indication.mesh_terms]


def intervention_terms(indication: Indication, fetch: FetchSettings) -> list[str]:
    """The indication's own intervention terms if it sets any, else those of the fetch settings."""
    return list(indication.intervention_terms or fetch.intervention_terms)


def build_query(indication: Indication, fetch: FetchSettings) -> StudyQuery:
    """Conditions (synonyms + MeSH terms) × intervention terms, interventional and randomized."""
    terms = condition_terms(indication)
    if not terms:
        raise ValueError(f"indication {indication.label!r} has no synonyms or mesh_terms to search")
    return StudyQuery(
        condition=or_phrases(terms), intervention=or_phrases(intervention_terms(indication, fetch))
    )
