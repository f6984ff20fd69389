"""Refresh the snapshots of one indication (the glue between clients and the snapshot store).

`refresh_ctgov` / `refresh_pubmed` fetch everything first, check it, and only then hand one complete set of
records to `SnapshotStore.save`. Any failure is noted in the snapshot's sidecar and re-raised; the last
good snapshot stays exactly as it was. In offline mode nothing here opens a connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuromod_evidence.settings import Settings

from .ctgov.client import CtgovClient, ctgov_transport_settings
from .ctgov.parse import study_nct_id
from .ctgov.query import build_query
from .errors import FetchError, NotFoundError
from .http import Transport
from .pubmed.client import PubmedClient, eutils_transport_settings
from .pubmed.query import build_rct_query, build_registry_id_query
from .snapshots import SaveResult, SnapshotStore, atomic_write_json, read_snapshot

log = logging.getLogger(__name__)

CTGOV = "ctgov"
PUBMED = "pubmed"


@dataclass
class RefreshReport:
    source: str
    indication: str
    mode: str
    status: str  # "updated", "unchanged", "offline", "failed"
    message: str
    snapshot: str
    n_records: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def snapshot_path(snapshot_dir: str | Path, source: str, indication: str) -> Path:
    return SnapshotStore(snapshot_dir).path(source, indication)


def _offline(source: str, indication: str, store: SnapshotStore) -> RefreshReport:
    path = store.path(source, indication)
    doc = read_snapshot(path)
    if doc is None:
        msg = (
            f"offline: no {source} snapshot for {indication} yet; downstream tables will be empty and say so"
        )
    else:
        meta = store.load_meta(source, indication)
        saved = meta.get("saved_at", "?")
        msg = f"offline: using the {source} snapshot saved {saved} ({len(doc['records'])} records)"
    log.info(msg)
    return RefreshReport(
        source, indication, "offline", "offline", msg, str(path), None if doc is None else len(doc["records"])
    )


def _report(source: str, indication: str, result: SaveResult) -> RefreshReport:
    status = "updated" if result.changed else "unchanged"
    log.info(result.summary())
    return RefreshReport(
        source, indication, "live", status, result.summary(), str(result.path), result.n_records
    )


def refresh_ctgov(
    settings: Settings,
    indication: str,
    curated_nct_ids: Iterable[str] = (),
    transport: Transport | None = None,
) -> RefreshReport:
    """Search the registry for the indication, add the curated trials' own records, save one snapshot."""
    fetch = settings.fetch
    store = SnapshotStore(fetch.snapshot_dir)
    if fetch.mode != "live":
        return _offline(CTGOV, indication, store)
    transport = transport or Transport(ctgov_transport_settings(fetch))
    client = CtgovClient(transport, page_size=int(fetch.page_size))
    query = build_query(settings.indications[indication], fetch)
    try:
        version = client.version()
        result = client.search(query)
        requests = list(result.requests)
        records: dict[str, dict[str, Any]] = {}
        for study in result.studies:
            nct = study_nct_id(study)
            records[nct] = {"id": nct, "matched_by": ["search"], "requested_as": [], "study": study}
        not_found = []
        for requested in sorted({n.strip().upper() for n in curated_nct_ids if n and n.strip()}):
            hit = next((r for r in records.values() if requested == r["id"]), None)
            if hit is not None:
                hit["matched_by"] = sorted({*hit["matched_by"], "curated"})
                continue
            try:
                fetched = client.study(requested)
            except NotFoundError:
                not_found.append(requested)  # a definite answer, not a transient failure
                continue
            requests.append(fetched.request)
            rec = records.setdefault(
                fetched.nct_id,
                {"id": fetched.nct_id, "matched_by": [], "requested_as": [], "study": fetched.study},
            )
            rec["matched_by"] = sorted({*rec["matched_by"], "curated"})
            if fetched.requested_id != fetched.nct_id:
                rec["requested_as"] = sorted({*rec["requested_as"], fetched.requested_id})
        saved = store.save(
            CTGOV,
            indication,
            records.values(),
            query={**query.params(), "curated_ids": sorted(set(curated_nct_ids))},
            requests=requests,
            api_data_timestamp=version.data_timestamp,
            extra_meta={
                "api_version": version.api_version,
                "total_count": result.total_count,
                "not_found": not_found,
            },
        )
    except FetchError as exc:
        store.record_failure(CTGOV, indication, exc)
        log.error("ctgov refresh for %s failed; the last good snapshot is kept: %s", indication, exc)
        raise
    return _report(CTGOV, indication, saved)


