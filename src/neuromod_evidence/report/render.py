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
from functools import partial
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..settings import Settings
from ..tables import atomic_write_text
from .analysis_view import build_analysis
from .changes import archive_state, compute_changes, conclusions_of, fingerprint, previous_state, write_state
from .claims_view import claims_context
from .downloads import write_analysis_downloads, write_downloads
from .evidence_view import evidence_rows, indication_issues, prisma_counts, registry_disagreements
from .figures import draw_figures, draw_network_figures
from .inputs import ReportInputs, load_inputs
from .living_view import living_header, search_status
from .methods import methods_context, software_versions
from .nma_view import network_sections
from .parallel import in_worker_processes
from .safety_view import safety_rows
from .sof_view import sof_rows
from .text import fmt_prob

log = logging.getLogger(__name__)
CLAIMS_PAGE = "claims.html"
OVERRIDES_FILE = "certainty_overrides.csv"  # reviewers' certainty overrides, next to the curated tables

# extra (column, header) pairs of the forest plot, e.g. ("timepoint_months", "Month"): none by default, the
# plot's fixed width goes to the per-arm data, the pain site and the RoB column (the title names the arms)
DEFAULT_FOREST_COLUMNS: tuple[tuple[str, str], ...] = ()


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
    rows = []
    for _, row in inputs.summary.iterrows():
        ind = settings.indications.get(row["indication"])
        if ind is None or row["outcome"] not in ind.outcomes or row["comparison"] not in ind.comparisons:
            log.warning("%s: not in the configuration, left out of the report", row["analysis_id"])
            continue
        rows.append(row)
    job = partial(_analysis_context, inputs, settings, out_dir, forest_columns)
    return sorted(in_worker_processes(job, rows), key=_sort_key(settings))


def _analysis_context(inputs, settings, out_dir: Path, forest_columns, row) -> dict:
    """One analysis's part of the report: view model, figures and download files (run in a worker)."""
    view = build_analysis(row, inputs, settings, forest_columns)
    draw_figures(view, out_dir / "downloads" / "figures")
    write_analysis_downloads(inputs, out_dir, view.context["id"])
    return view.context


def _networks(inputs: ReportInputs, settings: Settings, iid: str, out_dir: Path) -> list[dict]:
    nets = network_sections(inputs.networks_of(iid), settings)
    for net in nets:
        draw_network_figures(net, out_dir / "downloads" / "figures")
    return nets


def _indication(
    inputs: ReportInputs,
    settings: Settings,
    iid: str,
    analyses: list[dict],
    searched: dict[str, bool],
    out_dir: Path,
) -> dict:
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
        "prisma": prisma_counts(inputs, iid, evidence, n_analysed, searched),
        "issues": indication_issues(inputs, trial_ids, iid),
        "disagreements": registry_disagreements(inputs, trial_ids),
        "safety": safety_rows(inputs, iid, settings),
        "page": f"{iid}.html",
        "networks": _networks(inputs, settings, iid, out_dir),
    }


def _queue_sizes(inputs: ReportInputs, indications) -> dict[str, int]:
    """indication -> records awaiting review; empty when screening did not run (no queue.csv)."""
    if "queue.csv" not in inputs.files:
        return {}
    counts = inputs.queue["indication"].value_counts()
    return {iid: int(counts.get(iid, 0)) for iid in indications}


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
    snapshot_dir: str | Path | None = None,
    forest_columns=DEFAULT_FOREST_COLUMNS,
    now: dt.datetime | None = None,
    nma_dir: str | Path | None = None,
) -> list[Path]:
    """Write ``index.html`` and ``<indication>.html`` for every indication of ``settings``; return their paths.

        ``state_dir`` receives the state this report shows (:mod:`.changes`); ``history_dir`` is the log of
        earlier states it compares with and appends to. Without a history there is nothing to compare with.
        ``snapshot_dir`` holds the searches' snapshots (their sidecars date the last search; None: not run).
    ``nma_dir`` holds the network stage's tables (``results/nma``); without it the pages have no networks.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    overrides = [Path(settings.evidence_dir) / iid / OVERRIDES_FILE for iid in settings.indications]
    inputs = load_inputs(normalized_dir, fit_summary, fit_dir, screening_dir, overrides, nma_dir)
    analyses = _analyses(inputs, settings, out_dir, [tuple(c) for c in forest_columns])
    downloads = write_downloads(inputs, out_dir)
    conclusions = conclusions_of(analyses)
    current = fingerprint(inputs.summary, inputs.trials, conclusions)
    previous = previous_state(Path(history_dir), current) if history_dir else None
    changes = compute_changes(inputs.summary, inputs.trials, previous, settings, conclusions)
    searches = search_status(snapshot_dir, list(settings.indications))
    indications = [
        _indication(inputs, settings, iid, analyses, {s: searches[s][iid]["run"] for s in searches}, out_dir)
        for iid in settings.indications
    ]
    queue = _queue_sizes(inputs, settings.indications)
    living = living_header(settings, list(settings.indications), searches, queue, changes)
    data_date = living["all"]["evidence_date"] or "undated"
    common = {
        "generated": now.strftime("%Y-%m-%d %H:%M UTC"),
        "living": living,
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
        write_state(Path(state_dir), inputs.summary, inputs.trials, data_date, conclusions,
                    now.strftime("%Y-%m-%d"))  # fmt: skip
        if history_dir is not None:
            archive_state(Path(history_dir), Path(state_dir))
    return [path for path, _, _ in pages]
