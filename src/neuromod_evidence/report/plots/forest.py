"""Forest plot of one analysis: a table of trials beside their effects, the pooled diamond and prediction bar.

Gids: `study-ci-<i>` / `study-point-<i>` / `study-shrunk-<i>` per trial row, `pooled-diamond`, `pred-interval`,
`cell-label-<i>`. Weights are the engine's (``studies.csv``'s `weight`, in percent); nothing is recomputed here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle
from matplotlib.transforms import blended_transform_factory

from ..scale import format_interval, format_number, is_ratio, mcid_display, to_display
from .axes import (
    ACCENT,
    AXES_W,
    INK,
    MCID,
    MUTED,
    PRED,
    RIGHT_W,
    SHRUNK,
    new_figure,
    style_effect_axis,
    truncate,
)


@dataclass(frozen=True)
class Pooled:
    """Pooled posterior summary on the analysis scale."""

    estimate: float
    ci_low: float
    ci_high: float
    pred_low: float | None = None
    pred_high: float | None = None
    label: str = "Pooled (random effects)"


# Column layout of the forest plot, in inches from the figure's left edge.
LABEL_W = 3.1
EXTRA_W = 1.05
NUM_W = 0.62
WEIGHT_W = 0.78


def _layout(n_extra: int) -> dict[str, float]:
    x = 0.1
    out = {"label": x}
    x += LABEL_W
    for j in range(n_extra):
        x += EXTRA_W
        out[f"extra{j}"] = x  # right edge
    x += NUM_W
    out["n_t"] = x
    x += NUM_W
    out["n_c"] = x
    x += WEIGHT_W
    out["weight"] = x
    x += 0.3
    out["axes_left"] = x
    x += AXES_W
    out["axes_right"] = x
    out["right_text"] = x + 0.12
    out["width"] = x + 0.12 + RIGHT_W
    return out


def forest_plot(
    studies: pd.DataFrame,
    pooled: Pooled | None = None,
    *,
    measure: str = "MD",
    direction: str = "lower_is_better",
    mcid: float | None = None,
    extra_columns: Sequence[tuple[str, str]] = (),
    intervention: str = "intervention",
    control: str = "control",
    decimals: int = 2,
    ax=None,
) -> Figure:
    """Forest plot of one analysis.

    `studies` has one row per trial with `label`, `estimate`, `ci_low`, `ci_high` (analysis scale) and
    optionally `shrunk_estimate`, `shrunk_ci_low`, `shrunk_ci_high`, `weight` (percent), `n_t`, `n_c`, plus
    any `extra_columns` given as (column, header) pairs. `pooled` is None for k = 1 or when the pooled result
    must not be shown (not converged): then no diamond is drawn.
    """
    studies = studies.reset_index(drop=True)
    k = len(studies)
    n_rows = k + (3 if pooled is not None else 1)
    extra_cols = [c for c in extra_columns if c[0] in studies]
    layout = _layout(len(extra_cols))
    if ax is None:
        fig, ax = new_figure(n_rows, layout)
    else:
        fig = ax.figure
    ys = np.arange(k)[::-1] + (3 if pooled is not None else 1)  # top row first
    est = to_display(studies["estimate"], measure)
    low = to_display(studies["ci_low"], measure)
    high = to_display(studies["ci_high"], measure)
    weights = pd.to_numeric(studies.get("weight"), errors="coerce") if "weight" in studies else None
    has_shrunk = "shrunk_estimate" in studies and pd.to_numeric(studies["shrunk_estimate"]).notna().any()

    wmax = float(np.nanmax(weights)) if weights is not None and weights.notna().any() else None
    for i, y in enumerate(ys):
        ax.plot(
            [low[i], high[i]], [y, y], color=INK, lw=1.2, solid_capstyle="butt", zorder=3, gid=f"study-ci-{i}"
        )
        size = 6.0
        if wmax and np.isfinite(weights.iloc[i]):
            size = 4.0 + 6.0 * math.sqrt(max(weights.iloc[i], 0) / wmax)
        ax.plot(est[i], y, marker="s", ms=size, color=INK, zorder=4, gid=f"study-point-{i}", ls="none")
        if has_shrunk and pd.notna(studies.loc[i, "shrunk_estimate"]):
            sy = y - 0.32
            s_est = to_display(studies.loc[i, "shrunk_estimate"], measure)
            if "shrunk_ci_low" in studies and pd.notna(studies.loc[i, "shrunk_ci_low"]):
                s_lo = to_display(studies.loc[i, "shrunk_ci_low"], measure)
                s_hi = to_display(studies.loc[i, "shrunk_ci_high"], measure)
                ax.plot([s_lo, s_hi], [sy, sy], color=SHRUNK, lw=0.9, zorder=3)
            ax.plot(
                s_est,
                sy,
                marker="o",
                ms=4.5,
                mfc="white",
                mec=SHRUNK,
                mew=1.2,
                ls="none",
                zorder=4,
                gid=f"study-shrunk-{i}",
            )

    extra_x = []
    if pooled is not None:
        yp = 1.0
        p_est, p_lo, p_hi = to_display([pooled.estimate, pooled.ci_low, pooled.ci_high], measure)
        if pooled.pred_low is not None and np.isfinite(pooled.pred_low):
            pr_lo, pr_hi = to_display([pooled.pred_low, pooled.pred_high], measure)
            ax.add_patch(
                Rectangle((pr_lo, yp - 0.09), pr_hi - pr_lo, 0.18, color=PRED, zorder=2, gid="pred-interval")
            )
            extra_x += [pr_lo, pr_hi]
        ax.add_patch(
            Polygon(
                [(p_lo, yp), (p_est, yp + 0.32), (p_hi, yp), (p_est, yp - 0.32)],
                closed=True,
                facecolor=ACCENT,
                edgecolor=ACCENT,
                zorder=5,
                gid="pooled-diamond",
            )
        )
        ax.axvline(p_est, color=ACCENT, lw=0.6, ls=":", zorder=1)
        extra_x += [p_lo, p_hi]

    mcid_x = mcid_display(measure, direction, mcid)  # also decides the legend entry below
    style_effect_axis(ax, measure, direction, mcid, low, high, extra_x, intervention, control)
    ax.set_ylim(0.2 if pooled is not None else 0.3, n_rows + 0.2)

    # text columns: positions in inches from the figure's left edge, shifted to wherever the axes sit
    bbox = ax.get_position()
    fig_w = fig.get_figwidth()
    trans = blended_transform_factory(fig.transFigure, ax.transData)
    shift = bbox.x0 * fig_w - layout["axes_left"]

    def fx(key: str) -> float:
        return (layout[key] + shift) / fig_w

    columns = [("label", "Trial", "label", "left")]
    columns += [(col, header, f"extra{j}", "right") for j, (col, header) in enumerate(extra_cols)]
    columns += [("n_t", "n int.", "n_t", "right"), ("n_c", "n ctrl", "n_c", "right")]
    columns += [("weight", "Weight", "weight", "right")]
    columns = [c for c in columns if c[0] in studies or c[0] == "label"]
    header_y = n_rows + 0.05
    hdr = {"transform": trans, "fontweight": "bold", "fontsize": 9.5, "va": "center", "color": INK}
    for _col, header, key, ha in columns:
        ax.text(fx(key), header_y, header, ha=ha, clip_on=False, **hdr)
    unit = "OR" if is_ratio(measure) else measure
    ax.text(fx("right_text"), header_y, f"{unit} [95% CI]", ha="left", clip_on=False, **hdr)

    cell = {"transform": trans, "fontsize": 9.5, "va": "center", "color": INK, "clip_on": False}
    for i, y in enumerate(ys):
        row = studies.iloc[i]
        for col, _header, key, ha in columns:
            val = row[col]
            if col == "label":
                text = truncate(str(val), 40)
            elif col == "weight":
                text = "" if pd.isna(val) else f"{float(val):.1f}%"
            elif col in ("n_t", "n_c"):
                text = "" if pd.isna(val) else f"{int(round(float(val)))}"
            else:
                text = "" if pd.isna(val) else truncate(_fmt_cell(val), 14)
            ax.text(fx(key), y, text, ha=ha, gid=f"cell-{col}-{i}" if col == "label" else None, **cell)
        ax.text(fx("right_text"), y, format_interval(est[i], low[i], high[i], decimals), ha="left", **cell)
    if pooled is not None:
        ax.text(fx("label"), 1.0, pooled.label, ha="left", fontweight="bold", **cell)
        p_est, p_lo, p_hi = to_display([pooled.estimate, pooled.ci_low, pooled.ci_high], measure)
        text = format_interval(p_est, p_lo, p_hi, decimals)
        ax.text(fx("right_text"), 1.0, text, ha="left", fontweight="bold", **cell)
        if pooled.pred_low is not None and np.isfinite(pooled.pred_low):
            pr_lo, pr_hi = to_display([pooled.pred_low, pooled.pred_high], measure)
            text = f"prediction [{format_number(pr_lo, decimals)}, {format_number(pr_hi, decimals)}]"
            ax.text(fx("right_text"), 0.5, text, ha="left", **{**cell, "color": MUTED, "fontsize": 8.5})
        for col in ("n_t", "n_c"):
            if col in studies:
                total = pd.to_numeric(studies[col], errors="coerce").sum(min_count=1)
                if pd.notna(total):
                    ax.text(fx(col), 1.0, f"{int(total)}", ha="right", fontweight="bold", **cell)
    _legend(ax, has_shrunk, pooled is not None and pooled.pred_low is not None, mcid_x is not None)
    return fig


def _legend(ax, shrunk: bool, pred: bool, mcid: bool) -> None:
    handles = [Line2D([], [], marker="s", color=INK, ls="-", ms=5, label="Observed (95% CI)")]
    if shrunk:
        handles.append(
            Line2D(
                [], [], marker="o", mfc="white", mec=SHRUNK, color=SHRUNK, ls="-", ms=4.5, label="Shrunken"
            )
        )
    if pred:
        handles.append(Rectangle((0, 0), 1, 1, color=PRED, label="95% prediction"))
    if mcid:
        handles.append(Line2D([], [], color=MCID, ls=(0, (4, 3)), label="MCID"))
    fig = ax.figure
    bbox = ax.get_position()
    x = bbox.x1 + 0.12 / fig.get_figwidth()
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(x, bbox.y0 - 0.02 / fig.get_figheight()),
        frameon=False,
        fontsize=8.5,
        handlelength=1.8,
        borderaxespad=0.0,
        labelspacing=0.3,
    )


def _fmt_cell(val) -> str:
    if isinstance(val, float):
        return f"{val:g}"
    return str(val).replace("_", " ")