def refresh_pubmed(
    settings: Settings,
    indication: str,
    nct_ids: Iterable[str] = (),
    transport: Transport | None = None,
) -> RefreshReport:
    """RCT publications matching the indication, plus publications of the given NCT ids ([si])."""
    fetch = settings.fetch
    store = SnapshotStore(fetch.snapshot_dir)
    if fetch.mode != "live":
        return _offline(PUBMED, indication, store)
    transport = transport or Transport(eutils_transport_settings(fetch))
    client = PubmedClient(transport, tool=fetch.tool, email=fetch.email)
    term = build_rct_query(settings.indications[indication], fetch)
    nct_ids = sorted({n.strip().upper() for n in nct_ids if n and n.strip()})
    try:
        found = client.esearch(term)
        requests = list(found.requests)
        matched: dict[str, set[str]] = {pmid: {"query"} for pmid in found.ids}
        warnings = dict(found.warnings)
        for i in range(0, len(nct_ids), 40):
            si = client.esearch(build_registry_id_query(nct_ids[i : i + 40]))
            requests += si.requests
            for pmid in si.ids:
                matched.setdefault(pmid, set()).add("registry_id")
        articles, fetch_requests = client.efetch(matched)
        requests += fetch_requests
        records = [
            {"id": art.pmid, "matched_by": sorted(matched[art.pmid]), "xml": xml} for art, xml in articles
        ]
        saved = store.save(
            PUBMED,
            indication,
            records,
            query={"term": term, "registry_ids": nct_ids},
            requests=requests,
            api_data_timestamp=None,  # E-utilities publish no data timestamp; fetched_at is the reference
            extra_meta={"esearch_count": found.count, "warnings": warnings},
        )
    except FetchError as exc:
        store.record_failure(PUBMED, indication, exc)
        log.error("pubmed refresh for %s failed; the last good snapshot is kept: %s", indication, exc)
        raise
    return _report(PUBMED, indication, saved)


def nct_ids_in_snapshot(path: str | Path) -> list[str]:
    doc = read_snapshot(path)
    return sorted(r["id"] for r in (doc or {}).get("records", []))


def fetch_to_report(
    settings: Settings, source: str, indication: str, trials_csv: str | Path, report_path: str | Path
) -> RefreshReport:
    """What a fetch rule runs: refresh one snapshot (live) or report on it (offline); write a JSON report.

    The curated trials' registry ids come from the validated, normalized trials table (``trials_csv``);
    PubMed is also searched for the NCT ids of the registry snapshot of the same indication. A failed
    live refresh raises (the rule fails and the last good snapshot stays in place).
    """
    from neuromod_evidence.screening.curated import curated_nct_ids  # local: pandas is slow to import

    curated = curated_nct_ids(trials_csv, indication)
    if source == CTGOV:
        report = refresh_ctgov(settings, indication, curated)
    elif source == PUBMED:
        registry = nct_ids_in_snapshot(snapshot_path(settings.fetch.snapshot_dir, CTGOV, indication))
        report = refresh_pubmed(settings, indication, sorted({*curated, *registry}))
    else:
        raise ValueError(f"unknown source {source!r}")
    atomic_write_json(report_path, report.as_dict())
    return report
