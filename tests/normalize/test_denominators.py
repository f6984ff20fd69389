"""Denominators that reproduce the printed percentage (issue 10, item 4), through normalization: the three
cases the issue found (PROCESS CMM 4/48 vs 9 % printed, SENZA-RCT 84/101 vs 83.1 %, ACCURATE 62/76 vs 81.2 %),
the feasible range recorded (from half the arm, ``normalize.min_analysed_fraction``, to its size) and carried to
the contrasts for the sensitivity analysis, and a percentage no
whole number reproduces (SENZA-RCT tonic leg responders, 55.5 % of at most 97), flagged in the issues ledger
and not used. The trials are synthetic stand-ins holding the papers' printed numbers."""

from __future__ import annotations

import math

import pytest

from neuromod_evidence.evidence import load_evidence
from neuromod_evidence.normalize import normalize
from neuromod_evidence.settings import Settings
from tests.evidence_factory import arm, knee_config, outcome, trial, write_indication

AID = "knee_pns__responder_50__pns_vs_sham__m6"
# trial, printed percent of the comparator arm, its n randomized; the intervention arm has plain counts
CASES = {
    "process": (9, 48),  # PROCESS CMM: "4 CMM patients (9%)"
    "senza": (83.1, 101),  # SENZA-RCT 10 kHz leg responders, 83.1 %
    "accurate": (81.2, 76),  # ACCURATE DRG responders, 81.2 %
    "nofit": (55.5, 97),  # SENZA-RCT tonic leg responders, 55.5 %: no k/n with n <= 97 prints as 55.5 %
}


def _resp(rid, tid, arm_id, **kw):
    return outcome(rid, tid, arm_id, "responder_50", scale="proportion", value_type=None, **kw)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = tmp_path_factory.mktemp("denominators") / "evidence"
    trials, arms, outcomes = [], [], []
    for tid, (percent, randomized) in CASES.items():
        trials.append(trial(tid, "knee_pns"))
        arms += [arm(tid, "pns", "pns", 50), arm(tid, "sham", "placebo_sham", randomized)]
        outcomes += [
            _resp(f"{tid}-pns", tid, "pns", events=20, total=50),
            _resp(f"{tid}-sham", tid, "sham", percent=percent),
        ]
    write_indication(root, "knee_pns", trials, arms, outcomes)
    settings = Settings.from_config(knee_config(root))
    return normalize(load_evidence(settings, root), settings)


def prints_as(events: int, total: int, printed: float) -> bool:
    """Independent check: the percentage formatted at the printed number of decimals gives the printed text."""
    decimals = len(str(printed).split(".")[1]) if "." in str(printed) else 0
    return f"{100 * events / total:.{decimals}f}" == f"{printed:.{decimals}f}"


@pytest.mark.parametrize(
    ("tid", "used", "low", "high"),
    [
        # 4/48 = 8.3 % prints 8 %; 4/47 = 8.5 %; 3/32 = 9.4 % (1/11 would print 9 % too, but 11 is below half the arm)
        ("process", (4, 47), (3, 32), (4, 47)),
        ("senza", (74, 89), (49, 59), (74, 89)),  # 84/101 = 83.2 %; 74/89 = 83.15 %; 49/59 = 83.05 %
        ("accurate", (56, 69), (39, 48), (56, 69)),  # 62/76 = 81.6 %; 56/69 = 81.16 %; 39/48 = 81.25 %
    ],
)
def test_the_denominator_reproduces_the_printed_percentage_and_its_range_is_recorded(
    result, tid, used, low, high
):
    percent, randomized = CASES[tid]
    assert not prints_as(round(percent / 100 * randomized), randomized, percent)  # why the rule exists
    row = result.outcomes.set_index("row_id").loc[f"{tid}-sham"]
    assert (row["events_used"], row["total_used"]) == used and prints_as(*used, percent)
    assert (row["total_min"], row["total_max"]) == (low[1], high[1])
    assert bool(row["events_derived"]) and bool(row["n_assumed"]) and bool(row["usable"])
    assert f"feasible: {low[1]}–{high[1]}" in row["sd_method"]
    # no smaller denominator from half the arm (normalize.min_analysed_fraction) reproduces it: the lower bound is
    # the lowest plausible one
    floor = math.ceil(0.5 * randomized)
    assert low[1] >= floor
    assert not any(prints_as(e, n, percent) for n in range(floor, low[1]) for e in range(n + 1))
    c = result.contrasts[
        (result.contrasts["analysis_id"] == AID) & (result.contrasts["trial_id"] == tid)
    ].iloc[0]
    assert (c["events_c"], c["n_c"]) == used
    assert (c["events_c_at_min"], c["n_c_min"]) == low and prints_as(*low, percent)
    assert (c["events_c_at_max"], c["n_c_max"]) == high
    # the intervention arm has printed counts: the same at both bounds
    assert (c["events_t_at_min"], c["n_t_min"], c["events_t_at_max"], c["n_t_max"]) == (20, 50, 20, 50)


def test_a_percentage_no_whole_number_reproduces_is_flagged_and_not_used(result):
    row = result.outcomes.set_index("row_id").loc["nofit-sham"]
    assert not bool(row["usable"]) and math.isnan(row["events_used"])
    issues = result.issues.set_index("row_id")
    assert issues.loc["nofit-sham", "severity"] == "excluded"
    assert (
        "no denominator from 49 to the arm's n randomized (97) reproduces the printed 55.5%"
        in issues.loc["nofit-sham", "reason"]
    )
    assert "nofit" not in set(result.contrasts["trial_id"])  # nor the trial's other arm, alone
    assert issues.loc["nofit-pns", "severity"] == "excluded"


def test_counts_printed_in_full_carry_no_range(tmp_path):
    root = tmp_path / "evidence"
    write_indication(
        root, "knee_pns", [trial("plain", "knee_pns")],
        [arm("plain", "pns", "pns", 40), arm("plain", "sham", "placebo_sham", 40)],
        [_resp("p-pns", "plain", "pns", events=20, total=40), _resp("p-sham", "plain", "sham", percent=20, total=40)],
    )  # fmt: skip
    settings = Settings.from_config(knee_config(root))
    out = normalize(load_evidence(settings, root), settings)
    c = out.contrasts.iloc[0]
    assert (c["events_c"], c["n_c"]) == (8, 40) and bool(c["events_derived"])  # a stated total: no range
    assert all(math.isnan(c[col]) for col in ("n_t_min", "n_c_min", "n_t_max", "n_c_max"))
