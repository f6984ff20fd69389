"""Shared test setup: a warm, project-local PyTensor cache, a headless matplotlib, and one local run of the
workflow on a small configuration for the tests that need one (tests/small_workflow_run.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]

# Must be set before pytensor is first imported anywhere in the test session.
os.environ.setdefault("PYTENSOR_FLAGS", f"compiledir={ROOT / '.cache' / 'pytensor'},blas__ldflags=")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def small_workflow_run(tmp_path_factory, worker_id) -> Path:
    """A finished local run of the default target on the small configuration: ``config.yaml``,
    ``evidence/``, ``results/``, ``run.log``. Built once per session, shared by the xdist workers; read only."""
    from tests import small_workflow_run as run

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if worker_id != "master" else base) / "small-workflow-run"
    with FileLock(str(root) + ".lock"):
        if not (root / run.DONE).exists() and not (root / "run.log").exists():
            run.build(root)
    assert (root / run.DONE).exists(), (root / "run.log").read_text(encoding="utf-8")[-4000:]
    return root
