"""Risk of bias (RoB 2) as the report shows it: the domains in order, their letters, symbols and words.

Shared by the evidence table's traffic lights (:mod:`.evidence_view`) and the forest plot's RoB column
(:mod:`.plots.forest`), so both show a domain the same way. Which judgement applies to an outcome is
:func:`neuromod_evidence.grade.domains.domain_judgements` (the rule the certainty rating uses).
"""

from __future__ import annotations

# (domain, letter, words): the five RoB 2 domains in the tool's order
ROB_DOMAINS = (("randomization", "R", "randomization"), ("deviations", "D", "deviations from intended interventions"),
               ("missing_data", "M", "missing outcome data"), ("measurement", "O", "measurement of the outcome"),
               ("selection", "S", "selection of the reported result"))  # fmt: skip
ROB_SYMBOL = {
    "low": "+",
    "some_concerns": "?",
    "high": "\u2212",
    "not_assessable": "n/a",
    "not_assessed": "\u00b7",
}
ROB_WORDS = {"low": "low risk", "some_concerns": "some concerns", "high": "high risk",
             "not_assessable": "not assessable from the text read", "not_assessed": "not assessed"}  # fmt: skip
# fill and text colours of a traffic light (as the page's CSS: .rob-low, .rob-some_concerns, ...)
ROB_COLOURS = {
    "low": ("#1e6b35", "#ffffff"),
    "some_concerns": ("#f0c419", "#1a1a1a"),
    "high": ("#a4161a", "#ffffff"),
    "not_assessable": ("#ffffff", "#4a4a4a"),
    "not_assessed": ("#ffffff", "#4a4a4a"),
}
