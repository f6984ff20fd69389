"""Inconsistency: node-splitting per comparison and consistency vs unrelated mean effects (UME).

Why both: node-splitting says *where* direct and indirect evidence disagree (Dias et al. 2010; NICE DSU
TSD4); the UME comparison says whether the network as a whole fits better without the consistency
assumption. A network without loops has no indirect evidence to compare, which is said explicitly
(``{"loops": False, ...}``) instead of an empty table.

Node split of a vs b (same model, one extra effect parameter): in every trial that compares a
and b, the b-vs-a contrast gets its own effect ``d_dir`` (in a multi-arm trial with another base arm the
b arm's mean is D[a] - D[base] + d_dir, so the trial's other arms stay consistent — van Valkenhoef et al.
2016); all other trials inform the consistency parameters, whose contrast b - a is the indirect estimate.
Bayesian p = 2 min(P(d_dir > d_ind), P(d_dir < d_ind)). The frequentist cross-check is the
back-calculation method (``frequentist.back_calculation``).

UME: every comparison observed against a trial's base arm gets its own parameter; the models are compared
by PSIS-LOO (ArviZ) over studies.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import bayes
from . import frequentist as freq
from .network import Network


def node_split_map(net: Network, a: str, b: str):
    idx = net.index
    extra = len(net.treatments)  # D index of d_dir (after the T-1 basic parameters)
    maps = []
    for s in net.studies:
        base = s.treatments[0]
        m = []
        for t in s.treatments[1:]:
            if {a, b} <= set(s.treatments):
                if base == a and t == b:
                    m.append((extra, 0, 0))
                    continue
                if base == b and t == a:
                    m.append((0, extra, 0))
                    continue
                if t == b:  # base is a third treatment: b arm = a arm + d_dir
                    m.append((idx[a], idx[base], extra))
                    continue
            m.append((idx[t], idx[base], 0))
        maps.append(m)
    return maps


def node_split(net: Network, a: str, b: str, model: str, priors: dict, seed: int, sampler=None, engine=None):
    maps = node_split_map(net, a, b)
    t = len(net.treatments) - 1
    lay = bayes.layout(net, maps, t + 1)
    draws, diag = bayes.sample_gated(lay, priors, model == "random", t + 1, seed, sampler, engine)
    idx = net.index
    D = np.concatenate([np.zeros(draws.d.shape[:2] + (1,)), draws.d], axis=2).reshape(-1, t + 2)
    direct = D[:, t + 1]  # b vs a
    indirect = D[:, idx[b]] - D[:, idx[a]]
    diff = direct - indirect
    p = 2 * min(np.mean(diff > 0), np.mean(diff < 0))
    return {
        "direct": float(np.median(direct)),
        "direct_low": float(np.quantile(direct, 0.025)),
        "direct_high": float(np.quantile(direct, 0.975)),
        "indirect": float(np.median(indirect)),
        "indirect_low": float(np.quantile(indirect, 0.025)),
        "indirect_high": float(np.quantile(indirect, 0.975)),
        "p": float(p),
        "converged": diag.converged,
    }


def splits(
    net: Network, consistency, model: str, priors: dict, seed: int, freq_fit=None, sampler=None, engine=None
):
    """One row per splittable comparison (treatment_1 = b vs treatment_2 = a, effect b minus a)."""
    rows = []
    for a, b in net.splittable():
        r = node_split(net, a, b, model, priors, seed, sampler, engine)
        x = consistency.contrast(b, a)
        row = {"treatment_1": b, "treatment_2": a, **r, "network": float(np.median(x))}
        if freq_fit is not None:
            bc = freq.back_calculation(net, freq_fit, b, a)
            row.update({f"freq_{k}": v for k, v in bc.items() if k in ("direct", "indirect", "network", "p")})
        rows.append(row)
    return rows


def ume_map(net: Network):
    """One parameter per observed (base, arm) comparison, sign-aligned so a vs b and b vs a share it."""
    params: dict[tuple[str, str], int] = {}
    maps = []
    for s in net.studies:
        base = s.treatments[0]
        m = []
        for t in s.treatments[1:]:
            if (t, base) in params:
                m.append((0, params[(t, base)], 0))
            else:
                k = params.setdefault((base, t), len(params) + 1)
                m.append((k, 0, 0))
        maps.append(m)
    return maps, len(params)


def compare_ume(net: Network, consistency, model: str, priors: dict, seed: int, sampler=None, engine=None):
    """PSIS-LOO of the consistency and UME models (higher elpd is better; difference with its SE)."""
    import arviz as az

    maps, n_par = ume_map(net)
    lay = bayes.layout(net, maps, n_par)
    re = model == "random"
    draws, diag = bayes.sample_gated(lay, priors, re, n_par, seed, sampler, engine)
    ll_ume = bayes.pointwise_loglik(net, draws, maps, re)

    def loo(ll):
        idata = az.from_dict(posterior={"x": np.zeros(ll.shape[:2])}, log_likelihood={"y": ll})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return az.loo(idata, pointwise=True)

    a, b = loo(consistency.loglik), loo(ll_ume)
    diff = np.asarray(a.loo_i) - np.asarray(b.loo_i)
    k_max = float(max(np.max(a.pareto_k), np.max(b.pareto_k)))
    note = "elpd_diff > 0 favours consistency; |diff| < 2 SE: no evidence of inconsistency"
    if k_max > 0.7:  # leaving out a whole study removes its own random effects and baseline
        note += f"; Pareto k up to {k_max:.2f} > 0.7: PSIS-LOO is unreliable for some studies, read it as a rough guide"
    return {
        "elpd_loo_consistency": float(a.elpd_loo),
        "elpd_loo_ume": float(b.elpd_loo),
        "elpd_diff": float(diff.sum()),
        "elpd_diff_se": float(np.sqrt(len(diff) * np.var(diff))),
        "pareto_k_max": k_max,
        "ume_converged": diag.converged,
        "interpretation": note,
    }


def assess(
    net: Network, consistency, model: str, priors: dict, seed: int, freq_fit=None, sampler=None, engine=None
):
    """Node splits and the UME comparison, or an explicit no-loops result."""
    if not net.has_loops():
        return {
            "loops": False,
            "message": "the network has no closed loops: no indirect evidence to compare",
            "splits": [],
        }
    return {
        "loops": True,
        "splits": splits(net, consistency, model, priors, seed, freq_fit, sampler, engine),
        "ume": compare_ume(net, consistency, model, priors, seed, sampler, engine),
    }
