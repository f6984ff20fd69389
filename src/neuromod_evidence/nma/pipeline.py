"""The network stage of the workflow: every candidate network of one indication, fitted or listed with why not.

Run by the fit job of each indication (rules ``fit_part<i>`` / ``fit_<indication>``), after its pairwise analyses, so nutpie is
imported once per indication; the network density is a numba callback loaded from the on-disk cache
(:mod:`.density`), so no job compiles a model after the first run on a machine. Writes the ``NMA`` tables of :mod:`neuromod_evidence.tables` to ``results/nma/<indication>/`` and one
posterior NetCDF per fitted network to ``results/nma/<indication>/posteriors/<network_id>.nc``; a small job
collects the per-indication network lists into ``results/nma/summary.csv``.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

from ..settings import Settings
from ..tables import CONTRASTS, NMA, NMA_NETWORKS, read_table, write_table
from .build import FIT, Candidate, candidates

log = logging.getLogger(__name__)
NO_LOOPS = "no closed loops: consistency cannot be checked"


def priors_for(settings: Settings, cand: Candidate) -> dict:
    """The outcome's tau prior (Turner/Rhodes comparison type: the other nodes vs the reference), the
    configured effect prior of the measure, and the baseline prior of the binomial model."""
    from ..models.priors import EffectPrior, comparison_type, parse_effect_prior, parse_tau_prior

    oc = settings.outcome(cand.indication, cand.outcome)
    types = settings.models.therapy_types

    def therapy(node: str) -> str:
        lumped = settings.nma.lump.get(node)
        return types.get((lumped[1] if lumped else (node,))[0], "non_pharmacological")

    others = [therapy(n) for n in cand.treatments() if n != cand.reference]
    ctype = comparison_type(others, [therapy(cand.reference)])
    base = parse_effect_prior(settings.models.baseline_prior)
    return {
        "tau": parse_tau_prior(oc.tau_prior or "half-normal:0.5", cand.measure, ctype),
        "effect": parse_effect_prior(oc.effect_prior or settings.models.effect_prior[cand.measure]),
        "baseline": EffectPrior(base.mean, base.sd, base.spec),
    }


def sampler_for(settings: Settings) -> dict:
    """The configured sampler and, under ``gate``, the configured convergence thresholds (``models.diagnostics``)."""
    s, d = settings.models.sampler, settings.models.diagnostics
    keys = ("draws", "tune", "chains", "target_accept", "retry_target_accept", "retry_tune")
    gate = {"rhat_max": d.rhat_max, "ess_min": d.ess_min, "max_divergences": d.max_divergences}
    return {**{k: getattr(s, k) for k in keys}, "gate": gate}


def inconsistency_text(assessment: dict) -> str:
    if not assessment.get("loops"):
        return NO_LOOPS
    splits = assessment.get("splits", [])
    text = f"node-splitting of {len(splits)} comparison(s)"
    ps = [s["p"] for s in splits if s.get("p") is not None and np.isfinite(s["p"])]
    if ps:
        text += f": smallest Bayesian p = {min(ps):.2f}"
    ume = assessment.get("ume")
    if ume:
        text += f"; consistency vs unrelated mean effects: elpd difference {ume['elpd_diff']:.1f} (SE {ume['elpd_diff_se']:.1f})"
    return text


def fit_candidate(cand: Candidate, settings: Settings) -> tuple[dict, dict[str, pd.DataFrame], object]:
    """Fit one network: summary fields, its table rows (keyed by network_id) and the InferenceData."""
    from . import bayes, inconsistency, results
    from . import frequentist as freq

    net, model, seed = cand.net, settings.nma.model, int(settings.seed)
    priors, sampler = priors_for(settings, cand), sampler_for(settings)
    benefit = "lower" if cand.direction == "lower_is_better" else "higher"
    freq_fit = freq.fit(net, model)
    fit = bayes.fit(net, model, priors, seed, benefit, sampler)
    assessment = inconsistency.assess(net, fit, model, priors, seed, freq_fit, sampler)
    probs, sucra, mean_rank = fit.ranks()
    ranks = pd.DataFrame(
        [
            {
                "treatment": t,
                "rank": k + 1,
                "probability": probs[i, k],
                "sucra": sucra[i],
                "mean_rank": mean_rank[i],
            }
            for i, t in enumerate(net.treatments)
            for k in range(len(net.treatments))
        ]  # fmt: skip
    )
    tables = {
        "league": results.league(fit, freq_fit),
        "ranks": ranks,
        "splits": results.splits_table(assessment),
    }
    risk = bayes.pooled_reference_risk(net)
    if risk is not None:
        tables["absolute"] = pd.DataFrame(fit.absolute(risk))
    tau = fit.tau.reshape(-1)
    d = fit.diagnostics
    fields = {
        "model": model, "loops": bool(assessment.get("loops")), "inconsistency": inconsistency_text(assessment),
        "freq_tau2": freq_fit.tau2, "reference_risk": risk, "rhat_max": d.rhat_max, "ess_bulk_min": d.ess_bulk_min,
        "ess_tail_min": d.ess_tail_min, "divergences": d.divergences, "converged": d.converged,
        "attempts": d.attempts, "seed": seed,
    }  # fmt: skip
    if model == "random":
        fields.update(tau=np.median(tau), tau_low=np.quantile(tau, 0.025), tau_high=np.quantile(tau, 0.975))
    if not d.converged:
        cand.notes.append(f"not converged: {d.reasons}")
    return fields, tables, fit.to_inference_data()


def network_row(cand: Candidate, fields: dict | None = None) -> dict:
    row = dict.fromkeys(NMA_NETWORKS.columns)
    nodes = cand.node_table() if cand.trials else None
    row.update(
        network_id=cand.network_id, indication=cand.indication, outcome=cand.outcome, timepoint=cand.timepoint,
        measure=cand.measure, direction=cand.direction, status=cand.status, reason=cand.reason,
        layout=cand.layout, reference=cand.reference, reference_rule=cand.reference_rule,
        treatments=";".join(cand.treatments()), n_treatments=len(cand.nodes()),
        n_comparisons=len(cand.edges()) if cand.trials else 0, n_trials=len(cand.trials),
        n_participants=float(nodes["participants"].sum(min_count=1)) if nodes is not None else None,
        trials=";".join(t.trial_id for t in cand.trials), notes="; ".join(cand.notes),
    )  # fmt: skip
    row.update(fields or {})
    return row


def fit_indication_networks(contrasts_csv, settings: Settings, indication: str, out_dir) -> pd.DataFrame:
    """Every candidate network of ``indication``: write its tables to ``out_dir`` (see the module doc)."""
    out_dir = Path(out_dir)
    (out_dir / "posteriors").mkdir(parents=True, exist_ok=True)
    cands = candidates(read_table(CONTRASTS, contrasts_csv), settings, indication)
    rows, parts = [], {name: [] for name in NMA if name != "networks"}
    for cand in cands:
        fields = None
        parts["network"].append(cand.edges().assign(network_id=cand.network_id))
        parts["nodes"].append(cand.node_table().assign(network_id=cand.network_id))
        if cand.status == FIT:
            t0 = time.perf_counter()
            try:
                fields, tables, idata = fit_candidate(cand, settings)
            except Exception as exc:  # one broken network must not hide the others; it is listed
                log.error("%s failed:\n%s", cand.network_id, traceback.format_exc())
                cand.status, cand.reason = "fit failed", f"{type(exc).__name__}: {exc}"
            else:
                for name, df in tables.items():
                    parts[name].append(df.assign(network_id=cand.network_id))
                from .results import write_netcdf

                write_netcdf(idata, out_dir / "posteriors" / f"{cand.network_id}.nc")
                log.info("%s: %s, converged=%s (%.1f s)", cand.network_id, ";".join(cand.treatments()),
                         fields["converged"], time.perf_counter() - t0)  # fmt: skip
        else:
            log.info("%s: not fitted (%s)", cand.network_id, cand.reason)
        rows.append(network_row(cand, fields))
    networks = pd.DataFrame(rows, columns=list(NMA_NETWORKS.columns))
    write_table(NMA_NETWORKS, networks, out_dir / "networks.csv")
    for name, frames in parts.items():
        table = NMA[name]
        frames = [f for f in frames if len(f)]
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(table.columns))
        write_table(table, df.reindex(columns=list(table.columns)), out_dir / f"{name}.csv")
    return networks
