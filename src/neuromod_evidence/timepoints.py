"""Analysis windows: which window a follow-up time belongs to.

Windows are half-open, [from, to), so a follow-up on a boundary belongs to exactly one window; the last
window also takes its own end point.
"""

from __future__ import annotations

from typing import Any


def windows_for(config: dict[str, Any], outcome: str) -> list[dict[str, Any]]:
    return config["outcomes"][outcome].get("timepoints", config["timepoints"])


def in_window(months: float, window: dict[str, Any], last: bool) -> bool:
    lo, hi = window["window"]
    return lo <= months < hi or (last and months == hi)


def window_of(config: dict[str, Any], outcome: str, months: float) -> dict[str, Any] | None:
    """The analysis window a follow-up falls in ([from, to); the last window also takes its end)."""
    windows = sorted(windows_for(config, outcome), key=lambda w: w["window"][0])
    for i, w in enumerate(windows):
        if in_window(months, w, last=i == len(windows) - 1):
            return w
    return None
