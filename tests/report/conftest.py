"""One fit of the tiny evidence set per test session, shared by the xdist workers (file lock)."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock

from tests.report.engine_output import build


@pytest.fixture(scope="session")
def engine_output(tmp_path_factory, worker_id) -> Path:
    """``<root>/config.yaml``, ``<root>/evidence/`` and ``<root>/results/{normalized,fit,screening}``."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if worker_id != "master" else base) / "report-engine-output"
    with FileLock(str(root) + ".lock"):
        if not (root / "results" / "fit" / "complete").exists():
            build(root)
    return root
