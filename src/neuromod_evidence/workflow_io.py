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
def logged(log_path: str, progress: bool = False) -> Iterator[None]:
    """Send this package's log records (and Python warnings) to the rule's log file; log and re-raise any
    failure. ``progress`` also shows the package's INFO lines on the terminal, for long stages."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    terminal = logging.StreamHandler(sys.stderr) if progress else None
    if terminal is not None:
        terminal.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(terminal)
    try:
        yield
    except Exception as exc:
        log.error("%s", exc)
        print(exc, file=sys.stderr)
        if _is_input_error(exc):  # the message names file, line and field: a traceback adds only noise
            raise SystemExit(1) from None
        raise
    finally:
        root.removeHandler(handler)
        handler.close()
        if terminal is not None:
            log.removeHandler(terminal)


def _is_input_error(exc: Exception) -> bool:
    from .config import ConfigError
    from .evidence import EvidenceError
    from .tables import TableError

    return isinstance(exc, (ConfigError, EvidenceError, TableError))
