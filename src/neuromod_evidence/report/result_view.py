"""The numbers of one converged analysis as the page shows them: the headline and the key-numbers table.

Why a module of its own: which number leads (a single trial as itself, a pooled posterior otherwise), the
common-effect result beside the random-effects one for two trials, absolute effects for binary outcomes and
"not estimable" for a degenerate frequentist interval are presentation rules (:mod:`.headline`,
:mod:`.absolute`) that the headline table, the analysis section and the summary of findings share.
"""

from __future__ import annotations

import pandas as pd

from .absolute import Absolute, absolute_effects
from .headline import Headline, common_effect_row, degenerate_reason, headline_result, tau_is_mostly_prior
from .scale import format_number, is_ratio
from .text import fmt_interval, fmt_prob, fmt_range


def result_context(
    row: pd.Series, nums: dict, measure: str, dec: int, k: int, studies: pd.DataFrame, sens: pd.DataFrame
) -> dict:
    """headline, numbers, the two-trial comparison and the notes for a converged analysis."""
    head = headline_result(k, nums, studies)
    absolute = absolute_effects(measure, row.get("baseline_risk"), head, nums)
    effect = fmt_interval(measure, head.estimate, head.ci_low, head.ci_high, dec) if head else ""
    notes: list[str] = []
    two = _two_trials(row, nums, measure, dec, sens) if k == 2 else None
    if two and two["tau_prior_dominates"]:
        notes.append(
            "With two trials the posterior of the between-trial SD \u03c4 is essentially its prior: the "
            "random-effects interval reflects the prior's assumption about heterogeneity more than the data."
        )
    return {
        "result": head,
        "absolute": absolute,
        "headline": {
            "effect": effect,
            "interval_name": head.interval_name if head else "",
            "kind": head.kind if head else "",
            "kind_label": head.label if head else "",
            "absolute": absolute.difference_text() if absolute else "",
        },
        "numbers": _numbers(row, nums, measure, dec, head, absolute),
        "two_trials": two,
        "notes": notes,
    }


def _freq_value(row: pd.Series, nums: dict, measure: str, dec: int, k: int) -> str:
    reason = degenerate_reason(measure, nums["freq_estimate"], nums["freq_ci_low"], nums["freq_ci_high"], k)
    if reason and str(row.get("freq_method") or "").strip():
        return reason
    return fmt_interval(measure, nums["freq_estimate"], nums["freq_ci_low"], nums["freq_ci_high"], dec)


def _two_trials(row, nums, measure, dec, sens) -> dict:
    common = common_effect_row(sens)
    return {
        "random": fmt_interval(measure, nums["estimate"], nums["ci_low"], nums["ci_high"], dec),
        "common": fmt_interval(measure, common["estimate"], common["ci_low"], common["ci_high"], dec)
        if common is not None
        else "not computed",
        "tau_prior_dominates": tau_is_mostly_prior(
            row.get("tau_prior"), measure, nums["tau_low"], nums["tau_high"]
        ),
    }


def _numbers(
    row, nums, measure, dec, head: Headline | None, absolute: Absolute | None
) -> list[tuple[str, str]]:
    k = int(row["k"]) if pd.notna(row["k"]) else 0
    tau = (
        f"{format_number(nums['tau'], dec + 1)} ({format_number(nums['tau_low'], dec + 1)} to "
        f"{format_number(nums['tau_high'], dec + 1)})"
    )
    pooled = fmt_interval(measure, nums["estimate"], nums["ci_low"], nums["ci_high"], dec)
    out: list[tuple[str, str]] = []
    if head is not None and head.kind == "single":
        out += [
            ("Trial's own result (estimate, 95% CI) \u2014 single trial, not pooled",
             fmt_interval(measure, head.estimate, head.ci_low, head.ci_high, dec)),
            ("Random-effects posterior for a new setting (median, 95% CrI; secondary)", pooled),
        ]  # fmt: skip
    else:
        out.append(("Pooled effect (posterior median, 95% CrI)", pooled))
    if absolute is not None:
        out += [
            ("Risk with comparator (per 1000)", f"{absolute.comparator:.0f}"),
            ("Risk with intervention (per 1000)", f"{absolute.intervention:.0f}"),
            ("Difference per 1000 (" + ("95% CI)" if head and head.kind == "single" else "95% CrI)"),
             absolute.difference_text()),
        ]  # fmt: skip
    out += [
        ("95% prediction interval for a new trial", fmt_range(measure, nums["pred_low"], nums["pred_high"], dec)),
        ("Between-trial SD \u03c4 (median, 95% CrI)" + (" on the log-OR scale" if is_ratio(measure) else ""), tau),
        ("Probability of any benefit", fmt_prob(nums["p_benefit"])),
        ("Probability of a clinically important benefit", fmt_prob(nums["p_mcid"])),
        ("Exact integration over \u03c4",
         fmt_interval(measure, nums["exact_estimate"], nums["exact_ci_low"], nums["exact_ci_high"], dec)),
        (f"Frequentist reference ({row['freq_method'] or 'n/a'})", _freq_value(row, nums, measure, dec, k)),
    ]  # fmt: skip
    return out
