"""Living-review screening: what is new for each indication, and do the registry numbers agree?

From the last snapshots (registry and PubMed) and the curated evidence base this builds
- `queue.csv`: registry trials and PubMed RCT records that match an indication but are not in the curated
  evidence (one row per record; a publication whose registry record is already queued is folded into it);
- `prisma.csv`: the counts a PRISMA 2020 flow diagram needs, per indication;
- `crosscheck.csv`: curated arm-level numbers against the registry-posted ones, with a verdict.
Columns are documented in docs/living-evidence.md. With no snapshot (offline, never fetched) the tables
are empty and `prisma.csv` says why in `note`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from neuromod_evidence.living import ctgov, pubmed
from neuromod_evidence.living.snapshots import atomic_write_bytes, read_snapshot
from neuromod_evidence.screening.registry import EXTRA_COLUMNS, OUTCOME_COLUMNS, UNMAPPED_COLUMNS, study_rows

log = logging.getLogger(__name__)

QUEUE_COLUMNS = [
    "indication", "source", "id", "title", "year", "date", "status", "why_matched", "first_seen",
    "linked_ids", "has_results", "registry_snapshot", "pubmed_snapshot",
]  # fmt: skip
PRISMA_COLUMNS = [
    "indication", "records_identified_registry", "records_identified_pubmed", "records_identified_other",
    "duplicates_removed", "records_screened", "records_of_curated_trials", "awaiting_review",
    "excluded_with_reason", "exclusion_reasons", "included_curated", "registry_snapshot", "pubmed_snapshot",
    "note",
]  # fmt: skip
CROSSCHECK_COLUMNS = [
    "trial_id", "nct_id", "outcome", "timepoint_months", "arm", "statistic", "curated_value",
    "registry_value", "difference", "verdict", "curated_row_id", "registry_row_id", "registry_outcome_title",
    "note",
]  # fmt: skip
DECISION_COLUMNS = ["indication", "id", "decision", "reason"]


# --------------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------------
def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _split_ids(value: Any) -> list[str]:
    return [p.strip() for p in re.split(r"[;,\s]+", str(value or "")) if p.strip()]


def _pmid(value: str) -> str:
    return value.upper().removeprefix("PMID:").strip()


@dataclass
class Curated:
    trials: pd.DataFrame
    arms: pd.DataFrame
    outcomes: pd.DataFrame
    nct_to_trial: dict[str, str] = field(default_factory=dict)
    pmid_to_trial: dict[str, str] = field(default_factory=dict)


def load_curated(evidence_dir: str | Path, indication: str) -> Curated:
    root = Path(evidence_dir) / indication
    trials, arms, outcomes = (_read_csv(root / f"{t}.csv") for t in ("trials", "arms", "outcomes"))
    cur = Curated(trials, arms, outcomes)
    for _, row in trials.iterrows():
        for rid in _split_ids(row.get("registry_ids", "")):
            if rid.upper().startswith("NCT"):
                cur.nct_to_trial[rid.upper()] = row["trial_id"]
        for pmid in _split_ids(row.get("pmids", "")):
            cur.pmid_to_trial[_pmid(pmid)] = row["trial_id"]
    return cur


def curated_nct_ids(evidence_dir: str | Path, indication: str) -> list[str]:
    return sorted(load_curated(evidence_dir, indication).nct_to_trial)


def _meta(snapshot: Path) -> dict[str, Any]:
    meta_path = snapshot.with_name(snapshot.name.removesuffix(".json") + ".meta.json")
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _snapshot_label(path: Path | None, doc: dict | None) -> str:
    if path is None or doc is None:
        return "none"
    meta = _meta(path)
    return f"{meta.get('saved_at', '?')} sha256:{str(meta.get('sha256', ''))[:12]}"


# --------------------------------------------------------------------------------------------------
# registry results
# --------------------------------------------------------------------------------------------------
def registry_outcome_tables(
    ctgov_snapshots: Mapping[str, str | Path | None],
    evidence_dir: str | Path,
    outcomes_cfg: Mapping[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Arm-level rows from every posted result in the registry snapshots, and the cells not used."""
    vocabulary = list(outcomes_cfg)
    kinds = {k: v.get("kind", "continuous") for k, v in outcomes_cfg.items()}
    rows, unmapped = [], []
    done: set[str] = set()
    for indication, path in sorted(ctgov_snapshots.items()):
        doc = read_snapshot(path) if path else None
        if doc is None:
            continue
        cur = load_curated(evidence_dir, indication)
        for rec in doc["records"]:
            study = rec.get("study", {})
            if not study.get("hasResults") and "resultsSection" not in study:
                continue
            nct = rec["id"]
            if nct in done:  # a trial matched by two indications is extracted once
                continue
            done.add(nct)
            aliases = [nct, *rec.get("requested_as", [])]
            trial_id = next((cur.nct_to_trial[a] for a in aliases if a in cur.nct_to_trial), None)
            got, missed = study_rows(study, vocabulary, kinds, trial_id=trial_id)
            for r in got:
                r["indication"] = indication
            rows += got
            unmapped += missed
    cols = OUTCOME_COLUMNS + EXTRA_COLUMNS + ["indication"]
    return pd.DataFrame(rows, columns=cols), pd.DataFrame(unmapped, columns=UNMAPPED_COLUMNS)


