"""Figures of the report: forest plot, sensitivity forest, posterior densities, network diagram and forest
(matplotlib, SVG out).

Every function takes plain data on the analysis scale, draws on `ax` (a new figure when `ax` is None) and
returns the figure; nothing is saved or shown here (:func:`figure_to_svg` serialises).
"""

from ..scale import format_number, is_ratio, to_display
from .axes import figure_to_svg
from .density import density_plot
from .forest import Heterogeneity, Pooled, forest_plot
from .network import network_diagram, network_forest
from .sensitivity import sensitivity_plot

__all__ = [
    "Heterogeneity",
    "Pooled",
    "density_plot",
    "figure_to_svg",
    "forest_plot",
    "format_number",
    "is_ratio",
    "network_diagram",
    "network_forest",
    "sensitivity_plot",
    "to_display",
]
