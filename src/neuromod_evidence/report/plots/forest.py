"""Forest plot of one analysis, as RevMan and metafor users read one.

Columns: trial, pain site or outcome variant, per-arm data (events/total, or mean (SD) n; an em dash when a
trial reported only a contrast), weight, the effect axis, the estimate with its interval, and the RoB 2
traffic lights. Below the trials: the common-effect (k = 2) and random-effects diamonds, the prediction
interval on a row of its own, and the heterogeneity line (tau², Q, df, p, I²); a single trial is shown as
itself ("single trial, not pooled") with no diamond. Footnotes say what the weights, dashes and letters mean.

The layout is fixed in inches (save with ``figure_to_svg(fig, tight=False)``: no bounding-box pass): every
forest plot is ``WIDTH`` inches wide, so its text (8.5 pt) keeps its size wherever the page shows the figure
at its own width. Weights and intervals are the engine's (``studies.csv``, ``heterogeneity.csv``).

Gids: `study-ci-<i>`, `study-point-<i>`, `study-shrunk-<i>`, `cell-<column>-<i>`, `rob-<i>-<letter>`,
`pooled-diamond`, `common-diamond`, `pred-interval`, `not-pooled`, `heterogeneity-<j>`, `note-<name>`,
`favours-left`, `favours-right`, `null-line`, `mcid-line`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle

from .. import forest_text as ft
from ..forest_text import Heterogeneity, Pooled
from ..scale import mcid_display, to_display
from .axes import ACCENT, INK, MCID, RC, SHRUNK, reference_lines, setup_axis
from .forest_table import FONT, HEADER, NOTE_LINE, PAD, ROB_STEP, ROW, TableText, favours, notes_of

__all__ = ["WIDTH", "Heterogeneity", "Pooled", "forest_plot"]

WIDTH = 11.2  # inches (1075 px): shown at its own size in the page's 1140 px column; CSS min-width on phones
PRED_FILL = "#dce7f3"
SINGLE = "Single trial, not pooled: the result is the trial's own estimate and 95% CI"


def _layout(measure: str, has_rob: bool, n_extra: int) -> dict[str, float]:
    """x positions in inches: left edges of left-aligned text, right edges of right-aligned columns."""
    arm = 1.0 if ft.is_binary(measure) else 1.08
    lay = {"study": PAD, "variant": PAD + 1.74}
    x = lay["variant"] + 1.08
    for j in range(n_extra):
        x += 0.62  # right edge of an extra column
        lay[f"extra{j}"] = x
    lay.update(arm_t=x + arm, arm_c=x + 2 * arm, arm_w=arm)
    lay["weight"] = lay["arm_c"] + 0.56
    lay["axes_left"] = lay["weight"] + 0.22
    lay["rob"] = WIDTH - PAD - (5 * ROB_STEP + 0.02 if has_rob else 0.0)
    lay["effect"] = lay["rob"] - 1.42
    lay["axes_right"] = lay["effect"] - 0.14
    return lay


def _rows(k: int, pooled, common, het_lines, not_pooled) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = [("study", i) for i in range(k)]
    if pooled is None:
        return [*rows, ("note", SINGLE if k == 1 else (not_pooled or "Not pooled"))]
    rows += [("common", None)] if common is not None else []
    rows += [("pooled", None)] + ([("pred", None)] if ft.has_prediction(pooled) else [])
    return rows + [("het", j) for j in range(len(het_lines))]


def forest_plot(
    studies: pd.DataFrame,
    pooled: Pooled | None = None,
    *,
    common: Pooled | None = None,
    heterogeneity: Heterogeneity | None = None,
    not_pooled: str | None = None,
    measure: str = "MD",
    direction: str = "lower_is_better",
    mcid: float | None = None,
    extra_columns: Sequence[tuple[str, str]] = (),
    intervention: str = "intervention",
    control: str = "control",
    decimals: int = 2,
) -> Figure:
    """Forest plot of one analysis.

    `studies`: one row per trial with `label`, `estimate`, `ci_low`, `ci_high` (analysis scale) and
    optionally `shrunk_estimate`/`shrunk_ci_low`/`shrunk_ci_high`, `weight` (percent), the per-arm columns
    `events_t n_t events_c n_c mean_t sd_t mean_c sd_c`, `site`, `value_type`, `rob` (a tuple of RoB 2
    judgements in :data:`~neuromod_evidence.report.rob.ROB_DOMAINS` order, None when not assessed) and any
    `extra_columns` given as (column, header). `pooled` is None for k = 1 or when nothing may be pooled (then
    `not_pooled` says why); `common` is the common-effect result shown beside it (two trials).
    """
    studies = studies.reset_index(drop=True)
    k = len(studies)
    extra = [c for c in extra_columns if c[0] in studies]
    has_rob = "rob" in studies and bool(studies["rob"].map(lambda r: isinstance(r, (tuple, list))).any())
    het_lines = ft.heterogeneity_lines(heterogeneity, measure, k) if pooled is not None else []
    rows = _rows(k, pooled, common, het_lines, not_pooled)
    lay = _layout(measure, has_rob, len(extra))
    notes = notes_of(studies, measure, has_rob)
    fav = favours(direction, intervention, control)
    fav_lines = max(t.count("\n") for t in fav) + 1
    bottom = 0.95 + 0.15 * fav_lines + NOTE_LINE * sum(n.count("\n") + 1 for _, n in notes)
    height = HEADER + ROW * len(rows) + bottom
    with rc_context(RC):
        fig = Figure(figsize=(WIDTH, height))
        axes_box = (lay["axes_left"] / WIDTH, bottom / height, (lay["axes_right"] - lay["axes_left"]) / WIDTH,
                    ROW * len(rows) / height)  # fmt: skip
        ax = fig.add_axes(axes_box)
    low = to_display(studies["ci_low"], measure)
    high = to_display(studies["ci_high"], measure)
    extra_x = _marks(ax, studies, rows, pooled, common, measure)
    mcid_x = mcid_display(measure, direction, mcid)
    setup_axis(ax, measure, list(low), list(high), [*extra_x, *([mcid_x] if mcid_x is not None else [])])
    reference_lines(ax, measure, direction, mcid)
    _thin_log_ticks(ax, lay["axes_right"] - lay["axes_left"])
    ax.set_ylim(len(rows), 0)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=FONT)
    text = TableText(fig, ax, lay, WIDTH, height, bottom, len(rows))
    text.header(measure, extra, has_rob, intervention, control)
    text.cells(studies, rows, measure, decimals, extra)
    text.pooled_cells(studies, rows, pooled, common, het_lines, measure, decimals)
    text.axis_labels(measure, fav)
    _legend(fig, text, studies, pooled, common, mcid_x is not None)
    text.notes(notes)
    return fig


def _thin_log_ticks(ax, width_in: float) -> None:
    """On a narrow log axis keep only the powers of ten (1, 10, 100 ...) so the tick labels do not collide."""
    ticks = [t for t in ax.get_xticks() if t > 0]
    if ax.get_xscale() != "log" or len(ticks) <= width_in * 2.2:
        return
    decades = [t for t in ticks if math.isclose(math.log10(t), round(math.log10(t)))]
    if decades:
        ax.set_xticks(decades)
        ax.set_xticklabels([f"{t:g}" for t in decades])


def _marks(ax, studies, rows, pooled, common, measure) -> list[float]:
    """Trial squares and lines, shrunken circles, diamonds, the prediction bar; returns their x extent."""
    est = to_display(studies["estimate"], measure)
    low = to_display(studies["ci_low"], measure)
    high = to_display(studies["ci_high"], measure)
    weights = pd.to_numeric(studies["weight"], errors="coerce") if "weight" in studies else None
    wmax = float(np.nanmax(weights)) if weights is not None and weights.notna().any() else None
    shrunk = "shrunk_estimate" in studies and pd.to_numeric(studies["shrunk_estimate"]).notna().any()
    extra_x: list[float] = []
    for r, (kind, i) in enumerate(rows):
        y = r + 0.5
        if kind == "study":
            yo = y - 0.12 if shrunk else y
            ax.plot([low[i], high[i]], [yo, yo], color=INK, lw=1.2, solid_capstyle="butt", zorder=3,
                    gid=f"study-ci-{i}")  # fmt: skip
            size = 6.0
            if wmax and np.isfinite(weights.iloc[i]):
                size = 3.5 + 5.5 * math.sqrt(max(weights.iloc[i], 0) / wmax)
            ax.plot(est[i], yo, marker="s", ms=size, color=INK, ls="none", zorder=4, gid=f"study-point-{i}")
            if shrunk and pd.notna(studies.loc[i, "shrunk_estimate"]):
                extra_x += _shrunk(ax, studies.loc[i], y + 0.22, measure, i)
        elif kind in ("pooled", "common"):
            p = pooled if kind == "pooled" else common
            lo, mid, hi = to_display([p.ci_low, p.estimate, p.ci_high], measure)
            face = ACCENT if kind == "pooled" else "white"
            diamond = Polygon([(lo, y), (mid, y - 0.36), (hi, y), (mid, y + 0.36)], closed=True, lw=1.2,
                              facecolor=face, edgecolor=ACCENT, zorder=5, gid=f"{kind}-diamond")  # fmt: skip
            ax.add_patch(diamond)
            extra_x += [lo, hi]
        elif kind == "pred":
            lo, hi = to_display([pooled.pred_low, pooled.pred_high], measure)
            bar = Rectangle((lo, y - 0.17), hi - lo, 0.34, facecolor=PRED_FILL, edgecolor=ACCENT, lw=1.0,
                            zorder=5, gid="pred-interval")  # fmt: skip
            ax.add_patch(bar)
            extra_x += [lo, hi]
    if pooled is not None:
        ax.axvline(to_display(pooled.estimate, measure), color=ACCENT, lw=0.7, ls=":", zorder=1)
    return extra_x


def _shrunk(ax, row, y, measure, i) -> list[float]:
    s_est = to_display(row["shrunk_estimate"], measure)
    xs = [float(s_est)]
    if "shrunk_ci_low" in row and pd.notna(row["shrunk_ci_low"]):
        s_lo, s_hi = to_display([row["shrunk_ci_low"], row["shrunk_ci_high"]], measure)
        ax.plot([s_lo, s_hi], [y, y], color=SHRUNK, lw=0.9, zorder=3)
        xs += [s_lo, s_hi]
    ax.plot(s_est, y, marker="o", ms=4.5, mfc="white", mec=SHRUNK, mew=1.2, ls="none", zorder=4,
            gid=f"study-shrunk-{i}")  # fmt: skip
    return xs


def _legend(fig, text: TableText, studies, pooled, common, mcid: bool) -> None:
    handles = [Line2D([], [], marker="s", color=INK, ls="-", ms=5, label="Trial (95% CI)")]
    if "shrunk_estimate" in studies and pd.to_numeric(studies["shrunk_estimate"]).notna().any():
        handles.append(Line2D([], [], marker="o", mfc="white", mec=SHRUNK, color=SHRUNK, ls="-", ms=4.5,
                              label="Shrunken trial estimate (95% CrI)"))  # fmt: skip
    if pooled is not None:
        handles.append(Line2D([], [], marker="D", color=ACCENT, ls="none", ms=6, label="Random effects"))
    if common is not None:
        handles.append(
            Line2D([], [], marker="D", mfc="white", mec=ACCENT, ls="none", ms=6, label="Common effect")
        )
    if ft.has_prediction(pooled):
        handles.append(Rectangle((0, 0), 1, 1, facecolor=PRED_FILL, edgecolor=ACCENT, label="95% prediction"))
    if mcid:
        handles.append(Line2D([], [], color=MCID, ls=(0, (4, 3)), label="MCID"))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(PAD / WIDTH, text.legend_y / text.h),
               ncol=len(handles), frameon=False, fontsize=FONT, handlelength=1.8, columnspacing=1.4,
               borderaxespad=0.0, borderpad=0.0)  # fmt: skip
