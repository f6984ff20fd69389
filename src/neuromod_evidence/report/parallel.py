"""Run the report's per-analysis work (view model + matplotlib figures) on every core this process may use.

Drawing and serialising ~70 SVG figures is most of the report stage's CPU time and each analysis is
independent, so the analyses are spread over forked worker processes: a fork inherits the loaded inputs, so
nothing is pickled on the way in (matplotlib is imported by a worker only when a figure is not in the figure
cache). Results come back
in input order, so the pages are identical to a serial run. With one usable core (or where ``fork`` does not
exist) the work runs in this process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..cores import usable_cores


def in_worker_processes(
    job: Callable[[Any], Any], items: Sequence[Any], max_workers: int | None = None
) -> list:
    """``[job(x) for x in items]``, computed by up to ``max_workers`` (default: usable cores) forked processes."""
    workers = min(max_workers or usable_cores(), len(items))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [job(x) for x in items]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(job, items, chunksize=1))
