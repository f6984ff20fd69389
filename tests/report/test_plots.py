"""Forest plot, sensitivity forest and posterior densities: check what is drawn, not just that it draws."""

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Polygon, Rectangle

from neuromod_evidence.report import plots
from neuromod_evidence.report.plots.density import gaussian_kde
from neuromod_evidence.report.svg import inline_svg


def studies(k: int, log: bool = False) -> pd.DataFrame:
    est = np.linspace(-3.0, -1.0, k) if not log else np.log(np.linspace(1.5, 4.0, k))
    return pd.DataFrame(
        {
            "label": [f"Trial {i}" for i in range(k)],
            "estimate": est,
            "ci_low": est - 1.0,
            "ci_high": est + 1.0,
            "shrunk_estimate": est * 0.9,
            "weight": np.full(k, 100 / k),
            "n_t": 50,
            "n_c": 48,
            "sponsor": "industry",
        }
    )


def by_gid(fig, prefix: str):
    return [a for a in fig.axes[0].get_children() if (a.get_gid() or "").startswith(prefix)]


@pytest.mark.parametrize("k", [2, 3, 7])
def test_one_row_per_trial(k):
    fig = plots.forest_plot(studies(k), plots.Pooled(-2.0, -2.8, -1.2, -3.5, -0.5), mcid=2.0)
    assert len([a for a in by_gid(fig, "study-ci-")]) == k
    assert len(by_gid(fig, "study-point-")) == k
    assert len(by_gid(fig, "study-shrunk-")) == k
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert all(f"Trial {i}" in labels for i in range(k))


def test_rows_are_drawn_at_their_numbers():
    data = studies(3)
    fig = plots.forest_plot(data, None)
    for i, line in enumerate(sorted(by_gid(fig, "study-ci-"), key=lambda a: a.get_gid())):
        xs = line.get_xdata()
        assert xs[0] == pytest.approx(data["ci_low"][i]) and xs[1] == pytest.approx(data["ci_high"][i])
    # the first trial is drawn on top
    ys = {a.get_gid(): a.get_ydata()[0] for a in by_gid(fig, "study-ci-")}
    assert ys["study-ci-0"] > ys["study-ci-1"] > ys["study-ci-2"]


def test_diamond_sits_on_the_pooled_numbers_md():
    fig = plots.forest_plot(studies(3), plots.Pooled(-2.1, -2.9, -1.3, -3.8, -0.4), mcid=2.0)
    (diamond,) = by_gid(fig, "pooled-diamond")
    assert isinstance(diamond, Polygon)
    xs = sorted(set(np.round(diamond.get_xy()[:, 0], 9)))
    assert xs == pytest.approx([-2.9, -2.1, -1.3])
    (pred,) = by_gid(fig, "pred-interval")
    assert isinstance(pred, Rectangle)
    assert pred.get_x() == pytest.approx(-3.8)
    assert pred.get_x() + pred.get_width() == pytest.approx(-0.4)
    assert pred.get_zorder() < diamond.get_zorder()  # the bar is behind the diamond
    assert fig.axes[0].get_xscale() == "linear"


def test_odds_ratios_on_a_log_axis_exponentiated():
    pooled = plots.Pooled(math.log(2.5), math.log(1.6), math.log(3.9), math.log(1.1), math.log(5.7))
    fig = plots.forest_plot(
        studies(3, log=True), pooled, measure="OR", direction="higher_is_better", mcid=1.5
    )
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    (diamond,) = by_gid(fig, "pooled-diamond")
    xs = sorted(set(np.round(diamond.get_xy()[:, 0], 9)))
    assert xs == pytest.approx([1.6, 2.5, 3.9])
    (null,) = by_gid(fig, "null-line")
    assert null.get_xdata()[0] == 1.0
    (mcid,) = by_gid(fig, "mcid-line")
    assert mcid.get_xdata()[0] == pytest.approx(1.5)


