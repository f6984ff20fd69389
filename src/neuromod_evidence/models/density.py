"""Log density and gradient of the random-effects models as numba C callbacks, cached on disk.

Why not let nutpie compile the PyMC model: nutpie turns a PyMC model into numba C callbacks that cannot be
cached (they close over run-time data), so every process paid 15–25 s of compilation before its first
draw. The same two models, written here once as module-level ``numba.cfunc(..., cache=True)``, compile once
per machine and load from numba's on-disk cache in well under a second in every later process. nutpie
still does the sampling (same NUTS, same adaptation, same settings).

The models are those of :func:`neuromod_evidence.models.compiled.build_model` (which stays, for PyMC's own
sampler and as the reference a test compares these densities and gradients with):

    mu = m0 + s0 * mu_raw,  mu_raw ~ N(0, 1);  tau = exp(log_tau), log_tau with one of four prior families
    normal:   y_i ~ N(mu, se_i^2 + tau^2)                     parameters [mu_w, log_tau]
              sampled as mu = m(tau) + s(tau) mu_w, where m(tau) and s(tau)^2 are the mean and variance of
              mu given tau and the data (normal: the prior and every y_i are normal in mu). Then mu_w ~ N(0, 1)
              independently of log_tau, whose density is its prior times the marginal likelihood with mu
              integrated out. Why: with the mu_raw parameters the spread of mu grows with tau (a funnel);
              in a single-trial analysis, whose tau only its prior informs, NUTS then left the 2.5 % and
              97.5 % quantiles of mu several Monte Carlo errors away from the exact posterior. The
              transformation is exact (same posterior of mu and tau), so nothing else changes.
    binomial: theta_i = mu + tau z_i, alpha_i = a0 + as a_i, z_i, a_i ~ N(0, 1)
              logit p_t = alpha_i + theta_i / 2, logit p_c = alpha_i - theta_i / 2, events ~ Binomial
              parameters [mu_raw, log_tau, z_1..z_k, a_1..a_k]

Data travel in one float64 array (its address is nutpie's "user data"):
``[kind, k, family, tau_a, tau_b, m0, s0, a0, as, y(k), se(k), et(k), nt(k), ec(k), nc(k)]``; constant terms of
the log density are dropped (they do not change the posterior).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types

HEADER = 9  # kind, k, family, tau_a, tau_b, m0, s0, a0, as
NORMAL, BINOMIAL = 0.0, 1.0
FAMILY_CODES = {"half_normal": 0.0, "half_cauchy": 1.0, "lognormal_tau2": 2.0, "logt_tau2": 3.0}
LOGT_DF = 5.0

LOGP_SIGNATURE = types.int64(
    types.uint64, types.CPointer(types.double), types.CPointer(types.double), types.CPointer(types.double),
    types.voidptr,
)  # fmt: skip
EXPAND_SIGNATURE = types.int64(
    types.uint64, types.uint64, types.CPointer(types.double), types.CPointer(types.double), types.voidptr
)


def n_dim(kind: float, k: int) -> int:
    return 2 if kind == NORMAL else 2 + 2 * k


def pack(kind: float, family: str, tau_a: float, tau_b: float, m0: float, s0: float, a0: float, as_: float,
         y=None, se=None, et=None, nt=None, ec=None, nc=None, k: int | None = None) -> np.ndarray:  # fmt: skip
    """The data array of one analysis (see the module docstring for its layout)."""
    k = int(k if k is not None else len(y if kind == NORMAL else nt))
    cols = [np.zeros(k) if v is None else np.asarray(v, dtype=float) for v in (y, se, et, nt, ec, nc)]
    head = [kind, k, FAMILY_CODES[family], tau_a, tau_b, m0, s0, a0, as_]
    return np.ascontiguousarray(np.concatenate([np.asarray(head, dtype=float), *cols]))


@numba.njit(cache=True)
def _tau_prior(log_tau: float, family: float, a: float, b: float) -> tuple[float, float]:
    """log p(log_tau) (Jacobian included) and its derivative, for the four families of priors.py."""
    tau = math.exp(log_tau)
    if family == 0.0:  # half-normal(a) on tau
        u = tau / a
        return -0.5 * u * u + log_tau, 1.0 - u * u
    if family == 1.0:  # half-Cauchy(a) on tau
        u2 = (tau / a) ** 2
        return -math.log1p(u2) + log_tau, 1.0 - 2.0 * u2 / (1.0 + u2)
    x = 2.0 * log_tau  # log tau^2
    r = (x - a) / b
    if family == 2.0:  # log-normal(a, b) on tau^2
        return -0.5 * r * r, -2.0 * r / b
    # log-t with 5 df on tau^2
    q = 1.0 + r * r / LOGT_DF
    return -0.5 * (LOGT_DF + 1.0) * math.log(q), -(LOGT_DF + 1.0) * r / (b * LOGT_DF * q) * 2.0


@numba.njit(cache=True)
def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@numba.njit(cache=True)
def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@numba.njit(cache=True)
def _normal_marginal(w, tau, lp_tau, g_tau, y, se, m0, s0, grad) -> float:
    """log p(mu_w, log_tau | y) of the normal model (module docstring), constants dropped, and its gradient.

    With a_i = 1 / (se_i^2 + tau^2), P = sum a_i + 1/s0^2 and B = sum y_i a_i + m0/s0^2, integrating mu out
    gives log p(y | tau) = 1/2 sum log a_i - 1/2 log P - 1/2 (sum y_i^2 a_i - B^2 / P) + const."""
    prec, b, q, sum_log_a = 1.0 / (s0 * s0), m0 / (s0 * s0), 0.0, 0.0
    d_prec, d_b, d_q, d_sum_log_a = 0.0, 0.0, 0.0, 0.0  # derivatives with respect to tau
    for i in range(y.shape[0]):
        a = 1.0 / (se[i] * se[i] + tau * tau)
        da = -2.0 * tau * a * a
        prec += a
        b += y[i] * a
        q += y[i] * y[i] * a
        sum_log_a += math.log(a)
        d_prec += da
        d_b += y[i] * da
        d_q += y[i] * y[i] * da
        d_sum_log_a += -2.0 * tau * a
    lml = 0.5 * sum_log_a - 0.5 * math.log(prec) - 0.5 * (q - b * b / prec)
    d_lml = (
        0.5 * d_sum_log_a
        - 0.5 * d_prec / prec
        - 0.5 * (d_q - (2.0 * b * d_b * prec - b * b * d_prec) / (prec * prec))
    )
    grad[0] = -w
    grad[1] = g_tau + d_lml * tau
    return -0.5 * w * w + lp_tau + lml


def mu_given_tau(
    tau: np.ndarray, y: np.ndarray, se: np.ndarray, m0: float, s0: float
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sd) of mu given tau and the data in the normal model, for draws of tau of any shape: what turns
    the sampled mu_w back into mu (mu = mean + sd * mu_w)."""
    a = 1.0 / (np.asarray(se, dtype=float) ** 2 + np.asarray(tau, dtype=float)[..., None] ** 2)
    prec = a.sum(-1) + 1.0 / s0**2
    return (a @ np.asarray(y, dtype=float) + m0 / s0**2) / prec, 1.0 / np.sqrt(prec)


