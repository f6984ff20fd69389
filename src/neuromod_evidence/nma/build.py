"""Candidate networks of one indication from the normalized contrasts (``results/normalized/contrasts.csv``).

Why from the contrasts table: it already holds, per trial and pairwise analysis, the one choice of site,
follow-up, period and data the pairwise analyses use (``normalize/trial_contrast.py``), so a network and the
pairwise analyses of the same window rest on the same numbers. A trial enters a network through the rows of
its comparisons: each row puts its intervention arm(s) on one node and its comparator arm(s) on another
(nodes are arm classes, or lumped classes from ``nma.lump``). Per indication × outcome × window:

- arm-level rows give the arms' events/n (binary) or mean/SD/n (continuous); a trial with arm-level data
  enters as arms, otherwise through its reported contrasts (estimate, se);
- all trials arm-level: the arm-based layout (binomial likelihood for odds ratios); otherwise every trial
  enters as contrasts against its first arm (``se_common`` carries a multi-arm trial's covariance);
- a row whose side combines arms of classes on different nodes cannot enter (its arms are not separable
  here), nor can one whose two sides are the same node; each such row is named in the network's notes.

Every candidate (a window with at least one trial row) is returned with a status: fitted when it is
connected and has at least three treatments, otherwise not fitted with the reason. Nothing is dropped
silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from ..settings import Settings
from .contrasts import binary_contrasts, continuous_contrasts
from .network import Network, NetworkError, from_dataframe

FIT, NOT_FITTED = "fitted", "not fitted"


@dataclass
class Trial:
    """One trial in one network: its arms by node (arm-level data) or its contrasts between nodes."""

    trial_id: str
    arms: dict[str, dict] = field(default_factory=dict)  # node -> {arm_ids, events|mean, sd, n}
    contrasts: list[tuple[str, str, float, float, float, float]] = field(default_factory=list)

    def nodes(self) -> list[str]:
        if self.arms:
            return list(self.arms)
        return list(dict.fromkeys(n for c in self.contrasts for n in c[:2]))

    def sizes(self) -> dict[str, float]:
        """Participants per node (nan when the rows do not say)."""
        if self.arms:
            return {k: float(a["n"]) for k, a in self.arms.items()}
        out: dict[str, float] = {}
        for t1, t2, _, _, n1, n2 in self.contrasts:
            out.setdefault(t1, n1)
            out.setdefault(t2, n2)
        return out


@dataclass
class Candidate:
    """One candidate network: indication × outcome × window, with its status and the data to fit."""

    indication: str
    outcome: str
    timepoint: str
    measure: str
    direction: str
    trials: list[Trial]
    notes: list[str]
    status: str = NOT_FITTED
    reason: str = ""
    reference: str = ""
    reference_rule: str = ""
    layout: str = ""
    net: Network | None = None

    @property
    def network_id(self) -> str:
        return "__".join((self.indication, self.outcome, self.timepoint))

    def nodes(self) -> list[str]:
        return sorted({n for t in self.trials for n in t.nodes()})

    def edges(self) -> pd.DataFrame:
        """Every directly compared pair (reference-first order of the treatments): trials and participants."""
        order = {t: i for i, t in enumerate(self.treatments())}
        rows: dict[tuple[str, str], list[float]] = {}
        for t in self.trials:
            nodes, sizes = t.nodes(), t.sizes()
            for i, a in enumerate(nodes):
                for b in nodes[i + 1 :]:
                    a2, b2 = sorted((a, b), key=order.get)
                    r = rows.setdefault((a2, b2), [0, 0.0])
                    r[0] += 1
                    r[1] += sizes.get(a, math.nan) + sizes.get(b, math.nan)
        return pd.DataFrame(
            [
                {"treatment_1": a, "treatment_2": b, "trials": k, "participants": n}
                for (a, b), (k, n) in rows.items()
            ],
            columns=["treatment_1", "treatment_2", "trials", "participants"],
        )

    def node_table(self) -> pd.DataFrame:
        rows = []
        for node in self.treatments():
            inside = [t for t in self.trials if node in t.nodes()]
            rows.append({"treatment": node, "trials": len(inside),
                         "participants": sum(t.sizes().get(node, math.nan) for t in inside)})  # fmt: skip
        return pd.DataFrame(rows, columns=["treatment", "trials", "participants"])

    def treatments(self) -> list[str]:
        nodes = self.nodes()
        return [self.reference, *[n for n in nodes if n != self.reference]] if self.reference else nodes


def candidates(contrasts: pd.DataFrame, settings: Settings, indication: str) -> list[Candidate]:
    """Every candidate network of ``indication``, in config order of outcomes and windows."""
    rows = contrasts[contrasts["indication"] == indication]
    out = []
    for oid, oc in settings.indications[indication].outcomes.items():
        for w in oc.windows:
            sel = rows[(rows["outcome"] == oid) & (rows["timepoint"] == w.id)]
            if sel.empty:
                continue
            trials, notes = _trials(sel.sort_values(["year", "trial_id"], kind="stable"), settings)
            cand = Candidate(indication, oid, w.id, oc.measure, oc.direction, trials, notes)
            _judge(cand, settings)
            out.append(cand)
    return out


def _nodes_of(cell, settings: Settings) -> set[str]:
    return {settings.nma.node_of(c.strip()) for c in str(cell or "").split(";") if c.strip()}


def _trials(rows: pd.DataFrame, settings: Settings) -> tuple[list[Trial], list[str]]:
    trials: dict[str, Trial] = {}
    notes: list[str] = []
    for tid, own in rows.groupby("trial_id", sort=False):
        trial, seen = Trial(str(tid)), set()
        for _, r in own.iterrows():
            t_nodes, c_nodes = (
                _nodes_of(r["intervention_class"], settings),
                _nodes_of(r["comparator_class"], settings),
            )
            key = (r["intervention_arms"], r["comparator_arms"])
            if key in seen:  # the same arms in another comparison of the config
                continue
            seen.add(key)
            if len(t_nodes) != 1 or len(c_nodes) != 1:
                notes.append(f"{tid}: {r['comparison']} combines arms of several nodes "
                             f"({r['intervention_class']} vs {r['comparator_class']}); not used")  # fmt: skip
                continue
            (t,), (c,) = t_nodes, c_nodes
            if t == c:
                notes.append(f"{tid}: {r['comparison']} compares two arms of one node ({t}); not used")
                continue
            if r["data_type"] == "contrast":
                trial.contrasts.append(
                    (t, c, float(r["estimate"]), float(r["se"]), _f(r["n_t"]), _f(r["n_c"]))
                )
            else:
                _add_arm(trial, t, r, "t", notes)
                _add_arm(trial, c, r, "c", notes)
        if trial.arms and trial.contrasts:
            covered = set(trial.arms)
            if any(not {a, b} <= covered for a, b, *_ in trial.contrasts):
                notes.append(
                    f"{tid}: reported contrasts besides arm-level data; only the arm-level data used"
                )
            trial.contrasts = []
        if trial.contrasts and len(trial.nodes()) > 2 and not _all_pairs(trial):
            notes.append(f"{tid}: multi-arm contrasts without their covariance; not used")
            continue
        if len(trial.nodes()) >= 2:
            trials[str(tid)] = trial
    return list(trials.values()), notes


def _f(x) -> float:
    return float(x) if x is not None and not pd.isna(x) else math.nan


def _all_pairs(trial: Trial) -> bool:
    k = len(trial.nodes())
    return len({frozenset(c[:2]) for c in trial.contrasts}) == len(trial.contrasts) == k * (k - 1) // 2


def _add_arm(trial: Trial, node: str, r, side: str, notes: list[str]) -> None:
    arm_ids = frozenset(str(r[f"{'intervention' if side == 't' else 'comparator'}_arms"]).split(";"))
    if r["data_type"] == "arm_binary":
        arm = {"arm_ids": arm_ids, "events": float(r[f"events_{side}"]), "n": float(r[f"n_{side}"])}
    else:
        arm = {"arm_ids": arm_ids, "mean": float(r[f"mean_{side}"]), "sd": float(r[f"sd_{side}"]),
               "n": float(r[f"n_{side}"])}  # fmt: skip
    old = trial.arms.get(node)
    if old is None or old["arm_ids"] == arm_ids:
        trial.arms.setdefault(node, arm)
    elif old["arm_ids"].isdisjoint(arm_ids):  # two arms of one (lumped) node: one group (Cochrane 6.5.a)
        trial.arms[node] = _combine(old, arm)
    else:
        notes.append(f"{trial.trial_id}: node {node} has overlapping arm groups; the first one used")


def _combine(a: dict, b: dict) -> dict:
    n = a["n"] + b["n"]
    if "events" in a:
        return {"arm_ids": a["arm_ids"] | b["arm_ids"], "events": a["events"] + b["events"], "n": n}
    mean = (a["n"] * a["mean"] + b["n"] * b["mean"]) / n
    ss = (a["n"] - 1) * a["sd"] ** 2 + (b["n"] - 1) * b["sd"] ** 2
    ss += a["n"] * b["n"] / n * (a["mean"] - b["mean"]) ** 2
    return {"arm_ids": a["arm_ids"] | b["arm_ids"], "mean": mean, "sd": math.sqrt(ss / (n - 1)), "n": n}


def choose_reference(cand: Candidate, settings: Settings) -> tuple[str, str]:
    """The reference node and the rule that chose it (see the ``nma.reference`` setting)."""
    nodes = cand.nodes()
    for ref in settings.nma.reference:
        if ref in nodes:
            return ref, "configured preference"
    count = {n: sum(n in t.nodes() for t in cand.trials) for n in nodes}
    size = {n: sum(t.sizes().get(n, 0.0) for t in cand.trials if n in t.nodes()) for n in nodes}

    def comparator(node: str) -> bool:
        lumped = settings.nma.lump.get(node)
        classes = lumped[1] if lumped else (node,)
        return all(c in settings.classes and settings.classes[c].role == "comparator" for c in classes)

    pool = [n for n in nodes if comparator(n)]
    rule = "fallback: the comparator node with the most trials"
    if not pool:
        pool, rule = nodes, "fallback: the node with the most trials"
    return min(pool, key=lambda n: (-count[n], -(size[n] if math.isfinite(size[n]) else 0.0), n)), rule


def _judge(cand: Candidate, settings: Settings) -> None:
    nodes = cand.nodes()
    if not cand.trials:
        cand.reason = "no trial contributes one node per side"
        return
    cand.reference, cand.reference_rule = choose_reference(cand, settings)
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from((a, b) for a, b in cand.edges()[["treatment_1", "treatment_2"]].itertuples(index=False))
    parts = list(nx.connected_components(g))
    if len(nodes) < 3:
        cand.reason = f"{len(nodes)} treatments, one comparison: the pairwise analysis covers it"
    elif len(parts) > 1:
        desc = " | ".join("{" + ", ".join(sorted(p)) + "}" for p in sorted(parts, key=min))
        cand.reason = f"disconnected: {len(parts)} parts {desc}"
    elif not settings.nma.enabled:
        cand.reason = "network meta-analysis switched off (nma: enabled: false)"
    else:
        try:
            cand.layout, frame = network_frame(cand)
            cand.net = from_dataframe(frame, cand.measure, cand.reference)
        except NetworkError as exc:
            cand.reason = f"input refused: {exc}"
            return
        cand.status = FIT


def network_frame(cand: Candidate) -> tuple[str, pd.DataFrame]:
    """The network's data in one layout of :mod:`.network` (arm-based when every trial has arm data)."""
    binary = cand.measure == "OR"
    if all(t.arms for t in cand.trials):
        cols = ("events",) if binary else ("mean", "sd")
        rows = [{"study": t.trial_id, "treatment": node, **{c: a[c] for c in cols}, "n": a["n"]}
                for t in cand.trials for node, a in t.arms.items()]  # fmt: skip
        return ("binary" if binary else "continuous"), pd.DataFrame(rows)
    rows = []
    for t in cand.trials:
        if t.contrasts:
            rows += [{"study": t.trial_id, "treatment_1": a, "treatment_2": b, "estimate": y, "se": se,
                      "se_common": math.nan} for a, b, y, se, *_ in t.contrasts]  # fmt: skip
            continue
        nodes = list(t.arms)
        arms = [t.arms[n] for n in nodes]
        if binary:
            y, v = binary_contrasts([a["events"] for a in arms], [a["n"] for a in arms], "OR")
        else:
            y, v = continuous_contrasts(*([a[c] for a in arms] for c in ("mean", "sd", "n")), "MD")
        common = math.sqrt(v[0, 1]) if len(nodes) > 2 else math.nan
        rows += [{"study": t.trial_id, "treatment_1": nodes[j + 1], "treatment_2": nodes[0], "estimate": y[j],
                  "se": math.sqrt(v[j, j]), "se_common": common} for j in range(len(y))]  # fmt: skip
    return "contrast", pd.DataFrame(rows)
