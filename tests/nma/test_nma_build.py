"""Candidate networks from the normalized contrasts: nodes, lumping, reference choice, and the reasons a
network is not fitted (every number here is made up)."""

from __future__ import annotations

import pandas as pd
import pytest

from neuromod_evidence.config import ConfigError
from neuromod_evidence.nma.build import FIT, NOT_FITTED, candidates
from neuromod_evidence.nma.pipeline import NO_LOOPS, fit_indication_networks
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import CONTRASTS, NMA, NMA_NETWORKS, read_table, write_table
from tests.evidence_factory import base_config


def settings(**nma) -> Settings:
    return Settings.from_config(base_config(nma=nma) if nma else base_config())


def row(trial, t_cls, c_cls, *, comparison="x", outcome="responder_50", timepoint="m6", year=2020, **kw):
    r = dict.fromkeys(CONTRASTS.columns)
    r.update(analysis_id=f"fbss__{outcome}__{comparison}__{timepoint}", indication="fbss", outcome=outcome,
             comparison=comparison, timepoint=timepoint, trial_id=trial, year=year, measure="OR",
             data_type="arm_binary", intervention_class=t_cls, comparator_class=c_cls,
             intervention_arms=f"{trial}_{t_cls}", comparator_arms=f"{trial}_{c_cls}", estimate=0.5, se=0.3)  # fmt: skip
    r.update(kw)
    return r


def binary(trial, t_cls, c_cls, et, nt, ec, nc, **kw):
    return row(trial, t_cls, c_cls, events_t=et, n_t=nt, events_c=ec, n_c=nc, **kw)


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(CONTRASTS.columns))


def one(df, s=None):
    (cand,) = candidates(df, s or settings(), "fbss")
    return cand


def test_star_through_medical_management_is_fitted_with_cmm_as_reference():
    df = frame(binary("a", "scs_tonic", "cmm", 10, 40, 3, 40), binary("b", "scs_10khz", "cmm", 30, 50, 5, 50))
    cand = one(df)
    assert cand.status == FIT and cand.reason == ""
    assert cand.reference == "cmm" and cand.reference_rule == "configured preference"
    assert cand.layout == "binary" and cand.net.treatments[0] == "cmm"
    assert cand.network_id == "fbss__responder_50__m6"
    edges = cand.edges().set_index(["treatment_1", "treatment_2"])
    assert edges.loc[("cmm", "scs_10khz"), "participants"] == 100 and len(edges) == 2
    assert cand.net.evidence("scs_10khz", "scs_tonic") == "indirect"


def test_one_comparison_and_disconnected_networks_are_listed_with_the_reason():
    two = one(
        frame(binary("a", "scs_tonic", "cmm", 10, 40, 3, 40), binary("b", "scs_tonic", "cmm", 9, 30, 2, 30))
    )
    assert two.status == NOT_FITTED and "one comparison" in two.reason and two.net is None
    split = one(
        frame(
            binary("a", "scs_tonic", "cmm", 10, 40, 3, 40),
            binary("b", "scs_10khz", "scs_burst", 9, 30, 6, 30),
            binary("c", "drg", "scs_burst", 9, 30, 6, 30),
        )  # fmt: skip
    )
    assert split.status == NOT_FITTED
    assert split.reason == "disconnected: 2 parts {cmm, scs_tonic} | {drg, scs_10khz, scs_burst}"


def test_reference_falls_back_to_the_comparator_then_to_the_node_with_most_trials():
    df = frame(
        binary("a", "scs_tonic", "reoperation", 5, 20, 3, 20),
        binary("b", "scs_10khz", "scs_tonic", 9, 30, 6, 30),
    )
    cand = one(df)
    assert (cand.reference, cand.reference_rule) == (
        "reoperation",
        "fallback: the comparator node with the most trials",
    )
    df = frame(
        binary("a", "scs_burst", "scs_tonic", 5, 20, 3, 20),
        binary("b", "scs_10khz", "scs_tonic", 9, 30, 6, 30),
    )
    assert one(df).reference == "scs_tonic"
    assert one(df, settings(reference=["scs_10khz"])).reference == "scs_10khz"


