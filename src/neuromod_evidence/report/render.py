"""The HTML report: an index page plus one self-contained page per indication.

Reads the tables described in docs/pipeline-tables.md (normalized tables, `results/fit/summary.csv` and the
per-analysis folders) and, when present, the screening tables (`prisma.csv`, `queue.csv`). Every page is a
single HTML file with inline CSS and inline SVG figures: no script, no font, no request outside the report
folder (a Content-Security-Policy says so to the browser). Jinja2 autoescapes everything; the only markup
not escaped is the SVG that matplotlib wrote (which escapes its own text).

Ratio measures arrive on the log scale and are exponentiated for display. An analysis whose `converged` is
False shows a warning and none of its pooled numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import platform
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from . import plots
from .text import (
    analysis_flags,
    describe_prior,
    fmt_effect,
    fmt_interval,
    fmt_prob,
    fmt_range,
    measure_decimals,
    plain_language,
    split_comparison,
)

DEFAULT_FOREST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("intervention_class", "Intervention"),
    ("timepoint_months", "Month"),
)
SOFTWARE = (
    "numpy",
    "scipy",
    "pandas",
    "pymc",
    "pytensor",
    "nutpie",
    "arviz",
    "statsmodels",
    "matplotlib",
    "jinja2",
    "snakemake",
)
PREVIOUS_FILES = ("summary.csv", "trials.csv")


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


# ------------------------------------------------------------------------------------------------- reading
def _read_csv(path: Path | None) -> pd.DataFrame:
    if path is None or not Path(path).exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes", "t"}


def _first(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in frame.columns), None)


@dataclass
class Tables:
    trials: pd.DataFrame
    arms: pd.DataFrame
    contrasts: pd.DataFrame
    issues: pd.DataFrame
    summary: pd.DataFrame
    prisma: pd.DataFrame
    queue: pd.DataFrame
    fit_dir: Path
    sources: list[Path] = field(default_factory=list)


def load_tables(normalized_dir: Path, fit_summary: Path, fit_dir: Path, screening_dir: Path | None) -> Tables:
    normalized_dir = Path(normalized_dir)
    screening = Path(screening_dir) if screening_dir else None
    names = {n: normalized_dir / f"{n}.csv" for n in ("trials", "arms", "contrasts", "issues")}
    sources = [p for p in [*names.values(), Path(fit_summary)] if p.exists()]
    prisma = screening / "prisma.csv" if screening else None
    queue = screening / "queue.csv" if screening else None
    sources += [p for p in (prisma, queue) if p is not None and p.exists()]
    return Tables(
        trials=_read_csv(names["trials"]),
        arms=_read_csv(names["arms"]),
        contrasts=_read_csv(names["contrasts"]),
        issues=_read_csv(names["issues"]),
        summary=_read_csv(Path(fit_summary)),
        prisma=_read_csv(prisma),
        queue=_read_csv(queue),
        fit_dir=Path(fit_dir),
        sources=sources,
    )


# --------------------------------------------------------------------------------------------------- SVG
_SVG_HEAD = re.compile(r"^.*?(<svg\b)", re.S)
_STRIP = re.compile(r"<metadata>.*?</metadata>|<style[^>]*>.*?</style>", re.S)


def inline_svg(svg: str, prefix: str, label: str) -> Markup:
    """Make matplotlib's SVG safe to inline: unique ids, no global style, role=img with an aria-label."""
    svg = _SVG_HEAD.sub(r"\1", svg, count=1)
    svg = _STRIP.sub("", svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    m = re.search(r'<svg\b[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', svg)
    width = f"{float(m.group(1)):.0f}pt" if m else "100%"
    svg = re.sub(r'(<svg\b[^>]*?)\swidth="[^"]*"', r"\1", svg, count=1)
    svg = re.sub(r'(<svg\b[^>]*?)\sheight="[^"]*"', r"\1", svg, count=1)
    title_id = f"{prefix}-title"
    attrs = (
        f' class="fig" role="img" aria-labelledby="{title_id}" aria-label="{escape(label)}"'
        f' style="max-width:{width}" preserveAspectRatio="xMinYMin meet"'
    )
    svg = svg.replace("<svg", "<svg" + attrs, 1)
    svg = re.sub(r"(<svg\b[^>]*>)", rf'\1<title id="{title_id}">{escape(label)}</title>', svg, count=1)
    return Markup(svg.strip())


def _figure(fig, prefix: str, label: str, save_to: Path | None = None) -> Markup:
    svg = plots.figure_to_svg(fig)
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        save_to.write_text(svg, encoding="utf-8")
    return inline_svg(svg, prefix, label)


# ------------------------------------------------------------------------------------------- analyses
def _label(config: dict, section: str, key: str) -> str:
    item = (config.get(section) or {}).get(key) or {}
    return str(item.get("label", key)) if isinstance(item, dict) else str(key)


def _timepoints(config: dict, outcome: str) -> list[dict]:
    out = (config.get("outcomes") or {}).get(outcome) or {}
    return list(out.get("timepoints") or config.get("timepoints") or [])


def _study_frame(
    tables: Tables, aid: str, converged: bool, forest_columns, tau: float = float("nan")
) -> pd.DataFrame:
    path = tables.fit_dir / aid / "studies.csv"
    contrasts = tables.contrasts
    rows = contrasts[contrasts["analysis_id"] == aid] if "analysis_id" in contrasts else pd.DataFrame()
    src = _read_csv(path) if path.exists() else rows.copy()
    out = pd.DataFrame(index=src.index)
    label_col = _first(src, ("study_label", "label", "study", "trial_id"))
    out["trial_id"] = src.get("trial_id", src[label_col] if label_col else "")
    out["label"] = src[label_col] if label_col else out["trial_id"]
    for col in ("estimate", "ci_low", "ci_high"):
        out[col] = pd.to_numeric(src.get(col), errors="coerce")
    if "se" in src and out["ci_low"].isna().any():
        se = pd.to_numeric(src["se"], errors="coerce")
        out["ci_low"] = out["ci_low"].fillna(out["estimate"] - 1.96 * se)
        out["ci_high"] = out["ci_high"].fillna(out["estimate"] + 1.96 * se)
    if converged:
        alias = {
            "shrunk_estimate": ("shrunk_estimate", "shrunken_estimate", "shrunk", "theta_median", "theta"),
            "shrunk_ci_low": ("shrunk_ci_low", "shrunken_ci_low", "shrunk_low", "theta_low", "theta_ci_low"),
            "shrunk_ci_high": (
                "shrunk_ci_high",
                "shrunken_ci_high",
                "shrunk_high",
                "theta_high",
                "theta_ci_high",
            ),
            "weight": ("weight", "weight_pct", "weight_percent", "contribution"),
        }
        for target, names in alias.items():
            col = _first(src, names)
            if col:
                out[target] = pd.to_numeric(src[col], errors="coerce")
        if "weight" in out and out["weight"].notna().any() and out["weight"].sum() <= 1.0001:
            out["weight"] = 100 * out["weight"]
        if "weight" not in out and "se" in src and np.isfinite(tau):
            # random-effects weight at the posterior median tau: the trial's share of the pooled precision
            se = pd.to_numeric(src["se"], errors="coerce")
            w = 1.0 / (se**2 + tau**2)
            if w.notna().all() and len(w) > 1:
                out["weight"] = 100 * w / w.sum()
    extra_source = rows.set_index("trial_id") if "trial_id" in rows else pd.DataFrame()
    trials = tables.trials.set_index("trial_id") if "trial_id" in tables.trials else pd.DataFrame()
    for col in ("n_t", "n_c", *[c for c, _ in forest_columns]):
        if col in src:
            out[col] = src[col].values
        elif col in extra_source.columns:
            out[col] = out["trial_id"].map(extra_source[col].groupby(level=0).first())
        elif col in trials.columns:
            out[col] = out["trial_id"].map(trials[col])
    for col in ("n_t", "n_c"):
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce")
    return out.reset_index(drop=True)


def _sensitivity_rows(sens: pd.DataFrame) -> pd.DataFrame:
    """Rows to show: a `label` column, or one built from the engine's `scenario`/`method`; the engine's own
    'primary' row is dropped (the main analysis comes from summary.csv), so are rows with no estimate."""
    if not len(sens):
        return sens
    sens = sens.copy()
    if "label" not in sens and "scenario" in sens:
        sens = sens[sens["scenario"].str.strip().str.lower() != "primary"].copy()
        label = sens["scenario"].str.strip()
        label = label.str[:1].str.upper() + label.str[1:]
        if "method" in sens:
            label = label + np.where(sens["method"].str.contains("exact", case=False), " (exact)", "")
        sens["label"] = label
    if "estimate" in sens:
        sens = sens[pd.to_numeric(sens["estimate"], errors="coerce").notna()]
    return sens


def _posterior_draws(path: Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not path.exists():
        return None, None
    import arviz as az

    idata = az.from_netcdf(str(path))
    post = idata.posterior
    eff = next((post[v].values for v in ("mu", "effect", "theta_pooled", "d") if v in post), None)
    tau = post["tau"].values if "tau" in post else None
    return eff, tau


def build_analysis(row: pd.Series, tables: Tables, config: dict, out_dir: Path, forest_columns) -> dict:
    aid = row["analysis_id"]
    outcome, comparison, indication = (
        row.get("outcome", ""),
        row.get("comparison", ""),
        row.get("indication", ""),
    )
    ocfg = (config.get("outcomes") or {}).get(outcome) or {}
    measure = row.get("measure") or ocfg.get("measure", "MD")
    direction = ocfg.get("direction") or "lower_is_better"
    contrast_rows = tables.contrasts[tables.contrasts.get("analysis_id", pd.Series(dtype=str)) == aid]
    if "direction" in contrast_rows and len(contrast_rows):
        direction = contrast_rows["direction"].iloc[0] or direction
    mcid = _num(ocfg.get("mcid"))
    comp_cfg = (
        ((config.get("indications") or {}).get(indication) or {}).get("comparisons", {}).get(comparison, {})
    )
    comp_label = comp_cfg.get("label", comparison)
    intervention, control = split_comparison(comp_label)
    tp_label = next(
        (
            t.get("label", t["id"])
            for t in _timepoints(config, outcome)
            if t.get("id") == row.get("timepoint")
        ),
        row.get("timepoint", ""),
    )
    converged = _truthy(row.get("converged"))
    k = int(_num(row.get("k"))) if np.isfinite(_num(row.get("k"))) else 0
    n = int(_num(row.get("n_participants"))) if np.isfinite(_num(row.get("n_participants"))) else None
    dec = measure_decimals(measure, mcid)
    nums = {
        c: _num(row.get(c))
        for c in (
            "estimate",
            "ci_low",
            "ci_high",
            "pred_low",
            "pred_high",
            "tau",
            "tau_low",
            "tau_high",
            "p_benefit",
            "p_mcid",
            "exact_estimate",
            "exact_ci_low",
            "exact_ci_high",
            "freq_estimate",
            "freq_ci_low",
            "freq_ci_high",
            "rhat_max",
            "ess_bulk_min",
            "ess_tail_min",
            "divergences",
        )
    }
    title = f"{_label(config, 'outcomes', outcome)} \u2014 {comp_label}, {tp_label}"
    a: dict[str, Any] = {
        "id": aid,
        "indication": indication,
        "outcome": outcome,
        "comparison": comparison,
        "outcome_label": _label(config, "outcomes", outcome),
        "comparison_label": comp_label,
        "outcome_short": re.sub(r"\s*\(.*?\)\s*$", "", _label(config, "outcomes", outcome)),
        "timepoint_label": tp_label,
        "title": title,
        "measure": measure,
        "k": k,
        "n": n,
        "converged": converged,
        "direction": direction,
        "mcid": mcid,
        "primary": any(
            t.get("primary") and t.get("id") == row.get("timepoint") for t in _timepoints(config, outcome)
        ),
    }
    a["flags"] = analysis_flags(row, contrast_rows, tables.trials, k, converged)
    a["diagnostics"] = [
        ("Model", row.get("model", "") or "\u2013"),
        ("Heterogeneity prior", describe_prior(row.get("tau_prior") or ocfg.get("tau_prior", ""))),
        ("Effect prior", describe_prior(row.get("effect_prior", ""))),
        ("Max R-hat", plots.format_number(nums["rhat_max"], 3)),
        ("Min bulk ESS", plots.format_number(nums["ess_bulk_min"], 0)),
        ("Min tail ESS", plots.format_number(nums["ess_tail_min"], 0)),
        ("Divergences", plots.format_number(nums["divergences"], 0)),
        ("Converged", "yes" if converged else "NO"),
        (
            "MCMC agrees with exact integration",
            {"true": "yes", "false": "NO"}.get(
                str(row.get("exact_agrees", "")).strip().lower(), "not applicable"
            ),
        ),
    ]
    studies = _study_frame(tables, aid, converged, forest_columns, nums["tau"])
    a["studies"] = [
        {"label": r["label"], "est": fmt_interval(measure, r["estimate"], r["ci_low"], r["ci_high"], dec)}
        for _, r in studies.iterrows()
    ]
    pooled = None
    if converged and k >= 2 and np.isfinite(nums["estimate"]):
        pooled = plots.Pooled(
            nums["estimate"], nums["ci_low"], nums["ci_high"], nums["pred_low"], nums["pred_high"]
        )
    fig_dir = out_dir / "downloads" / "figures"
    forest_alt = f"Forest plot, {title}: {k} trial{'s' if k != 1 else ''}" + (
        f"; pooled {fmt_effect(measure, nums['estimate'], dec)} (95% CrI "
        f"{fmt_range(measure, nums['ci_low'], nums['ci_high'], dec)})"
        if pooled
        else "; no pooled estimate shown" + ("" if converged else " (not converged)")
    )
    a["forest_alt"] = forest_alt
    if len(studies):
        fig = plots.forest_plot(
            studies,
            pooled,
            measure=measure,
            direction=direction,
            mcid=mcid,
            extra_columns=[c for c in forest_columns if c[0] in studies],
            intervention=intervention,
            control=control,
            decimals=dec,
        )
        a["forest_svg"] = _figure(fig, f"forest-{aid}", forest_alt, fig_dir / f"{aid}__forest.svg")
    else:
        a["forest_svg"] = None
    a["sentence"] = plain_language(a, nums, ocfg, intervention, control) if converged else ""
    a["numbers"] = []
    a["sensitivity"] = []
    a["sens_svg"] = None
    a["density_svg"] = None
    if converged:
        a["numbers"] = [
            (
                "Pooled effect (posterior median, 95% CrI)",
                fmt_interval(measure, nums["estimate"], nums["ci_low"], nums["ci_high"], dec),
            ),
            (
                "95% prediction interval for a new trial",
                fmt_range(measure, nums["pred_low"], nums["pred_high"], dec),
            ),
            (
                "Between-trial SD \u03c4 (median, 95% CrI)"
                + (" on the log-OR scale" if plots.is_ratio(measure) else ""),
                f"{plots.format_number(nums['tau'], dec + 1)} ({plots.format_number(nums['tau_low'], dec + 1)} to "
                f"{plots.format_number(nums['tau_high'], dec + 1)})",
            ),
            ("Probability of any benefit", fmt_prob(nums["p_benefit"])),
            ("Probability of a clinically important benefit", fmt_prob(nums["p_mcid"])),
            (
                "Exact integration over \u03c4",
                fmt_interval(
                    measure, nums["exact_estimate"], nums["exact_ci_low"], nums["exact_ci_high"], dec
                ),
            ),
            (
                f"Frequentist reference ({row.get('freq_method', '') or 'n/a'})",
                fmt_interval(measure, nums["freq_estimate"], nums["freq_ci_low"], nums["freq_ci_high"], dec),
            ),
        ]
        sens = _sensitivity_rows(_read_csv(tables.fit_dir / aid / "sensitivity.csv"))
        if len(sens) and {"label", "estimate", "ci_low", "ci_high"} <= set(sens.columns):
            main = pd.DataFrame(
                [
                    {
                        "label": "Main analysis",
                        "estimate": nums["estimate"],
                        "ci_low": nums["ci_low"],
                        "ci_high": nums["ci_high"],
                        "main": True,
                    }
                ]
            )
            sens_num = sens.assign(
                **{c: pd.to_numeric(sens[c], errors="coerce") for c in ("estimate", "ci_low", "ci_high")},
                main=False,
            )
            frame = pd.concat(
                [main, sens_num[["label", "estimate", "ci_low", "ci_high", "main"]]], ignore_index=True
            )
            a["sensitivity"] = [
                {
                    "label": r["label"],
                    "value": fmt_interval(measure, r["estimate"], r["ci_low"], r["ci_high"], dec),
                    "main": bool(r["main"]),
                }
                for _, r in frame.iterrows()
            ]
            fig = plots.sensitivity_plot(
                frame,
                measure=measure,
                direction=direction,
                mcid=mcid,
                intervention=intervention,
                control=control,
                decimals=dec,
            )
            a["sens_svg"] = _figure(
                fig, f"sens-{aid}", f"Sensitivity analyses, {title}", fig_dir / f"{aid}__sensitivity.svg"
            )
        eff, tau = _posterior_draws(tables.fit_dir / aid / "posterior.nc")
        if eff is not None:
            fig = plots.density_plot(eff, tau, measure=measure, direction=direction, mcid=mcid)
            a["density_svg"] = _figure(
                fig,
                f"dens-{aid}",
                f"Posterior densities of the pooled effect and of tau, {title}",
                fig_dir / f"{aid}__posterior.svg",
            )
    a["headline"] = {
        "effect": fmt_interval(measure, nums["estimate"], nums["ci_low"], nums["ci_high"], dec)
        if converged
        else "",
        "p_benefit": fmt_prob(nums["p_benefit"]) if converged else "",
        "p_mcid": fmt_prob(nums["p_mcid"]) if converged else "",
        "unit": "odds ratio" if plots.is_ratio(measure) else (ocfg.get("unit") or measure),
    }
    a["downloads"] = [
        (f"downloads/analyses/{aid}/{name}", name)
        for name in ("summary.json", "studies.csv", "sensitivity.csv", "posterior.nc")
        if (tables.fit_dir / aid / name).exists()
    ]
    return a


# ------------------------------------------------------------------------------------ evidence, prisma
def _links(ids: str, kind: str) -> list[dict[str, str]]:
    out = []
    for raw in str(ids or "").split(";"):
        token = raw.strip()
        if not token:
            continue
        if kind == "pmid" and token.isdigit():
            out.append({"text": f"PMID {token}", "href": f"https://pubmed.ncbi.nlm.nih.gov/{token}/"})
        elif re.fullmatch(r"NCT\d{8}", token):
            out.append({"text": token, "href": f"https://clinicaltrials.gov/study/{token}"})
        elif re.fullmatch(r"ISRCTN\d+", token):
            out.append({"text": token, "href": f"https://www.isrctn.com/{token}"})
        else:
            out.append({"text": token, "href": ""})
    return out


def evidence_rows(tables: Tables, indication: str, config: dict) -> list[dict]:
    trials = tables.trials
    if "indication" in trials:
        trials = trials[trials["indication"] == indication]
    arms = tables.arms
    labels = {**(config.get("intervention_classes") or {}), **(config.get("comparator_classes") or {})}
    used = set(tables.contrasts.get("trial_id", pd.Series(dtype=str)))
    out = []
    for _, t in trials.sort_values(["year", "trial_id"]).iterrows():
        t_arms = arms[arms["trial_id"] == t["trial_id"]] if "trial_id" in arms else pd.DataFrame()
        out.append(
            {
                "id": t["trial_id"],
                "name": (t.get("acronym") or "") or t.get("first_author", ""),
                "citation": f"{t.get('first_author', '')} {t.get('year', '')}".strip(),
                "title": t.get("title", ""),
                "design": t.get("design", ""),
                "blinding": t.get("blinding", ""),
                "sponsor": t.get("sponsor", ""),
                "follow_up": t.get("max_follow_up_months", ""),
                "arms": [
                    {
                        "label": r.get("label", r.get("arm_id", "")),
                        "cls": (labels.get(r.get("class", "")) or {}).get("label", r.get("class", "")),
                        "n": r.get("n_randomized", ""),
                    }
                    for _, r in t_arms.iterrows()
                ],
                "links": _links(t.get("pmids", ""), "pmid") + _links(t.get("registry_ids", ""), "registry"),
                "in_analysis": t["trial_id"] in used,
            }
        )
    return out


def prisma_counts(tables: Tables, indication: str, n_trials: int, n_analysed: int) -> dict:
    row = None
    if "indication" in tables.prisma:
        match = tables.prisma[tables.prisma["indication"] == indication]
        row = match.iloc[0] if len(match) else None
    counts: dict[str, Any] = {"available": row is not None, "included": n_trials, "analysed": n_analysed}
    if row is not None:
        for key in (
            "records_identified_registry",
            "records_identified_pubmed",
            "duplicates_removed",
            "records_screened",
            "awaiting_review",
            "included_curated",
            "excluded_with_reason",
        ):
            value = _num(row.get(key))
            counts[key] = int(value) if np.isfinite(value) else None
        if counts.get("included_curated") is not None:
            counts["included"] = counts["included_curated"]
    # queue.csv lists only records still awaiting review (its `status` is the registry's recruitment status);
    # records a reviewer or a rule excluded are counted in prisma.csv's `exclusion_reasons` ("reason: n; ...").
    reasons: dict[str, int] = {}
    if row is not None:
        for part in str(row.get("exclusion_reasons", "") or "").split(";"):
            reason, _, n = part.rpartition(":")
            if reason.strip() and n.strip().isdigit():
                reasons[reason.strip()] = int(n)
    excluded_records: list[dict] = []
    awaiting: list[dict] = []
    if "indication" in tables.queue:
        q = tables.queue[tables.queue["indication"] == indication]
        for _, r in q.iterrows():
            rec = {k: r.get(k, "") for k in ("source", "id", "title", "year", "status")}
            rec["reason"] = r.get("why_matched", "")
            rec["link"] = (
                _links(r.get("id", ""), "pmid" if r.get("source", "").lower() == "pubmed" else "reg")
                or [{"text": r.get("id", ""), "href": ""}]
            )[0]
            awaiting.append(rec)
    counts["reasons"] = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    counts["excluded_records"] = excluded_records
    counts["awaiting_records"] = awaiting
    return counts


# ------------------------------------------------------------------------------------------- changes
def compute_changes(
    summary: pd.DataFrame, trials: pd.DataFrame, previous_dir: Path | None, config: dict
) -> dict:
    """Compare with the state kept by the previous run (idempotent: re-rendering the same data shows the
    same comparison, because the baseline is only rolled forward when the inputs change)."""
    if previous_dir is None:
        return {"available": False}
    base = _baseline_dir(Path(previous_dir), summary, trials)
    prev_summary = _read_csv(base / "summary.csv") if base else pd.DataFrame()
    if base is None or not len(prev_summary):
        return {"available": False}
    prev_trials = _read_csv(base / "trials.csv")
    meta = json.loads((base / "meta.json").read_text()) if (base / "meta.json").exists() else {}
    cur = summary.set_index("analysis_id") if "analysis_id" in summary else pd.DataFrame()
    old = prev_summary.set_index("analysis_id") if "analysis_id" in prev_summary else pd.DataFrame()
    changes = {
        "available": True,
        "date": meta.get("date", "unknown date"),
        "new_analyses": [],
        "removed_analyses": [],
        "changed": [],
    }

    def title(aid: str) -> str:
        ind, outcome, comparison, tp = (aid.split("__") + ["", "", "", ""])[:4]
        comp = (((config.get("indications") or {}).get(ind) or {}).get("comparisons") or {}).get(
            comparison
        ) or {}
        tps = {t.get("id"): t.get("label", t.get("id")) for t in _timepoints(config, outcome)}
        return (
            f"{ind.upper()}: {_label(config, 'outcomes', outcome)}, {comp.get('label', comparison)}, "
            f"{tps.get(tp, tp)}"
        )

    def describe(r) -> str:
        ocfg = (config.get("outcomes") or {}).get(r.get("outcome", "")) or {}
        dec = measure_decimals(r.get("measure", "MD"), _num(ocfg.get("mcid")))
        if not _truthy(r.get("converged")):
            return f"k={r.get('k', '?')}, not converged"
        return (
            f"k={r.get('k', '?')}, n={r.get('n_participants', '?')}, "
            f"{fmt_interval(r.get('measure', 'MD'), _num(r.get('estimate')), _num(r.get('ci_low')), _num(r.get('ci_high')), dec)}"
        )

    for aid in cur.index:
        if aid not in old.index:
            changes["new_analyses"].append({"id": aid, "title": title(aid), "now": describe(cur.loc[aid])})
        else:
            before, after = describe(old.loc[aid]), describe(cur.loc[aid])
            if before != after:
                changes["changed"].append({"id": aid, "title": title(aid), "before": before, "now": after})
    changes["removed_analyses"] = [
        {"id": aid, "title": title(aid), "before": describe(old.loc[aid])}
        for aid in old.index
        if aid not in cur.index
    ]
    cur_ids = set(trials.get("trial_id", pd.Series(dtype=str)))
    old_ids = set(prev_trials.get("trial_id", pd.Series(dtype=str))) if len(prev_trials) else set()
    changes["new_trials"] = sorted(cur_ids - old_ids) if len(prev_trials) else []
    changes["removed_trials"] = sorted(old_ids - cur_ids) if len(prev_trials) else []
    changes["none"] = not any(
        changes[k] for k in ("new_analyses", "removed_analyses", "changed", "new_trials", "removed_trials")
    )
    return changes


def _fingerprint(summary: pd.DataFrame, trials: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(summary.to_csv(index=False).encode())
    h.update(trials.to_csv(index=False).encode())
    return h.hexdigest()


def _baseline_dir(previous_dir: Path, summary: pd.DataFrame, trials: pd.DataFrame) -> Path | None:
    """`.previous/` holds the last rendered state; `.previous/baseline/` the state before it. If the current
    inputs equal the last rendered state, compare against the baseline, else against the last state."""
    last = previous_dir
    if not (last / "summary.csv").exists():
        return None
    meta = json.loads((last / "meta.json").read_text()) if (last / "meta.json").exists() else {}
    if meta.get("fingerprint") == _fingerprint(summary, trials):
        base = last / "baseline"
        return base if (base / "summary.csv").exists() else None
    return last


def remember_state(previous_dir: Path, summary: pd.DataFrame, trials: pd.DataFrame, date: str) -> None:
    previous_dir = Path(previous_dir)
    fingerprint = _fingerprint(summary, trials)
    meta_path = previous_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("fingerprint") == fingerprint and (previous_dir / "summary.csv").exists():
        return
    if (previous_dir / "summary.csv").exists():
        base = previous_dir / "baseline"
        base.mkdir(parents=True, exist_ok=True)
        for name in (*PREVIOUS_FILES, "meta.json"):
            if (previous_dir / name).exists():
                shutil.copyfile(previous_dir / name, base / name)
    previous_dir.mkdir(parents=True, exist_ok=True)
    summary.to_csv(previous_dir / "summary.csv", index=False)
    trials.to_csv(previous_dir / "trials.csv", index=False)
    meta_path.write_text(json.dumps({"fingerprint": fingerprint, "date": date}, indent=2))


# ------------------------------------------------------------------------------------------- methods
def software_versions() -> list[tuple[str, str]]:
    out = [("python", platform.python_version())]
    for name in ("neuromod-evidence", *SOFTWARE):
        try:
            out.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def methods_context(config: dict, indication: str | None = None) -> dict:
    models = config.get("models") or {}
    sampler = models.get("sampler") or {}
    diag = models.get("diagnostics") or {}
    norm = config.get("normalize") or {}
    outcome_ids = (
        list(((config.get("indications") or {}).get(indication) or {}).get("outcomes") or {})
        if indication
        else list(config.get("outcomes") or {})
    )
    outcomes = []
    for oid in outcome_ids:
        o = (config.get("outcomes") or {}).get(oid) or {}
        measure = o.get("measure", "")
        outcomes.append(
            {
                "label": o.get("label", oid),
                "measure": measure,
                "direction": "lower is better"
                if o.get("direction") == "lower_is_better"
                else "higher is better",
                "mcid": f"{o.get('mcid', '')} {o.get('unit', '')}".strip(),
                "tau_prior": describe_prior(o.get("tau_prior", "")),
                "effect_prior": describe_prior((models.get("effect_prior") or {}).get(measure, "")),
            }
        )
    return {
        "outcomes": outcomes,
        "timepoints": [
            {
                "label": t.get("label", t.get("id")),
                "window": t.get("window", ["", ""]),
                "primary": bool(t.get("primary")),
            }
            for t in config.get("timepoints") or []
        ],
        "sensitivity_priors": [describe_prior(p) for p in models.get("sensitivity_tau_priors") or []],
        "sampler": sampler,
        "diagnostics": diag,
        "normalize": norm,
        "seed": config.get("seed", "not set"),
        "software": software_versions(),
        "evidence_dir": config.get("evidence_dir", "data/evidence"),
        "fetch_mode": (config.get("fetch") or {}).get("mode", "offline"),
    }


# --------------------------------------------------------------------------------------------- render
def _copy_downloads(
    tables: Tables, normalized_dir: Path, fit_summary: Path, out_dir: Path, analysis_ids
) -> list:
    dl = out_dir / "downloads"
    (dl / "tables").mkdir(parents=True, exist_ok=True)
    files = []
    for src in [
        Path(fit_summary),
        *[Path(normalized_dir) / f"{n}.csv" for n in ("trials", "arms", "outcomes", "contrasts", "issues")],
        *tables.sources,
    ]:
        if src.exists() and src.suffix == ".csv":
            name = "fit_summary.csv" if src == Path(fit_summary) else src.name
            shutil.copyfile(src, dl / "tables" / name)
            if ("tables/" + name) not in files:
                files.append("tables/" + name)
    for aid in analysis_ids:
        for name in ("summary.json", "studies.csv", "sensitivity.csv", "posterior.nc"):
            src = tables.fit_dir / aid / name
            if src.exists():
                (dl / "analyses" / aid).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dl / "analyses" / aid / name)
    return [(f"downloads/{f}", f.split("/")[-1]) for f in files]


def _sort_key(config: dict):
    outcome_order = list(config.get("outcomes") or {})

    def key(a: dict):
        ind = (config.get("indications") or {}).get(a["indication"]) or {}
        comps = list(ind.get("comparisons") or {})
        tps = [t.get("id") for t in _timepoints(config, a["outcome"])]
        tp = a["id"].split("__")[-1]
        return (
            outcome_order.index(a["outcome"]) if a["outcome"] in outcome_order else 99,
            comps.index(a["comparison"]) if a["comparison"] in comps else 99,
            tps.index(tp) if tp in tps else 99,
        )

    return key


def render_report(
    *,
    normalized_dir: str | Path,
    fit_summary: str | Path,
    fit_dir: str | Path,
    out_dir: str | Path,
    config: dict,
    screening_dir: str | Path | None = None,
    previous_dir: str | Path | None = None,
    forest_columns=DEFAULT_FOREST_COLUMNS,
    now: dt.datetime | None = None,
) -> list[Path]:
    """Write `index.html` and `<indication>.html` for every indication of the config; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    tables = load_tables(Path(normalized_dir), Path(fit_summary), Path(fit_dir), screening_dir)
    forest_columns = [tuple(c) for c in forest_columns]
    key = _sort_key(config)
    analyses = [
        build_analysis(r, tables, config, out_dir, forest_columns) for _, r in tables.summary.iterrows()
    ]
    analyses.sort(key=key)
    data_date = max(
        (dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC) for p in tables.sources), default=now
    ).strftime("%Y-%m-%d")
    downloads = _copy_downloads(
        tables, Path(normalized_dir), Path(fit_summary), out_dir, [a["id"] for a in analyses]
    )
    changes = compute_changes(
        tables.summary, tables.trials, Path(previous_dir) if previous_dir else None, config
    )
    env = _env()
    indications = []
    for iid, icfg in (config.get("indications") or {}).items():
        own = [a for a in analyses if a["indication"] == iid]
        evidence = evidence_rows(tables, iid, config)
        trial_ids = {e["id"] for e in evidence}
        n_analysed = len(
            {t for t in tables.contrasts.get("trial_id", pd.Series(dtype=str)) if t in trial_ids}
        )
        issues = tables.issues
        if len(issues):
            mask = issues.get("trial_id", pd.Series("", index=issues.index)).isin(trial_ids) | issues.get(
                "file", pd.Series("", index=issues.index)
            ).str.contains(f"/{iid}/", regex=False)
            issues = issues[mask]
            order = {"excluded": 0, "warning": 1, "info": 2}
            issues = issues.assign(_o=issues.get("severity", "").map(order).fillna(3)).sort_values(["_o"])
        indications.append(
            {
                "id": iid,
                "label": icfg.get("label", iid),
                "analyses": own,
                "headline": [a for a in own if a["primary"]] or own,
                "n_other": len(own) - len([a for a in own if a["primary"]])
                if any(a["primary"] for a in own)
                else 0,
                "evidence": evidence,
                "n_trials": len(evidence),
                "prisma": prisma_counts(tables, iid, len(evidence), n_analysed),
                "issues": issues.to_dict("records") if len(issues) else [],
                "page": f"{iid}.html",
            }
        )
    common = {
        "generated": now.strftime("%Y-%m-%d %H:%M UTC"),
        "data_date": data_date,
        "downloads": downloads,
        "indications": indications,
        "changes": changes,
    }
    written = []
    index = out_dir / "index.html"
    index.write_text(
        env.get_template("index.html.j2").render(
            **common,
            methods=methods_context(config),
            page_title="Neuromodulation evidence report",
            page_id="index",
        ),
        encoding="utf-8",
    )
    written.append(index)
    for ind in indications:
        page = out_dir / ind["page"]
        page.write_text(
            env.get_template("indication.html.j2").render(
                **common,
                ind=ind,
                methods=methods_context(config, ind["id"]),
                page_title=ind["label"],
                page_id=ind["id"],
            ),
            encoding="utf-8",
        )
        written.append(page)
    if previous_dir:
        remember_state(Path(previous_dir), tables.summary, tables.trials, data_date)
    return written
