"""The summary of findings of one indication (GRADE, Cochrane Handbook ch. 14): the table the index leads with.

One row per headline analysis (outcome x comparison at the primary time point): trials and participants,
the relative effect (a single trial's own result, labelled), the absolute effects per 1000 for binary outcomes
(the mean difference for continuous ones), the suggested certainty with numbered footnotes giving the reason
for each downgrade or override, and GRADE's plain-language statement.
"""

from __future__ import annotations

from ..settings import is_ratio


def sof_rows(analyses: list[dict]) -> tuple[list[dict], list[str]]:
    """Rows of the table and the footnotes they cite (numbered from 1 in row order, shared when equal)."""
    footnotes: list[str] = []
    rows = []
    for a in analyses:
        marks = []
        for reason in a["grade"]["reasons"]:
            if reason not in footnotes:
                footnotes.append(reason)
            marks.append(footnotes.index(reason) + 1)
        absolute = a.get("absolute")
        rows.append(
            {
                "id": a["id"],
                "outcome": a["outcome_short"],
                "comparison": a["comparison_label"],
                "timepoint": a["timepoint_label"],
                "k": a["k"],
                "n": a["n"],
                "converged": a["converged"],
                "effect": a["headline"]["effect"],
                "unit": a["headline"]["unit"],
                "single": a["headline"]["kind"] == "single",
                "comparator_risk": f"{absolute.comparator:.0f}" if absolute else "",
                "intervention_risk": f"{absolute.intervention:.0f}" if absolute else "",
                "difference": absolute.difference_text() if absolute else "",
                "no_absolute": "" if absolute else _why_no_absolute(a),
                "certainty": a["grade"]["certainty"],
                "certainty_css": a["grade"]["css"],
                "overridden": a["grade"]["overridden"],
                "statement": a["grade"]["statement"],
                "marks": marks,
                "registry": a.get("registry", []),
            }
        )
    return rows, footnotes


def _why_no_absolute(a: dict) -> str:
    """Why a row shows no per-1000 effect: a continuous outcome, or a comparator risk of 0 or 1 (or unknown)."""
    if not is_ratio(a["measure"]):
        return "continuous outcome: the effect is the mean difference"
    return "not estimable: no events (or only events) in the comparator arms, or their risk is unknown"
