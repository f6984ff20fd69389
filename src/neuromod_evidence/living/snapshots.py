"""Dated, atomically written snapshots of what the registries returned.

Layout under the configured `snapshot_dir` (default `data/snapshots`):

    <source>/<name>.json                   the last good snapshot (what the pipeline reads)
    <source>/<name>.meta.json              request(s), times, API data timestamp, sha256, changes, failures
    <source>/history/<name>/<UTC time>-<sha12>.json.gz   every distinct version ever saved

Rules kept here:
- a snapshot is written only from a complete, checked document (callers build it in memory first);
- every write goes to a temporary file in the same folder, is fsynced, then `os.replace`d over the
  target, so a reader sees the old file or the new one, never a mix; a crash leaves no partial file;
  the file gets the permissions the process umask gives any new file (not the 0600 of a temp file), so a
  shared or served checkout can read it;
- identical content leaves the snapshot file alone (its mtime too), so Snakemake re-runs nothing
  downstream; only the sidecar `.meta.json` records that it was checked;
- a failure is recorded in the sidecar and never touches the snapshot.

Content is canonical JSON (sorted keys, fixed indentation), hashed with sha256.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .secrets import redact, redact_tree

SNAPSHOT_FORMAT = 1
HISTORY_KEEP = 200  # entries kept in the meta history list (files in history/ are never deleted)


class SnapshotError(RuntimeError):
    """A snapshot on disk cannot be read."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_bytes(doc: Any) -> bytes:
    return (json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` via a temp file in the same folder + fsync + os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(
                fh.fileno(), 0o666 & ~current_umask()
            )  # mkstemp makes 0600; a new file is 0666 & ~umask
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the platform allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def current_umask() -> int:
    """The process umask (read by setting it and putting it back: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_json(path: str | os.PathLike, doc: Any) -> None:
    atomic_write_bytes(path, canonical_bytes(doc))


def write_if_changed(path: str | os.PathLike, data: bytes) -> bool:
    """Atomically write `data` unless the file already holds exactly these bytes. True if written."""
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write_bytes(path, data)
    return True


def record_hash(record: Any) -> str:
    return sha256_hex(canonical_bytes(record))[:16]


@dataclass(frozen=True)
class SaveResult:
    path: Path
    meta_path: Path
    sha256: str
    changed: bool
    n_records: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.changed:
            return f"{self.path}: unchanged ({self.n_records} records, sha256 {self.sha256[:12]})"
        return (
            f"{self.path}: updated ({self.n_records} records; {len(self.added)} new, "
            f"{len(self.removed)} gone, {len(self.updated)} changed; sha256 {self.sha256[:12]})"
        )


class SnapshotStore:
    """Snapshots of one kind of record (`source`, e.g. "ctgov") per `name` (e.g. an indication id)."""

    def __init__(self, root: str | os.PathLike, clock: Callable[[], dt.datetime] = utc_now):
        self.root = Path(root)
        self.clock = clock

    # -- paths -------------------------------------------------------------------------------------
    def path(self, source: str, name: str) -> Path:
        return self.root / source / f"{name}.json"

    def meta_path(self, source: str, name: str) -> Path:
        return self.root / source / f"{name}.meta.json"

    def history_dir(self, source: str, name: str) -> Path:
        return self.root / source / "history" / name

    # -- reading -----------------------------------------------------------------------------------
    def load(self, source: str, name: str) -> dict[str, Any] | None:
        return read_snapshot(self.path(source, name))

    def load_meta(self, source: str, name: str) -> dict[str, Any]:
        path = self.meta_path(source, name)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError):
            return {}  # the sidecar is advisory; a broken one is rebuilt on the next save

    # -- writing -----------------------------------------------------------------------------------
    def save(
        self,
        source: str,
        name: str,
        records: Iterable[dict[str, Any]],
        *,
        query: dict[str, Any],
        requests: list[str],
        api_data_timestamp: str | None = None,
        extra_meta: dict[str, Any] | None = None,
    ) -> SaveResult:
        """Save a complete set of records (each a dict with a string `id`).

        The snapshot file is rewritten only when its content changes. `first_seen` (id -> UTC date the id
        first appeared in this snapshot series) is carried over from the previous snapshot.
        """
        now = self.clock()
        records = sorted(records, key=lambda r: r["id"])
        ids = [r["id"] for r in records]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{source}/{name}: duplicated record ids in a snapshot")
        path, meta_path = self.path(source, name), self.meta_path(source, name)
        try:
            previous = self.load(source, name)
        except SnapshotError:
            previous = None  # unreadable (hand-edited?) snapshot: replace it with a good one
        first_seen = dict((previous or {}).get("first_seen", {}))
        today = now.date().isoformat()
        for rid in ids:
            first_seen.setdefault(rid, today)
        doc = {
            "format": SNAPSHOT_FORMAT,
            "source": source,
            "name": name,
            "query": redact_tree(query),
            "records": records,
            "first_seen": first_seen,
        }
        data = canonical_bytes(doc)
        digest = sha256_hex(data)
        added, removed, updated = _diff(previous, doc)
        changed = not (path.exists() and path.read_bytes() == data)
        meta = self.load_meta(source, name)
        if changed:
            hist = self.history_dir(source, name) / f"{now.strftime('%Y%m%dT%H%M%SZ')}-{digest[:12]}.json.gz"
            atomic_write_bytes(hist, gzip.compress(data, mtime=0))
            atomic_write_bytes(path, data)
            entry = {
                "saved_at": iso(now),
                "sha256": digest,
                "n_records": len(records),
                "added": added,
                "removed": removed,
                "updated": updated,
                "file": str(hist.relative_to(self.root)),
            }
            meta["history"] = ([*meta.get("history", []), entry])[-HISTORY_KEEP:]
            meta["saved_at"] = iso(now)
            meta["changes"] = {"added": added, "removed": removed, "updated": updated}
        meta.update(
            {
                "format": SNAPSHOT_FORMAT,
                "source": source,
                "name": name,
                "file": path.name,
                "sha256": digest,
                "n_records": len(records),
                "last_checked_at": iso(now),
                "last_check_changed": changed,
                "api_data_timestamp": api_data_timestamp,
                "query": redact_tree(query),
                "requests": [redact(r) for r in requests],
                "last_failure": None,
            }
        )
        if extra_meta:
            meta.update(redact_tree(extra_meta))
        atomic_write_json(meta_path, meta)
        return SaveResult(path, meta_path, digest, changed, len(records), added, removed, updated)

    def record_failure(self, source: str, name: str, error: BaseException | str) -> None:
        """Note a failed refresh in the sidecar; the snapshot itself is left exactly as it was."""
        meta = self.load_meta(source, name)
        meta.setdefault("source", source)
        meta.setdefault("name", name)
        kind = type(error).__name__ if isinstance(error, BaseException) else "error"
        meta["last_failure"] = {"at": iso(self.clock()), "error": redact(f"{kind}: {error}")}
        atomic_write_json(self.meta_path(source, name), meta)


def read_snapshot(path: str | os.PathLike) -> dict[str, Any] | None:
    """Read a snapshot file; None when there is none; SnapshotError when it is not a snapshot."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: unreadable snapshot ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise SnapshotError(f"{path}: not a snapshot (no 'records' list)")
    return doc


def _diff(previous: dict[str, Any] | None, current: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    old = {r["id"]: record_hash(r) for r in (previous or {}).get("records", [])}
    new = {r["id"]: record_hash(r) for r in current["records"]}
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    updated = sorted(k for k in set(old) & set(new) if old[k] != new[k])
    return added, removed, updated
