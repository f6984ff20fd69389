"""Works installed, not only from a checkout: a non-editable install carries the schema and the templates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_non_editable_install_validates_and_fits(tmp_path):
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target",
         str(target), str(ROOT)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    assert (target / "neuromod_evidence" / "config.schema.yaml").is_file()
    assert (target / "neuromod_evidence" / "report" / "templates").is_dir()
    work = tmp_path / "elsewhere"  # not the checkout: nothing may be found through the working directory
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    cli = [sys.executable, "-m", "neuromod_evidence.cli"]
    where = subprocess.run([sys.executable, "-c", "import neuromod_evidence; print(neuromod_evidence.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True)  # fmt: skip
    assert where.stdout.startswith(str(target)), where.stdout + where.stderr
    validate = subprocess.run([*cli, "validate", "--config", str(ROOT / "config" / "config.yaml"), "--evidence-dir",
                               str(ROOT / "data" / "evidence")], cwd=work, env=env, capture_output=True, text=True)  # fmt: skip
    assert validate.returncode == 0, validate.stderr[-2000:]
    assert validate.stdout.startswith("ok:")
    data = work / "two.csv"
    data.write_text("study,estimate,se\nA,-1.0,0.4\nB,-1.6,0.5\n", encoding="utf-8")
    fit = subprocess.run([*cli, "fit", str(data), "--measure", "MD", "--tau-prior", "half-normal:1", "--out",
                          str(work / "fit"), "--draws", "300", "--tune", "300"], cwd=work, env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert fit.returncode in (0, 1), fit.stderr[-3000:]  # 1 = fitted but not converged (short chains)
    assert (work / "fit" / "summary.json").is_file() and (work / "fit" / "forest.svg").is_file()
