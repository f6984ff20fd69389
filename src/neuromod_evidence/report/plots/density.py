"""Posterior densities of the pooled effect and of tau. Line gids: `density-effect`, `density-tau`."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..scale import is_ratio, measure_axis_label, to_display
from .axes import ACCENT, RC, SHRUNK, log_ticks, rc_context, reference_lines


def gaussian_kde(draws: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density with Scott's bandwidth, as ``scipy.stats.gaussian_kde`` computes it in 1-D.

    Written out here because importing scipy.stats costs the report more time than all its figures.
    """
    n = draws.size
    bandwidth2 = np.var(draws, ddof=1) * n ** (-2.0 / 5.0)
    out = np.empty_like(grid, dtype=float)
    scale = -0.5 / bandwidth2
    for start in range(0, grid.size, 50):  # bounded memory: 50 grid points x all draws at a time
        block = np.subtract.outer(grid[start : start + 50], draws)
        np.square(block, out=block)
        block *= scale
        np.exp(block, out=block)
        out[start : start + 50] = block.sum(axis=1)
    return out / (n * np.sqrt(2 * np.pi * bandwidth2))


def _kde(draws: np.ndarray, grid: np.ndarray, lower_bound: float | None = None) -> np.ndarray:
    draws = draws[np.isfinite(draws)]
    if draws.size < 2 or np.std(draws) == 0:
        return np.zeros_like(grid)
    dens = gaussian_kde(draws, grid)
    if lower_bound is not None:  # reflect at the boundary (tau >= 0)
        dens = dens + gaussian_kde(draws, 2 * lower_bound - grid)
        dens[grid < lower_bound] = 0
    return dens


def _bare(ax) -> None:
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


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
        with rc_context(RC):
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
    for bound in (lo_q, hi_q):  # the CrI's limits as lines: the pale fill alone is below 3:1 contrast
        ax_e.axvline(to_display(bound, measure), color=ACCENT, lw=1.0, ls=(0, (3, 2)), gid="density-cri")
    if is_ratio(measure):
        ax_e.set_xscale("log")
        log_ticks(ax_e, float(x[0]), float(x[-1]))
    ax_e.set_xlim(float(x[0]), float(x[-1]))
    ax_e.set_ylim(0, None)
    reference_lines(ax_e, measure, direction, mcid)
    ax_e.set_title("Pooled effect", loc="left", fontsize=9, fontweight="bold")
    ax_e.set_xlabel(measure_axis_label(measure) + (" (log scale)" if is_ratio(measure) else ""))
    _bare(ax_e)
    if tau is not None and len(axes) > 1:
        ax_t = axes[1]
        t_hi = float(np.quantile(tau, 0.995)) or 1.0
        tgrid = np.linspace(0, t_hi, 400)
        tdens = _kde(tau, tgrid, lower_bound=0.0)
        ax_t.plot(tgrid, tdens, color=SHRUNK, lw=1.4, gid="density-tau")
        ax_t.fill_between(tgrid, tdens, color=SHRUNK, alpha=0.15, lw=0)
        ax_t.set_xlim(0, t_hi)
        ax_t.set_ylim(0, None)
        ax_t.set_title("Between-trial SD (\u03c4)", loc="left", fontsize=9, fontweight="bold")
        ax_t.set_xlabel("\u03c4" + (" (log scale units)" if is_ratio(measure) else ""))
        _bare(ax_t)
    return fig
