"""Network validation: layouts, contrasts and covariances, edges and loops, and bad-input messages."""

from __future__ import annotations

import argparse
import io

import numpy as np
import pandas as pd
import pytest

from neuromod_evidence.commands import nma as nma_command
from neuromod_evidence.nma.network import NetworkError, from_dataframe


def frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


BINARY = """study,treatment,events,n
s1,A,10,100
s1,B,20,100
s2,A,12,90
s2,C,25,95
s3,B,8,50
s3,C,9,52
"""


def test_binary_network_edges_loops_reference():
    net = from_dataframe(frame(BINARY), "OR", "A")
    assert net.treatments == ("A", "B", "C")
    edges = net.edges().set_index(["treatment_1", "treatment_2"])
    assert edges.loc[("A", "B"), "trials"] == 1
    assert edges.loc[("B", "C"), "participants"] == 102
    assert net.has_loops()
    assert net.evidence("A", "B") == "mixed"


def test_star_network_has_no_loops_and_indirect_evidence():
    text = "study,treatment,events,n\ns1,A,10,100\ns1,B,20,100\ns2,A,12,90\ns2,C,25,95\n"
    net = from_dataframe(frame(text), "OR", "A")
    assert not net.has_loops()
    assert net.evidence("B", "C") == "indirect"
    assert net.evidence("A", "C") == "direct"


def test_log_or_contrasts_share_the_base_arm_variance():
    text = "study,treatment,events,n\nt,A,10,100\nt,B,20,100\nt,C,30,100\n"
    s = from_dataframe(frame(text), "OR", "A").studies[0]
    lo = np.log(np.array([10, 20, 30]) / np.array([90, 80, 70]))
    v = 1 / np.array([10, 20, 30]) + 1 / np.array([90, 80, 70])
    assert np.allclose(s.y, lo[1:] - lo[0])
    assert np.allclose(s.V, np.diag(v[1:]) + v[0])


def test_zero_cell_adds_half_to_every_cell_of_the_study():
    text = "study,treatment,events,n\nt,A,0,20\nt,B,5,20\nu,A,3,30\nu,B,6,30\n"
    s = from_dataframe(frame(text), "OR", "A").studies[0]
    assert s.y[0] == pytest.approx(np.log(5.5 / 15.5) - np.log(0.5 / 20.5))
    assert s.V[0, 0] == pytest.approx(1 / 0.5 + 1 / 20.5 + 1 / 5.5 + 1 / 15.5)


def _three_arm_md():
    arms = frame("study,treatment,mean,sd,n\nt,A,10,4,50\nt,B,8,5,40\nt,C,7,3,45\n")
    return from_dataframe(arms, "MD", "A").studies[0]


def test_multi_arm_contrasts_against_a_common_arm_with_se_common():
    ref = _three_arm_md()
    v = np.array([16 / 50, 25 / 40, 9 / 45])
    text = (
        "study,treatment_1,treatment_2,estimate,se,se_common\n"
        f"t,B,A,-2,{np.sqrt(v[0] + v[1])},{np.sqrt(v[0])}\n"
        f"t,C,A,-3,{np.sqrt(v[0] + v[2])},{np.sqrt(v[0])}\n"
    )
    s = from_dataframe(frame(text), "MD", "A").studies[0]
    assert s.treatments == ref.treatments
    assert np.allclose(s.y, ref.y) and np.allclose(s.V, ref.V)


def test_multi_arm_every_pairwise_contrast_netmeta_convention_and_rebasing():
    ref = _three_arm_md()
    v = {"A": 16 / 50, "B": 25 / 40, "C": 9 / 45}
    m = {"A": 10, "B": 8, "C": 7}
    rows = [("B", "C"), ("A", "B"), ("A", "C")]  # base of the first row is C, re-based on A
    body = "".join(f"t,{a},{b},{m[a] - m[b]},{np.sqrt(v[a] + v[b])}\n" for a, b in rows)
    s = from_dataframe(frame("study,treatment_1,treatment_2,estimate,se\n" + body), "MD", "A").studies[0]
    assert s.treatments[0] == "A"
    order = [ref.treatments.index(t) - 1 for t in s.treatments[1:]]
    assert np.allclose(s.y, ref.y[order]) and np.allclose(s.V, ref.V[np.ix_(order, order)])


