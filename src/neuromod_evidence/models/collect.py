"""The per-indication fit summaries as one table (rule collect_fit_summary).

Its own module so the small collecting job imports pandas and the table contracts only, not the sampler and
scipy.stats (1.5 s of imports for a concatenation, on the pipeline's critical path).
"""

from __future__ import annotations

import pandas as pd

from ..tables import SUMMARY, empty_frame, read_table, write_table


def collect_summaries(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One summary table from several (per analysis or per indication), sorted by analysis id."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_frame(SUMMARY)
    df = pd.concat(frames, ignore_index=True).reindex(columns=list(SUMMARY.columns))
    return df.sort_values("analysis_id", kind="stable").reset_index(drop=True)


def collect_summary_files(paths, out_csv) -> pd.DataFrame:
    """``results/fit/summary.csv`` from the per-indication summaries of the fit jobs."""
    summary = collect_summaries([read_table(SUMMARY, p) for p in paths])
    write_table(SUMMARY, summary, out_csv)
    return summary
