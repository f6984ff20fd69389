"""Draw the figures of one analysis (forest, sensitivity, posterior densities) as inline SVG.

Each figure is also saved to ``downloads/figures/<analysis>__<kind>.svg``. matplotlib is imported here only,
so pages without figures never pay for it.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from ..tables import atomic_write_text
from .analysis_view import AnalysisView
from .posterior import posterior_draws
from .svg import inline_svg


def _svg(fig, prefix: str, label: str, save_to: Path) -> Markup:
    from . import plots

    svg = plots.figure_to_svg(fig)
    atomic_write_text(save_to, svg)
    return inline_svg(svg, prefix, label)


def draw_figures(view: AnalysisView, fig_dir: Path) -> None:
    """Fill ``forest_svg``, ``sens_svg`` and ``density_svg`` of the view's context (None when not drawn)."""
    from . import plots

    a = view.context
    aid, measure, direction, mcid = a["id"], a["measure"], a["direction"], a["mcid"]
    sides = {"intervention": a["intervention"], "control": a["control"]}
    a["forest_svg"] = a["sens_svg"] = a["density_svg"] = None
    if len(view.studies):
        p = view.pooled
        fig = plots.forest_plot(
            view.studies,
            plots.Pooled(p.estimate, p.ci_low, p.ci_high, p.pred_low, p.pred_high) if p else None,
            measure=measure,
            direction=direction,
            mcid=mcid,
            extra_columns=view.forest_columns,
            decimals=a["decimals"],
            **sides,
        )
        a["forest_svg"] = _svg(fig, f"forest-{aid}", a["forest_alt"], fig_dir / f"{aid}__forest.svg")
    if not a["converged"]:
        return
    if len(view.sensitivity):
        fig = plots.sensitivity_plot(
            view.sensitivity, measure=measure, direction=direction, mcid=mcid, decimals=a["decimals"], **sides
        )
        label = f"Sensitivity analyses, {a['title']}"
        a["sens_svg"] = _svg(fig, f"sens-{aid}", label, fig_dir / f"{aid}__sensitivity.svg")
    effect, tau = posterior_draws(view.posterior)
    if effect is not None:
        fig = plots.density_plot(effect, tau, measure=measure, direction=direction, mcid=mcid)
        label = f"Posterior densities of the pooled effect and of tau, {a['title']}"
        a["density_svg"] = _svg(fig, f"dens-{aid}", label, fig_dir / f"{aid}__posterior.svg")


def draw_network_figures(net: dict, fig_dir: Path) -> None:
    """Fill ``diagram_svg`` (every network with trials) and ``forest_svg`` (converged fits) of a network
    section (:mod:`.nma_view`)."""
    from . import plots

    nid = net["id"]
    if len(net["nodes"]):
        fig = plots.network_diagram(net["nodes"], net["edges"], net["node_labels"])
        label = f"Network diagram, {net['title']}: node area by participants, edge width by number of trials"
        net["diagram_svg"] = _svg(fig, f"netgraph-{nid}", label, fig_dir / f"{nid}__network.svg")
    if net.get("versus"):
        fig = plots.network_forest(net["versus"], net["measure"], net["direction"], net["reference"])
        label = f"Every treatment vs {net['reference']}, {net['title']}"
        net["forest_svg"] = _svg(fig, f"netforest-{nid}", label, fig_dir / f"{nid}__network_forest.svg")
