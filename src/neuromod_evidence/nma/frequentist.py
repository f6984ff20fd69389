"""Frequentist cross-check: contrast-based multivariate NMA, common tau^2 by REML, Wald (z) intervals.

Why this formulation: it is metafor's

    rma.mv(yi, V, mods = ~ X - 1, random = ~ comp | study, rho = 1/2, method = "REML")

where each study contributes the contrasts of its arms against its base arm (``network.Study.y``) with
their within-study covariance ``V`` (the base arm's variance shared), ``X`` maps a contrast b-vs-a to
d_b - d_a (d_reference = 0), and the random effects of one trial's contrasts have variance tau^2 and
covariance tau^2 / 2 (consistency of the random effects within a multi-arm trial). The common-effect
variant is the same GLS with tau^2 = 0. Zero cells were corrected in ``network`` (0.5 added to every cell
of the study). Publishing both beside the Bayesian estimates lets a reader check the engine against the
peer tools (netmeta gives the same common-effect estimates; its random-effects tau^2 is a generalised
DerSimonian–Laird estimate, so it differs from REML a little).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from .network import Network, Study

Z975 = float(stats.norm.ppf(0.975))


@dataclass
class FreqNMA:
    treatments: tuple[str, ...]
    d: np.ndarray  # effects of treatments[1:] vs treatments[0]
    cov: np.ndarray
    tau2: float
    model: str  # "random" or "common"
    loglik: float = float("nan")

    def effect(self, a: str, b: str) -> tuple[float, float]:
        """Estimate and SE of a vs b (a minus b)."""
        full = np.concatenate([[0.0], self.d])
        cf = np.zeros((len(full), len(full)))
        cf[1:, 1:] = self.cov
        i, j = self.treatments.index(a), self.treatments.index(b)
        return float(full[i] - full[j]), float(math.sqrt(max(cf[i, i] + cf[j, j] - 2 * cf[i, j], 0.0)))

    def interval(self, a: str, b: str) -> tuple[float, float, float]:
        est, se = self.effect(a, b)
        return est, est - Z975 * se, est + Z975 * se


def design(net: Network, study: Study) -> np.ndarray:
    """Rows map the study's contrasts (arm vs base) to the basic parameters d_t (t != reference)."""
    idx = net.index
    x = np.zeros((study.arms - 1, len(net.treatments) - 1))
    base = idx[study.treatments[0]]
    for r, t in enumerate(study.treatments[1:]):
        if idx[t] > 0:
            x[r, idx[t] - 1] += 1.0
        if base > 0:
            x[r, base - 1] -= 1.0
    return x


def _blocks(net: Network, studies=None):
    studies = net.studies if studies is None else studies
    return [(s.y, s.V, design(net, s), 0.5 * (np.eye(s.arms - 1) + 1.0)) for s in studies]


def _gls(blocks, tau2: float):
    p = blocks[0][2].shape[1]
    xtwx, xtwy = np.zeros((p, p)), np.zeros(p)
    logdet, parts = 0.0, []
    for y, v, x, c in blocks:
        s = v + tau2 * c
        sinv = np.linalg.inv(s)
        xtwx += x.T @ sinv @ x
        xtwy += x.T @ sinv @ y
        logdet += np.linalg.slogdet(s)[1]
        parts.append((y, x, sinv))
    cov = np.linalg.pinv(xtwx)
    d = cov @ xtwy
    q = sum(float((y - x @ d) @ sinv @ (y - x @ d)) for y, x, sinv in parts)
    return d, cov, logdet, q, xtwx


def _neg_reml(tau2: float, blocks) -> float:
    _, _, logdet, q, xtwx = _gls(blocks, tau2)
    return 0.5 * (logdet + np.linalg.slogdet(xtwx)[1] + q)


def reml_tau2(blocks, upper: float | None = None) -> float:
    """Maximise the restricted likelihood over tau^2 >= 0 (bounded Brent on tau, then the boundary)."""
    n_obs = sum(len(b[0]) for b in blocks)
    p = blocks[0][2].shape[1]
    if n_obs <= p:
        return 0.0
    if upper is None:
        spread = np.concatenate([b[0] for b in blocks])
        upper = 10.0 * (float(np.std(spread)) + max(float(np.sqrt(np.max(np.diag(b[1])))) for b in blocks))
    res = optimize.minimize_scalar(
        lambda t: _neg_reml(t * t, blocks), bounds=(0.0, upper), method="bounded", options={"xatol": 1e-9}
    )
    tau = float(res.x)
    return 0.0 if _neg_reml(0.0, blocks) <= _neg_reml(tau * tau, blocks) else tau * tau


def fit(net: Network, model: str = "random", studies=None) -> FreqNMA:
    """Random-effects (REML tau^2) or common-effect (GLS) NMA of the network's contrasts."""
    blocks = _blocks(net, studies)
    tau2 = reml_tau2(blocks) if model == "random" else 0.0
    d, cov, logdet, q, _ = _gls(blocks, tau2)
    n_obs = sum(len(b[0]) for b in blocks)
    loglik = -0.5 * (n_obs * math.log(2 * math.pi) + logdet + q)
    return FreqNMA(net.treatments, d, cov, tau2, model, loglik)


def pairwise_direct(net: Network, a: str, b: str, tau2: float) -> tuple[float, float] | None:
    """Inverse-variance pooled direct estimate of a vs b from the trials that compare them (given tau^2;
    the contrast of those two arms within multi-arm trials)."""
    ys, vs = [], []
    for s in net.studies:
        if not {a, b} <= set(s.treatments):
            continue
        full_y = np.concatenate([[0.0], s.y])
        i, j = s.treatments.index(a), s.treatments.index(b)
        ys.append(full_y[i] - full_y[j])
        if s.arms == 2:
            vs.append(float(s.V[0, 0]))
            continue
        # V = diag(v_k) + v_0 (the base arm's variance shared), so v_0 is any off-diagonal element
        v0 = float(s.V[0, 1])
        arm_var = np.concatenate([[v0], np.diag(s.V) - v0])
        vs.append(float(arm_var[i] + arm_var[j]))
    if not ys:
        return None
    w = 1.0 / (np.array(vs) + tau2)
    return float(np.sum(w * np.array(ys)) / np.sum(w)), float(math.sqrt(1.0 / np.sum(w)))


def back_calculation(net: Network, fitted: FreqNMA, a: str, b: str) -> dict | None:
    """Direct (pairwise, same tau^2), indirect by back-calculation (Dias et al. 2010, eq. 5) and z-test."""
    direct = pairwise_direct(net, a, b, fitted.tau2)
    if direct is None:
        return None
    d_net, se_net = fitted.effect(a, b)
    d_dir, se_dir = direct
    v_ind = 1.0 / max(1.0 / se_net**2 - 1.0 / se_dir**2, 1e-12)
    d_ind = v_ind * (d_net / se_net**2 - d_dir / se_dir**2)
    z = (d_dir - d_ind) / math.sqrt(se_dir**2 + v_ind)
    return {
        "direct": d_dir,
        "direct_se": se_dir,
        "indirect": d_ind,
        "indirect_se": math.sqrt(v_ind),
        "network": d_net,
        "p": float(2 * stats.norm.sf(abs(z))),
    }
