"""Shared test setup: a warm, project-local PyTensor cache and a headless matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Must be set before pytensor is first imported anywhere in the test session.
os.environ.setdefault("PYTENSOR_FLAGS", f"compiledir={ROOT / '.cache' / 'pytensor'},blas__ldflags=")
os.environ.setdefault("MPLBACKEND", "Agg")
