"""Writers for the fit stage: summary.csv (byte-reproducible), summary.json, studies.csv, sensitivity.csv,
posterior.nc (ArviZ InferenceData as NetCDF/HDF5)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .analysis import SUMMARY_COLUMNS

DECIMALS = 4
INTEGER_COLUMNS = (
    "k",
    "divergences",
    "ess_bulk_min",
    "ess_tail_min",
    "attempts",
    "seed",
    "continuity_corrected",
)


def _clean(v, decimals=DECIMALS):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v) or math.isinf(v):
            return None
        r = round(v, decimals)
        return 0.0 if r == 0 else r  # no "-0.0"
    if isinstance(v, dict):
        return {k: _clean(x, decimals) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x, decimals) for x in v]
    return v


def tidy_frame(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Round floats, make integer columns integers, keep booleans as True/False and missing as empty."""
    df = df.copy()
    if columns is not None:
        df = df.reindex(columns=columns)
    for c in df.columns:
        values = [_clean(v) for v in df[c]]
        if c in INTEGER_COLUMNS:
            values = [None if v is None else int(round(v)) for v in values]
        df[c] = pd.Series(values, index=df.index, dtype=object)
    return df


def write_csv(df: pd.DataFrame, path: Path, columns: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tidy_frame(df, columns).to_csv(path, index=False, lineterminator="\n")


def write_summary_csv(frames: list[pd.DataFrame], path: Path) -> pd.DataFrame:
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SUMMARY_COLUMNS)
    df = df.reindex(columns=SUMMARY_COLUMNS).sort_values("analysis_id", kind="stable").reset_index(drop=True)
    write_csv(df, path, SUMMARY_COLUMNS)
    return df


def write_json(obj: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(_clean(obj, 6), fh, indent=2, ensure_ascii=False, allow_nan=False)
        fh.write("\n")


def write_analysis(result, out_dir: Path, netcdf: bool = True) -> None:
    """DIR/{summary.json, studies.csv, sensitivity.csv, posterior.nc} of one analysis."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(result.to_dict(), out_dir / "summary.json")
    write_csv(result.studies, out_dir / "studies.csv")
    write_csv(result.sensitivity, out_dir / "sensitivity.csv")
    if netcdf and result.draws is not None:
        result.to_inference_data().to_netcdf(str(out_dir / "posterior.nc"), engine="h5netcdf")
