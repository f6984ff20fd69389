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
    # ArviZ announces at INFO that its optional preview packages are absent; we use none of them.
    logging.getLogger("arviz.preview").setLevel(logging.WARNING)
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


def fit_parts(weights: dict[str, float], n_jobs: int) -> dict[str, list[str]]:
    """The indications grouped into fit jobs, {job name: indications in config order}.

    Why: every fit job pays a fixed start-up (importing nutpie and ArviZ, loading the cached models) before it
    fits anything, so on a small machine a few jobs beat one per indication, while a cluster wants one per
    indication. ``n_jobs`` 0 gives one job per indication, named after it; otherwise at most ``n_jobs`` jobs,
    ``part1`` ... ``partN``, balanced by giving each indication, heaviest first, to the lightest job (ties: the
    job with fewest indications). ``weights`` is each indication's evidence size, a proxy of its fitting work.
    Same weights, same jobs.
    """
    order = list(weights)
    if n_jobs <= 0:
        return {iid: [iid] for iid in order}
    loads = [0.0] * min(n_jobs, len(order))
    members: list[list[str]] = [[] for _ in loads]
    for iid in sorted(order, key=lambda i: (-weights[i], order.index(i))):
        lightest = min(range(len(loads)), key=lambda j: (loads[j], len(members[j]), j))
        loads[lightest] += weights[iid]
        members[lightest].append(iid)
    groups = [sorted(m, key=order.index) for m in members if m]
    return {f"part{n}": group for n, group in enumerate(groups, start=1)}
