"""The HTML report: view models, figures, words, templates, run-to-run changes."""

from .render import DEFAULT_FOREST_COLUMNS, render_report

__all__ = ["DEFAULT_FOREST_COLUMNS", "render_report"]
