"""Content-addressed cache of the report's SVG figures.

Drawing and serialising the figures with matplotlib is most of the report stage's time, and from one run to
the next almost every figure is the same. A figure is keyed by everything that determines its bytes: the
drawing function's name, its arguments (pickled), the source of the report package's drawing code and the
matplotlib version. A hit returns the stored SVG, byte for byte what a new drawing would produce; any change to
data, settings or drawing code is a miss and is drawn afresh. Like numba's and PyTensor's caches it is
invisible to the results: delete the folder at any time. Location: ``$NEUROMOD_FIGURE_CACHE``, else
``.cache/figures`` under the working directory; ``NEUROMOD_FIGURE_CACHE=off`` disables it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from pathlib import Path

from ..tables import atomic_write_text

DISABLED = {"off", "0", "false", "no", ""}


def cache_dir() -> Path | None:
    value = os.environ.get("NEUROMOD_FIGURE_CACHE", ".cache/figures")
    return None if value.strip().lower() in DISABLED else Path(value)


@functools.cache
def code_fingerprint() -> str:
    """Hash of the drawing code (every module of the report package) and of matplotlib's version."""
    import matplotlib

    h = hashlib.sha256(matplotlib.__version__.encode())
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def figure_key(draw: str, args: tuple, kwargs: dict, tight: bool = True) -> str | None:
    try:
        payload = pickle.dumps((draw, tight, args, sorted(kwargs.items())), protocol=5)
    except Exception:  # an argument that cannot be pickled is simply not cached
        return None
    return hashlib.sha256(code_fingerprint().encode() + payload).hexdigest()


def draw_svg(draw: str, args: tuple, kwargs: dict, tight: bool = True) -> str:
    from . import plots

    return plots.figure_to_svg(getattr(plots, draw)(*args, **kwargs), tight=tight)


def cached_svg(draw: str, args: tuple, kwargs: dict, tight: bool = True) -> str:
    """The SVG of ``plots.<draw>(*args, **kwargs)``, from the cache when an identical figure was drawn before."""
    folder = cache_dir()
    key = figure_key(draw, args, kwargs, tight) if folder is not None else None
    if key is None:
        return draw_svg(draw, args, kwargs, tight)
    path = folder / key[:2] / f"{key}.svg"
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    svg = draw_svg(draw, args, kwargs, tight)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, svg)
    except OSError:  # a read-only or full disk only costs speed
        pass
    return svg
