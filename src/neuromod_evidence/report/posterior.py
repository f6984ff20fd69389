"""Posterior draws of the pooled effect (`mu`) and of `tau` from an analysis's ``posterior.nc``.

The engine writes ArviZ InferenceData as NetCDF-4 (HDF5); its posterior group holds ``mu`` and ``tau`` with
dimensions (chain, draw). They are read with h5py directly: importing ArviZ costs the report several
seconds per process and nothing else of it is needed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

EFFECT = "mu"  # the pooled effect, on the analysis scale (models.analysis.AnalysisResult.to_inference_data)
TAU = "tau"


def posterior_draws(path: str | Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(mu draws, tau draws), each (chain, draw); (None, None) when the analysis has no posterior file."""
    path = Path(path)
    if not path.exists():
        return None, None
    import h5py

    with h5py.File(path, "r") as fh:
        posterior = fh["posterior"]
        effect = np.asarray(posterior[EFFECT][...], dtype=float)
        tau = np.asarray(posterior[TAU][...], dtype=float) if TAU in posterior else None
    return effect, tau