def test_lumped_classes_become_one_node_and_two_arms_of_it_are_combined():
    s = settings(
        lump={"medical": {"label": "Medical or physical therapy", "classes": ["cmm", "physical_therapy"]}}
    )
    df = frame(
        binary("a", "scs_tonic", "cmm", 10, 40, 3, 40, comparison="tm"),
        binary(
            "a",
            "scs_tonic",
            "physical_therapy",
            10,
            40,
            4,
            35,
            comparison="tp",
            intervention_arms="a_scs_tonic",
            comparator_arms="a_pt",
        ),  # fmt: skip
        binary("b", "scs_10khz", "physical_therapy", 30, 50, 5, 50),
    )
    cand = one(df, s)
    assert cand.nodes() == ["medical", "scs_10khz", "scs_tonic"] and cand.status == FIT
    assert cand.reference == "medical"  # not in the preference list: the comparator node with most trials
    arm = next(t for t in cand.trials if t.trial_id == "a").arms["medical"]
    assert (arm["events"], arm["n"]) == (7, 75)
    assert s.node_label("medical") == "Medical or physical therapy"


def test_rows_that_cannot_enter_are_named_and_contrast_data_switch_the_layout():
    df = frame(
        binary("a", "scs_tonic;scs_10khz", "cmm", 20, 80, 3, 40, comparison="scs_vs_medical"),
        binary("a", "scs_10khz", "scs_tonic", 12, 40, 8, 40, comparison="hf_vs_tonic"),
        row("b", "scs_tonic", "cmm", data_type="contrast", estimate=1.1, se=0.5, n_t=30, n_c=31),
    )
    cand = one(df)
    assert (
        "a: scs_vs_medical combines arms of several nodes (scs_tonic;scs_10khz vs cmm); not used"
        in cand.notes
    )
    assert cand.status == FIT and cand.layout == "contrast"
    assert {t.trial_id: t.nodes() for t in cand.trials} == {
        "a": ["scs_10khz", "scs_tonic"],
        "b": ["scs_tonic", "cmm"],
    }


def test_three_arm_trial_enters_as_contrasts_with_the_shared_arm_variance():
    df = frame(
        binary("a", "scs_10khz", "cmm", 20, 40, 5, 40, comparison="hm", comparator_arms="a_cmm"),
        binary("a", "scs_tonic", "cmm", 12, 40, 5, 40, comparison="tm", comparator_arms="a_cmm"),
        row("b", "scs_tonic", "cmm", data_type="contrast", estimate=1.1, se=0.5),
    )
    cand = one(df)
    assert cand.status == FIT and cand.layout == "contrast"
    study = next(s for s in cand.net.studies if s.name == "a")
    assert study.arms == 3 and study.V[0, 1] == pytest.approx(1 / 5 + 1 / 35)


def test_unknown_or_doubly_lumped_classes_are_config_errors():
    with pytest.raises(ConfigError, match="unknown class 'tens'"):
        settings(lump={"med": {"label": "M", "classes": ["cmm", "tens"]}})
    with pytest.raises(ConfigError, match="class 'cmm' is in both"):
        settings(lump={"m1": {"label": "A", "classes": ["cmm"]}, "m2": {"label": "B", "classes": ["cmm"]}})


def test_stage_lists_every_candidate_and_writes_every_table_without_fitting(tmp_path):
    df = frame(
        binary("a", "scs_tonic", "cmm", 10, 40, 3, 40),
        binary("b", "scs_tonic", "cmm", 9, 30, 2, 30, timepoint="m12"),
        binary("c", "scs_10khz", "cmm", 30, 50, 5, 50, timepoint="m12"),
    )
    write_table(CONTRASTS, df, tmp_path / "contrasts.csv")
    out = fit_indication_networks(
        tmp_path / "contrasts.csv", settings(enabled=False), "fbss", tmp_path / "nma"
    )
    assert list(out["network_id"]) == ["fbss__responder_50__m6", "fbss__responder_50__m12"]
    assert list(out["status"]) == [NOT_FITTED, NOT_FITTED]
    assert out["reason"].iloc[1] == "network meta-analysis switched off (nma: enabled: false)"
    for name, table in NMA.items():
        read_table(table, tmp_path / "nma" / f"{name}.csv")  # every file exists, with its contract's header
    nets = read_table(NMA_NETWORKS, tmp_path / "nma" / "networks.csv")
    assert nets["n_trials"].tolist() == [1, 2] and nets["treatments"].iloc[1] == "cmm;scs_10khz;scs_tonic"
    assert NO_LOOPS.startswith("no closed loops")
