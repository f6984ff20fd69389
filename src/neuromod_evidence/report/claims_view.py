"""The claims page: what the trials say about common claims (issue 11, item 6).

Each configured claim (``Settings.claims``: its text quoted, where it was made, the analyses that bear on it,
the size claimed) is checked against the headline analyses of the report; the verdict comes from
:func:`..grade.claims.verdict`, computed from the numbers and their certainty, never typed in.
"""

from __future__ import annotations

import math

from ..grade.claims import ClaimResult, verdict
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
                         "reduction": _percent(r.reduction)})  # fmt: skip
        targets = [
            " \u00d7 ".join(x for x in (ind or "any indication", out_, comp) if x)
            for ind, out_, comp in c.bears_on
        ]
        size = "at least the MCID (a substantial effect)" if c.size == "important" else "any benefit"
        if c.relative_reduction:
            size = f"a {c.relative_reduction:.0%} relative reduction"
        out.append({"id": c.id, "text": c.text, "source": c.source, "verdict": v,
                    "verdict_css": v.split()[0] if v != "no randomized evidence in the data" else "none",
                    "targets": targets, "size": size, "rows": rows})  # fmt: skip
    return out


def _percent(r: tuple[float, float, float] | None) -> str:
    if r is None or not all(math.isfinite(x) for x in r):
        return ""
    return f"{r[0]:.0%} fewer (95 % interval {r[1]:.0%} to {r[2]:.0%})"