@numba.njit(cache=True)
def logp_and_grad(x: np.ndarray, d: np.ndarray, grad: np.ndarray) -> float:
    """Log density at ``x`` for the data array ``d``; writes the gradient into ``grad``."""
    kind, k = d[0], int(d[1])
    m0, s0, a0, as_ = d[5], d[6], d[7], d[8]
    y, se = d[HEADER : HEADER + k], d[HEADER + k : HEADER + 2 * k]
    log_tau = x[1]
    tau = math.exp(log_tau)
    lp_tau, g_tau = _tau_prior(log_tau, d[2], d[3], d[4])
    if kind == 0.0:
        return _normal_marginal(x[0], tau, lp_tau, g_tau, y, se, m0, s0, grad)
    mu_raw = x[0]
    mu = m0 + s0 * mu_raw
    lp = -0.5 * mu_raw * mu_raw + lp_tau
    grad[0] = -mu_raw
    grad[1] = g_tau
    base = HEADER + 2 * k
    for i in range(k):
        z, a = x[2 + i], x[2 + k + i]
        et, nt = d[base + i], d[base + k + i]
        ec, nc = d[base + 2 * k + i], d[base + 3 * k + i]
        theta, alpha = mu + tau * z, a0 + as_ * a
        eta_t, eta_c = alpha + 0.5 * theta, alpha - 0.5 * theta
        lp += -et * _softplus(-eta_t) - (nt - et) * _softplus(eta_t)
        lp += -ec * _softplus(-eta_c) - (nc - ec) * _softplus(eta_c)
        lp += -0.5 * z * z - 0.5 * a * a
        g_t, g_c = et - nt * _sigmoid(eta_t), ec - nc * _sigmoid(eta_c)
        d_theta, d_alpha = 0.5 * (g_t - g_c), g_t + g_c
        grad[0] += s0 * d_theta
        grad[1] += d_theta * tau * z
        grad[2 + i] = tau * d_theta - z
        grad[2 + k + i] = as_ * d_alpha - a
    return lp


@numba.njit(cache=True)
def store_result(value, grad, logp) -> int:
    """Hand the log density to nutpie; the status code says whether it and the gradient are finite (shared by
    the pairwise and the network callbacks)."""
    logp[0] = value
    for i in range(grad.shape[0]):
        if not math.isfinite(grad[i]):
            return 3
    if not math.isfinite(value):
        return 4
    return 0


@numba.cfunc(LOGP_SIGNATURE, cache=True)
def logp_callback(dim, x_, out_, logp_, user_data):
    header = numba.carray(user_data, (HEADER,), dtype=np.float64)
    k = int(header[1])
    size = HEADER + 6 * k
    if dim != (2 if header[0] == 0.0 else 2 + 2 * k):
        return -1
    d = numba.carray(user_data, (size,), dtype=np.float64)
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    logp = numba.carray(logp_, (1,))
    return store_result(logp_and_grad(x, d, out), out, logp)


@numba.cfunc(EXPAND_SIGNATURE, cache=True)
def expand_callback(dim, expanded, x_, out_, user_data):
    if dim != expanded:
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (expanded,))
    for i in range(dim):
        out[i] = x[i]
    return 0