def test_single_trial_has_no_diamond():
    fig = plots.forest_plot(studies(1), None, mcid=2.0)
    assert len(by_gid(fig, "study-ci-")) == 1
    assert by_gid(fig, "pooled-diamond") == []
    assert by_gid(fig, "pred-interval") == []


@pytest.mark.parametrize(
    ("measure", "direction", "mcid", "line", "left"),
    [
        ("MD", "lower_is_better", 2.0, -2.0, "SCS"),
        ("MD", "higher_is_better", 0.074, 0.074, "CMM"),
        ("OR", "higher_is_better", 1.5, 1.5, "CMM"),
        ("OR", "lower_is_better", 1.5, 1 / 1.5, "SCS"),
    ],
)
def test_mcid_line_and_favours_labels_follow_direction(measure, direction, mcid, line, left):
    data = studies(2, log=measure == "OR")
    fig = plots.forest_plot(
        data, None, measure=measure, direction=direction, mcid=mcid, intervention="SCS", control="CMM"
    )
    (m,) = by_gid(fig, "mcid-line")
    assert m.get_xdata()[0] == pytest.approx(line)
    (fav_left,) = by_gid(fig, "favours-left")
    (fav_right,) = by_gid(fig, "favours-right")
    assert f"Favours {left}" in fav_left.get_text()
    assert f"Favours {'CMM' if left == 'SCS' else 'SCS'}" in fav_right.get_text()


def test_extra_columns_are_written():
    fig = plots.forest_plot(studies(2), None, extra_columns=[("sponsor", "Sponsor")])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Sponsor" in texts and texts.count("industry") == 2


def test_sensitivity_forest_rows_and_main_row():
    rows = pd.DataFrame(
        {
            "label": ["Main analysis", "Half-Cauchy", "Fixed effect", "Leave out A"],
            "estimate": [-2.0, -2.1, -1.9, -2.3],
            "ci_low": [-3.0, -3.2, -2.5, -3.5],
            "ci_high": [-1.0, -1.0, -1.3, -1.1],
            "main": [True, False, False, False],
        }
    )
    fig = plots.sensitivity_plot(rows, mcid=2.0)
    lines = by_gid(fig, "sens-ci-")
    assert len(lines) == 4
    first = next(a for a in lines if a.get_gid() == "sens-ci-0")
    assert list(first.get_xdata()) == pytest.approx([-3.0, -1.0])


def test_densities_of_effect_and_tau():
    rng = np.random.default_rng(1)
    fig = plots.density_plot(
        rng.normal(0.7, 0.2, 4000),
        np.abs(rng.normal(0, 0.3, 4000)),
        measure="OR",
        direction="higher_is_better",
        mcid=1.5,
    )
    ax_e, ax_t = fig.axes
    assert ax_e.get_xscale() == "log"
    (eff,) = [a for a in ax_e.lines if a.get_gid() == "density-effect"]
    x, y = eff.get_data()
    assert x[np.argmax(y)] == pytest.approx(math.exp(0.7), rel=0.1)  # mode near exp(mean)
    (tau,) = [a for a in ax_t.lines if a.get_gid() == "density-tau"]
    assert tau.get_xdata().min() >= 0


def test_svg_escapes_markup_in_labels():
    data = studies(2)
    data.loc[0, "label"] = "<script>alert(1)</script>"
    svg = plots.figure_to_svg(plots.forest_plot(data, None))
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    inline = str(inline_svg(svg, "f1", 'Forest "plot" <b>'))
    assert inline.startswith("<svg") and 'role="img"' in inline
    assert "<b>" not in inline and "&lt;b&gt;" in inline
    assert 'id="f1-' in inline and "<style" not in inline


def test_the_density_kernel_is_scipys():
    from scipy.stats import gaussian_kde as scipy_kde

    draws = np.random.default_rng(3).normal(0.4, 0.3, 2000)
    grid = np.linspace(-1, 2, 400)
    assert gaussian_kde(draws, grid) == pytest.approx(scipy_kde(draws)(grid), rel=1e-9, abs=1e-12)
