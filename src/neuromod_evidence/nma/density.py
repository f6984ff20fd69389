"""Log density and gradient of the network models as numba C callbacks, cached on disk.

Why: nutpie compiled the padded PyMC NMA model (``nma.model.build``) in 60–120 s in every process; these
module-level ``numba.cfunc(..., cache=True)`` callbacks compile once per machine and then load from numba's
on-disk cache in every later process (as ``models.density`` does for the pairwise models). nutpie still does
the sampling. The model is that of :func:`neuromod_evidence.nma.model.build`, without padding:

    D = (0, m + s * d_raw),  d_raw ~ N(0, 1)^P                    effect parameters, D[0] = 0
    mean_j = D[p1_j] - D[p2_j] + D[p3_j]                           non-base arm j of a study, vs its base arm
    delta_s = mean_s + tau * L z_s,  z ~ N(0, 1)                   random effects only; L L' = (I + J) / 2
    binomial: logit p_s0 = mu_s, logit p_sj = mu_s + delta_sj,  mu_s = mb + sb * mu_raw_s,  mu_raw ~ N(0, 1)
    normal:   y_s ~ N(delta_s, V_s), through the whitening matrix W_s = chol(V_s)^-1
    log tau   one of the four prior families of ``priors.py`` (``models.density._tau_prior``)

Parameters ``x = [d_raw (P), log_tau, z (M)]`` (random effects) or ``[d_raw (P)]`` (common effect), then
``mu_raw (S)`` for the binomial likelihood; M = number of non-base arms over all studies. Data travel in one
float64 array (its address is nutpie's user data), see :func:`pack`; constant terms are dropped.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..models.density import (  # noqa: F401 -- expand_callback is this model's too (nutpie asks the module)
    FAMILY_CODES,
    LOGP_SIGNATURE,
    _sigmoid,
    _softplus,
    _tau_prior,
    expand_callback,
    store_result,
)

HEADER = 14  # re, binom, family, tau_a, tau_b, d_m, d_s, mu_m, mu_s, P, S, M, C (max non-base arms), size


def n_dim(re: bool, binom: bool, P: int, S: int, M: int) -> int:
    return P + (1 + M if re else 0) + (S if binom else 0)


def pack(study_maps, *, re: bool, binom: bool, n_params: int, tau_prior, effect_prior, baseline_prior,
         counts=None, contrasts=None) -> np.ndarray:  # fmt: skip
    """The data array of one fit.

    ``study_maps``: per study, a list of (p1, p2, p3) for its non-base arms; ``counts``: per study (events,
    n) over all arms, base first (binomial); ``contrasts``: per study (y, V) of its non-base arms vs the base.
    Layout after the header: c_s (S), p1 p2 p3 (M each), L (C x C), then r and n (S + M each, arms of study
    s in a row) or y (M) and W (sum of c_s^2, row-major per study)."""
    S = len(study_maps)
    c = np.array([len(m) for m in study_maps], dtype=float)
    M, C = int(c.sum()), int(c.max())
    p = np.array([t for m in study_maps for t in m], dtype=float).reshape(M, 3)
    L = np.linalg.cholesky(0.5 * (np.eye(C) + np.ones((C, C))))
    parts = [c, p[:, 0], p[:, 1], p[:, 2], L.ravel()]
    if binom:
        parts += [np.concatenate([np.asarray(e, float) for e, _ in counts])]
        parts += [np.concatenate([np.asarray(n, float) for _, n in counts])]
    else:
        parts += [np.concatenate([np.asarray(y, float) for y, _ in contrasts])]
        parts += [np.concatenate([np.linalg.inv(np.linalg.cholesky(V)).ravel() for _, V in contrasts])]
    body = np.concatenate(parts)
    tb = tau_prior.b if tau_prior.b > 0 else 1.0
    head = [float(re), float(binom), FAMILY_CODES[tau_prior.family], tau_prior.a, tb, effect_prior.mean,
            effect_prior.sd, baseline_prior.mean, baseline_prior.sd, n_params, S, M, C, HEADER + len(body)]  # fmt: skip
    return np.ascontiguousarray(np.concatenate([np.asarray(head, dtype=float), body]))


@numba.njit(cache=True)
def expected_dim(d: np.ndarray) -> int:
    re, binom, P, S, M = d[0] != 0.0, d[1] != 0.0, int(d[9]), int(d[10]), int(d[11])
    return P + (1 + M if re else 0) + (S if binom else 0)


@numba.njit(cache=True)
def logp_and_grad(x: np.ndarray, d: np.ndarray, grad: np.ndarray) -> float:
    """Log density at ``x`` for the data array ``d``; writes the gradient into ``grad``."""
    re, binom = d[0] != 0.0, d[1] != 0.0
    dm, ds, mm, ms = d[5], d[6], d[7], d[8]
    P, S, M, C = int(d[9]), int(d[10]), int(d[11]), int(d[12])
    o_c = HEADER
    o_p = o_c + S
    o_L = o_p + 3 * M
    o_data = o_L + C * C
    o_z = P + 1
    o_mu = P + (1 + M if re else 0)
    lp = 0.0
    for k in range(P):
        lp -= 0.5 * x[k] * x[k]
        grad[k] = -x[k]
    tau = 0.0
    g_logtau = 0.0
    if re:
        lp_tau, g_logtau = _tau_prior(x[P], d[2], d[3], d[4])
        lp += lp_tau
        tau = math.exp(x[P])
        for j in range(M):
            zj = x[o_z + j]
            lp -= 0.5 * zj * zj
            grad[o_z + j] = -zj
    if binom:
        for s in range(S):
            u = x[o_mu + s]
            lp -= 0.5 * u * u
            grad[o_mu + s] = -u
    g_tau_sum = 0.0
    arm = 0  # first non-base arm of study s (over all studies)
    w_off = 0  # first entry of study s's W
    mean = np.empty(C)
    lz = np.empty(C)
    gd = np.empty(C)
    for s in range(S):
        c = int(d[o_c + s])
        for j in range(c):
            a = arm + j
            p1, p2, p3 = int(d[o_p + a]), int(d[o_p + M + a]), int(d[o_p + 2 * M + a])
            m = 0.0
            if p1 > 0:
                m += dm + ds * x[p1 - 1]
            if p2 > 0:
                m -= dm + ds * x[p2 - 1]
            if p3 > 0:
                m += dm + ds * x[p3 - 1]
            mean[j] = m
            v = 0.0
            if re:
                for q in range(j + 1):
                    v += d[o_L + j * C + q] * x[o_z + arm + q]
            lz[j] = v
        if binom:
            o_r = o_data + s + arm  # study s's base arm among the S + M arms
            o_n = o_data + S + M + s + arm
            mu = mm + ms * x[o_mu + s]
            g_mu = 0.0
            for j in range(c + 1):
                eta = mu if j == 0 else mu + mean[j - 1] + tau * lz[j - 1]
                r, n = d[o_r + j], d[o_n + j]
                lp += -r * _softplus(-eta) - (n - r) * _softplus(eta)
                g = r - n * _sigmoid(eta)
                g_mu += g
                if j > 0:
                    gd[j - 1] = g
            grad[o_mu + s] += ms * g_mu
        else:
            o_y = o_data + arm
            o_W = o_data + M + w_off
            for i in range(c):  # residual, whitened: wr = W (y - delta); gd = W' wr
                gd[i] = 0.0
            for i in range(c):
                wr = 0.0
                for q in range(c):
                    wr += d[o_W + i * c + q] * (d[o_y + q] - mean[q] - tau * lz[q])
                lp -= 0.5 * wr * wr
                for q in range(c):
                    gd[q] += d[o_W + i * c + q] * wr
            w_off += c * c
        for j in range(c):  # d log p / d delta_j = gd[j]: to the effects, tau and z
            a = arm + j
            p1, p2, p3 = int(d[o_p + a]), int(d[o_p + M + a]), int(d[o_p + 2 * M + a])
            if p1 > 0:
                grad[p1 - 1] += ds * gd[j]
            if p2 > 0:
                grad[p2 - 1] -= ds * gd[j]
            if p3 > 0:
                grad[p3 - 1] += ds * gd[j]
            if re:
                g_tau_sum += gd[j] * lz[j]
                for q in range(j + 1):
                    grad[o_z + arm + q] += tau * d[o_L + j * C + q] * gd[j]
        arm += c
    if re:
        grad[P] = g_logtau + tau * g_tau_sum
    return lp


@numba.cfunc(LOGP_SIGNATURE, cache=True)
def logp_callback(dim, x_, out_, logp_, user_data):
    header = numba.carray(user_data, (HEADER,), dtype=np.float64)
    d = numba.carray(user_data, (int(header[HEADER - 1]),), dtype=np.float64)
    if dim != expected_dim(d):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    logp = numba.carray(logp_, (1,))
    return store_result(logp_and_grad(x, d, out), out, logp)
