"""Every indication's candidate networks as one table (rule collect_nma_summary): pandas and the table
contracts only, so the collecting job does not import the network engine."""

from __future__ import annotations

import pandas as pd

from ..tables import NMA_NETWORKS, empty_frame, read_table, write_table


def collect_networks(paths, out_csv) -> pd.DataFrame:
    """``results/nma/summary.csv``: every candidate network of every indication."""
    frames = [read_table(NMA_NETWORKS, p) for p in paths]
    frames = [f for f in frames if len(f)]
    df = pd.concat(frames, ignore_index=True) if frames else empty_frame(NMA_NETWORKS)
    write_table(NMA_NETWORKS, df, out_csv)
    return df
