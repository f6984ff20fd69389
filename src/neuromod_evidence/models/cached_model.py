"""A nutpie model backed by the cached numba callbacks of :mod:`.density` (no per-process compilation).

nutpie samples any model that offers a C log-density-and-gradient callback, an "expand" callback and an
initial-point function; :class:`CachedModel` hands it those of :mod:`.density` with one analysis' data array as
user data. Initial points follow nutpie's PyMC default (``jitter+adapt_diag``): every unconstrained value
starts at 0 plus uniform(−1, 1) jitter drawn from the chain's seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from nutpie import _lib
from nutpie.sample import CompiledModel

from . import density


@dataclass(frozen=True)
class CachedModel(CompiledModel):
    """One analysis' data bound to the cached density; ``data`` comes from :func:`density.pack`."""

    data: np.ndarray = field(default_factory=lambda: np.zeros(density.HEADER))

    @property
    def kind(self) -> float:
        return float(self.data[0])

    @property
    def k(self) -> int:
        return int(self.data[1])

    @property
    def n_dim(self) -> int:
        return density.n_dim(self.kind, self.k)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return dict(zip(self._names(), self._shapes(), strict=True))

    @property
    def coords(self):
        return {}

    def _names(self) -> list[str]:
        return ["mu_w", "log_tau"] if self.kind == density.NORMAL else ["mu_raw", "log_tau", "z", "alpha_raw"]

    def _shapes(self) -> list[tuple[int, ...]]:
        return [(), ()] if self.kind == density.NORMAL else [(), (), (self.k,), (self.k,)]

    def _initial_point(self, seed) -> np.ndarray:
        return np.random.default_rng(seed).uniform(-1.0, 1.0, self.n_dim)

    def _callbacks(self):
        """The module holding ``logp_callback`` and ``expand_callback`` (a subclass may bring its own)."""
        return density

    def _dims(self) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
        if self.kind == density.NORMAL:
            return {}, {}
        return {"study": self.k}, {"z": ("study",), "alpha_raw": ("study",)}

    def _make_model(self, init_mean):
        address = self.data.ctypes.data
        cb = self._callbacks()
        logp = _lib.LogpFunc(cb.logp_callback.address, address, self)
        expand = _lib.ExpandFunc(self.n_dim, self.n_dim, cb.expand_callback.address, address, self)
        names = self._names()
        sizes, dims = self._dims()
        coords = {name: pd.RangeIndex(size) for name, size in sizes.items()}
        variables = _lib.PyVariable.new_variables(
            names, ["float64"] * len(names), self._shapes(), sizes, dims
        )

        def make_adapter(*args, **kwargs):
            from nutpie.transform_adapter import make_transform_adapter

            return make_transform_adapter()(*args, **kwargs, logp_fn=None)

        return _lib.PyMcModel(
            logp, expand, variables, self.n_dim, sizes, coords, self._initial_point, make_adapter
        )

    def _make_sampler(self, settings, init_mean, cores, progress_type, store):
        return _lib.PySampler.from_pymc(settings, cores, self._make_model(init_mean), progress_type, store)
