"""The HTML report: view models, figures, words, templates, run-to-run changes.

Layout: :mod:`.inputs` (tables, through their contracts) → :mod:`.analysis_view` / :mod:`.evidence_view` /
:mod:`.changes` / :mod:`.methods` (view models) → :mod:`.figures` (:mod:`.plots`, :mod:`.svg`) →
:mod:`.render` (templates, pages) and :mod:`.downloads`.
"""

from .render import DEFAULT_FOREST_COLUMNS, render_report

__all__ = ["DEFAULT_FOREST_COLUMNS", "render_report"]
