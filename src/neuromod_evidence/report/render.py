"""The HTML report: an index page plus one self-contained page per indication.

Every page is a single HTML file with inline CSS and inline SVG figures: no script, no font, no request
outside the report folder (a Content-Security-Policy says so to the browser). Jinja2 autoescapes everything;
the only markup not escaped is the SVG that matplotlib wrote (which escapes its own text, :mod:`.svg`).

Reads only what the stages wrote, through the table contracts (:mod:`.inputs`); labels, units, MCIDs,
windows and methods come from :class:`~neuromod_evidence.settings.Settings`.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..settings import Settings
from ..tables import atomic_write_text
from .analysis_view import build_analysis
from .changes import archive_state, compute_changes, fingerprint, previous_state, write_state
from .claims_view import claims_context
from .downloads import write_downloads
from .evidence_view import evidence_rows, indication_issues, prisma_counts, registry_disagreements
from .figures import draw_figures
from .inputs import ReportInputs, load_inputs
from .methods import methods_context, software_versions
from .sof_view import sof_rows
from .text import fmt_prob

log = logging.getLogger(__name__)
CLAIMS_PAGE = "claims.html"
OVERRIDES_FILE = "certainty_overrides.csv"  # reviewers' certainty overrides, next to the curated tables

DEFAULT_FOREST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("intervention_class", "Intervention"),
    ("timepoint_months", "Month"),
)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("neuromod_evidence.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["prob"] = fmt_prob
    return env


def _sort_key(settings: Settings):
    outcome_order = list(settings.outcomes)

    def key(a: dict):
        comps = list(settings.indications[a["indication"]].comparisons)
        windows = [w.id for w in settings.outcome(a["indication"], a["outcome"]).windows]
        return (
            outcome_order.index(a["outcome"]),
            comps.index(a["comparison"]),
            windows.index(a["timepoint"]) if a["timepoint"] in windows else 99,
        )

    return key


def _analyses(inputs: ReportInputs, settings: Settings, out_dir: Path, forest_columns) -> list[dict]:
    out = []
    for _, row in inputs.summary.iterrows():
        ind = settings.indications.get(row["indication"])
        if ind is None or row["outcome"] not in ind.outcomes or row["comparison"] not in ind.comparisons:
            log.warning("%s: not in the configuration, left out of the report", row["analysis_id"])
            continue
        view = build_analysis(row, inputs, settings, forest_columns)
        draw_figures(view, out_dir / "downloads" / "figures")
        out.append(view.context)
    return sorted(out, key=_sort_key(settings))


def _indication(inputs: ReportInputs, settings: Settings, iid: str, analyses: list[dict]) -> dict:
    own = [a for a in analyses if a["indication"] == iid]
    evidence = evidence_rows(inputs, iid, settings)
    trial_ids = {e["id"] for e in evidence}
    n_analysed = len({t for t in inputs.contrasts["trial_id"] if t in trial_ids})
    primary = [a for a in own if a["primary"]]
    sof, footnotes = sof_rows(primary or own)
    return {
        "sof": sof,
        "sof_footnotes": footnotes,
        "id": iid,
        "label": settings.indications[iid].label,
        "analyses": own,
        "headline": primary or own,
        "n_other": len(own) - len(primary) if primary else 0,
        "evidence": evidence,
        "n_trials": len(evidence),
        "prisma": prisma_counts(inputs, iid, len(evidence), n_analysed),
        "issues": indication_issues(inputs, trial_ids, iid),
        "disagreements": registry_disagreements(inputs, trial_ids),
        "page": f"{iid}.html",
    }


def render_report(
    settings: Settings,
    *,
    normalized_dir: str | Path,
    fit_summary: str | Path,
    fit_dir: str | Path,
    out_dir: str | Path,
    screening_dir: str | Path | None = None,
    state_dir: str | Path | None = None,
    history_dir: str | Path | None = None,
    forest_columns=DEFAULT_FOREST_COLUMNS,
    now: dt.datetime | None = None,
) -> list[Path]:
    """Write ``index.html`` and ``<indication>.html`` for every indication of ``settings``; return their paths.

    ``state_dir`` receives the state this report shows (:mod:`.changes`); ``history_dir`` is the log of
    earlier states it compares with and appends to. Without a history there is nothing to compare with.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    overrides = [Path(settings.evidence_dir) / iid / OVERRIDES_FILE for iid in settings.indications]
    inputs = load_inputs(normalized_dir, fit_summary, fit_dir, screening_dir, overrides)
    analyses = _analyses(inputs, settings, out_dir, [tuple(c) for c in forest_columns])
    mtimes = [
        dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC) for p in inputs.files.values() if p.exists()
    ]
    data_date = max(mtimes, default=now).strftime("%Y-%m-%d")
    downloads = write_downloads(inputs, out_dir, [a["id"] for a in analyses])
    previous = (
        previous_state(Path(history_dir), fingerprint(inputs.summary, inputs.trials)) if history_dir else None
    )
    changes = compute_changes(inputs.summary, inputs.trials, previous, settings)
    indications = [_indication(inputs, settings, iid, analyses) for iid in settings.indications]
    common = {
        "generated": now.strftime("%Y-%m-%d %H:%M UTC"),
        "data_date": data_date,
        "downloads": downloads,
        "indications": indications,
        "changes": changes,
    }
    env = _env()
    software = software_versions()
    pages = [(out_dir / "index.html", "index.html.j2", {"methods": methods_context(settings, software=software),
              "page_title": "Neuromodulation evidence report", "page_id": "index"})]  # fmt: skip
    for ind in indications:
        context = {"ind": ind, "methods": methods_context(settings, ind["id"], software=software),
                   "page_title": ind["label"], "page_id": ind["id"]}  # fmt: skip
        pages.append((out_dir / ind["page"], "indication.html.j2", context))
    pages.append((out_dir / CLAIMS_PAGE, "claims.html.j2", {"claims": claims_context(settings, analyses),
                  "page_title": "What the trials say about common claims", "page_id": "claims"}))  # fmt: skip
    for path, template, context in pages:
        atomic_write_text(path, env.get_template(template).render(**common, **context))
    if state_dir is not None:
        write_state(Path(state_dir), inputs.summary, inputs.trials, data_date)
        if history_dir is not None:
            archive_state(Path(history_dir), Path(state_dir))
    return [path for path, _, _ in pages]
