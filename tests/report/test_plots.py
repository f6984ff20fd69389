"""Forest plot, sensitivity forest and posterior densities: check what is drawn, not just that it draws."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import Polygon, Rectangle
from matplotlib.text import Text

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
    """Artists of the effect axes and of the figure (text, RoB lights) whose gid starts with ``prefix``."""
    found = [*fig.axes[0].get_children(), *fig.texts, *fig.artists]
    return [a for a in found if (a.get_gid() or "").startswith(prefix)]


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


def text_of(fig, gid: str) -> str:
    (t,) = by_gid(fig, gid)
    return t.get_text()


HET = plots.Heterogeneity(0.0412, 0.0002, 0.61, 0.0, "REML+HKSJ", 0.53, 1, 0.4667, 0.0)


@pytest.mark.parametrize("k", [2, 3, 7])
def test_one_row_per_trial(k):
    fig = plots.forest_plot(studies(k), plots.Pooled(-2.0, -2.8, -1.2, -3.5, -0.5), mcid=2.0)
    assert len([a for a in by_gid(fig, "study-ci-")]) == k
    assert len(by_gid(fig, "study-point-")) == k
    assert len(by_gid(fig, "study-shrunk-")) == k
    assert all(f"Trial {i}" in texts(fig) for i in range(k))


def test_rows_are_drawn_at_their_numbers():
    data = studies(3)
    fig = plots.forest_plot(data, None)
    for i, line in enumerate(sorted(by_gid(fig, "study-ci-"), key=lambda a: a.get_gid())):
        xs = line.get_xdata()
        assert xs[0] == pytest.approx(data["ci_low"][i]) and xs[1] == pytest.approx(data["ci_high"][i])
    # the first trial is drawn on top (the y axis runs downwards, as the table's rows)
    ax = fig.axes[0]
    to_screen = {
        a.get_gid(): ax.transData.transform((0, a.get_ydata()[0]))[1] for a in by_gid(fig, "study-ci-")
    }
    assert to_screen["study-ci-0"] > to_screen["study-ci-1"] > to_screen["study-ci-2"]


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
    # drawn distinctly: on a row of its own below the diamond, outlined in the pooled colour
    below = pred.get_y() + pred.get_height() / 2
    assert below > max(diamond.get_xy()[:, 1]) and pred.get_edgecolor() == diamond.get_edgecolor()
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
    assert text_of(fig, "cell-pooled") == "2.50 [1.60, 3.90]"


def test_single_trial_has_no_diamond_and_says_so():
    fig = plots.forest_plot(studies(1), None, heterogeneity=HET, mcid=2.0)
    assert len(by_gid(fig, "study-ci-")) == 1
    assert by_gid(fig, "pooled-diamond") == [] and by_gid(fig, "common-diamond") == []
    assert by_gid(fig, "pred-interval") == []
    assert text_of(fig, "not-pooled").startswith("Single trial, not pooled")
    assert by_gid(fig, "heterogeneity-") == []  # no heterogeneity line for one trial
    assert text_of(fig, "cell-effect-0") == "\u22123.00 [\u22124.00, \u22122.00]"  # the trial's own result


def test_two_trials_show_common_and_random_effects():
    common = plots.Pooled(-2.0, -2.4, -1.6, label="Common effect (\u03c4 = 0)")
    fig = plots.forest_plot(
        studies(2), plots.Pooled(-2.0, -3.0, -1.0, -5.0, 1.0), common=common, heterogeneity=HET
    )
    (c,) = by_gid(fig, "common-diamond")
    (p,) = by_gid(fig, "pooled-diamond")
    assert sorted(set(np.round(c.get_xy()[:, 0], 9))) == pytest.approx([-2.4, -2.0, -1.6])
    assert c.get_facecolor() != p.get_facecolor()  # open versus filled
    assert "Common effect (\u03c4 = 0)" in texts(fig)
    assert text_of(fig, "cell-common") == "\u22122.00 [\u22122.40, \u22121.60]"


def test_unconverged_analysis_says_why_nothing_is_pooled():
    fig = plots.forest_plot(studies(3), None, not_pooled="Not pooled: the model did not converge")
    assert by_gid(fig, "pooled-diamond") == []
    assert text_of(fig, "not-pooled") == "Not pooled: the model did not converge"


def test_heterogeneity_line_has_tau2_q_df_p_and_i2():
    fig = plots.forest_plot(studies(2), plots.Pooled(-2.0, -3.0, -1.0, -5.0, 1.0), heterogeneity=HET)
    first, second = text_of(fig, "heterogeneity-0"), text_of(fig, "heterogeneity-1")
    assert "\u03c4\u00b2 = 0.041 (95% CrI 0.00020 to 0.61), posterior median" in first
    assert second == "REML \u03c4\u00b2 = 0; Q = 0.53, df = 1 (p = 0.47); I\u00b2 = 0%"
    small_p = plots.Heterogeneity(1.2, 0.5, 3.0, 0.9, "DL", 152.233, 12, 1e-25, 92.1167)
    fig = plots.forest_plot(studies(3), plots.Pooled(-2.0, -3.0, -1.0), heterogeneity=small_p, measure="OR")
    assert text_of(fig, "heterogeneity-0").startswith("Heterogeneity (log OR scale): \u03c4\u00b2 = 1.20")
    assert (
        text_of(fig, "heterogeneity-1")
        == "DL \u03c4\u00b2 = 0.90; Q = 152.23, df = 12 (p < 0.001); I\u00b2 = 92%"
    )


def arms(measure: str) -> pd.DataFrame:
    data = studies(3, log=measure == "OR")
    data["site"] = ["leg", "back", "overall"]
    data["value_type"] = [None, None, None] if measure == "OR" else ["final", "change", None]
    data["events_t"], data["n_t"] = [24, 15, np.nan], [50, 110, 36]
    data["events_c"], data["n_c"] = [4, 5, np.nan], [47, 108, 18]
    data["mean_t"], data["sd_t"] = [2.4, 4.1, np.nan], [2.3, 2.0, np.nan]
    data["mean_c"], data["sd_c"] = [3.9, 6.2, np.nan], [2.8, 2.1, np.nan]
    return data


def test_binary_per_arm_columns_and_the_pain_site_of_each_row():
    fig = plots.forest_plot(arms("OR"), plots.Pooled(0.7, 0.3, 1.1), measure="OR", intervention="SCS",
                            control="CMM")  # fmt: skip
    assert {"Trial", "Site / variant", "Events/Total", "Weight"} <= set(texts(fig))
    assert text_of(fig, "header-arm_t") == "SCS" and text_of(fig, "header-arm_c") == "CMM"
    assert [text_of(fig, f"cell-arm_t-{i}") for i in range(3)] == ["24/50", "15/110", "\u2014"]
    assert [text_of(fig, f"cell-arm_c-{i}") for i in range(3)] == ["4/47", "5/108", "\u2014"]
    # leg-pain and back-pain responders are told apart on their rows
    assert [text_of(fig, f"cell-variant-{i}") for i in range(3)] == ["leg", "back", "overall"]
    assert "only a between-group estimate" in text_of(fig, "note-contrast")  # the dash is explained
    assert "Mean (SD) n" not in texts(fig)


def test_continuous_per_arm_columns():
    data = arms("MD").iloc[:2]
    fig = plots.forest_plot(data, plots.Pooled(-2.0, -3.0, -1.0), measure="MD", decimals=1)
    assert "Mean (SD) n" in texts(fig) and "Events/Total" not in texts(fig)
    assert text_of(fig, "cell-arm_t-0") == "2.4 (2.3) 50" and text_of(fig, "cell-arm_c-1") == "6.2 (2.1) 108"
    assert text_of(fig, "cell-variant-0") == "leg, final" and text_of(fig, "cell-variant-1") == "back, change"
    assert by_gid(fig, "note-contrast") == []  # no dash, no footnote


def test_weight_column_and_what_it_means():
    fig = plots.forest_plot(studies(2), plots.Pooled(-2.0, -3.0, -1.0))
    assert [text_of(fig, f"cell-weight-{i}") for i in range(2)] == ["50.0%", "50.0%"]
    assert "random-effects inverse-variance weight" in text_of(fig, "note-weight")
    unweighted = studies(2).drop(columns=["weight"])
    assert by_gid(plots.forest_plot(unweighted, None), "note-weight") == []


def test_rob_column_has_one_light_per_domain():
    data = studies(2)
    data["rob"] = [("low", "some_concerns", "high", "not_assessable", "not_assessed"), None]
    fig = plots.forest_plot(data, None)
    lights = {a.get_gid(): a for a in by_gid(fig, "rob-")}
    assert sorted(lights) == [f"rob-0-{d}" for d in "DMORS"]  # the unassessed trial has none
    assert to_hex(lights["rob-0-R"].get_facecolor()) == "#1e6b35"  # low: green
    assert to_hex(lights["rob-0-M"].get_facecolor()) == "#a4161a"  # high: red
    assert {"R", "D", "M", "O", "S", "Risk of bias"} <= set(texts(fig))
    assert "RoB 2" in text_of(fig, "note-rob")
    assert by_gid(plots.forest_plot(studies(2), None), "rob-") == []  # no RoB data, no column


def test_text_is_at_least_8_points_at_the_figures_own_width():
    data = arms("OR")
    data["rob"] = [("low",) * 5, None, ("high",) * 5]
    fig = plots.forest_plot(data, plots.Pooled(0.7, 0.3, 1.1, -0.2, 1.6), heterogeneity=HET, measure="OR",
                            mcid=1.5)  # fmt: skip
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip()]
    assert min(sizes) >= 8
    assert fig.get_figwidth() == pytest.approx(11.2)  # fixed: the page shows it at this width (1075 px)
    svg = plots.figure_to_svg(fig, tight=False)
    assert re.search(r'<svg[^>]*width="806\.4pt"', svg)  # no tight re-layout: the size is the layout's


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
    assert "Sponsor" in texts(fig) and texts(fig).count("industry") == 2


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
