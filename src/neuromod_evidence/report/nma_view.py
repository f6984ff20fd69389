"""The network meta-analyses of one indication as template context: one section per candidate network.

Reads only the network stage's tables (:data:`~neuromod_evidence.tables.NMA`, through ``ReportInputs``).
A network that was not fitted shows the reason; a fitted network that did not pass the convergence gate
shows its diagram and diagnostics but no numbers (as the pairwise analyses do). Ranks are always shown
with the warning that they are uncertain, and every estimate says whether it rests on direct, indirect or
mixed evidence.
"""

from __future__ import annotations

import math

import pandas as pd

from ..settings import Settings
from .text import fmt_effect, fmt_interval, fmt_prob, measure_decimals

RANK_WARNING = (
    "Ranks are uncertain: a treatment's rank probabilities and SUCRA summarise the posterior of the "
    "effects shown above, nothing more. With few, small trials the probabilities spread over several ranks; "
    "read them with the intervals, never as a verdict on which treatment is best."
)
EVIDENCE_WORDS = {
    "direct": "direct (head-to-head trials only)",
    "indirect": "indirect (through common comparators only)",
    "mixed": "mixed (direct and indirect)",
}


def _f(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def network_sections(tables: dict[str, pd.DataFrame], settings: Settings) -> list[dict]:
    """One context per candidate network of an indication (``tables``: ``ReportInputs.networks_of``)."""
    out = []
    for _, row in tables["networks"].iterrows():
        nid = row["network_id"]
        own = {k: df[df["network_id"] == nid] for k, df in tables.items() if k != "networks"}
        out.append(_section(row, own, settings))
    return out


def _section(row, own: dict[str, pd.DataFrame], settings: Settings) -> dict:
    oc = settings.outcome(row["indication"], row["outcome"])
    window = oc.window(row["timepoint"])
    label = settings.node_label
    treatments = [t for t in str(row["treatments"] or "").split(";") if t]
    measure = str(row["measure"])
    ctx = {
        "id": row["network_id"],
        "title": f"{oc.label}, {window.label if window else row['timepoint']}",
        "status": row["status"],
        "fitted": row["status"] == "fitted",
        "converged": bool(row["converged"]) if pd.notna(row["converged"]) else False,
        "reason": row["reason"] or "",
        "treatments": [label(t) for t in treatments],
        "reference": label(row["reference"]) if row["reference"] else "",
        "reference_rule": row["reference_rule"] or "",
        "n_trials": int(row["n_trials"] or 0),
        "n_participants": None if pd.isna(row["n_participants"]) else int(row["n_participants"]),
        "trials": str(row["trials"] or "").replace(";", ", "),
        "notes": row["notes"] or "",
        "measure": measure,
        "direction": oc.direction,
        "inconsistency": row["inconsistency"] or "",
        "diagram_svg": None,
        "forest_svg": None,
        "nodes": own["nodes"],
        "edges": own["network"],
        "node_labels": {t: label(t) for t in own["nodes"]["treatment"]},
    }
    if ctx["fitted"]:
        ctx["diagnostics"] = _diagnostics(row)
    if ctx["fitted"] and ctx["converged"]:
        dec = measure_decimals(measure, oc.mcid)
        ctx.update(_numbers(row, own, treatments, measure, dec, settings))
    return ctx


def _diagnostics(row) -> list[tuple[str, str]]:
    out = [
        ("Model", f"{row['model']} effects, consistency"),
        ("Converged", "yes" if row["converged"] else "no"),
        ("Max R-hat", f"{_f(row['rhat_max']):.3f}"),
        ("Min bulk / tail ESS", f"{row['ess_bulk_min']} / {row['ess_tail_min']}"),
        ("Divergent transitions", str(row["divergences"])),
    ]
    if pd.notna(row["tau"]):
        out.append(
            (
                "Heterogeneity τ (95 % CrI)",
                f"{_f(row['tau']):.2f} ({_f(row['tau_low']):.2f} to {_f(row['tau_high']):.2f})",
            )
        )
    if pd.notna(row["freq_tau2"]):
        out.append(("Frequentist τ² (REML)", f"{_f(row['freq_tau2']):.3f}"))
    return out


def _numbers(row, own, treatments, measure, dec, settings) -> dict:
    label = settings.node_label
    league = own["league"].set_index(["treatment_1", "treatment_2"])
    ref = row["reference"]
    cells = []
    for a in treatments:
        line = []
        for b in treatments:
            if a == b:
                line.append({"diag": label(a)})
                continue
            r = league.loc[(a, b)]
            line.append({"text": fmt_interval(measure, r["estimate"], r["ci_low"], r["ci_high"], dec),
                         "evidence": r["evidence"]})  # fmt: skip
        cells.append(line)
    absolute = own["absolute"].set_index("treatment") if len(own["absolute"]) else None
    versus = []
    for t in treatments:
        if t == ref:
            continue
        r = league.loc[(t, ref)]
        item = {
            "label": label(t),
            "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            "text": fmt_interval(measure, r["estimate"], r["ci_low"], r["ci_high"], dec),
            "pred": fmt_interval(measure, r["estimate"], r["pred_low"], r["pred_high"], dec).split(" ", 1)[-1],
            "freq": fmt_interval(measure, r["freq_estimate"], r["freq_ci_low"], r["freq_ci_high"], dec),
            "p_better": fmt_prob(r["p_better"]),
            "evidence": r["evidence"],
            "evidence_text": EVIDENCE_WORDS.get(r["evidence"], r["evidence"]),
        }  # fmt: skip
        if absolute is not None and t in absolute.index:
            a = absolute.loc[t]
            item["risk"] = (
                f"{1000 * a['risk']:.0f} per 1000 ({1000 * a['risk_low']:.0f} to {1000 * a['risk_high']:.0f})"
            )
            item["per_1000"] = (
                f"{fmt_effect('MD', a['per_1000_diff'], 0)} per 1000 "
                f"({fmt_effect('MD', a['per_1000_low'], 0)} to {fmt_effect('MD', a['per_1000_high'], 0)})"
            )
        versus.append(item)
    ranks = own["ranks"]
    rank_rows = []
    for t in treatments:
        rt = ranks[ranks["treatment"] == t].sort_values("rank")
        if rt.empty:
            continue
        rank_rows.append({"label": label(t), "sucra": f"{_f(rt['sucra'].iloc[0]):.2f}",
                          "mean_rank": f"{_f(rt['mean_rank'].iloc[0]):.1f}",
                          "probs": [fmt_prob(p) for p in rt["probability"]]})  # fmt: skip
    risk = _f(row["reference_risk"])
    return {
        "league": cells,
        "versus": versus,
        "absolute": absolute is not None,
        "reference_risk": f"{1000 * risk:.0f} per 1000" if math.isfinite(risk) else None,
        "ranks": rank_rows,
        "n_ranks": len(treatments),
        "rank_warning": RANK_WARNING,
        "splits": _splits(own["splits"], measure, dec, label),
    }


def _splits(splits: pd.DataFrame, measure, dec, label) -> list[dict]:
    return [
        {
            "pair": f"{label(r['treatment_1'])} vs {label(r['treatment_2'])}",
            "direct": fmt_interval(measure, r["direct"], r["direct_low"], r["direct_high"], dec),
            "indirect": fmt_interval(measure, r["indirect"], r["indirect_low"], r["indirect_high"], dec),
            "network": fmt_effect(measure, r["network"], dec),
            "p": fmt_prob(r["p"]),
            "freq_p": fmt_prob(r["freq_p"]),
        }
        for _, r in splits.iterrows()
    ]
