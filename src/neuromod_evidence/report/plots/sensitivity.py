"""Sensitivity forest: the pooled effect of the main analysis and of each variant, one row each.

Row gids: `sens-ci-<i>`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from ..scale import format_interval, is_ratio, to_display
from .axes import ACCENT, AXES_W, INK, RIGHT_W, new_figure, style_effect_axis, truncate


def sensitivity_plot(
    rows: pd.DataFrame,
    *,
    measure: str = "MD",
    direction: str = "lower_is_better",
    mcid: float | None = None,
    intervention: str = "intervention",
    control: str = "control",
    decimals: int = 2,
    ax=None,
) -> Figure:
    """One row per analysis variant (`label`, `estimate`, `ci_low`, `ci_high`).

    A row whose `main` column is truthy (the primary analysis) is drawn as a diamond in the accent colour.
    """
    rows = rows.reset_index(drop=True)
    n = len(rows)
    if ax is None:
        layout = {"axes_left": 4.2, "axes_right": 4.2 + AXES_W, "width": 4.2 + AXES_W + 0.12 + RIGHT_W}
        fig, ax = new_figure(n + 1, layout)
    else:
        fig = ax.figure
    est = to_display(rows["estimate"], measure)
    low = to_display(rows["ci_low"], measure)
    high = to_display(rows["ci_high"], measure)
    ys = np.arange(n)[::-1] + 1
    main = rows["main"].fillna(False).astype(bool) if "main" in rows else pd.Series(False, index=rows.index)
    for i, y in enumerate(ys):
        color = ACCENT if main.iloc[i] else INK
        ax.plot([low[i], high[i]], [y, y], color=color, lw=1.2, zorder=3, gid=f"sens-ci-{i}")
        ax.plot(est[i], y, marker="D" if main.iloc[i] else "o", ms=5.5, color=color, ls="none", zorder=4)
    style_effect_axis(ax, measure, direction, mcid, low, high, [], intervention, control)
    ax.set_ylim(0.4, n + 1.2)
    bbox = ax.get_position()
    fig_w = fig.get_figwidth()
    trans = blended_transform_factory(fig.transFigure, ax.transData)
    left_x = bbox.x0 - 4.1 / fig_w
    right_x = bbox.x1 + 0.1 / fig_w
    hdr = {"transform": trans, "fontweight": "bold", "fontsize": 9.5, "va": "center", "clip_on": False}
    ax.text(left_x, n + 0.85, "Analysis", ha="left", **hdr)
    unit = "OR" if is_ratio(measure) else measure
    ax.text(right_x, n + 0.85, f"{unit} [95% CrI]", ha="left", **hdr)
    cell = {"transform": trans, "fontsize": 9.5, "va": "center", "clip_on": False, "color": INK}
    for i, y in enumerate(ys):
        weight = "bold" if main.iloc[i] else "normal"
        ax.text(left_x, y, truncate(str(rows.loc[i, "label"]), 56), ha="left", fontweight=weight, **cell)
        ax.text(
            right_x,
            y,
            format_interval(est[i], low[i], high[i], decimals),
            ha="left",
            fontweight=weight,
            **cell,
        )
    return fig
