"""The screening queue of one indication: registry trials and PubMed RCT records not yet in the evidence.

One row per record; a publication whose registry record is already queued is folded into it (counted as a
duplicate); records of curated trials, withdrawn or non-randomized registry records, publications that are
not RCTs and records a reviewer decided on leave the queue and are tallied for PRISMA (:mod:`.prisma`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuromod_evidence.living.ctgov.parse import parse_study
from neuromod_evidence.living.ctgov.query import condition_terms, intervention_terms
from neuromod_evidence.living.pubmed.parse import article_from_xml
from neuromod_evidence.living.snapshots import read_snapshot
from neuromod_evidence.settings import Settings

from .curated import Curated
from .decisions import Decisions
from .prisma import Tally, prisma_row

log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    """A snapshot as screening reads it: its records (none when there is no file yet) and a label."""

    doc: dict[str, Any] | None
    label: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return (self.doc or {}).get("records", [])

    @property
    def first_seen(self) -> dict[str, str]:
        return (self.doc or {}).get("first_seen", {})


def load_snapshot(path: str | Path | None) -> Snapshot:
    if not path:
        return Snapshot(None, "none")
    doc = read_snapshot(path)
    if doc is None:
        return Snapshot(None, "none")
    path = Path(path)
    try:
        meta = json.loads(path.with_name(path.name.removesuffix(".json") + ".meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        meta = {}
    return Snapshot(doc, f"{meta.get('saved_at', '?')} sha256:{str(meta.get('sha256', ''))[:12]}")


def matched_terms(terms: Iterable[str], texts: Iterable[str]) -> list[str]:
    blob = " ".join(texts).lower()
    return [t for t in terms if t.lower() in blob]


class IndicationScreen:
    """Builds the queue rows and the PRISMA tally of one indication."""

    def __init__(self, settings: Settings, indication: str, cur: Curated, decisions: Decisions):
        ind = settings.indications[indication]
        self.indication, self.cur, self.decisions = indication, cur, decisions
        self.cond_terms = condition_terms(ind)
        self.intr_terms = intervention_terms(ind, settings.fetch)
        self.tally = Tally()
        self.queue: list[dict[str, Any]] = []
        self.queued_nct: dict[str, dict[str, Any]] = {}
        self.registry_pmids: dict[str, str] = {}

    def decided(self, record_id: str) -> bool:
        decision = self.decisions.of(self.indication, record_id)
        if decision and decision[0] == "exclude":
            self.tally.exclude(f"excluded by reviewer: {decision[1] or 'no reason given'}")
            return True
        if decision and decision[0] == "include":
            self.tally.curated += 1  # accepted, being curated
            return True
        return False

    def registry(self, snap: Snapshot, labels: dict[str, str]) -> None:
        for rec in snap.records:
            try:
                s = parse_study(rec.get("study", {}))
            except Exception as exc:  # noqa: BLE001 - a bad record must not hide the others
                log.warning("%s: unreadable registry record %s: %s", self.indication, rec.get("id"), exc)
                continue
            ids = {s.nct_id, *rec.get("requested_as", []), *s.aliases}
            for pmid in s.pmids:
                self.registry_pmids[pmid] = s.nct_id
            if "search" in rec.get("matched_by", []):
                self.tally.identified_registry += 1
            else:
                self.tally.identified_other += 1  # fetched because a curated trial names it
            if ids & set(self.cur.nct_to_trial):
                self.tally.curated += 1
                continue
            if self.decided(s.nct_id):
                continue
            if s.overall_status == "WITHDRAWN":
                self.tally.exclude("registry: withdrawn before enrolment")
                continue
            if s.allocation and s.allocation != "RANDOMIZED":
                self.tally.exclude("registry: not randomized")
                continue
            cond = matched_terms(
                self.cond_terms, (*s.conditions, *s.keywords, s.brief_title, s.official_title)
            )
            intr = matched_terms(self.intr_terms, (*s.interventions, s.brief_title, s.official_title))
            why = "registry search"
            why += (
                f"; condition: {', '.join(cond)}"
                if cond
                else "; condition matched through the registry's synonyms"
            )
            if intr:
                why += f"; intervention: {', '.join(intr)}"
            row = dict(
                indication=self.indication, source="ctgov", id=s.nct_id, title=s.title, year=s.year,
                date=s.start_date or s.first_posted, status=s.overall_status, why_matched=why,
                first_seen=snap.first_seen.get(s.nct_id, ""), linked_ids=";".join(s.pmids),
                has_results=str(s.has_results), **labels,
            )  # fmt: skip
            self.queued_nct[s.nct_id] = row
            self.queue.append(row)

    def pubmed(self, snap: Snapshot, labels: dict[str, str]) -> None:
        for rec in snap.records:
            try:
                art = article_from_xml(rec["xml"])
            except Exception as exc:  # noqa: BLE001
                log.warning("%s: unreadable PubMed record %s: %s", self.indication, rec.get("id"), exc)
                continue
            self.tally.identified_pubmed += 1
            linked = set(art.nct_ids)
            if art.pmid in self.registry_pmids:
                linked.add(self.registry_pmids[art.pmid])
            if self.cur.pmid_to_trial.get(art.pmid):
                self.tally.curated += 1
                continue
            dup = sorted(n for n in linked if n in self.queued_nct)
            if dup:
                # the same trial is already queued through its registry record: fold the publication into it
                self.tally.duplicates += 1
                for n in dup:
                    ids = [i for i in self.queued_nct[n]["linked_ids"].split(";") if i]
                    self.queued_nct[n]["linked_ids"] = ";".join(sorted({*ids, art.pmid}))
                continue
            if self.decided(art.pmid):
                continue
            if not art.is_rct:
                self.tally.exclude("pubmed: publication type is not Randomized Controlled Trial")
                continue
            of_curated = sorted({self.cur.nct_to_trial[n] for n in linked if n in self.cur.nct_to_trial})
            if of_curated:
                ids = ", ".join(sorted(linked))
                why = f"new publication of curated trial {', '.join(of_curated)} (registry id {ids})"
            else:
                cond = matched_terms(self.cond_terms, (art.title, art.abstract))
                intr = matched_terms(self.intr_terms, (art.title, art.abstract))
                why = (
                    "PubMed RCT query"
                    if "query" in rec.get("matched_by", [])
                    else "PubMed registry-id search"
                )
                if cond:
                    why += f"; condition: {', '.join(cond)}"
                if intr:
                    why += f"; intervention: {', '.join(intr)}"
            self.queue.append(
                dict(
                    indication=self.indication,
                    source="pubmed",
                    id=art.pmid,
                    title=art.title,
                    year=art.year,
                    date=art.year,
                    status="; ".join(art.publication_types),
                    why_matched=why,
                    first_seen=snap.first_seen.get(art.pmid, ""),
                    linked_ids=";".join(sorted(linked)),
                    has_results="",
                    **labels,
                )  # fmt: skip
            )


def screen_indication(
    settings: Settings,
    indication: str,
    ctgov_snapshot: str | Path | None,
    pubmed_snapshot: str | Path | None,
    cur: Curated,
    decisions: Decisions | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(queue rows, PRISMA counts) for one indication."""
    c_snap, p_snap = load_snapshot(ctgov_snapshot), load_snapshot(pubmed_snapshot)
    labels = {"registry_snapshot": c_snap.label, "pubmed_snapshot": p_snap.label}
    screen = IndicationScreen(settings, indication, cur, decisions or Decisions())
    screen.registry(c_snap, labels)
    screen.pubmed(p_snap, labels)
    notes = []
    if c_snap.doc is None:
        notes.append("no registry snapshot yet (offline mode, never fetched): registry counts are empty")
    if p_snap.doc is None:
        notes.append("no PubMed snapshot yet (offline mode, never fetched): PubMed counts are empty")
    prisma = prisma_row(
        indication, screen.tally, len(screen.queue), cur.n_trials, c_snap.label, p_snap.label, notes
    )
    return screen.queue, prisma
