"""Figures of the report: forest plot, sensitivity forest, posterior densities.

Every function takes plain data on the **analysis scale** (mean differences, or log odds ratios), draws on
`ax` (a new figure when `ax` is None) and returns the figure; nothing is saved or shown here. Ratio measures
are exponentiated for display and drawn on a log axis.

Artists a test or a reader may want to find carry a `gid` (it becomes the `id` of the SVG group):
`study-ci-<i>` / `study-point-<i>` / `study-shrunk-<i>` per trial row, `pooled-diamond`, `pred-interval`,
`null-line`, `mcid-line`, `sens-ci-<i>`, `density-effect`, `density-tau`.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Polygon, Rectangle  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

RATIO_MEASURES = {"OR", "RR", "HR"}

INK = "#1a1a1a"
MUTED = "#555555"
ACCENT = "#1f4e79"  # pooled estimate
SHRUNK = "#b3541e"  # shrunken estimates
PRED = "#9fbcd9"  # predictive interval
MCID = "#2e7d32"

RC = {
    "svg.fonttype": "none",  # text stays text: selectable, searchable, small
    "svg.hashsalt": "neuromod-evidence",  # deterministic SVG ids
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.edgecolor": MUTED,
    "axes.linewidth": 0.8,
    "xtick.color": INK,
    "ytick.color": INK,
}


def is_ratio(measure: str) -> bool:
    return str(measure).upper() in RATIO_MEASURES


def to_display(values, measure: str):
    """Analysis scale -> display scale (exp for ratio measures)."""
    arr = np.asarray(values, dtype=float)
    return np.exp(arr) if is_ratio(measure) else arr


def null_value(measure: str) -> float:
    return 1.0 if is_ratio(measure) else 0.0


def mcid_display(measure: str, direction: str, mcid: float | None) -> float | None:
    """Where the MCID line goes on the display scale, on the side of benefit."""
    if mcid is None or not np.isfinite(mcid) or mcid <= 0:
        return None
    lower_better = direction == "lower_is_better"
    if is_ratio(measure):
        if mcid <= 1:
            return None
        return 1.0 / mcid if lower_better else float(mcid)
    return -float(mcid) if lower_better else float(mcid)


def format_number(value: float, decimals: int = 2) -> str:
    """A number with a typographic minus sign; empty for missing."""
    if value is None or not np.isfinite(value):
        return "–"
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) != 0:
        return "\u2212" + text[1:]
    return text.lstrip("-")


def format_interval(est, low, high, decimals: int = 2) -> str:
    return f"{format_number(est, decimals)} [{format_number(low, decimals)}, {format_number(high, decimals)}]"


@dataclass(frozen=True)
class Pooled:
    """Pooled posterior summary on the analysis scale."""

    estimate: float
    ci_low: float
    ci_high: float
    pred_low: float | None = None
    pred_high: float | None = None
    label: str = "Pooled (random effects)"


def measure_axis_label(measure: str) -> str:
    return {"OR": "Odds ratio", "RR": "Risk ratio", "HR": "Hazard ratio", "MD": "Mean difference"}.get(
        str(measure).upper(), str(measure)
    )


def _setup_axis(ax, measure: str, lows, highs, extra=()) -> None:
    vals = [v for v in [*lows, *highs, *extra] if v is not None and np.isfinite(v)]
    if is_ratio(measure):
        ax.set_xscale("log")
        vals = [v for v in vals if v > 0] + [1.0]
        lo, hi = min(vals), max(vals)
        span = math.log(hi / lo) if hi > lo else 1.0
        ax.set_xlim(lo / math.exp(0.08 * span), hi * math.exp(0.08 * span))
        _log_ticks(ax, lo, hi)
    else:
        vals.append(0.0)
        lo, hi = min(vals), max(vals)
        pad = 0.08 * (hi - lo if hi > lo else 1.0)
        ax.set_xlim(lo - pad, hi + pad)


def _log_ticks(ax, lo: float, hi: float) -> None:
    ticks = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]
    ticks = [t for t in ticks if lo <= t <= hi] or [1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.minorticks_off()


def _reference_lines(ax, measure: str, direction: str, mcid: float | None) -> None:
    ax.axvline(null_value(measure), color=INK, lw=0.9, zorder=1, gid="null-line")
    m = mcid_display(measure, direction, mcid)
    if m is not None:
        ax.axvline(m, color=MCID, lw=0.9, ls=(0, (4, 3)), zorder=1, gid="mcid-line")


def _favours_labels(ax, measure: str, direction: str, intervention: str, control: str) -> None:
    """'Favours ...' under the axis, at its two ends, respecting which direction is a benefit."""
    lower_better = direction == "lower_is_better"
    left, right = (intervention, control) if lower_better else (control, intervention)
    kw = {
        "xycoords": "axes fraction",
        "textcoords": "offset points",
        "va": "top",
        "fontsize": 9.5,
        "color": INK,
        "fontstyle": "italic",
        "annotation_clip": False,
    }
    left_text = textwrap.fill(f"\u2190 Favours {left}", 26)
    right_text = textwrap.fill(f"Favours {right} \u2192", 26)
    ax.annotate(left_text, (0, 0), xytext=(0, -19), ha="left", gid="favours-left", **kw)
    ax.annotate(
        right_text, (1, 0), xytext=(0, -19), ha="right", multialignment="right", gid="favours-right", **kw
    )
    lines = max(left_text.count("\n"), right_text.count("\n")) + 1
    ax.xaxis.labelpad = 24 + 11 * (lines - 1)


# Column layout of the forest plot, in inches from the figure's left edge.
LABEL_W = 3.1
EXTRA_W = 1.05
NUM_W = 0.62
WEIGHT_W = 0.78
AXES_W = 3.6
RIGHT_W = 2.35
TOP_IN = 0.45
BOTTOM_IN = 1.25


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


def _new_figure(n_rows: int, layout: dict[str, float]) -> tuple[Figure, plt.Axes]:
    height = 0.32 * n_rows + TOP_IN + BOTTOM_IN
    width = layout["width"]
    with plt.rc_context(RC):
        fig = Figure(figsize=(width, height))
        ax = fig.add_axes(
            (
                layout["axes_left"] / width,
                BOTTOM_IN / height,
                (layout["axes_right"] - layout["axes_left"]) / width,
                1 - (TOP_IN + BOTTOM_IN) / height,
            )
        )
    return fig, ax


def _style_effect_axis(ax, measure, direction, mcid, low, high, extra_x, intervention, control) -> None:
    """Shared by the forest and sensitivity plots: x range, null/MCID lines, bare y axis, labels."""
    mcid_x = mcid_display(measure, direction, mcid)
    _setup_axis(ax, measure, list(low), list(high), [*extra_x, *([mcid_x] if mcid_x else [])])
    _reference_lines(ax, measure, direction, mcid)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(measure_axis_label(measure) + (" (log scale)" if is_ratio(measure) else ""))
    _favours_labels(ax, measure, direction, intervention, control)


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
        fig, ax = _new_figure(n_rows, layout)
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
    _style_effect_axis(ax, measure, direction, mcid, low, high, extra_x, intervention, control)
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
                text = _truncate(str(val), 40)
            elif col == "weight":
                text = "" if pd.isna(val) else f"{float(val):.1f}%"
            elif col in ("n_t", "n_c"):
                text = "" if pd.isna(val) else f"{int(round(float(val)))}"
            else:
                text = "" if pd.isna(val) else _truncate(_fmt_cell(val), 14)
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
    from matplotlib.lines import Line2D

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


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


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
    """Sensitivity forest: one row per analysis variant (`label`, `estimate`, `ci_low`, `ci_high`).

    A row whose `main` column is truthy (the primary analysis) is drawn as a diamond in the accent colour.
    """
    rows = rows.reset_index(drop=True)
    n = len(rows)
    if ax is None:
        layout = {"axes_left": 4.2, "axes_right": 4.2 + AXES_W, "width": 4.2 + AXES_W + 0.12 + RIGHT_W}
        fig, ax = _new_figure(n + 1, layout)
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
    _style_effect_axis(ax, measure, direction, mcid, low, high, [], intervention, control)
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
        ax.text(left_x, y, _truncate(str(rows.loc[i, "label"]), 56), ha="left", fontweight=weight, **cell)
        ax.text(
            right_x,
            y,
            format_interval(est[i], low[i], high[i], decimals),
            ha="left",
            fontweight=weight,
            **cell,
        )
    return fig


def _kde(draws: np.ndarray, grid: np.ndarray, lower_bound: float | None = None) -> np.ndarray:
    from scipy.stats import gaussian_kde

    draws = draws[np.isfinite(draws)]
    if draws.size < 2 or np.std(draws) == 0:
        return np.zeros_like(grid)
    kde = gaussian_kde(draws)
    dens = kde(grid)
    if lower_bound is not None:  # reflect at the boundary (tau >= 0)
        dens = dens + kde(2 * lower_bound - grid)
        dens[grid < lower_bound] = 0
    return dens


def density_plot(
    effect_draws,
    tau_draws=None,
    *,
    measure: str = "MD",
    direction: str = "lower_is_better",
    mcid: float | None = None,
    ax=None,
) -> Figure:
    """Posterior densities of the pooled effect (display scale) and, if given, of tau (analysis scale).

    `ax` may be one axes (effect only) or a pair (effect, tau).
    """
    effect = np.asarray(effect_draws, dtype=float).ravel()
    tau = None if tau_draws is None else np.asarray(tau_draws, dtype=float).ravel()
    if ax is None:
        with plt.rc_context(RC):
            fig = Figure(figsize=(10.0, 2.6))
            n = 2 if tau is not None else 1
            axes = fig.subplots(1, n, gridspec_kw={"wspace": 0.25})
            axes = np.atleast_1d(axes)
            fig.subplots_adjust(left=0.06, right=0.98, bottom=0.22, top=0.86)
    else:
        axes = np.atleast_1d(ax)
        fig = axes[0].figure
    ax_e = axes[0]
    lo_q, med, hi_q = np.quantile(effect, [0.025, 0.5, 0.975])
    span = hi_q - lo_q if hi_q > lo_q else 1.0
    grid = np.linspace(lo_q - 0.6 * span, hi_q + 0.6 * span, 400)
    dens = _kde(effect, grid)
    x = to_display(grid, measure)
    ax_e.plot(x, dens, color=ACCENT, lw=1.4, gid="density-effect")
    inside = (grid >= lo_q) & (grid <= hi_q)
    ax_e.fill_between(x[inside], dens[inside], color=ACCENT, alpha=0.18, lw=0)
    ax_e.axvline(to_display(med, measure), color=ACCENT, lw=0.8, ls=":")
    if is_ratio(measure):
        ax_e.set_xscale("log")
        _log_ticks(ax_e, float(x[0]), float(x[-1]))
    ax_e.set_xlim(float(x[0]), float(x[-1]))
    ax_e.set_ylim(0, None)
    _reference_lines(ax_e, measure, direction, mcid)
    ax_e.set_yticks([])
    ax_e.set_title("Pooled effect", loc="left", fontsize=9, fontweight="bold")
    ax_e.set_xlabel(measure_axis_label(measure) + (" (log scale)" if is_ratio(measure) else ""))
    for side in ("left", "right", "top"):
        ax_e.spines[side].set_visible(False)
    if tau is not None and len(axes) > 1:
        ax_t = axes[1]
        t_hi = float(np.quantile(tau, 0.995)) or 1.0
        tgrid = np.linspace(0, t_hi, 400)
        tdens = _kde(tau, tgrid, lower_bound=0.0)
        ax_t.plot(tgrid, tdens, color=SHRUNK, lw=1.4, gid="density-tau")
        ax_t.fill_between(tgrid, tdens, color=SHRUNK, alpha=0.15, lw=0)
        ax_t.set_yticks([])
        ax_t.set_xlim(0, t_hi)
        ax_t.set_ylim(0, None)
        ax_t.set_title("Between-trial SD (\u03c4)", loc="left", fontsize=9, fontweight="bold")
        ax_t.set_xlabel("\u03c4" + (" (log scale units)" if is_ratio(measure) else ""))
        for side in ("left", "right", "top"):
            ax_t.spines[side].set_visible(False)
    return fig


def figure_to_svg(fig: Figure) -> str:
    """Serialise a figure to an SVG string (deterministic: no date metadata)."""
    buf = io.StringIO()
    with plt.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return buf.getvalue()
