"""Contrasts of a study's arms against its base arm, with their within-study covariance.

Why separate: the conventions (zero-cell correction, the shared variance of the base arm, SMD covariance,
the two layouts of multi-arm contrast data) are where NMA tools differ, so they are kept in one place and
documented here; ``network`` only validates and assembles.
"""

from __future__ import annotations

import math

import numpy as np


class NetworkError(ValueError):
    """Bad network input; the message names the row, the study or the disconnected parts."""


def contrast_arms(study, rows):
    """Arm 'means' and variances whose contrasts reproduce the rows (see the module docstring)."""
    trts = list(dict.fromkeys(t for r in rows for t in (r[2], r[1])))
    m = len(trts)
    pairs = {frozenset((r[1], r[2])) for r in rows}
    if len(pairs) != len(rows):
        raise NetworkError(f"row {rows[0][0] + 1}: study {study!r} repeats a comparison")
    if m == 2:
        _, t1, t2, y, se, _ = rows[0]
        return [t2, t1], np.array([y]), np.array([[se**2]])
    idx = {t: k for k, t in enumerate(trts)}
    if len(rows) == m * (m - 1) // 2:  # netmeta: every pair given; solve v_i + v_j = se_ij^2
        a = np.zeros((len(rows), m))
        for k, r in enumerate(rows):
            a[k, idx[r[1]]] = a[k, idx[r[2]]] = 1.0
        v = np.linalg.lstsq(a, np.array([r[4] ** 2 for r in rows]), rcond=None)[0]
        if np.any(v <= 0):
            raise NetworkError(f"study {study!r}: its standard errors imply a negative arm variance")
        base = trts[0]
        yy, tt = [], []
        for r in rows:  # contrasts against the base arm (the others follow by consistency within a trial)
            if base in (r[1], r[2]):
                tt.append(r[1] if r[2] == base else r[2])
                yy.append(r[3] if r[2] == base else -r[3])
        order = [base, *tt]
        vv = np.array([v[idx[t]] for t in order])
        V = np.diag(vv[1:]) + vv[0]
        return order, np.array(yy), V
    commons = {r[2] for r in rows}
    if len(commons) != 1 or len(rows) != m - 1:
        raise NetworkError(
            f"row {rows[0][0] + 1}: multi-arm study {study!r} must give either every pairwise contrast or "
            "each arm against one common arm (treatment_2)"
        )
    base = rows[0][2]
    common = [r[5] for r in rows if math.isfinite(r[5])]
    if not common:
        raise NetworkError(
            f"row {rows[0][0] + 1}: multi-arm study {study!r} gives contrasts against {base!r} only; "
            "add column 'se_common' (the SE of the common arm) or give every pairwise contrast"
        )
    v0 = common[0] ** 2
    var = np.array([r[4] ** 2 for r in rows])
    if np.any(var <= v0):
        raise NetworkError(f"study {study!r}: se_common must be smaller than every contrast's se")
    return [base, *[r[1] for r in rows]], np.array([r[3] for r in rows]), np.diag(var - v0) + v0


def binary_contrasts(e, n, measure):
    """Log OR or log RR of each arm vs arm 0 and their covariance (var of arm 0 shared). A zero cell
    (events 0 or n in any arm) adds 0.5 to every cell of the study, as the issue and netmeta do."""
    e, n = np.asarray(e, float), np.asarray(n, float)
    if np.any(e == 0) or np.any(e == n):
        e, n = e + 0.5, n + 1.0
    if measure == "OR":
        lo, v = np.log(e / (n - e)), 1.0 / e + 1.0 / (n - e)
    else:
        lo, v = np.log(e / n), 1.0 / e - 1.0 / n
    return lo[1:] - lo[0], np.diag(v[1:]) + v[0]


def continuous_contrasts(mean, sd, n, measure):
    """MD: differences with var sd^2/n per arm, arm 0's variance shared. SMD: Hedges' g against arm 0 with
    the SD pooled over all arms of the study; var 1/n_k + 1/n_0 + g^2 / (2 (n_k + n_0)), covariance
    1/n_0 + g_j g_k / (2 N) (Gleser & Olkin 2009, eq. 19.27 with a study-wide pooled SD)."""
    mean, sd, n = (np.asarray(x, float) for x in (mean, sd, n))
    if measure == "MD":
        v = sd**2 / n
        return mean[1:] - mean[0], np.diag(v[1:]) + v[0]
    df = n.sum() - len(n)
    sp = math.sqrt(float(np.sum((n - 1) * sd**2)) / df)
    j = 1.0 - 3.0 / (4.0 * df - 1.0)
    g = j * (mean[1:] - mean[0]) / sp
    big_n = n.sum()
    V = 1.0 / n[0] + np.outer(g, g) / (2.0 * big_n)
    V[np.diag_indices_from(V)] = 1.0 / n[1:] + 1.0 / n[0] + g**2 / (2.0 * (n[1:] + n[0]))
    return g, V
