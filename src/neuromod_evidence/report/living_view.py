"""The living header of every page: when the evidence last changed, when each source was last searched, the
review queue, and what changed since the previous report.

Dates come only from what travels with the data, never from file times (a checkout rewrites those):
- the evidence: the newest entry of each indication's ``changelog.csv`` (:mod:`..evidence.changelog`);
- the searches: the ``last_checked_at`` of each snapshot's ``.meta.json`` sidecar (written by
  :class:`..living.snapshots.SnapshotStore` on every successful search, changed content or not), with the
  last failure when one came after it. No snapshot: "database search not yet run (offline)".
"""

from __future__ import annotations

import json
from pathlib import Path

from ..evidence.changelog import last_changed

SOURCES = (("ctgov", "ClinicalTrials.gov"), ("pubmed", "PubMed"))
NOT_RUN = "database search not yet run (offline)"


def _sidecar(snapshot_dir: Path, source: str, iid: str) -> dict | None:
    """The sidecar of one snapshot, None when there is no snapshot (a failure alone is no search)."""
    if not (snapshot_dir / source / f"{iid}.json").exists():
        return None
    try:
        return json.loads((snapshot_dir / source / f"{iid}.meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a snapshot without a readable sidecar: searched, date unknown


def search_status(snapshot_dir: str | Path | None, indications: list[str]) -> dict[str, dict[str, dict]]:
    """source -> indication -> {"date": "YYYY-MM-DD" | None, "failed": "YYYY-MM-DD" | None, "run": bool}."""
    root = Path(snapshot_dir) if snapshot_dir else None
    out: dict[str, dict[str, dict]] = {}
    for source, _ in SOURCES:
        out[source] = {}
        for iid in indications:
            meta = _sidecar(root, source, iid) if root else None
            checked = str((meta or {}).get("last_checked_at") or "")[:10] or None
            failure = (meta or {}).get("last_failure") or {}
            failed = str(failure.get("at") or "")[:10] or None
            out[source][iid] = {"run": meta is not None, "date": checked, "failed": failed}
    return out


def _describe_search(entries: list[dict]) -> str:
    """One source over some indications, in words."""
    run = [e for e in entries if e["run"]]
    if not run:
        return NOT_RUN
    dates = sorted(e["date"] for e in run if e["date"])
    if not dates:
        words = "searched (date not recorded)"
    elif dates[0] == dates[-1]:
        words = dates[0]
    else:
        words = f"{dates[0]} to {dates[-1]} (by indication)"
    if len(run) < len(entries):
        words += f"; not yet run for {len(entries) - len(run)} of {len(entries)} indications"
    failed = sorted(e["failed"] for e in run if e["failed"])
    if failed:
        words += f"; a later attempt failed on {failed[-1]}, the last good snapshot is used"
    return words


def _change_counts(changes: dict) -> list[str]:
    if not changes.get("available") or changes.get("none"):
        return []
    parts = [
        (len(changes["new_trials"]), "trial added", "trials added"),
        (len(changes["removed_trials"]), "trial removed", "trials removed"),
        (len(changes["new_analyses"]), "new analysis", "new analyses"),
        (len(changes["changed"]), "result changed", "results changed"),
        (len(changes.get("moved", [])), "conclusion moved", "conclusions moved"),
        (len(changes["removed_analyses"]), "analysis removed", "analyses removed"),
    ]
    return [f"{n} {one if n == 1 else many}" for n, one, many in parts if n]


def living_header(
    settings,
    indications: list[str],
    searches: dict[str, dict[str, dict]],
    queue_sizes: dict[str, int],
    changes: dict,
) -> dict:
    """The header of the index (``all``: every indication) and of each page (its own indication);
    ``searches`` from :func:`search_status`, ``queue_sizes`` empty when screening did not run."""
    evidence = last_changed(settings.evidence_dir, indications)
    changed = _change_counts(changes)

    def scope(iids: list[str]) -> dict:
        dates = [evidence[i] for i in iids if evidence[i] is not None]
        undated = [i for i in iids if evidence[i] is None]
        sizes = [queue_sizes.get(i) for i in iids]
        return {
            "evidence_date": max(dates).isoformat() if dates else None,
            "evidence_undated": undated,
            "searches": [(label, _describe_search([searches[s][i] for i in iids])) for s, label in SOURCES],
            "queue": None if all(n is None for n in sizes) else sum(n or 0 for n in sizes),
            "any_search": any(searches[s][i]["run"] for s, _ in SOURCES for i in iids),
            "changes": changed,
            "changes_available": bool(changes.get("available")),
            "changes_date": changes.get("date"),
        }

    return {"all": scope(indications), **{iid: scope([iid]) for iid in indications}}
