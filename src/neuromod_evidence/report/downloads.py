"""The files a reader can download beside the pages: the tables behind the report (with the network tables
when the network stage ran) and each analysis's summary, study table, sensitivity table, heterogeneity numbers
and posterior.

CSV files are rewritten through their table contracts with ``for_people=True``, which neutralises cells a
spreadsheet would run as formulas (a trial title starting with ``=``); JSON and NetCDF files are copied.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..tables import HETEROGENEITY, NMA, SENSITIVITY, STUDIES, SUMMARY, read_table, write_table
from .inputs import NORMALIZED_INPUTS, SCREENING_INPUTS, ReportInputs

TABLES = {"fit_summary.csv": SUMMARY} | {
    f"{n}.csv": t for n, t in (NORMALIZED_INPUTS | SCREENING_INPUTS).items()
}
ANALYSIS_TABLES = {"studies.csv": STUDIES, "sensitivity.csv": SENSITIVITY, "heterogeneity.csv": HETEROGENEITY}
ANALYSIS_COPIES = ("summary.json", "posterior.nc")


def write_downloads(inputs: ReportInputs, out_dir: Path) -> list[tuple[str, str]]:
    """Write ``out_dir/downloads/tables/``; return (href, name) of the report-wide tables."""
    dl = Path(out_dir) / "downloads"
    files = []
    loaded = inputs.frames()
    for name, src in inputs.files.items():
        if src.exists():
            table = TABLES[name]
            frame = loaded[name] if name in loaded else read_table(table, src)
            write_table(table, frame, dl / "tables" / name, for_people=True)
            files.append((f"downloads/tables/{name}", name))
    if len(inputs.nma["networks"]):  # the network stage's tables, all indications in one file each
        for name, table in NMA.items():
            write_table(table, inputs.nma[name], dl / "tables" / f"nma_{name}.csv", for_people=True)
            files.append((f"downloads/tables/nma_{name}.csv", f"nma_{name}.csv"))
    return files


def write_analysis_downloads(inputs: ReportInputs, out_dir: Path, aid: str) -> None:
    """Write ``out_dir/downloads/analyses/<aid>/`` (run by the figure workers, one analysis each)."""
    target = Path(out_dir) / "downloads" / "analyses" / aid
    for name, table in ANALYSIS_TABLES.items():
        if inputs.analysis_file(aid, name).exists():
            write_table(table, inputs.analysis_table(aid, name, table), target / name, for_people=True)
    for name in ANALYSIS_COPIES:
        src = inputs.analysis_file(aid, name)
        if src.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target / name)
