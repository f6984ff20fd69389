"""The tables the report is fed, read through their contracts (:mod:`neuromod_evidence.tables`).

Normalized tables, the fit stage's ``summary.csv`` and per-analysis ``studies.csv`` / ``sensitivity.csv`` /
``heterogeneity.csv``, the network stage's tables (``results/nma/<indication>/*.csv``,
:data:`~neuromod_evidence.tables.NMA`) and, when the screening stage ran, ``prisma.csv``, ``queue.csv`` and
``crosscheck.csv``. A table that does not match its
contract is an error naming the file; an optional table that is absent reads as an empty frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..grade import OVERRIDE_COLUMNS, read_overrides
from ..tables import (
    CONTRASTS,
    CROSSCHECK,
    HETEROGENEITY,
    ISSUES,
    NMA,
    NORMALIZED_ARMS,
    NORMALIZED_OUTCOMES,
    NORMALIZED_TRIALS,
    PRISMA,
    QUEUE,
    ROB,
    SENSITIVITY,
    STUDIES,
    SUMMARY,
    Table,
    empty_frame,
    fit_analysis_dir,
    read_table,
)

NORMALIZED_INPUTS: dict[str, Table] = {
    "trials": NORMALIZED_TRIALS,
    "arms": NORMALIZED_ARMS,
    "outcomes": NORMALIZED_OUTCOMES,
    "contrasts": CONTRASTS,
    "issues": ISSUES,
}
OPTIONAL_NORMALIZED: dict[str, Table] = {"rob": ROB}  # absent in results written before issue 11
SCREENING_INPUTS: dict[str, Table] = {"prisma": PRISMA, "queue": QUEUE, "crosscheck": CROSSCHECK}


@dataclass
class ReportInputs:
    """Every table the report reads, with the files they came from (for the downloads and the data date)."""

    trials: pd.DataFrame
    arms: pd.DataFrame
    contrasts: pd.DataFrame
    issues: pd.DataFrame
    summary: pd.DataFrame
    prisma: pd.DataFrame
    queue: pd.DataFrame
    fit_dir: Path
    files: dict[str, Path] = field(default_factory=dict)  # download name -> source file, in download order
    rob: pd.DataFrame = field(default_factory=lambda: empty_frame(ROB))
    overrides: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(OVERRIDE_COLUMNS)))
    # the normalized outcome rows (with a registry row's provenance columns) and the registry cross-check
    outcomes: pd.DataFrame = field(default_factory=lambda: empty_frame(NORMALIZED_OUTCOMES))
    crosscheck: pd.DataFrame = field(default_factory=lambda: empty_frame(CROSSCHECK))
    nma: dict[str, pd.DataFrame] = field(default_factory=lambda: {n: empty_frame(t) for n, t in NMA.items()})
    _analysis_tables: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict, repr=False)

    def networks_of(self, indication: str) -> dict[str, pd.DataFrame]:
        """The network tables' rows of one indication, by table name (networks, league, ranks, ...)."""
        nets = self.nma["networks"]
        ids = set(nets.loc[nets["indication"] == indication, "network_id"])
        return {n: df[df["network_id"].isin(ids)] for n, df in self.nma.items()}

    def rob_of(self, indication: str) -> pd.DataFrame:
        """The risk-of-bias rows of one indication's trials."""
        return self.rob[self.rob["indication"] == indication]

    def frames(self) -> dict[str, pd.DataFrame]:
        """The tables already read, by download name."""
        names = ("trials", "arms", "outcomes", "contrasts", "issues", "prisma", "queue", "crosscheck")
        return {"fit_summary.csv": self.summary, **{f"{n}.csv": getattr(self, n) for n in names}}

    def analysis_file(self, analysis_id: str, name: str) -> Path:
        return fit_analysis_dir(self.fit_dir, analysis_id) / name

    def analysis_table(self, analysis_id: str, name: str, table: Table) -> pd.DataFrame:
        """One of an analysis's tables (``studies.csv``, ...), read once per process: the view model and the
        downloads of the analysis share it. Empty when the fit wrote none."""
        key = (analysis_id, name)
        if key not in self._analysis_tables:
            path = self.analysis_file(analysis_id, name)
            self._analysis_tables[key] = read_table(table, path) if path.exists() else empty_frame(table)
        return self._analysis_tables[key]

    def studies(self, analysis_id: str) -> pd.DataFrame:
        """The engine's per-study table of one analysis (STUDIES contract)."""
        return self.analysis_table(analysis_id, "studies.csv", STUDIES)

    def heterogeneity(self, analysis_id: str) -> pd.DataFrame:
        """tau², Q, df, p and I² of one analysis (HETEROGENEITY)."""
        return self.analysis_table(analysis_id, "heterogeneity.csv", HETEROGENEITY)

    def sensitivity(self, analysis_id: str) -> pd.DataFrame:
        return self.analysis_table(analysis_id, "sensitivity.csv", SENSITIVITY)


def load_inputs(
    normalized_dir: str | Path,
    fit_summary: str | Path,
    fit_dir: str | Path,
    screening_dir: str | Path | None = None,
    overrides_files: list[str | Path] = (),
    nma_dir: str | Path | None = None,
) -> ReportInputs:
    """Read every table; ``overrides_files`` are reviewers' certainty overrides (absent files are none);
    ``nma_dir`` holds one folder of network tables per indication (none read when it is None)."""
    normalized_dir = Path(normalized_dir)
    files = {"fit_summary.csv": Path(fit_summary)}
    frames = {}
    for name, table in NORMALIZED_INPUTS.items():
        path = normalized_dir / f"{name}.csv"
        frames[name] = read_table(table, path)
        files[f"{name}.csv"] = path
    rob_path = normalized_dir / "rob.csv"
    rob = read_table(ROB, rob_path) if rob_path.exists() else empty_frame(ROB)
    overrides = [read_overrides(p) for p in overrides_files]
    for name, table in SCREENING_INPUTS.items():
        path = Path(screening_dir) / f"{name}.csv" if screening_dir else None
        if path is not None and path.exists():
            frames[name] = read_table(table, path)
            files[f"{name}.csv"] = path
        else:
            frames[name] = empty_frame(table)
    return ReportInputs(
        trials=frames["trials"],
        arms=frames["arms"],
        contrasts=frames["contrasts"],
        issues=frames["issues"],
        summary=read_table(SUMMARY, fit_summary),
        prisma=frames["prisma"],
        queue=frames["queue"],
        outcomes=frames["outcomes"],
        crosscheck=frames["crosscheck"],
        fit_dir=Path(fit_dir),
        files=files,
        rob=rob,
        overrides=pd.concat(overrides, ignore_index=True)
        if overrides
        else pd.DataFrame(columns=list(OVERRIDE_COLUMNS)),
        nma=read_networks(nma_dir),
    )


def read_networks(nma_dir: str | Path | None) -> dict[str, pd.DataFrame]:
    """Every indication's network tables under ``nma_dir``, concatenated per table."""
    folders = sorted(p.parent for p in Path(nma_dir).glob("*/networks.csv")) if nma_dir else []
    out = {}
    for name, table in NMA.items():
        frames = [read_table(table, f / f"{name}.csv") for f in folders]
        frames = [f for f in frames if len(f)]
        out[name] = pd.concat(frames, ignore_index=True) if frames else empty_frame(table)
    return out
