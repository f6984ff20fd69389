"""Snapshots: atomic writes, content hash, unchanged content untouched, failures leave no trace."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os

import pytest

from neuromod_evidence.living import snapshots
from neuromod_evidence.living.snapshots import SnapshotError, SnapshotStore, atomic_write_bytes, read_snapshot


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)

    def __call__(self):
        return self.now

    def advance(self, days=7):
        self.now += dt.timedelta(days=days)


def recs(*ids, v=1):
    return [{"id": i, "v": v} for i in ids]


def save(store, records, **kw):
    return store.save("ctgov", "fbss", records, query={"q": "x"}, requests=["http://x/?q=x"], **kw)


def test_save_unchanged_changed_and_history(tmp_path):
    clock = Clock()
    store = SnapshotStore(tmp_path, clock=clock)
    first = save(store, recs("NCT2", "NCT1"), api_data_timestamp="2026-10-31")
    assert first.changed and first.added == ["NCT1", "NCT2"]
    path = store.path("ctgov", "fbss")
    assert first.sha256 == snapshots.sha256_hex(path.read_bytes())
    doc = read_snapshot(path)
    assert [r["id"] for r in doc["records"]] == ["NCT1", "NCT2"]  # sorted
    assert doc["first_seen"] == {"NCT1": "2026-11-01", "NCT2": "2026-11-01"}
    mtime = path.stat().st_mtime_ns

    clock.advance()
    again = save(store, recs("NCT1", "NCT2"), api_data_timestamp="2026-11-07")  # new data timestamp only
    assert not again.changed and path.stat().st_mtime_ns == mtime
    meta = json.loads(store.meta_path("ctgov", "fbss").read_text())
    assert meta["last_checked_at"] == "2026-11-08T06:00:00Z" and meta["saved_at"] == "2026-11-01T06:00:00Z"
    assert meta["api_data_timestamp"] == "2026-11-07" and meta["last_check_changed"] is False

    clock.advance()
    third = save(store, [*recs("NCT1"), {"id": "NCT2", "v": 2}, *recs("NCT3")])
    assert third.changed and third.added == ["NCT3"] and third.updated == ["NCT2"] and third.removed == []
    doc = read_snapshot(path)
    assert doc["first_seen"]["NCT3"] == "2026-11-15" and doc["first_seen"]["NCT1"] == "2026-11-01"
    history = sorted(store.history_dir("ctgov", "fbss").iterdir())
    assert len(history) == 2
    assert gzip.decompress(history[-1].read_bytes()) == path.read_bytes()
    meta = json.loads(store.meta_path("ctgov", "fbss").read_text())
    assert [h["added"] for h in meta["history"]] == [["NCT1", "NCT2"], ["NCT3"]]


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(ValueError):
        save(SnapshotStore(tmp_path), recs("NCT1", "NCT1"))
    assert not SnapshotStore(tmp_path).path("ctgov", "fbss").exists()


def test_crash_during_replace_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    store = SnapshotStore(tmp_path)
    save(store, recs("NCT1"))
    path = store.path("ctgov", "fbss")
    old = path.read_bytes()

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        save(store, recs("NCT1", "NCT9"))
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_atomic_write_creates_folders(tmp_path):
    target = tmp_path / "a" / "b" / "c.bin"
    atomic_write_bytes(target, b"x")
    assert target.read_bytes() == b"x"
    assert list(target.parent.iterdir()) == [target]


def test_record_failure_touches_only_the_sidecar(tmp_path):
    store = SnapshotStore(tmp_path)
    save(store, recs("NCT1"))
    path = store.path("ctgov", "fbss")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    store.record_failure("ctgov", "fbss", RuntimeError("HTTP 500 [https://x/?api_key=abc]"))
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    meta = json.loads(store.meta_path("ctgov", "fbss").read_text())
    assert "RuntimeError" in meta["last_failure"]["error"] and "abc" not in meta["last_failure"]["error"]


def test_secrets_are_not_stored(tmp_path):
    store = SnapshotStore(tmp_path)
    store.save("pubmed", "fbss", recs("1"), query={"term": "x", "api_key": "KEY123"},
               requests=["https://e/esearch.fcgi?term=x&api_key=KEY123"])  # fmt: skip
    for p in tmp_path.rglob("*.json"):
        assert "KEY123" not in p.read_text()


def test_read_snapshot_errors(tmp_path):
    assert read_snapshot(tmp_path / "none.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text('{"records": [')
    with pytest.raises(SnapshotError):
        read_snapshot(bad)
    bad.write_text('{"studies": []}')
    with pytest.raises(SnapshotError):
        read_snapshot(bad)
