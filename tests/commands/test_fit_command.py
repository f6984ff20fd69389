"""`neuromod-evidence fit`: the three input layouts and clear errors."""

import json
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
    assert {"posterior.nc", "studies.csv", "sensitivity.csv"} <= {p.name for p in tmp_path.iterdir()}
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
