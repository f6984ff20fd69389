"""What every Snakemake script shares: send the package's log records to the rule's log file.

Kept out of scripts/ so that it is importable and testable without Snakemake.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("neuromod_evidence")


@contextlib.contextmanager
def logged(log_path: str) -> Iterator[None]:
    """Send this package's log records to the rule's log file; log and re-raise any failure."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield
    except Exception as exc:
        log.error("%s", exc)
        print(exc, file=sys.stderr)
        raise
    finally:
        root.removeHandler(handler)
        handler.close()
