"""Figures of a network meta-analysis: the network diagram and the forest plot of every treatment vs the reference.

Why networkx for the layout: it is already a dependency (the NMA engine uses it for connectivity) and its
circular layout keeps every node label readable for the few treatments a network of device trials has.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from ..scale import is_ratio, to_display
from .axes import ACCENT, INK, MUTED, RC, style_effect_axis

NODE = "#2b6cb0"
EDGE = "#7a8a99"


def network_diagram(nodes, edges, labels: dict[str, str], ax=None) -> Figure:
    """Nodes (``treatment, participants``) with area by participants; edges (``treatment_1, treatment_2,
    trials``) with width by number of trials and labelled with it."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(nodes["treatment"])
    for a, b, k in edges[["treatment_1", "treatment_2", "trials"]].itertuples(index=False):
        g.add_edge(a, b, trials=int(k))
    pos = nx.circular_layout(g) if len(g) > 2 else {n: (i * 2.0 - 1.0, 0.0) for i, n in enumerate(g)}
    part = np.nan_to_num(nodes.set_index("treatment").loc[list(g.nodes), "participants"].to_numpy(float))
    sizes = 250 + 1750 * np.sqrt(part) / max(float(np.sqrt(part).max()), 1.0)
    top = max((g.edges[e]["trials"] for e in g.edges), default=1)
    with rc_context(RC):
        if ax is None:
            fig = Figure(figsize=(5.6, 4.6))
            ax = fig.add_subplot(1, 1, 1)
        fig = ax.figure
        nx.draw_networkx_edges(g, pos, ax=ax, width=[1.5 + 6.0 * g.edges[e]["trials"] / top for e in g.edges],
                               edge_color=EDGE)  # fmt: skip
        nx.draw_networkx_nodes(g, pos, ax=ax, node_size=sizes, node_color=NODE, alpha=0.85)
        nx.draw_networkx_edge_labels(
            g, pos, ax=ax, font_size=9, edge_labels={e: g.edges[e]["trials"] for e in g.edges}
        )
        for node, (x, y) in pos.items():
            text = (
                textwrap.fill(labels.get(node, node), 22) + f"\n(n = {_n(part[list(g.nodes).index(node)])})"
            )
            ax.annotate(text, (x, y), xytext=(0, -24 if y <= 0 else 24), textcoords="offset points",
                        ha="center", va="top" if y <= 0 else "bottom", fontsize=9, color=INK)  # fmt: skip
        ax.set_xlim(-1.7, 1.7)
        ax.set_ylim(-1.6, 1.6)
        ax.axis("off")
    return fig


def _n(x: float) -> str:
    return f"{x:.0f}" if x > 0 else "?"


def network_forest(rows, measure: str, direction: str, reference: str, ax=None) -> Figure:
    """One row per treatment (``label, estimate, ci_low, ci_high, evidence``, analysis scale) vs the
    reference: posterior median and 95 % CrI, the kind of evidence beside each."""
    n = len(rows)
    with rc_context(RC):
        if ax is None:
            height = 0.42 * n + 1.9
            fig = Figure(figsize=(8.4, height))
            ax = fig.add_axes((0.3, 1.35 / height, 0.56, 1 - 1.75 / height))
        fig = ax.figure
        est = to_display([r["estimate"] for r in rows], measure)
        low = to_display([r["ci_low"] for r in rows], measure)
        high = to_display([r["ci_high"] for r in rows], measure)
        y = np.arange(n)[::-1]
        ax.hlines(y, low, high, color=ACCENT, lw=1.6)
        ax.plot(est, y, "D", color=ACCENT, ms=6)
        for yi, r in zip(y, rows, strict=True):
            ax.annotate(textwrap.shorten(r["label"], 34), (0, yi), xycoords=("axes fraction", "data"),
                        xytext=(-8, 0), textcoords="offset points", ha="right", va="center", fontsize=9.5)  # fmt: skip
            ax.annotate(r["evidence"], (1, yi), xycoords=("axes fraction", "data"), xytext=(8, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=9, color=MUTED)  # fmt: skip
        ax.set_ylim(-0.7, n - 0.3)
        vals = [v for v in [*low, *high] if math.isfinite(v) and (v > 0 or not is_ratio(measure))]
        style_effect_axis(ax, measure, direction, None, vals, vals, [], "the treatment", reference)
        if is_ratio(measure) and vals and max(vals) / min(vals) > 200:  # wide intervals: powers of ten only
            ticks = [
                t for t in (0.001, 0.01, 0.1, 1, 10, 100, 1000) if min(*vals, 1.0) <= t <= max(*vals, 1.0)
            ]
            ax.set_xticks(ticks)
            ax.set_xticklabels([f"{t:g}" for t in ticks])
    return fig
