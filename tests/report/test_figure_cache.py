"""The figure cache returns exactly what a new drawing would, and only for identical inputs and code;
the worker pool gives the serial result in input order."""

import os

import numpy as np
import pytest

from neuromod_evidence.report import figure_cache
from neuromod_evidence.report.parallel import in_worker_processes


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROMOD_FIGURE_CACHE", str(tmp_path / "figs"))
    calls = []
    real = figure_cache.draw_svg

    def counting(draw, args, kwargs, tight=True):
        calls.append(draw)
        return real(draw, args, kwargs, tight)

    monkeypatch.setattr(figure_cache, "draw_svg", counting)
    return tmp_path / "figs", calls


def density_args(shift=0.0):
    rng = np.random.default_rng(1)
    return (rng.normal(-1.0 + shift, 0.5, (2, 200)), np.abs(rng.normal(0.3, 0.1, (2, 200))))


KW = {"measure": "MD", "direction": "lower_is_better", "mcid": 2.0}


def test_hit_is_byte_identical_to_a_new_drawing(cache):
    folder, calls = cache
    first = figure_cache.cached_svg("density_plot", density_args(), KW)
    second = figure_cache.cached_svg("density_plot", density_args(), KW)
    assert calls == ["density_plot"]  # the second came from the cache
    assert second == first == figure_cache.draw_svg("density_plot", density_args(), KW)
    assert len(list(folder.rglob("*.svg"))) == 1


def test_changed_data_or_settings_are_drawn_again(cache):
    _, calls = cache
    figure_cache.cached_svg("density_plot", density_args(), KW)
    figure_cache.cached_svg("density_plot", density_args(shift=0.1), KW)
    figure_cache.cached_svg("density_plot", density_args(), {**KW, "mcid": 1.0})
    assert len(calls) == 3


def test_changed_drawing_code_is_a_miss(cache, monkeypatch):
    _, calls = cache
    figure_cache.cached_svg("density_plot", density_args(), KW)
    monkeypatch.setattr(figure_cache, "code_fingerprint", lambda: "other code")
    figure_cache.cached_svg("density_plot", density_args(), KW)
    assert len(calls) == 2


def test_off_switch_and_corrupt_entry(cache, monkeypatch):
    folder, calls = cache
    svg = figure_cache.cached_svg("density_plot", density_args(), KW)
    (entry,) = folder.rglob("*.svg")
    entry.write_bytes(b"\xff\xfe not utf-8")
    assert figure_cache.cached_svg("density_plot", density_args(), KW) == svg  # redrawn, not served broken
    monkeypatch.setenv("NEUROMOD_FIGURE_CACHE", "off")
    figure_cache.cached_svg("density_plot", density_args(), KW)
    assert len(calls) == 3 and figure_cache.cache_dir() is None


def _square_and_pid(x):
    return x * x, os.getpid()


def test_worker_pool_keeps_order_and_uses_other_processes():
    out = in_worker_processes(_square_and_pid, list(range(7)), max_workers=2)
    assert [v for v, _ in out] == [x * x for x in range(7)]
    assert all(pid != os.getpid() for _, pid in out)
    serial = in_worker_processes(_square_and_pid, [3], max_workers=2)  # one item: no pool
    assert serial == [(9, os.getpid())]
