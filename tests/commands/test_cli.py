"""The `neuromod-evidence` console entry point: validate and normalize subcommands."""

from __future__ import annotations

import pandas as pd

from neuromod_evidence.cli import build_parser, main
from tests.evidence_factory import knee_config, knee_evidence, write_config


def _knee(tmp_path):
    knee_evidence(tmp_path / "ev")
    return write_config(tmp_path / "config.yaml", knee_config(tmp_path / "ev"))


def test_all_subcommands_are_registered():
    parser = build_parser()
    names = set(parser._subparsers._group_actions[0].choices)
    assert {"validate", "normalize", "fit", "ctgov-outcomes"} <= names


def test_validate_reports_counts(tmp_path, capsys):
    assert main(["validate", "--config", str(_knee(tmp_path))]) == 0
    assert "ok: 2 trials, 4 arms, 8 outcome rows" in capsys.readouterr().out


def test_validate_fails_with_file_line_and_field(tmp_path, capsys):
    config = _knee(tmp_path)
    arms = tmp_path / "ev" / "knee_pns" / "arms.csv"
    arms.write_text(arms.read_text().replace(",40,", ",-4,", 1))
    assert main(["validate", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "arms.csv, line 2, field 'n_randomized'" in err


def test_normalize_writes_the_tables(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["normalize", "--config", str(_knee(tmp_path)), "--out", str(out)]) == 0
    assert "4 study contrasts in 2 analyses" in capsys.readouterr().out
    assert len(pd.read_csv(out / "contrasts.csv")) == 4
    # the normalize stage also records what it validated (normalize/stage.py)
    assert sorted(p.name for p in out.iterdir()) == [
        *(f"{n}.csv" for n in ("arms", "contrasts", "issues", "outcomes", "rob", "trials")),
        "validation.txt",
    ]


def test_bad_config_is_reported_not_raised(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: -1\n")
    assert main(["validate", "--config", str(bad)]) == 1
    assert "bad.yaml" in capsys.readouterr().err


def test_validate_with_a_missing_config_prints_one_line(tmp_path, capsys):
    assert main(["validate", "--config", str(tmp_path / "nowhere.yaml")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"{tmp_path / 'nowhere.yaml'}: no such configuration file"
    assert "Traceback" not in err


def test_one_bad_cell_gives_one_plain_message(tmp_path, capsys):
    config = _knee(tmp_path)
    arms = tmp_path / "ev" / "knee_pns" / "arms.csv"
    arms.write_text(arms.read_text().replace(",40,", ",abc,", 1))
    assert main(["validate", "--config", str(config)]) == 1
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip().startswith("- ")]
    assert len(lines) == 1
    assert lines[0].endswith("arms.csv, line 2, field 'n_randomized': 'abc' is not a number")
