"""Sensitivity to the denominators of event counts derived from printed percentages (issue 10, item 4).

Why: when a paper prints only a percentage, normalization uses the denominator nearest the arm's size that
reproduces it, among a feasible range (``total_min``..``total_max`` in results/normalized/outcomes.csv); the
contrasts carry every arm's counts at both ends of that range (``n_t_min``, ``events_t_at_min``, ...,
normalize/rows.py), the events recomputed from the printed percentage at that denominator, so they still
reproduce it. Here the analysis is refitted with the primary model (MCMC, the same seed) at the lowest and at
the highest feasible denominators, one scenario each. A refit only binds new data to the on-disk-cached model
density (:mod:`.compiled`): no compilation, a fraction of a second of sampling. The highest feasible
denominator is the one the main analysis uses as long as normalization takes the one nearest the arm's size;
that scenario then repeats the main result (no refit) and says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tables import SENSITIVITY
from .benefit import benefit_probabilities
from .diagnostics import sample_gated
from .results import quantile
from .studies import model_data, prepare_studies

SCENARIOS = {
    "min": "denominator at lower bound of feasible range",
    "max": "denominator at upper bound of feasible range",
}
_COUNTS = ("events_t", "n_t", "events_c", "n_c")


def _bound_counts(rows: pd.DataFrame, bound: str) -> pd.DataFrame:
    """The contrast rows with each study's counts at ``bound`` ("min"/"max") where it has a range."""
    out = rows.copy()
    ranged = rows[f"n_t_{bound}"].notna() if f"n_t_{bound}" in rows else pd.Series(False, index=rows.index)
    for side in ("t", "c"):
        out.loc[ranged, f"n_{side}"] = rows.loc[ranged, f"n_{side}_{bound}"]
        out.loc[ranged, f"events_{side}"] = rows.loc[ranged, f"events_{side}_at_{bound}"]
    return out


def _changed(rows: pd.DataFrame, bounded: pd.DataFrame) -> list[str]:
    """'label: e/n vs e/n (main: e/n vs e/n)' for each study whose counts differ at this bound."""
    out = []
    for (_, a), (_, b) in zip(rows.iterrows(), bounded.iterrows(), strict=True):
        if all(a[c] == b[c] for c in _COUNTS):
            continue
        at, main = (
            f"{r['events_t']:.0f}/{r['n_t']:.0f} vs {r['events_c']:.0f}/{r['n_c']:.0f}" for r in (b, a)
        )
        out.append(f"{b['study_label']}: {at} (main analysis: {main})")
    return out


def denominator_scenarios(
    rows: pd.DataFrame, settings, engine, seed: int, threshold, primary: dict
) -> pd.DataFrame:
    """Sensitivity rows (SENSITIVITY columns) at the lower and upper bounds of the feasible denominators; empty
    when no study of the analysis has a range. ``primary`` is the sensitivity table's 'primary' row."""
    rows = rows.reset_index(drop=True)
    if "n_t_min" not in rows or rows["n_t_min"].isna().all():
        return pd.DataFrame(columns=list(SENSITIVITY.columns))
    out = []
    for bound, scenario in SCENARIOS.items():
        bounded = _bound_counts(rows, bound)
        changed = _changed(rows, bounded)
        base = {**primary, "scenario": scenario, "left_out": ""}
        if not changed:
            note = ("same counts as the main analysis, whose denominators are the highest feasible (nearest each "
                    "arm's size): its result is repeated, not refitted")  # fmt: skip
            out.append({**base, "note": note})
            continue
        fit, problem = _refit(bounded, settings, engine, seed, threshold)
        out.append({**base, **fit, "note": "; ".join([*changed, *([problem] if problem else [])])})
    return pd.DataFrame(out, columns=list(SENSITIVITY.columns))


def _refit(rows: pd.DataFrame, settings, engine, seed: int, threshold) -> tuple[dict, str]:
    """The primary model refitted on these counts (pooled effect, prediction, tau, probabilities of benefit),
    and what went wrong, if anything: a fit that is not estimable or not converged gives no numbers."""
    sd = prepare_studies(rows, settings)
    empty = dict.fromkeys(SENSITIVITY.floats, np.nan) | {"k": len(sd.table)}
    if not sd.estimable:
        return empty, "not estimable at these counts"
    data, model = model_data(sd, settings)
    draws, diag = sample_gated(engine, data, settings.sampler, settings.diagnostics, seed)
    if not diag.converged:
        return empty | {"method": f"{model} MCMC"}, f"not converged ({diag.reasons})"
    theta_new = draws.mu + draws.tau * np.random.default_rng(seed).standard_normal(draws.mu.shape)
    p_b, p_m = benefit_probabilities(draws.mu, settings.direction, threshold)
    out = {
        "method": f"{model} MCMC", "k": len(sd.table),
        "estimate": quantile(draws.mu, 0.5), "ci_low": quantile(draws.mu, 0.025),
        "ci_high": quantile(draws.mu, 0.975), "pred_low": quantile(theta_new, 0.025),
        "pred_high": quantile(theta_new, 0.975), "tau": quantile(draws.tau, 0.5),
        "tau_low": quantile(draws.tau, 0.025), "tau_high": quantile(draws.tau, 0.975), "p_benefit": p_b,
        "p_mcid": p_m,
    }  # fmt: skip
    return out, ""