def test_multi_arm_contrasts_without_common_variance_are_refused():
    text = "study,treatment_1,treatment_2,estimate,se\nt,B,A,1,0.3\nt,C,A,2,0.3\nu,B,C,1,0.2\n"
    with pytest.raises(NetworkError, match="se_common"):
        from_dataframe(frame(text), "MD", "A")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BINARY + "s4,D,3,30\ns4,E,4,30\n", r"disconnected: 2 parts \{A, B, C\} \| \{D, E\}"),
        (BINARY + "s4,A,3,30\n", r"row 7: study 's4' has only one arm"),
        (
            BINARY.replace("s2,C,25,95", "s2,C,lots,95"),
            r"row 4 \(study 's2'\), column 'events': 'lots' is not a number",
        ),
        (BINARY.replace("s2,C,25,95", "s2,C,25,inf"), r"row 4 .*column 'n': 'inf' is not a finite number"),
        (BINARY.replace("s2,C,25,95", "s2,,25,95"), r"row 4, column 'treatment': empty"),
        (BINARY.replace("s2,C,25,95", "s2,A,25,95"), r"row 4 \(study 's2'\): treatment 'A' appears twice"),
        (BINARY.replace("s2,C,25,95", "s2,C,125,95"), r"row 4 .*125 events exceed n = 95"),
        ("study,arm,events,n\ns,A,1,2\n", "missing column"),
    ],
)
def test_bad_inputs_name_the_row_or_the_parts(text, message):
    with pytest.raises(NetworkError, match=message):
        from_dataframe(frame(text), "OR", None)


def test_treatment_named_once_is_reported():
    text = BINARY + "s4,A,3,30\ns4,Typo,4,30\n"
    net = from_dataframe(frame(text), "OR", "A")
    assert any("named in one study only: Typo" in w for w in net.warnings)


def _run_command(tmp_path, text, *extra):
    path = tmp_path / "in.csv"
    path.write_text(text)
    parser = argparse.ArgumentParser()
    nma_command.register(parser.add_subparsers(), "nma")
    args = parser.parse_args(["nma", str(path), "--measure", "OR", "--out", str(tmp_path / "out"), *extra])
    return args.run(args)


def test_command_exits_2_naming_the_disconnected_parts(tmp_path, capsys):
    assert _run_command(tmp_path, BINARY + "s4,D,3,30\ns4,E,4,30\n") == 2
    assert "{A, B, C} | {D, E}" in capsys.readouterr().err


def test_command_exits_2_on_one_arm_and_non_numeric_and_unknown_reference(tmp_path, capsys):
    assert _run_command(tmp_path, BINARY + "s4,A,3,30\n") == 2
    assert "study 's4' has only one arm" in capsys.readouterr().err
    assert _run_command(tmp_path, BINARY.replace("8,50", "8,fifty")) == 2
    assert "column 'n': 'fifty' is not a number" in capsys.readouterr().err
    assert _run_command(tmp_path, BINARY, "--reference", "Z") == 2
    assert "reference treatment 'Z' is not in the data" in capsys.readouterr().err
    assert _run_command(tmp_path, BINARY, "--tau-prior", "rhodes:pain") == 2
    assert "Rhodes" in capsys.readouterr().err


def test_smd_is_hedges_g_with_its_variance():
    text = "study,treatment,mean,sd,n\nt,A,10,4,50\nt,B,8,5,40\nu,A,3,1,20\nu,B,2,1,20\n"
    s = from_dataframe(frame(text), "SMD", "A").studies[0]
    sp = np.sqrt((49 * 16 + 39 * 25) / 88)
    g = (1 - 3 / (4 * 88 - 1)) * (8 - 10) / sp
    assert s.y[0] == pytest.approx(g)
    assert s.V[0, 0] == pytest.approx(1 / 40 + 1 / 50 + g**2 / (2 * 90))


def test_md_default_tau_prior_is_the_pooled_within_arm_sd():
    text = "study,treatment,mean,sd,n\nt,A,10,4,50\nt,B,8,4,40\nu,A,3,4,20\nu,B,2,4,20\n"
    net = from_dataframe(frame(text), "MD", "A")
    args = argparse.Namespace(tau_prior=None, effect_prior=None, baseline_prior="normal:0,10", measure="MD")
    priors = nma_command.priors_for(args, net)
    assert priors["tau"].family == "half_normal" and priors["tau"].a == pytest.approx(4.0)
