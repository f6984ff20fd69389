"""Writers of the fit stage, all through the table contracts (``neuromod_evidence.tables``):
summary.csv, studies.csv, sensitivity.csv, heterogeneity.csv (``write_table``: atomic, one float format, 4
decimals), and summary.json and posterior.nc (ArviZ InferenceData as NetCDF/HDF5) of each analysis."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..tables import (
    HETEROGENEITY,
    SENSITIVITY,
    STUDIES,
    SUMMARY,
    atomic_write_text,
    empty_frame,
    write_table,
)

JSON_DECIMALS = 6


def _clean(v, decimals=JSON_DECIMALS):
    """JSON-safe values: rounded floats (no "-0.0"), None for NaN/inf, plain bools and ints."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v) or math.isinf(v):
            return None
        r = round(v, decimals)
        return 0.0 if r == 0 else r
    if isinstance(v, dict):
        return {k: _clean(x, decimals) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x, decimals) for x in v]
    return v


def write_summary_csv(frames: list[pd.DataFrame], path: Path) -> pd.DataFrame:
    """summary.csv: one row per analysis, sorted by analysis_id."""
    df = pd.concat(frames, ignore_index=True) if frames else empty_frame(SUMMARY)
    df = df.reindex(columns=list(SUMMARY.columns)).sort_values("analysis_id", kind="stable")
    df = df.reset_index(drop=True)
    write_table(SUMMARY, df, path)
    return df


def write_json(obj: dict, path: Path) -> None:
    text = json.dumps(_clean(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write_text(path, text)


def write_analysis(result, out_dir: Path, netcdf: bool = True) -> None:
    """DIR/{summary.json, studies.csv, sensitivity.csv, heterogeneity.csv, posterior.nc} of one analysis (no
    posterior.nc, and a heterogeneity.csv without rows, for an analysis that was not estimable)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(result.to_dict(), out_dir / "summary.json")
    write_table(STUDIES, result.studies.reindex(columns=list(STUDIES.columns)), out_dir / "studies.csv")
    write_table(
        SENSITIVITY,
        result.sensitivity.reindex(columns=list(SENSITIVITY.columns)),
        out_dir / "sensitivity.csv",
    )
    het = result.heterogeneity if result.heterogeneity is not None else empty_frame(HETEROGENEITY)
    write_table(HETEROGENEITY, het, out_dir / "heterogeneity.csv")
    if netcdf and result.draws is not None:
        result.to_inference_data().to_netcdf(str(out_dir / "posterior.nc"), engine="h5netcdf")
