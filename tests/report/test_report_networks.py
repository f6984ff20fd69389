"""The network section of an indication page, fed only through the network stage's table files.

The network tables here are written by hand through their contracts (made-up numbers; the real stage is run
by tests/test_workflow.py), so these tests need no NMA fit.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from neuromod_evidence.report import render_report
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import NMA, write_table
from tests.report.engine_output import MALICIOUS
from tests.report.test_report import config_of

FITTED, FLAT, LONE = "pdn__responder_50__m6", "pdn__responder_50__m12", "pdn__pain_intensity__m6"
T = ("cmm", "scs_tonic", "scs_10khz")
EST = {("scs_tonic", "cmm"): 1.5, ("scs_10khz", "cmm"): 3.0}


def _network(nid, outcome, timepoint, status, reason="", converged=None, notes="", measure="OR"):
    row = dict.fromkeys(NMA["networks"].columns)
    row.update(network_id=nid, indication="pdn", outcome=outcome, timepoint=timepoint, measure=measure,
               direction="higher_is_better", status=status, reason=reason, reference="cmm",
               reference_rule="configured preference", treatments=";".join(T), n_treatments=3, n_comparisons=2,
               n_trials=2, n_participants=216, trials="slangen2014;senza_pdn", notes=notes)  # fmt: skip
    if status == "fitted":
        row.update(model="random", loops=False, inconsistency="no closed loops: consistency cannot be checked",
                   tau=0.3, tau_low=0.01, tau_high=1.2, freq_tau2=0.0, reference_risk=0.05, rhat_max=1.002,
                   ess_bulk_min=900, ess_tail_min=800, divergences=0, converged=converged, attempts=1,
                   seed=1)  # fmt: skip
    return row


def _effect(a, b) -> float:
    full = {"cmm": 0.0, "scs_tonic": EST[("scs_tonic", "cmm")], "scs_10khz": EST[("scs_10khz", "cmm")]}
    return full[a] - full[b]


def write_networks(nma: Path) -> Path:
    d = nma / "pdn"
    nets = [_network(FITTED, "responder_50", "m6", "fitted", converged=True, notes=MALICIOUS),
            _network(FLAT, "responder_50", "m12", "fitted", converged=False, notes="not converged: ESS 80 < 400"),
            _network(LONE, "pain_intensity", "m6", "not fitted", measure="MD",
                     reason="2 treatments, one comparison: the pairwise analysis covers it")]  # fmt: skip
    league, ranks, absolute, edges, nodes = [], [], [], [], []
    for nid in (FITTED, FLAT):
        for a in T:
            for b in T:
                if a != b:
                    e = _effect(a, b)
                    league.append(dict(network_id=nid, treatment_1=a, treatment_2=b, estimate=e, ci_low=e - 1,
                                       ci_high=e + 1, pred_low=e - 2, pred_high=e + 2, p_better=0.9,
                                       freq_estimate=e, freq_ci_low=e - 1.1, freq_ci_high=e + 1.1,
                                       evidence="indirect" if {a, b} == {"scs_tonic", "scs_10khz"} else "direct"))  # fmt: skip
        ranks += [dict(network_id=nid, treatment=t, rank=k, probability=1.0 if k == 3 - i else 0.0,
                       sucra=i / 2, mean_rank=3 - i) for i, t in enumerate(T) for k in (1, 2, 3)]  # fmt: skip
        absolute += [dict(network_id=nid, treatment=t, risk=r, risk_low=r / 2, risk_high=min(1, 2 * r),
                          per_1000_diff=1000 * (r - 0.05), per_1000_low=0, per_1000_high=500)
                     for t, r in zip(T, (0.05, 0.18, 0.5), strict=True)]  # fmt: skip
    for nid in (FITTED, FLAT, LONE):
        edges += [dict(network_id=nid, treatment_1="cmm", treatment_2=t, trials=1, participants=n)
                  for t, n in (("scs_tonic", 36), ("scs_10khz", 180))]  # fmt: skip
        nodes += [dict(network_id=nid, treatment=t, trials=k, participants=n)
                  for t, k, n in (("cmm", 2, 107), ("scs_tonic", 1, 22), ("scs_10khz", 1, 87))]  # fmt: skip
    frames = {"networks": nets, "league": league, "ranks": ranks, "splits": [], "network": edges,
              "nodes": nodes, "absolute": absolute}  # fmt: skip
    for name, rows in frames.items():
        write_table(NMA[name], pd.DataFrame(rows, columns=list(NMA[name].columns)), d / f"{name}.csv")
    return nma


@pytest.fixture(scope="module")
def network_page(engine_output, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report-networks")
    results = engine_output / "results"
    render_report(
        Settings.from_config(config_of(engine_output)), normalized_dir=results / "normalized",
        fit_summary=results / "fit" / "summary.csv", fit_dir=results / "fit", out_dir=out,
        nma_dir=write_networks(out / "nma"),
    )  # fmt: skip
    return (out / "pdn.html").read_text(encoding="utf-8")


def section(html: str, nid: str) -> str:
    start = html.index(f'id="net-{nid}"')
    return html[start : html.index("</section>", start)]


def test_a_fitted_network_shows_diagram_league_forest_ranks_and_inconsistency(network_page):
    s = section(network_page, FITTED)
    assert 'href="#networks"' in network_page
    assert (
        s.count("<svg") == 2
        and "Network diagram" in s
        and "Every treatment vs Conventional medical management" in s
    )
    assert "10 kHz SCS" in s and "Tonic (low-frequency) SCS" in s
    # 10 kHz vs CMM: log OR 3.0 -> OR 20.09 (CrI exp(2) to exp(4)); the league's mirrored cell is 1/20.09
    assert f"{math.exp(3):.2f} ({math.exp(2):.2f} to {math.exp(4):.2f})" in s
    assert f"{math.exp(-3):.2f} ({math.exp(-4):.2f} to {math.exp(-2):.2f})" in s
    # vs the reference every estimate of a star is direct; 10 kHz vs tonic (league) rests on indirect evidence
    assert "direct (head-to-head trials only)" in s and '<span class="small muted">indirect</span>' in s
    assert (
        "500 per 1000 (250 to 1000)" in s
        and "pooled Conventional medical management-arm risk (50 per 1000)" in s
    )
    assert "Ranks are uncertain" in s and "SUCRA" in s
    assert "no closed loops: consistency cannot be checked" in s


def test_network_text_from_the_tables_is_escaped(network_page):
    s = section(network_page, FITTED)
    assert "<script>alert(1)</script>" not in network_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in s


def test_a_network_that_did_not_converge_shows_no_numbers(network_page):
    s = section(network_page, FLAT)
    assert "did not pass the convergence gate" in s and "ESS 80 &lt; 400" in s
    assert "League table" not in s and "Ranks are uncertain" not in s
    assert f"{math.exp(3):.2f}" not in s


def test_a_network_not_fitted_says_why(network_page):
    s = section(network_page, LONE)
    assert "Not analysed:" in s and "2 treatments, one comparison: the pairwise analysis covers it" in s
    assert "League table" not in s and "Network diagram" in s


def test_the_network_tables_are_downloads(network_page):
    assert 'href="downloads/tables/nma_league.csv"' in network_page
    assert 'href="downloads/tables/nma_networks.csv"' in network_page
