"""Run-to-run state: what changed since the last report whose data differ from this one's.

Two places, both documented in ``workflow/rules/report.smk``:

* ``state_dir`` (declared outputs of the rule, e.g. ``results/report/state/``): the state this report shows —
  ``summary.csv`` (SUMMARY), ``trials.csv`` (normalized trials) and ``meta.json`` (fingerprint, the date the
  evidence last changed, the render date, and each analysis's conclusion: certainty and GRADE statement).
* ``history_dir`` (e.g. ``results/report/history/``): an append-only log of the distinct states rendered so
  far, one folder per state (``<seq>_<date>_<fingerprint>``), the last :data:`KEEP` kept. It is not a rule
  output because Snakemake deletes a rule's outputs before running it, and the previous state must survive
  that. The rule reads it and appends to it; nothing else does.

A report compares with the newest state in the history whose fingerprint differs from its own, so
re-rendering the same data shows the same comparison (the baseline moves only when the data change).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd

from ..config import ConfigError
from ..settings import Settings
from ..tables import NORMALIZED_TRIALS, SUMMARY, atomic_write_text, format_table, read_table, write_table
from .analysis_view import num, truthy
from .evidence_view import text
from .text import fmt_interval, measure_decimals

STATE_FILES = ("summary.csv", "trials.csv", "meta.json")
KEEP = 10


def fingerprint(summary: pd.DataFrame, trials: pd.DataFrame, conclusions: dict | None = None) -> str:
    """The state's identity: its numbers, its trials and its conclusions (a reviewer's override that moves a
    certainty is a change too)."""
    h = hashlib.sha256()
    h.update(format_table(SUMMARY, summary).to_csv(index=False).encode())
    h.update(format_table(NORMALIZED_TRIALS, trials).to_csv(index=False).encode())
    if conclusions:
        h.update(json.dumps(conclusions, sort_keys=True).encode())
    return h.hexdigest()


def conclusions_of(analyses: list[dict]) -> dict[str, str]:
    """analysis id -> its conclusion as the reader meets it: certainty and GRADE statement (or why none)."""
    out = {}
    for a in analyses:
        g = a["grade"]
        out[a["id"]] = f"{g['certainty']} certainty: {g['statement']}" if g["statement"] else g["certainty"]
    return out


def _meta(folder: Path) -> dict:
    path = folder / "meta.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _entries(history_dir: Path) -> list[Path]:
    """History entries, oldest first."""
    if not history_dir.is_dir():
        return []
    return sorted(p for p in history_dir.iterdir() if p.is_dir() and (p / "summary.csv").exists())


def previous_state(history_dir: Path, current: str) -> Path | None:
    """The newest state in the history whose fingerprint differs from ``current``."""
    return next((p for p in reversed(_entries(history_dir)) if _meta(p).get("fingerprint") != current), None)


def write_state(
    state_dir: Path,
    summary: pd.DataFrame,
    trials: pd.DataFrame,
    date: str,
    conclusions: dict | None = None,
    rendered: str = "",
) -> str:
    """``date``: when the evidence last changed; ``rendered``: when this report was rendered."""
    write_table(SUMMARY, summary, state_dir / "summary.csv")
    write_table(NORMALIZED_TRIALS, trials, state_dir / "trials.csv")
    fp = fingerprint(summary, trials, conclusions)
    meta = {"fingerprint": fp, "date": date, "rendered": rendered, "conclusions": conclusions or {}}
    atomic_write_text(state_dir / "meta.json", json.dumps(meta, indent=2) + "\n")
    return fp


def archive_state(history_dir: Path, state_dir: Path) -> None:
    """Append ``state_dir`` to the history unless the newest entry already holds the same state."""
    meta = _meta(state_dir)
    entries = _entries(history_dir)
    if entries and _meta(entries[-1]).get("fingerprint") == meta["fingerprint"]:
        return
    seq = int(entries[-1].name.split("_", 1)[0]) + 1 if entries else 1
    target = history_dir / f"{seq:05d}_{meta['date']}_{meta['fingerprint'][:12]}"
    target.mkdir(parents=True, exist_ok=True)
    for name in STATE_FILES:
        shutil.copyfile(state_dir / name, target / name)
    for old in entries[: max(0, len(entries) + 1 - KEEP)]:
        shutil.rmtree(old)


def _title(settings: Settings, r: pd.Series) -> str:
    ind, outcome, comparison, tp = (r["indication"], r["outcome"], r["comparison"], r["timepoint"])
    try:
        o = settings.outcome(ind, outcome)
    except ConfigError:  # an analysis of a state whose config differed: show its ids
        return f"{str(ind).upper()}: {outcome}, {comparison}, {tp}"
    comp = settings.indications[ind].comparisons.get(comparison)
    window = o.window(tp)
    return f"{ind.upper()}: {o.label}, {comp.label if comp else comparison}, {window.label if window else tp}"


def _describe(settings: Settings, r: pd.Series) -> str:
    measure = r["measure"] or "MD"
    try:
        mcid = settings.outcome(r["indication"], r["outcome"]).mcid
    except ConfigError:
        mcid = num(r["mcid"])
    k = text(r["k"]) or "?"
    if not truthy(r["converged"]):
        return f"k={k}, not converged"
    interval = fmt_interval(
        measure, num(r["estimate"]), num(r["ci_low"]), num(r["ci_high"]), measure_decimals(measure, mcid)
    )
    return f"k={k}, n={text(r['n_participants']) or '?'}, {interval}"


def compute_changes(
    summary: pd.DataFrame,
    trials: pd.DataFrame,
    previous: Path | None,
    settings: Settings,
    conclusions: dict | None = None,
) -> dict:
    """Compare the current tables and conclusions with a previous state folder (None: nothing to compare
    with). A conclusion *moved* when an analysis present in both states has another certainty or statement
    (states written before conclusions were recorded have none to compare)."""
    if previous is None:
        return {"available": False}
    prev_summary = read_table(SUMMARY, previous / "summary.csv")
    if not len(prev_summary):
        return {"available": False}
    prev_trials = read_table(NORMALIZED_TRIALS, previous / "trials.csv")
    cur = summary.set_index("analysis_id", drop=False)
    old = prev_summary.set_index("analysis_id", drop=False)
    meta = _meta(previous)
    changes: dict = {"available": True, "date": meta.get("rendered") or meta.get("date", "unknown date")}
    changes["new_analyses"] = [
        {"id": aid, "title": _title(settings, r), "now": _describe(settings, r)}
        for aid, r in cur.iterrows()
        if aid not in old.index
    ]
    changes["changed"] = []
    for aid, r in cur.iterrows():
        if aid in old.index:
            before, after = _describe(settings, old.loc[aid]), _describe(settings, r)
            if before != after:
                changes["changed"].append(
                    {"id": aid, "title": _title(settings, r), "before": before, "now": after}
                )
    changes["removed_analyses"] = [
        {"id": aid, "title": _title(settings, r), "before": _describe(settings, r)}
        for aid, r in old.iterrows()
        if aid not in cur.index
    ]
    before = meta.get("conclusions") or {}
    changes["moved"] = [
        {"id": aid, "title": _title(settings, cur.loc[aid]), "before": before[aid], "now": now}
        for aid, now in (conclusions or {}).items()
        if aid in before and aid in cur.index and before[aid] != now
    ]
    cur_ids, old_ids = set(trials["trial_id"]), set(prev_trials["trial_id"])
    changes["new_trials"] = sorted(cur_ids - old_ids) if len(prev_trials) else []
    changes["removed_trials"] = sorted(old_ids - cur_ids) if len(prev_trials) else []
    changes["none"] = not any(
        changes[k]
        for k in ("new_analyses", "removed_analyses", "changed", "moved", "new_trials", "removed_trials")
    )
    return changes
