"""The report's forest plots drawn from the REAL engine output (tests/report/engine_output.py): per-arm data,
weights, heterogeneity, RoB lights, k = 1 and k = 2, the data table beside each plot, and the `fit` command's
plot from the same function."""

import re

import pytest

from neuromod_evidence.tables import HETEROGENEITY, fit_analysis_dir, read_table
from tests.report.test_report import FBSS_PAIN, page, render, section

FBSS_RESP = "fbss__responder_50__scs_vs_medical__m6"  # 2 trials with counts
FBSS_PAIN_24 = "fbss__pain_intensity__scs_vs_medical__m24"  # 1 trial


@pytest.fixture(scope="module")
def report_dir(engine_output, tmp_path_factory):
    return render(engine_output, tmp_path_factory.mktemp("forest-report"), history=False)


def svg(report_dir, aid: str) -> str:
    return (report_dir / "downloads" / "figures" / f"{aid}__forest.svg").read_text(encoding="utf-8")


def cell(svg_text: str, gid: str) -> str:
    m = re.search(rf'<g id="{re.escape(gid)}">\s*<text[^>]*>([^<]*)</text>', svg_text)
    assert m, gid
    return m.group(1)


def test_per_arm_columns_come_from_the_normalized_arms(report_dir):
    binary = svg(report_dir, FBSS_RESP)
    assert "Events/Total" in binary and "Mean (SD) n" not in binary
    assert {cell(binary, "cell-arm_t-0"), cell(binary, "cell-arm_t-1")} == {"28/60", "30/70"}
    assert {cell(binary, "cell-arm_c-0"), cell(binary, "cell-arm_c-1")} == {"6/60", "9/70"}
    continuous = svg(report_dir, FBSS_PAIN)
    assert "Mean (SD) n" in continuous
    arms = {cell(continuous, f"cell-arm_t-{i}") for i in range(3)}
    assert arms == {"4.0 (2.0) 60", "4.2 (2.0) 70", "3.9 (2.0) 75"}
    assert "final" in cell(continuous, "cell-variant-0")  # the outcome variant: final values


def test_weights_and_heterogeneity_are_the_engines(engine_output, report_dir):
    fig = svg(report_dir, FBSS_PAIN)
    het = read_table(
        HETEROGENEITY, fit_analysis_dir(engine_output / "results" / "fit", FBSS_PAIN) / "heterogeneity.csv"
    )
    r = het.iloc[0]
    assert r["k"] == 3 and r["q_df"] == 2 and 0 <= r["i2"] <= 100
    line = cell(fig, "heterogeneity-1")
    assert f"Q = {r['q']:.2f}, df = 2" in line and f"I\u00b2 = {r['i2']:.0f}%" in line
    assert "posterior median" in cell(fig, "heterogeneity-0")
    weights = [float(cell(fig, f"cell-weight-{i}").rstrip("%")) for i in range(3)]
    assert sum(weights) == pytest.approx(100, abs=0.2)
    assert 'id="note-weight"' in fig and "inverse-variance weight" in fig


def test_single_trial_is_shown_as_itself(report_dir):
    fig = svg(report_dir, FBSS_PAIN_24)
    assert 'id="pooled-diamond"' not in fig and 'id="common-diamond"' not in fig
    assert "Single trial, not pooled" in cell(fig, "not-pooled")
    assert 'id="heterogeneity-0"' not in fig


def test_two_trials_show_common_and_random_effects(report_dir):
    fig = svg(report_dir, FBSS_RESP)
    assert 'id="pooled-diamond"' in fig and 'id="common-diamond"' in fig and 'id="pred-interval"' in fig
    assert "Common effect (\u03c4 = 0)" in fig


def test_rob_lights_follow_rob_csv_for_the_outcome(report_dir):
    fig = svg(report_dir, FBSS_PAIN)
    labels = [cell(fig, f"cell-label-{i}") for i in range(3)]
    alpha = labels.index("ALPHA (Smith 2007)")
    # alpha: randomization low (green), measurement high for pain_intensity (red), no selection row (not assessed)
    light = re.compile(rf'<g id="rob-{alpha}-(\w)">\s*<path[^>]*style="fill: (#[0-9a-f]+)')
    fills = dict(light.findall(fig))
    assert fills["R"] == "#1e6b35" and fills["O"] == "#a4161a" and fills["S"] == "#ffffff"
    assert "Risk of bias (RoB 2)" in fig
    # trials of another indication without any assessment get no lights
    assert "rob-0-R" not in svg(report_dir, "pdn__pain_intensity__scs_vs_medical__m6")


def test_a_data_table_beside_each_forest_plot(report_dir):
    html = page(report_dir, "fbss.html")
    assert html.count('<details class="forest-data">') == html.count('<figure class="forest">') > 0
    sec = section(html, FBSS_RESP)
    table = sec[sec.index('<details class="forest-data">') :]
    assert "28/60" in table and "Common effect (\u03c4 = 0)" in table and "Q = " in table
    assert "randomization" in table  # RoB words, not only colours
    single = section(html, FBSS_PAIN_24)
    assert "Single trial, not pooled" in single[single.index('<details class="forest-data">') :]
