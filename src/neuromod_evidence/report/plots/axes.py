"""What the forest, sensitivity and density plots share: style, colours, the effect axis, SVG output.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, no GUI backend, no global state).

Every plot takes plain data on the **analysis scale** (mean differences, or log odds ratios); ratio measures
are exponentiated for display and drawn on a log axis. Artists a test or a reader may want to find carry a
`gid` (it becomes the `id` of the SVG group): `null-line`, `mcid-line`, `favours-left`, `favours-right`.
"""

from __future__ import annotations

import io
import math
import textwrap

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..scale import is_ratio, mcid_display, measure_axis_label, null_value

INK = "#1a1a1a"
MUTED = "#555555"
ACCENT = "#1f4e79"  # pooled estimate
SHRUNK = "#b3541e"  # shrunken estimates
PRED = "#6b8fb8"  # predictive interval: 3.4:1 on white (graphical marks need >= 3:1, WCAG 1.4.11)
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

# Widths shared by the forest and sensitivity plots, in inches.
AXES_W = 3.6
RIGHT_W = 2.35
TOP_IN = 0.45
BOTTOM_IN = 1.25


def new_figure(n_rows: int, layout: dict[str, float]) -> tuple[Figure, Axes]:
    """A figure of ``n_rows`` table rows whose effect axis spans ``layout['axes_left'..'axes_right']``."""
    height = 0.32 * n_rows + TOP_IN + BOTTOM_IN
    width = layout["width"]
    with rc_context(RC):
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


def setup_axis(ax, measure: str, lows, highs, extra=()) -> None:
    vals = [v for v in [*lows, *highs, *extra] if v is not None and np.isfinite(v)]
    if is_ratio(measure):
        ax.set_xscale("log")
        vals = [v for v in vals if v > 0] + [1.0]
        lo, hi = min(vals), max(vals)
        span = math.log(hi / lo) if hi > lo else 1.0
        ax.set_xlim(lo / math.exp(0.08 * span), hi * math.exp(0.08 * span))
        log_ticks(ax, lo, hi)
    else:
        vals.append(0.0)
        lo, hi = min(vals), max(vals)
        pad = 0.08 * (hi - lo if hi > lo else 1.0)
        ax.set_xlim(lo - pad, hi + pad)


def log_ticks(ax, lo: float, hi: float) -> None:
    ticks = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]
    ticks = [t for t in ticks if lo <= t <= hi] or [1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.minorticks_off()


def reference_lines(ax, measure: str, direction: str, mcid: float | None) -> None:
    ax.axvline(null_value(measure), color=INK, lw=0.9, zorder=1, gid="null-line")
    m = mcid_display(measure, direction, mcid)
    if m is not None:
        ax.axvline(m, color=MCID, lw=0.9, ls=(0, (4, 3)), zorder=1, gid="mcid-line")


def favours_labels(ax, measure: str, direction: str, intervention: str, control: str) -> None:
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


def style_effect_axis(ax, measure, direction, mcid, low, high, extra_x, intervention, control) -> None:
    """Shared by the forest and sensitivity plots: x range, null/MCID lines, bare y axis, labels."""
    mcid_x = mcid_display(measure, direction, mcid)
    setup_axis(ax, measure, list(low), list(high), [*extra_x, *([mcid_x] if mcid_x else [])])
    reference_lines(ax, measure, direction, mcid)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(measure_axis_label(measure) + (" (log scale)" if is_ratio(measure) else ""))
    favours_labels(ax, measure, direction, intervention, control)


def truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def figure_to_svg(fig: Figure, tight: bool = True) -> str:
    """Serialise a figure to an SVG string (deterministic: no date metadata). ``tight=False`` for a figure
    laid out in fixed inches (the forest plot): it skips matplotlib's extra layout pass and keeps the size."""
    buf = io.StringIO()
    with rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                    bbox_inches="tight" if tight else None)  # fmt: skip
    return buf.getvalue()
