"""Sensitivity analyses of one analysis, by exact integration (cheap: milliseconds each).

Scenarios: the primary model as fitted; the primary prior by exact NNHM; each alternative heterogeneity
prior; the common-effect (fixed-effect) model; leave-one-out; and leaving out studies whose SDs were
imputed or whose events were derived from percentages (when there are any). For a binomial–normal primary
analysis the scenarios use the NNHM on the study log ORs (normal approximation, 0.5 correction for zero
cells): the ``method`` column says so. Leave-one-out runs for k <= 30.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tables import SENSITIVITY
from .benefit import exact_benefit
from .exact import nnhm_exact

# leave-one-out is reported up to this many studies (beyond, one study rarely matters and it costs k fits)
MAX_LEAVE_ONE_OUT = 30

COLUMNS = list(SENSITIVITY.columns)


def _row(aid, scenario, method, k, left_out, prior, ex, direction, threshold, note=""):
    s = ex.summary()
    p_b, p_m = exact_benefit(ex.mu, direction, threshold)
    return {
        "analysis_id": aid, "scenario": scenario, "method": method, "k": k, "left_out": left_out,
        "tau_prior": prior, "estimate": s["estimate"], "ci_low": s["ci_low"], "ci_high": s["ci_high"],
        "pred_low": s["pred_low"], "pred_high": s["pred_high"], "tau": s["tau"], "tau_low": s["tau_low"],
        "tau_high": s["tau_high"], "p_benefit": p_b, "p_mcid": p_m, "note": note,
    }  # fmt: skip


def run_sensitivity(result, settings, threshold, exact=None) -> pd.DataFrame:
    s = result.summary
    sd = result.study_data
    aid = s.get("analysis_id", "")
    rows = [
        {
            "analysis_id": aid, "scenario": "primary", "method": f"{s['model']} MCMC", "k": s["k"],
            "left_out": "", "tau_prior": s["tau_prior"],
            **{c: s[c] for c in ("estimate", "ci_low", "ci_high", "pred_low", "pred_high", "tau", "tau_low",
                                 "tau_high", "p_benefit", "p_mcid")},
            "note": "" if s["converged"] else "not converged",
        }
    ]  # fmt: skip
    if len(sd.y) == 0:
        return pd.DataFrame(rows, columns=COLUMNS)
    approx = sd.likelihood == "binomial"
    method = "exact NNHM" + (" (normal approximation to log OR)" if approx else "")
    labels = list(sd.table.loc[sd.y_index, "study_label"])
    tab = sd.table.loc[sd.y_index].reset_index(drop=True)
    y, se, d = sd.y, sd.se, settings.direction

    def add(scenario, yy, ss, prior, left_out="", note=""):
        ex = exact if (exact is not None and prior is settings.tau_prior and len(yy) == len(y)) else None
        ex = ex or nnhm_exact(yy, ss, prior, settings.effect_prior)
        label = "none (common effect)" if prior is None else (prior.spec or prior.label)
        rows.append(_row(aid, scenario, method, len(yy), left_out, label, ex, d, threshold, note))

    add("primary prior", y, se, settings.tau_prior)
    for p in settings.sensitivity_tau_priors:
        add(f"tau prior {p.spec or p.label}", y, se, p)
    add("common effect", y, se, None)
    if 2 <= len(y) <= MAX_LEAVE_ONE_OUT:
        for i, lab in enumerate(labels):
            keep = np.arange(len(y)) != i
            add(f"leave out {lab}", y[keep], se[keep], settings.tau_prior, left_out=lab)
    for flag, what in (("sd_imputed", "imputed SDs"), ("events_derived", "derived events")):
        f = tab[flag].to_numpy(bool)
        if f.any():
            left = "; ".join(np.asarray(labels)[f])
            if f.all():
                rows.append({**{c: np.nan for c in COLUMNS}, "analysis_id": aid, "scenario": f"exclude {what}",
                             "method": method, "k": 0, "left_out": left, "tau_prior": "",
                             "note": "no studies left"})  # fmt: skip
            else:
                add(f"exclude {what}", y[~f], se[~f], settings.tau_prior, left_out=left)
    return pd.DataFrame(rows, columns=COLUMNS)
