"""`neuromod-evidence fit`: the three input layouts and clear errors."""

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from neuromod_evidence.cli import main

FIX = Path(__file__).parents[1] / "fixtures" / "fit"


@pytest.mark.parametrize(
    "name, measure, message",
    [
        ("bad_events.csv", "OR", "row 2 (study 'Synthetic B'), column 'events_t': 30 events > n_t = 25"),
        ("bad_se.csv", "GENERIC", "row 2 (study 'Synthetic B'), column 'se': must be > 0"),
        ("bad_nonnumeric.csv", "MD", "row 2 (study 'Synthetic B'), column 'sd_t': 'n/a' is not a number"),
        ("bad_missing.csv", "GENERIC", "missing column(s) 'se'"),
        ("layout_arm_continuous.csv", "OR", "does not fit the arm_continuous layout"),
    ],
)
def test_bad_input_exits_nonzero_naming_row_and_column(tmp_path, capsys, name, measure, message):
    rc = main(["fit", str(FIX / name), "--measure", measure, "--out", str(tmp_path)])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "summary.json").exists()


def test_help_names_only_real_options_and_explains_each(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = capsys.readouterr().out
    assert "--help-layouts" not in text
    assert "arm-level binary" in text  # the layouts are in the help itself
    from neuromod_evidence.cli import build_parser

    fit = build_parser()._subparsers._group_actions[0].choices["fit"]
    for action in fit._actions:
        assert action.help, f"{action.option_strings or action.dest} has no help text"


def test_semicolon_file_is_read(tmp_path):
    from neuromod_evidence.commands.fit import _read, detect_layout

    df = _read(FIX / "semicolon.csv")
    assert df.attrs["delimiter"] == "semicolon"
    assert detect_layout(df.columns, "GENERIC", df.attrs["delimiter"]) == "contrast_se"
    assert df["estimate"].tolist() == ["-0.40", "-0.10", "-0.60"]  # decimal commas


def test_unknown_delimiter_is_named(tmp_path, capsys):
    bad = tmp_path / "pipes.csv"
    bad.write_text("study|estimate|se\nA|0.1|0.2\n")
    assert main(["fit", str(bad), "--measure", "GENERIC", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert (
        "missing column 'study' (read as comma-separated; header columns found: 'study|estimate|se')" in err
    )


def test_all_double_zero_is_not_estimable_without_sampling(tmp_path, capsys):
    rc = main(["fit", str(FIX / "double_zero.csv"), "--measure", "RR", "--out", str(tmp_path)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "not estimable" in err and "Traceback" not in err
    js = json.loads((tmp_path / "summary.json").read_text())
    assert js["converged"] is False and js["estimate"] is None and "NOT ESTIMABLE" in js["notes"][-1]


def test_settings_defaults_come_from_the_schema():
    import argparse

    from neuromod_evidence.commands.fit import build_settings
    from neuromod_evidence.settings import ModelSettings

    models = ModelSettings.defaults()
    args = argparse.Namespace(measure="OR", tau_prior=None, effect_prior=None, benefit="lower", mcid=None,
                              seed=None, draws=None, chains=None, tune=None)  # fmt: skip
    st = build_settings(args, None)
    assert [p.spec for p in st.sensitivity_tau_priors] == list(models.sensitivity_tau_priors["OR"])
    assert st.effect_prior.spec == models.effect_prior["OR"] and st.seed == 20261124
    assert st.sampler["target_accept"] == models.sampler.target_accept
    assert st.prediction_df == models.prediction_interval_df


def test_fit_module_does_not_import_pymc():
    import subprocess
    import sys

    code = "import sys, neuromod_evidence.cli as c; c.build_parser(); print('pymc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, args, model",
    [
        ("layout_contrast_se.csv", ["--measure", "GENERIC", "--benefit", "lower", "--mcid", "0.5"], "nnhm"),
        ("layout_contrast_ci.csv", ["--measure", "OR", "--ratio-scale", "--benefit", "higher", "--mcid", "1.5"], "nnhm"),
        ("layout_arm_binary.csv", ["--measure", "OR", "--benefit", "higher", "--tau-prior", "turner:pain"], "binomial_normal"),
        ("layout_arm_continuous.csv", ["--measure", "MD", "--mcid", "1"], "nnhm"),
    ],
)  # fmt: skip
def test_layouts(tmp_path, name, args, model):
    rc = main(["fit", str(FIX / name), "--out", str(tmp_path), "--draws", "500", "--tune", "500", *args])
    js = json.loads((tmp_path / "summary.json").read_text())
    assert rc == (0 if js["converged"] else 1)
    assert js["model"] == model
    assert js["priors"]["tau"]["spec"] and js["priors"]["effect"]["spec"]
    assert {"posterior.nc", "studies.csv", "sensitivity.csv", "heterogeneity.csv"} <= {
        p.name for p in tmp_path.iterdir()
    }
    if "--ratio-scale" in args:
        assert 0 < js["estimate"] < 2  # reported on the log scale
    if "--tau-prior" in args:
        assert js["priors"]["tau"]["spec"] == "turner:pain"
    if model == "nnhm":
        assert js["exact_estimate"] is not None
    # the forest plot: one drawn CI per study, a pooled diamond only for a converged k >= 2 analysis
    svg = (tmp_path / "forest.svg").read_text(encoding="utf-8")
    k = len(pd.read_csv(tmp_path / "studies.csv"))
    assert len(set(re.findall(r'id="study-ci-(\d+)"', svg))) == k
    assert ('id="pooled-diamond"' in svg) == (bool(js["converged"]) and js["k"] >= 2)
    # the report's forest plot (same drawing function): per-arm data, weights, the heterogeneity line
    first_arm = re.search(r'<g id="cell-arm_t-0">\s*<text[^>]*>([^<]*)</text>', svg).group(1)
    expected = {"layout_arm_binary.csv": "12/40", "layout_arm_continuous.csv": "4.20 (2.10) 40"}
    assert first_arm == expected.get(name, "\u2014")  # a contrast input has no per-arm data: a dash
    assert ('id="note-contrast"' in svg) == (name not in expected)
    if js["converged"]:  # weights and the heterogeneity line only for a fit that may be shown
        assert 'id="cell-weight-0"' in svg and "inverse-variance weight" in svg
        assert re.search(r"Q = [\d.]+, df = \d+ \(p [=<] [\d.]+\); I\u00b2 = \d+%", svg)
    assert re.search(r'<svg[^>]*width="806\.4pt"', svg)  # the fixed layout, as in the report
    studies = pd.read_csv(tmp_path / "studies.csv")
    assert list(studies.columns[:18]) == [
        "trial_id", "study_label", "data_type", "estimate", "se", "ci_low", "ci_high", "shrunk_estimate",
        "shrunk_ci_low", "shrunk_ci_high", "weight", "events_t", "n_t", "events_c", "n_c", "sd_imputed",
        "events_derived", "corrected",
    ]  # fmt: skip
    assert studies["weight"].sum() == pytest.approx(100, abs=0.01)


@pytest.mark.slow
def test_ratio_measures_are_printed_as_ratios(tmp_path, capsys):
    rc = main(["fit", str(FIX / "layout_arm_binary.csv"), "--measure", "OR", "--out", str(tmp_path),
               "--draws", "500", "--tune", "500"])  # fmt: skip
    js = json.loads((tmp_path / "summary.json").read_text())
    assert rc == (0 if js["converged"] else 1)
    out = capsys.readouterr().out
    est, lo, hi = (
        float(x) for x in re.search(r"OR ([0-9.]+) \[95% CrI ([0-9.]+), ([0-9.]+)\]", out).groups()
    )
    assert est == pytest.approx(math.exp(js["estimate"]), abs=2e-3)  # the files keep the log
    assert lo == pytest.approx(math.exp(js["ci_low"]), abs=2e-3) and hi == pytest.approx(
        math.exp(js["ci_high"]), abs=2e-3
    )
    assert "(log)" not in out


@pytest.mark.slow
def test_duplicate_study_names_warn(tmp_path, capsys):
    rc = main(["fit", str(FIX / "duplicate_names.csv"), "--measure", "GENERIC", "--out", str(tmp_path),
               "--draws", "500", "--tune", "500"])  # fmt: skip
    assert rc in (0, 1)
    err = capsys.readouterr().err
    assert "study name(s) used more than once: Synthetic A" in err
    js = json.loads((tmp_path / "summary.json").read_text())
    assert any("duplicate study label(s) Synthetic A" in n for n in js["notes"])
