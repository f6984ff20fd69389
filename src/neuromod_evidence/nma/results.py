"""Output tables of one NMA, their column lists (defined once, here) and atomic writing.

Why atomic: a workflow that is interrupted must not leave a half-written league table that a later step
reads as complete; every file is written to a temporary name in the same directory and renamed.
Effects are treatment_1 vs treatment_2 (treatment_1 minus treatment_2), on the log scale for OR and RR.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

LEAGUE_COLUMNS = (
    "treatment_1", "treatment_2", "estimate", "ci_low", "ci_high", "pred_low", "pred_high", "p_better",
    "freq_estimate", "freq_ci_low", "freq_ci_high", "evidence",
)  # fmt: skip
RANK_FIXED = ("treatment", "sucra", "mean_rank")
SPLIT_COLUMNS = (
    "treatment_1", "treatment_2", "direct", "direct_low", "direct_high", "indirect", "indirect_low",
    "indirect_high", "network", "p", "freq_direct", "freq_indirect", "freq_network", "freq_p",
)  # fmt: skip
NETWORK_COLUMNS = ("treatment_1", "treatment_2", "trials", "participants")
ABSOLUTE_COLUMNS = (
    "treatment",
    "risk",
    "risk_low",
    "risk_high",
    "per_1000_diff",
    "per_1000_low",
    "per_1000_high",
)


def rank_columns(n_treatments: int) -> tuple[str, ...]:
    return (*RANK_FIXED, *(f"p_rank_{k}" for k in range(1, n_treatments + 1)))


def league(bayes_fit, freq_fit) -> pd.DataFrame:
    net = bayes_fit.net
    rows = []
    for r in bayes_fit.pairwise():
        est, lo, hi = freq_fit.interval(r["treatment_1"], r["treatment_2"])
        rows.append(
            {**r, "freq_estimate": est, "freq_ci_low": lo, "freq_ci_high": hi,
             "evidence": net.evidence(r["treatment_1"], r["treatment_2"])}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(LEAGUE_COLUMNS))


def ranks(bayes_fit) -> pd.DataFrame:
    probs, sucra, mean_rank = bayes_fit.ranks()
    t = bayes_fit.net.treatments
    df = pd.DataFrame(probs, columns=[f"p_rank_{k}" for k in range(1, len(t) + 1)])
    df.insert(0, "mean_rank", mean_rank)
    df.insert(0, "sucra", sucra)
    df.insert(0, "treatment", list(t))
    return df[list(rank_columns(len(t)))]


def splits_table(assessment: dict) -> pd.DataFrame:
    return pd.DataFrame(assessment.get("splits", []), columns=list(SPLIT_COLUMNS))


def network_table(net) -> pd.DataFrame:
    return net.edges()[list(NETWORK_COLUMNS)]


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    _atomic(Path(path), lambda tmp: df.to_csv(tmp, index=False, float_format="%.6g"))


def write_json(obj: dict, path: Path) -> None:
    def w(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(_clean(obj), fh, indent=2, sort_keys=False)
            fh.write("\n")

    _atomic(Path(path), w)


def write_netcdf(idata, path: Path) -> None:
    _atomic(Path(path), lambda tmp: idata.to_netcdf(tmp, engine="h5netcdf"))


def network_plot(net, path: Path) -> None:
    """Network diagram: networkx circular layout, nodes sized by participants, edges by trials."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(net.treatments)
    edges = net.edges()
    for a, b, k in edges[["treatment_1", "treatment_2", "trials"]].itertuples(index=False):
        g.add_edge(a, b, trials=k)
    pos = nx.circular_layout(g)
    part = net.participants()
    sizes = np.array([part[t] for t in g.nodes], dtype=float)
    sizes = 300 + 2700 * (np.sqrt(np.nan_to_num(sizes)) / max(np.sqrt(np.nan_to_num(sizes)).max(), 1.0))
    top = max((g.edges[e]["trials"] for e in g.edges), default=1)
    widths = [1.0 + 9.0 * g.edges[e]["trials"] / top for e in g.edges]
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    nx.draw_networkx_edges(g, pos, ax=ax, width=widths, edge_color="#7a8a99")
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=sizes, node_color="#2b6cb0", alpha=0.85)
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=9)
    nx.draw_networkx_edge_labels(
        g, pos, ax=ax, edge_labels={e: g.edges[e]["trials"] for e in g.edges}, font_size=8, label_pos=0.35
    )
    ax.set_title("Network: node area ~ participants, edge width ~ trials (labels: trials)", fontsize=9)
    ax.axis("off")
    ax.margins(0.2)
    fig.tight_layout()

    def w(tmp):
        fig.savefig(tmp, format="png", dpi=120)

    _atomic(Path(path), w)
    plt.close(fig)


def summary(bayes_fit, freq_fit, assessment: dict, measure: str, extra: dict | None = None) -> dict:
    net = bayes_fit.net
    tau = bayes_fit.tau.reshape(-1)
    out = {
        "measure": measure,
        "scale": "log" if measure in ("OR", "RR") else "identity",
        "model": bayes_fit.model,
        "reference": net.reference,
        "benefit": bayes_fit.benefit,
        "treatments": list(net.treatments),
        "studies": len(net.studies),
        "multi_arm_studies": sum(s.arms > 2 for s in net.studies),
        "likelihood": "binomial" if net.kind == "binary" and measure == "OR" else "normal",
        "tau": None
        if bayes_fit.model == "common"
        else {
            "median": float(np.median(tau)),
            "low": float(np.quantile(tau, 0.025)),
            "high": float(np.quantile(tau, 0.975)),
        },
        "freq_tau2": freq_fit.tau2,
        "priors": {k: v.to_dict() for k, v in bayes_fit.priors.items()},
        "diagnostics": vars(bayes_fit.diagnostics),
        "loops": assessment.get("loops"),
        "inconsistency": {k: v for k, v in assessment.items() if k != "splits"},
        "warnings": list(net.warnings),
    }
    out.update(extra or {})
    return out
