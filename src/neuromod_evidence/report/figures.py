"""Draw the figures of one analysis (forest, sensitivity, posterior densities) as inline SVG.

Each figure is also saved to ``downloads/figures/<analysis>__<kind>.svg``. matplotlib is imported here only,
so pages without figures never pay for it. Figures go through :mod:`.figure_cache`: a figure whose inputs and
drawing code are unchanged since an earlier run is not drawn again.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from ..tables import atomic_write_text
from .analysis_view import AnalysisView
from .figure_cache import cached_svg
from .posterior import posterior_draws
from .svg import inline_svg


def _svg(
    draw: str, args: tuple, kwargs: dict, prefix: str, label: str, save_to: Path, tight: bool = True
) -> Markup:
    """Draw ``plots.<draw>(*args, **kwargs)`` (or take it from the figure cache), save it, inline it.
    ``tight=False`` for a figure laid out in fixed inches (the forest plot)."""
    svg = cached_svg(draw, args, kwargs, tight=tight)
    atomic_write_text(save_to, svg)
    return inline_svg(svg, prefix, label)


def draw_figures(view: AnalysisView, fig_dir: Path) -> None:
    """Fill ``forest_svg``, ``sens_svg`` and ``density_svg`` of the view's context (None when not drawn)."""

    a = view.context
    aid, measure, direction, mcid = a["id"], a["measure"], a["direction"], a["mcid"]
    sides = {"intervention": a["intervention"], "control": a["control"]}
    a["forest_svg"] = a["sens_svg"] = a["density_svg"] = None
    a["density_table"] = []
    if len(view.studies):
        args = (view.studies, view.pooled)
        kwargs = dict(
            common=view.common,
            heterogeneity=view.heterogeneity,
            not_pooled=view.not_pooled,
            measure=measure,
            direction=direction,
            mcid=mcid,
            extra_columns=view.forest_columns,
            decimals=a["decimals"],
            **sides,
        )
        a["forest_svg"] = _svg(
            "forest_plot",
            args,
            kwargs,
            f"forest-{aid}",
            a["forest_alt"],
            fig_dir / f"{aid}__forest.svg",
            tight=False,
        )
    if not a["converged"]:
        return
    if len(view.sensitivity):
        kwargs = dict(measure=measure, direction=direction, mcid=mcid, decimals=a["decimals"], **sides)
        label = f"Sensitivity analyses, {a['title']}"
        a["sens_svg"] = _svg(
            "sensitivity_plot",
            (view.sensitivity,),
            kwargs,
            f"sens-{aid}",
            label,
            fig_dir / f"{aid}__sensitivity.svg",
        )
    effect, tau = posterior_draws(view.posterior)
    if effect is not None:
        kwargs = dict(measure=measure, direction=direction, mcid=mcid)
        label = f"Posterior densities of the pooled effect and of tau, {a['title']}"
        a["density_svg"] = _svg(
            "density_plot", (effect, tau), kwargs, f"dens-{aid}", label, fig_dir / f"{aid}__posterior.svg"
        )
        a["density_table"] = density_table(effect, tau, measure, a["decimals"])


def density_table(effect, tau, measure: str, decimals: int) -> list[tuple[str, list[str]]]:
    """The numbers behind the density plot, for screen readers and anyone who wants them: the 2.5 %, 25 %,
    50 %, 75 % and 97.5 % posterior quantiles of the pooled effect (display scale) and of tau."""
    import numpy as np

    from .scale import format_number, is_ratio, to_display

    qs = (0.025, 0.25, 0.5, 0.75, 0.975)
    name = "Pooled effect (odds ratio)" if is_ratio(measure) else f"Pooled effect ({measure})"
    rows = [(name, [format_number(float(v), decimals) for v in to_display(np.quantile(effect, qs), measure)])]
    if tau is not None:
        t = np.quantile(np.asarray(tau, dtype=float).ravel(), qs)
        rows.append(("Between-trial SD \u03c4" + (" (log odds)" if is_ratio(measure) else ""),
                     [format_number(float(v), max(decimals, 2)) for v in t]))  # fmt: skip
    return rows


def draw_network_figures(net: dict, fig_dir: Path) -> None:
    """Fill ``diagram_svg`` (every network with trials) and ``forest_svg`` (converged fits) of a network
    section (:mod:`.nma_view`)."""
    nid = net["id"]
    if len(net["nodes"]):
        args = (net["nodes"], net["edges"], net["node_labels"])
        label = f"Network diagram, {net['title']}: node area by participants, edge width by number of trials"
        net["diagram_svg"] = _svg(
            "network_diagram", args, {}, f"netgraph-{nid}", label, fig_dir / f"{nid}__network.svg"
        )
    if net.get("versus"):
        args = (net["versus"], net["measure"], net["direction"], net["reference"])
        label = f"Every treatment vs {net['reference']}, {net['title']}"
        save_to = fig_dir / f"{nid}__network_forest.svg"
        net["forest_svg"] = _svg("network_forest", args, {}, f"netforest-{nid}", label, save_to)
