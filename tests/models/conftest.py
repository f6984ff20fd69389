"""Data shared by the models tests."""

import numpy as np
import pytest

# BCG vaccine trials (Colditz et al. 1994, JAMA 271:698-702), as metafor's dat.bcg: tpos, tneg, cpos, cneg
BCG = np.array([
    [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619], [33, 5036, 47, 5761],
    [180, 1361, 372, 1079], [8, 2537, 10, 619], [505, 87886, 499, 87892], [29, 7470, 45, 7232],
    [17, 1699, 65, 1600], [186, 50448, 141, 27197], [5, 2493, 3, 2338], [27, 16886, 29, 17825],
])  # fmt: skip


@pytest.fixture
def bcg_log_rr():
    a, b, c, d = BCG.T.astype(float)
    yi = np.log((a / (a + b)) / (c / (c + d)))
    vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return yi, np.sqrt(vi)