# --------------------------------------------------------------------------------------------------
# queue and PRISMA counts
# --------------------------------------------------------------------------------------------------
def _matched_terms(terms: Iterable[str], texts: Iterable[str]) -> list[str]:
    blob = " ".join(texts).lower()
    return [t for t in terms if t.lower() in blob]


def _decisions(path: str | Path | None) -> dict[tuple[str, str], tuple[str, str]]:
    if not path or not Path(path).exists():
        return {}
    df = _read_csv(Path(path))
    missing = set(DECISION_COLUMNS) - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    return {
        (r["indication"], r["id"].strip().upper()): (r["decision"].strip().lower(), r["reason"])
        for _, r in df.iterrows()
    }


def screen_indication(
    indication: str,
    indication_cfg: Mapping[str, Any],
    fetch_cfg: Mapping[str, Any],
    ctgov_snapshot: str | Path | None,
    pubmed_snapshot: str | Path | None,
    evidence_dir: str | Path,
    decisions: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(queue rows, PRISMA counts) for one indication."""
    decisions = decisions or {}
    cur = load_curated(evidence_dir, indication)
    c_path = Path(ctgov_snapshot) if ctgov_snapshot else None
    p_path = Path(pubmed_snapshot) if pubmed_snapshot else None
    c_doc = read_snapshot(c_path) if c_path else None
    p_doc = read_snapshot(p_path) if p_path else None
    c_label, p_label = _snapshot_label(c_path, c_doc), _snapshot_label(p_path, p_doc)
    cond_terms = ctgov.condition_terms(indication_cfg)
    intr_terms = ctgov.intervention_terms(indication_cfg, fetch_cfg)
    queue: list[dict[str, Any]] = []
    excluded: dict[str, int] = {}
    counts = dict(identified_registry=0, identified_pubmed=0, identified_other=0, duplicates=0, curated=0)

    def exclude(why: str) -> None:
        excluded[why] = excluded.get(why, 0) + 1

    def decided(rid: str) -> bool:
        decision = decisions.get((indication, rid.upper()))
        if decision and decision[0] == "exclude":
            exclude(f"excluded by reviewer: {decision[1] or 'no reason given'}")
            return True
        if decision and decision[0] == "include":
            counts["curated"] += 1  # accepted, being curated
            return True
        return False

    # registry records ------------------------------------------------------------------------------
    registry_pmids: dict[str, str] = {}
    queued_nct: dict[str, dict[str, Any]] = {}
    first_seen_c = (c_doc or {}).get("first_seen", {})
    for rec in (c_doc or {}).get("records", []):
        study = rec.get("study", {})
        try:
            s = ctgov.parse_study(study)
        except Exception as exc:  # noqa: BLE001 - a bad record must not hide the others
            log.warning("%s: unreadable registry record %s: %s", indication, rec.get("id"), exc)
            continue
        ids = {s.nct_id, *rec.get("requested_as", []), *s.aliases}
        for pmid in s.pmids:
            registry_pmids[pmid] = s.nct_id
        if "search" in rec.get("matched_by", []):
            counts["identified_registry"] += 1
        else:
            counts["identified_other"] += 1  # fetched because a curated trial names it
        if ids & set(cur.nct_to_trial):
            counts["curated"] += 1
            continue
        if decided(s.nct_id):
            continue
        if s.overall_status == "WITHDRAWN":
            exclude("registry: withdrawn before enrolment")
            continue
        if s.allocation and s.allocation != "RANDOMIZED":
            exclude("registry: not randomized")
            continue
        cond = _matched_terms(cond_terms, (*s.conditions, *s.keywords, s.brief_title, s.official_title))
        intr = _matched_terms(intr_terms, (*s.interventions, s.brief_title, s.official_title))
        why = "registry search"
        why += (
            f"; condition: {', '.join(cond)}"
            if cond
            else "; condition matched through the registry's synonyms"
        )
        if intr:
            why += f"; intervention: {', '.join(intr)}"
        row = dict(
            indication=indication, source="ctgov", id=s.nct_id, title=s.title, year=s.year,
            date=s.start_date or s.first_posted, status=s.overall_status, why_matched=why,
            first_seen=first_seen_c.get(s.nct_id, ""), linked_ids=";".join(s.pmids),
            has_results=str(s.has_results), registry_snapshot=c_label, pubmed_snapshot=p_label,
        )  # fmt: skip
        queued_nct[s.nct_id] = row
        queue.append(row)

    # PubMed records --------------------------------------------------------------------------------
    first_seen_p = (p_doc or {}).get("first_seen", {})
    for rec in (p_doc or {}).get("records", []):
        try:
            art = pubmed.article_from_xml(rec["xml"])
        except Exception as exc:  # noqa: BLE001
            log.warning("%s: unreadable PubMed record %s: %s", indication, rec.get("id"), exc)
            continue
        counts["identified_pubmed"] += 1
        linked = set(art.nct_ids)
        if art.pmid in registry_pmids:
            linked.add(registry_pmids[art.pmid])
        curated_trial = cur.pmid_to_trial.get(art.pmid)
        if curated_trial:
            counts["curated"] += 1
            continue
        dup = sorted(n for n in linked if n in queued_nct)
        if dup:
            # the same trial is already queued through its registry record: fold the publication into it
            counts["duplicates"] += 1
            for n in dup:
                ids = [i for i in queued_nct[n]["linked_ids"].split(";") if i]
                queued_nct[n]["linked_ids"] = ";".join(sorted({*ids, art.pmid}))
            continue
        if decided(art.pmid):
            continue
        if not art.is_rct:
            exclude("pubmed: publication type is not Randomized Controlled Trial")
            continue
        of_curated = sorted({cur.nct_to_trial[n] for n in linked if n in cur.nct_to_trial})
        if of_curated:
            ids = ", ".join(sorted(linked))
            why = f"new publication of curated trial {', '.join(of_curated)} (registry id {ids})"
        else:
            cond = _matched_terms(cond_terms, (art.title, art.abstract))
            intr = _matched_terms(intr_terms, (art.title, art.abstract))
            why = "PubMed RCT query" if "query" in rec.get("matched_by", []) else "PubMed registry-id search"
            if cond:
                why += f"; condition: {', '.join(cond)}"
            if intr:
                why += f"; intervention: {', '.join(intr)}"
        queue.append(
            dict(
                indication=indication,
                source="pubmed",
                id=art.pmid,
                title=art.title,
                year=art.year,
                date=art.year,
                status="; ".join(art.publication_types),
                why_matched=why,
                first_seen=first_seen_p.get(art.pmid, ""),
                linked_ids=";".join(sorted(linked)),
                has_results="",
                registry_snapshot=c_label,
                pubmed_snapshot=p_label,
            )  # fmt: skip
        )

    identified = counts["identified_registry"] + counts["identified_pubmed"] + counts["identified_other"]
    screened = identified - counts["duplicates"]
    notes = []
    if c_doc is None:
        notes.append("no registry snapshot yet (offline mode, never fetched): registry counts are empty")
    if p_doc is None:
        notes.append("no PubMed snapshot yet (offline mode, never fetched): PubMed counts are empty")
    prisma = dict(
        indication=indication,
        records_identified_registry=counts["identified_registry"],
        records_identified_pubmed=counts["identified_pubmed"],
        records_identified_other=counts["identified_other"],
        duplicates_removed=counts["duplicates"],
        records_screened=screened,
        records_of_curated_trials=counts["curated"],
        awaiting_review=len(queue),
        excluded_with_reason=sum(excluded.values()),
        exclusion_reasons="; ".join(f"{k}: {v}" for k, v in sorted(excluded.items())),
        included_curated=int(cur.trials["trial_id"].nunique()) if "trial_id" in cur.trials else 0,
        registry_snapshot=c_label,
        pubmed_snapshot=p_label,
        note="; ".join(notes),
    )
    return queue, prisma


# --------------------------------------------------------------------------------------------------
# cross-check
# --------------------------------------------------------------------------------------------------
def _tokens(text: str) -> set[str]:
    synonyms = {
        "scs": "stimulation", "stimulator": "stimulation", "cmm": "medical", "omm": "medical",
        "conventional": "medical", "hf10": "10khz", "10": "10khz", "khz": "10khz", "drg": "ganglion",
        "sham": "placebo", "pt": "physical", "physiotherapy": "physical", "reoperation": "surgery",
    }  # fmt: skip
    words = re.findall(r"[a-z0-9]+", text.lower())
    stop = {"and", "or", "plus", "with", "the", "of", "arm", "group", "to", "a", "in", "only", "alone"}
    return {synonyms.get(w, w) for w in words if w not in stop}


def match_arms(curated_arms: pd.DataFrame, registry_groups: Mapping[str, str]) -> dict[str, str]:
    """curated arm_id -> registry arm id: the unique best word overlap of label/class with group titles."""
    out: dict[str, str] = {}
    for _, arm in curated_arms.iterrows():
        mine = _tokens(" ".join((arm.get("arm_id", ""), arm.get("label", ""), arm.get("class", ""))))
        scores = {gid: len(mine & _tokens(title)) for gid, title in registry_groups.items()}
        if not scores:
            continue
        best = max(scores.values())
        winners = [g for g, s in scores.items() if s == best]
        if best > 0 and len(winners) == 1:
            out[arm["arm_id"]] = winners[0]
    if len(set(out.values())) != len(out):  # two curated arms on one group: ambiguous, match nothing
        return {}
    return out


def _decimals(text: str) -> int:
    text = str(text)
    return len(text.split(".")[1]) if "." in text else 0


def _num(text: Any) -> float | None:
    try:
        value = float(str(text))
    except (TypeError, ValueError):
        return None
    return None if value != value else value


STATISTICS = ("mean", "sd", "se", "median", "q1", "q3", "events", "total", "percent", "n")
LOCATION_STATS = ("mean", "median", "q1", "q3")  # shifted by a scale's offset; sd/se only scaled


def _near(value: Any, target: float | None, tolerance: float = 0.5) -> bool:
    v = _num(value)
    return v is not None and target is not None and abs(v - target) <= tolerance


def _registry_match(trial_reg: pd.DataFrame, c: pd.Series, reg_arm: str) -> pd.DataFrame:
    tp = _num(c["timepoint_months"])
    cand = trial_reg[
        (trial_reg["outcome"] == c["outcome"])
        & (trial_reg["arm_id"] == reg_arm)
        & trial_reg["timepoint_months"].map(lambda v: _near(v, tp))
    ]
    for col in ("value_type", "site"):
        if c.get(col):
            cand = cand[(cand[col] == c[col]) | (cand[col] == "")]
    return cand


def _compare(c: pd.Series, r: pd.Series, stat: str, scales_cfg: Mapping[str, Any]) -> dict[str, Any] | None:
    cv, rv = _num(c.get(stat)), _num(r.get(stat))
    if cv is None or rv is None:
        return None
    row = dict(
        statistic=stat,
        curated_value=c[stat],
        registry_value=r[stat],
        registry_row_id=r["row_id"],
        registry_outcome_title=r["outcome_reported"],
        note="",
    )
    if stat in (*LOCATION_STATS, "sd", "se") and c.get("scale") != r.get("scale"):
        cs, rs = scales_cfg.get(c.get("scale"), {}), scales_cfg.get(r.get("scale"), {})
        if not cs or not rs:
            return {
                **row,
                "verdict": "not comparable",
                "note": f"scales {c.get('scale')} vs {r.get('scale')}",
            }
        off_c = cs.get("offset", 0) if stat in LOCATION_STATS else 0
        off_r = rs.get("offset", 0) if stat in LOCATION_STATS else 0
        cv, rv = (cv - off_c) * cs["factor"], (rv - off_r) * rs["factor"]
        row["note"] = f"compared on the common scale ({c.get('scale')} vs {r.get('scale')})"
    tolerance = 0.5 * 10 ** -min(_decimals(c[stat]), _decimals(r[stat])) + 1e-9  # rounding of the coarser
    diff = rv - cv
    return {**row, "difference": f"{diff:.6g}", "verdict": "agree" if abs(diff) <= tolerance else "differ"}


def _crosscheck_trial(
    trial_id: str, trial_reg: pd.DataFrame, cur: Curated, scales_cfg: Mapping[str, Any]
) -> list[dict[str, Any]]:
    out = []
    nct = trial_reg["nct_id"].iloc[0]
    groups = dict(zip(trial_reg["arm_id"], trial_reg["registry_group_title"], strict=False))
    arms = cur.arms[cur.arms["trial_id"] == trial_id] if "trial_id" in cur.arms else pd.DataFrame()
    arm_map = match_arms(arms, groups)
    for _, c in cur.outcomes[cur.outcomes["trial_id"] == trial_id].iterrows():
        base = dict(
            trial_id=trial_id,
            nct_id=nct,
            outcome=c["outcome"],
            timepoint_months=c["timepoint_months"],
            arm=c["arm_id"],
            curated_row_id=c["row_id"],
        )
        reg_arm = arm_map.get(c["arm_id"])
        if reg_arm is None:
            out.append(
                {**base, "verdict": "arm not matched", "note": f"registry groups: {sorted(groups.values())}"}
            )
            continue
        cand = _registry_match(trial_reg, c, reg_arm)
        if cand.empty:
            out.append(
                {**base, "verdict": "no registry counterpart", "note": "outcome/timepoint/arm not posted"}
            )
            continue
        r = cand.iloc[0]
        compared = [x for x in (_compare(c, r, stat, scales_cfg) for stat in STATISTICS) if x]
        if not compared:
            compared = [
                dict(
                    verdict="nothing to compare",
                    registry_row_id=r["row_id"],
                    registry_outcome_title=r["outcome_reported"],
                    note="no statistic reported by both",
                )
            ]
        out += [{**base, **x} for x in compared]
    return out


def crosscheck(
    registry_rows: pd.DataFrame,
    evidence_dir: str | Path,
    indications: Iterable[str],
    scales_cfg: Mapping[str, Any],
) -> pd.DataFrame:
    """Curated arm-level numbers of registry-posted trials against the posted ones."""
    out: list[dict[str, Any]] = []
    if not registry_rows.empty:
        for indication in indications:
            cur = load_curated(evidence_dir, indication)
            if cur.outcomes.empty:
                continue
            for trial_id in sorted(set(cur.nct_to_trial.values())):
                trial_reg = registry_rows[registry_rows["trial_id"] == trial_id]
                if not trial_reg.empty:
                    out += _crosscheck_trial(trial_id, trial_reg, cur, scales_cfg)
    df = pd.DataFrame(out, columns=CROSSCHECK_COLUMNS)
    return df.sort_values(["trial_id", "outcome", "timepoint_months", "arm", "statistic"], kind="stable")


# --------------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------------
def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    atomic_write_bytes(path, df.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def build_screening(
    indications: Mapping[str, Mapping[str, Any]],
    fetch_cfg: Mapping[str, Any],
    scales_cfg: Mapping[str, Any],
    ctgov_snapshots: Mapping[str, str | Path | None],
    pubmed_snapshots: Mapping[str, str | Path | None],
    evidence_dir: str | Path,
    registry_rows: pd.DataFrame,
    decisions_path: str | Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    decisions = _decisions(decisions_path)
    queue, prisma = [], []
    for indication in sorted(indications):
        q, p = screen_indication(
            indication,
            indications[indication],
            fetch_cfg,
            ctgov_snapshots.get(indication),
            pubmed_snapshots.get(indication),
            evidence_dir,
            decisions,
        )
        queue += q
        prisma.append(p)
    queue_df = pd.DataFrame(queue, columns=QUEUE_COLUMNS).sort_values(
        ["indication", "source", "id"], kind="stable"
    )
    prisma_df = pd.DataFrame(prisma, columns=PRISMA_COLUMNS)
    cross_df = crosscheck(registry_rows, evidence_dir, sorted(indications), scales_cfg)
    return queue_df, prisma_df, cross_df


def snapshot_paths(
    snapshot_dir: str | Path, source: str, indications: Iterable[str]
) -> dict[str, Path | None]:
    """indication -> its snapshot file, or None when there is none yet."""
    out: dict[str, Path | None] = {}
    for indication in indications:
        path = Path(snapshot_dir) / source / f"{indication}.json"
        out[indication] = path if path.exists() else None
    return out


def extract_registry_results_to_files(
    snapshot_dir: str | Path,
    indications: Iterable[str],
    evidence_dir: str | Path,
    outcomes_cfg: Mapping[str, Any],
    rows_path: str | Path,
    unmapped_path: str | Path,
) -> None:
    snaps = snapshot_paths(snapshot_dir, "ctgov", indications)
    rows, unmapped = registry_outcome_tables(snaps, evidence_dir, outcomes_cfg)
    write_csv(rows, rows_path)
    write_csv(unmapped, unmapped_path)
    missing = sorted(k for k, v in snaps.items() if v is None)
    if missing:
        log.info("no registry snapshot for %s: nothing extracted for them", ", ".join(missing))
    log.info("%d registry rows mapped to the outcome vocabulary, %d cells not used", len(rows), len(unmapped))


def build_screening_to_files(
    indications: Mapping[str, Mapping[str, Any]],
    fetch_cfg: Mapping[str, Any],
    scales_cfg: Mapping[str, Any],
    snapshot_dir: str | Path,
    evidence_dir: str | Path,
    registry_rows_path: str | Path,
    queue_path: str | Path,
    prisma_path: str | Path,
    crosscheck_path: str | Path,
    decisions_path: str | Path | None = None,
) -> None:
    registry_rows = _read_csv(Path(registry_rows_path))
    queue, prisma, cross = build_screening(
        indications,
        fetch_cfg,
        scales_cfg,
        snapshot_paths(snapshot_dir, "ctgov", indications),
        snapshot_paths(snapshot_dir, "pubmed", indications),
        evidence_dir,
        registry_rows,
        decisions_path,
    )
    write_csv(queue, queue_path)
    write_csv(prisma, prisma_path)
    write_csv(cross, crosscheck_path)
    for _, p in prisma.iterrows():
        log.info(
            "%s: %s awaiting review; %s",
            p["indication"],
            p["awaiting_review"],
            p["note"] or "snapshots present",
        )
    log.info("cross-check: %d comparisons, %d differ", len(cross), int((cross["verdict"] == "differ").sum()))
