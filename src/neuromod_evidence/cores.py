"""How many CPUs this process may use (shared by the samplers and the report's figure workers)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """CPUs this process may use: its affinity mask (a SLURM allocation), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
