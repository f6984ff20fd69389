"""An indication's settings → PubMed search terms (E-utilities ``esearch``).

The RCT query uses the same condition and intervention terms as the registry search
(:mod:`..ctgov.query`); the registry-id query finds publications that cite an NCT id as secondary id
(``[si]``).
"""

from __future__ import annotations

from collections.abc import Iterable

from neuromod_evidence.settings import FetchSettings, Indication

from ..ctgov.query import intervention_terms


def _phrase(term: str, tag: str) -> str:
    term = " ".join(term.replace('"', " ").split())
    return f'"{term}"[{tag}]'


def build_rct_query(indication: Indication, fetch: FetchSettings) -> str:
    """(condition synonyms [tiab] or MeSH [mh]) AND (intervention terms [tiab]) AND RCT[pt]."""
    cond = [_phrase(t, "tiab") for t in indication.synonyms]
    cond += [_phrase(t, "mh") for t in indication.mesh_terms]
    intr = [_phrase(t, "tiab") for t in intervention_terms(indication, fetch)]
    return f"({' OR '.join(cond)}) AND ({' OR '.join(intr)}) AND randomized controlled trial[pt]"


def build_registry_id_query(nct_ids: Iterable[str]) -> str:
    return " OR ".join(f"{n}[si]" for n in sorted(set(nct_ids)))
