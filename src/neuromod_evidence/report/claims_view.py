"""The claims page: what the trials say about common claims (issue 11, item 6).

Each configured claim (``Settings.claims``: its text quoted, where it was made, the analyses that bear on it,
the size claimed) is checked against the headline analyses of the report; the verdict comes from
:func:`..grade.claims.verdict`, computed from the numbers and their certainty, never typed in.
"""

from __future__ import annotations

import math

from ..grade.claims import VERDICTS, ClaimResult, verdict
from ..settings import Settings
from .certainty_view import benefit_threshold


def _reduction(a: dict) -> tuple[float, float, float] | None:
    """Relative reduction of the event with the intervention (0.4 = 40 % fewer), from the absolute effects."""
    ab = a.get("absolute")
    if ab is None or not ab.comparator > 0:
        return None
    return (-ab.difference / ab.comparator, -ab.high / ab.comparator, -ab.low / ab.comparator)


def claim_result(a: dict) -> ClaimResult | None:
    head = a.get("result")
    if not a["converged"] or head is None:
        return None
    return ClaimResult(
        a["indication"], a["outcome"], a["comparison"], a["title"], head.estimate, head.ci_low, head.ci_high,
        benefit_threshold(a["measure"], a["direction"], a["mcid"]), a["grade"]["certainty"], _reduction(a),
    )  # fmt: skip


def _targets_match(a: dict, targets) -> bool:
    return any((ind is None or ind == a["indication"]) and out == a["outcome"]
               and (comp is None or comp == a["comparison"]) for ind, out, comp in targets)  # fmt: skip


def not_converged_rows(analyses: list[dict], targets) -> list[dict]:
    """Headline analyses bearing on a claim that did not converge: shown as not used, with the reason."""
    rows = []
    for a in headline_analyses(analyses):
        if a["converged"] or not _targets_match(a, targets):
            continue
        d = dict(a["diagnostics"])
        why = (f"not converged, not used: the sampler did not meet the convergence thresholds after a retry "
               f"(max R-hat {d.get('Max R-hat', '?')}, min bulk ESS {d.get('Min bulk ESS', '?')}, min tail ESS "
               f"{d.get('Min tail ESS', '?')}, divergences {d.get('Divergences', '?')})")  # fmt: skip
        rows.append({"id": a["id"], "page": f"{a['indication']}.html", "title": f"{a['indication'].upper()}: {a['title']}",
                     "status": why, "effect": "no estimate", "unit": "", "single": False, "certainty": "not rated",
                     "reduction": "", "not_converged": True})  # fmt: skip
    return rows


def headline_analyses(analyses: list[dict]) -> list[dict]:
    """The primary-time-point analyses of each indication (all of them where none is primary)."""
    out = []
    for ind in dict.fromkeys(a["indication"] for a in analyses):
        own = [a for a in analyses if a["indication"] == ind]
        out += [a for a in own if a["primary"]] or own
    return out


def claims_context(settings: Settings, analyses: list[dict]) -> list[dict]:
    by_id = {a["id"]: a for a in analyses}
    results = [r for r in (claim_result(a) for a in headline_analyses(analyses)) if r is not None]
    ids = {
        (r.indication, r.outcome, r.comparison, r.title): a["id"]
        for a in analyses
        for r in [claim_result(a)]
        if r
    }
    out = []
    for c in settings.claims:
        v, statuses = verdict(c.bears_on, results, c.size, c.relative_reduction)
        rows = []
        for r, status in statuses:
            aid = ids[(r.indication, r.outcome, r.comparison, r.title)]
            a = by_id[aid]
            rows.append({"id": aid, "page": f"{r.indication}.html", "title": f"{r.indication.upper()}: {r.title}", "status": status,
                         "effect": a["headline"]["effect"], "unit": a["headline"]["unit"],
                         "single": a["headline"]["kind"] == "single", "certainty": r.certainty,
                         "reduction": _percent(r.reduction), "not_converged": False})  # fmt: skip
        unused = not_converged_rows(analyses, c.bears_on)
        rows += unused
        if v == VERDICTS[3] and unused:
            v = "no usable result: the analyses that bear on it did not converge"
        targets = [
            " \u00d7 ".join(x for x in (ind or "any indication", out_, comp) if x)
            for ind, out_, comp in c.bears_on
        ]
        size = "at least the MCID (a substantial effect)" if c.size == "important" else "any benefit"
        if c.relative_reduction:
            size = f"a {c.relative_reduction:.0%} relative reduction"
        out.append({"id": c.id, "text": c.text, "source": c.source, "verdict": v,
                    "verdict_css": {"supported": "supported", "partly": "partly", "not": "not"}.get(v.split()[0], "none"),
                    "targets": targets, "size": size, "rows": rows})  # fmt: skip
    return out


def _percent(r: tuple[float, float, float] | None) -> str:
    if r is None or not all(math.isfinite(x) for x in r):
        return ""
    return f"{r[0]:.0%} fewer (95 % interval {r[1]:.0%} to {r[2]:.0%})"
