"""Registry-posted results as evidence: an accepted registry trial enters the analyses with its provenance;
with the curated publication present, the publication's numbers win and a disagreement is listed."""

from __future__ import annotations

import copy
import math

import pandas as pd
import pytest

from neuromod_evidence.living.snapshots import SnapshotStore
from neuromod_evidence.normalize import normalize_stage, validate_stage
from neuromod_evidence.screening.build import build_screening, extract_registry_results
from neuromod_evidence.screening.curated import NormalizedPaths
from neuromod_evidence.screening.decisions import parse_arm_classes, read_decisions
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import (
    CONTRASTS,
    NORMALIZED_OUTCOMES,
    STUDIES,
    SUMMARY,
    fit_analysis_dir,
    read_table,
)
from tests.evidence_factory import arm, base_config, outcome, trial, write_indication
from tests.living_helpers import synthetic_study

NCT = "NCT99999901"
PAIN = "fbss__pain_intensity__scs_vs_medical__m6"
RESP = "fbss__responder_50__scs_vs_medical__m6"
ACCEPT = f"fbss,{NCT},include,posted results of a randomized trial,OG000=scs_tonic; OG001=cmm\n"


def write_evidence(root, with_publication: bool) -> None:
    trials = [trial("other2020", "fbss", registry_ids="NCT00000001")]
    arms = [arm("other2020", "scs", "scs_tonic", 40), arm("other2020", "cmm", "cmm", 40)]
    outcomes = [
        outcome("o-scs", "other2020", "scs", "responder_50", site="leg", scale="proportion", value_type=None,
                events=20, total=40),
        outcome("o-cmm", "other2020", "cmm", "responder_50", site="leg", scale="proportion", value_type=None,
                events=8, total=40),
    ]  # fmt: skip
    if with_publication:
        trials.append(trial("synth2019", "fbss", registry_ids=NCT, year=2019, acronym="SYNTH"))
        arms += [
            arm("synth2019", "scs", "scs_tonic", 50, label="SCS plus CMM"),
            arm("synth2019", "cmm", "cmm", 50, label="Conventional medical management"),
        ]
        outcomes += [  # the SCS arm's mean without SD (the registry has it); the CMM mean differs (66 vs 61)
            outcome("s-pain-scs", "synth2019", "scs", site="leg", mean=32.5, n=50),
            outcome("s-pain-cmm", "synth2019", "cmm", site="leg", mean=66, sd=18.4, n=50),
        ]
    write_indication(root / "evidence", "fbss", trials, arms, outcomes)


def write_snapshot(root) -> None:
    study = copy.deepcopy(synthetic_study())
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2024-05-01"}
    record = {"id": NCT, "matched_by": ["search"], "study": study}
    SnapshotStore(root / "snapshots").save("ctgov", "fbss", [record], query={"q": 1}, requests=[])


def make_settings(root, **normalize) -> Settings:
    cfg = base_config(evidence_dir=str(root / "evidence"))
    cfg["indications"] = {"fbss": cfg["indications"]["fbss"]}
    cfg["fetch"] = {**cfg.get("fetch", {}), "snapshot_dir": str(root / "snapshots"),
                    "decisions_file": str(root / "decisions.csv")}  # fmt: skip
    cfg["normalize"] = {**cfg.get("normalize", {}), **normalize}
    cfg.setdefault("models", {})["sampler"] = {"chains": 2, "draws": 300, "tune": 300}
    return Settings.from_config(cfg)


def run(root, decisions: str | None = None, with_publication: bool = False, **normalize):
    """validate_evidence -> extract_registry_results -> normalize_evidence, as the workflow runs them."""
    write_evidence(root, with_publication)
    write_snapshot(root)
    if decisions is not None:
        (root / "decisions.csv").write_text("indication,id,decision,reason,arm_classes\n" + decisions)
    settings = make_settings(root, **normalize)
    validate_stage(settings, root / "validated")
    screening = root / "screening"
    extract_registry_results(settings, root / "validated" / "trials.csv", screening / "registry_outcomes.csv",
                             screening / "registry_unmapped.csv")  # fmt: skip
    result = normalize_stage(settings, root / "normalized", registry_outcomes=screening / "registry_outcomes.csv",
                             decisions_file=settings.fetch.decisions_file)  # fmt: skip
    return result, settings


def contrast(result, aid: str, trial_id: str) -> pd.Series:
    rows = result.contrasts[
        (result.contrasts["analysis_id"] == aid) & (result.contrasts["trial_id"] == trial_id)
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_an_accepted_registry_trial_enters_the_analyses_with_its_provenance(tmp_path):
    result, _ = run(tmp_path, ACCEPT)
    t = result.trials.set_index("trial_id").loc["nct99999901"]
    assert (t["source"], t["registry_ids"], t["year"], t["acronym"]) == (NCT, NCT, 2019, "SYNTH")
    assert "not yet peer-reviewed" in t["notes"] and "posted results of a randomized trial" in t["notes"]
    arms = result.arms[result.arms["trial_id"] == "nct99999901"].set_index("arm_id")["class"].to_dict()
    assert arms == {"scs_plus_cmm": "scs_tonic", "conventional_medical_management_cmm": "cmm"}
    pain = contrast(result, PAIN, "nct99999901")
    assert pain["estimate"] == pytest.approx((32.5 - 61) / 10)  # VAS mm on the common 0-10 scale
    assert pain["se"] == pytest.approx(math.sqrt(2.01**2 / 50 + 1.84**2 / 50))
    assert (pain["source_kind"], pain["sources"], pain["study_label"]) == (
        "registry",
        NCT,
        f"SYNTH ({NCT} 2019)",
    )
    resp = contrast(result, RESP, "nct99999901")
    assert (resp["events_t"], resp["n_t"], resp["events_c"], resp["n_c"]) == (
        24,
        50,
        4,
        44,
    )  # 48 % of 50, 9 % of 44
    assert resp["events_derived"] and resp["source_kind"] == "registry"
    assert contrast(result, RESP, "other2020")["source_kind"] == "publication"
    row = result.outcomes.set_index("row_id").loc["nct99999901-reg1-pain_intensity-6m-scs_plus_cmm"]
    assert row["source_kind"] == "registry" and row["usable"]
    for part in (f"registry {NCT} (last update posted 2024-05-01)", "outcome 'Leg Pain Intensity (VAS)'",
                 "group 'SCS Plus CMM' (OG000)", "time frame '6 months'"):  # fmt: skip
        assert part in row["notes"]
    written = read_table(CONTRASTS, tmp_path / "normalized" / "contrasts.csv")
    assert set(written["source_kind"]) == {"publication", "registry"}
    outcomes = read_table(NORMALIZED_OUTCOMES, tmp_path / "normalized" / "outcomes.csv")
    assert outcomes["source_kind"].notna().all()
    # the provenance is also in columns of its own (the report reads them, not the notes)
    reg = outcomes.set_index("row_id").loc["nct99999901-reg1-pain_intensity-6m-scs_plus_cmm"]
    assert (reg["registry_id"], reg["registry_group"], reg["registry_time_frame"], reg["registry_last_update"]) == (
        NCT, "SCS Plus CMM", "6 months", "2024-05-01"
    )  # fmt: skip
    publication = outcomes[outcomes["source_kind"] == "publication"]
    assert len(publication) and publication["registry_id"].isna().all()


def test_an_accepted_trial_without_arm_classes_is_listed_not_guessed(tmp_path):
    result, _ = run(tmp_path, f"fbss,{NCT},include,posted results,\n")
    assert "nct99999901" not in set(result.contrasts["trial_id"])
    issues = result.issues[result.issues["trial_id"] == "nct99999901"]
    assert len(issues) and issues["reason"].str.contains("no arm class").all()
    assert issues["file"].str.endswith("registry_outcomes.csv").all()


@pytest.mark.parametrize("decisions", [None, f"fbss,{NCT},exclude,not randomized,\n"])
def test_a_registry_trial_nobody_accepted_stays_out(tmp_path, decisions):
    result, _ = run(tmp_path, decisions)
    assert set(result.trials["trial_id"]) == {"other2020"}
    assert set(result.outcomes["source_kind"]) == {"publication"}
    assert set(result.contrasts["source_kind"]) == {"publication"}


def test_with_the_publication_present_its_numbers_win_and_the_disagreement_is_listed(tmp_path):
    result, settings = run(tmp_path, ACCEPT, with_publication=True)
    assert "nct99999901" not in set(result.trials["trial_id"])  # the registry record is the curated trial's
    out = result.outcomes.set_index("row_id")
    filled = out.loc["s-pain-scs"]
    assert (filled["sd"], filled["source_kind"]) == (20.1, "publication+registry")
    assert (filled["registry_id"], filled["registry_last_update"]) == (NCT, "2024-05-01")
    assert f"sd from the registry {NCT}" in filled["notes"]
    held = out.loc["synth2019-reg1-pain_intensity-6m-conventional_medical_management_cmm"]
    assert not held["usable"] and "differs from the publication's row s-pain-cmm" in held["problem"]
    assert "mean 66 (publication) vs 61 (registry)" in held["problem"]
    pain = contrast(result, PAIN, "synth2019")
    assert pain["estimate"] == pytest.approx((32.5 - 66) / 10) and pain["mean_c"] == pytest.approx(6.6)
    assert pain["source_kind"] == "publication+registry"
    resp = contrast(
        result, RESP, "synth2019"
    )  # the publication lacks the responders: the registry fills them
    assert (resp["events_t"], resp["events_c"], resp["source_kind"]) == (24, 4, "registry")
    issue = result.issues[result.issues["row_id"] == held.name]
    assert len(issue) == 1 and "differs from the publication" in issue["reason"].iloc[0]
    # the cross-check table lists the disagreement (curated numbers only: registry rows are not compared)
    out_dir = tmp_path / "screening"
    build_screening(settings, NormalizedPaths.in_folder(tmp_path / "normalized"), out_dir / "registry_outcomes.csv",
                    out_dir / "queue.csv", out_dir / "prisma.csv", out_dir / "crosscheck.csv")  # fmt: skip
    cross = pd.read_csv(out_dir / "crosscheck.csv", dtype=str, keep_default_na=False)
    differ = cross[(cross["curated_row_id"] == "s-pain-cmm") & (cross["statistic"] == "mean")]
    assert list(differ["verdict"]) == ["differ"] and list(differ["registry_value"]) == ["61"]
    assert not cross["curated_row_id"].str.contains("-reg").any()


def test_prefer_registry_sets_the_publication_aside_with_the_reason(tmp_path):
    result, _ = run(tmp_path, ACCEPT, with_publication=True, registry_results="prefer_registry")
    aside = result.outcomes.set_index("row_id").loc["s-pain-cmm"]
    assert not aside["usable"] and "set aside for the registry's row" in aside["problem"]
    assert "mean 66 (publication) vs 61 (registry)" in aside["problem"]
    pain = contrast(result, PAIN, "synth2019")
    assert pain["estimate"] == pytest.approx((32.5 - 61) / 10) and pain["source_kind"] == "registry"


@pytest.mark.parametrize("off", ["off", False])
def test_off_leaves_the_registry_out(tmp_path, off):
    result, _ = run(tmp_path, ACCEPT, with_publication=True, registry_results=off)
    assert set(result.outcomes["source_kind"]) == {"publication"}
    assert set(result.trials["trial_id"]) == {"other2020", "synth2019"}
    assert RESP not in set(result.contrasts.loc[result.contrasts["trial_id"] == "synth2019", "analysis_id"])


def test_arm_classes_of_the_decisions_file(tmp_path):
    assert parse_arm_classes("OG000=scs_tonic; SCS plus CMM = cmm;") == {
        "og000": "scs_tonic",
        "scs plus cmm": "cmm",
    }
    with pytest.raises(ValueError, match="group=class"):
        parse_arm_classes("OG000 scs_tonic")
    path = tmp_path / "decisions.csv"
    path.write_text("indication,id,decision,reason\nfbss,nct99999901,include,ok\n")  # the column is optional
    decisions = read_decisions(path)
    assert decisions.included("fbss", NCT) and decisions.classes_of("fbss", NCT) == {}
    with pytest.raises(ValueError, match="unknown arm class.*stimulator"):
        run(tmp_path / "run", f"fbss,{NCT},include,ok,OG000=stimulator; OG001=cmm\n")


def fit_and_report(root, settings) -> tuple[pd.DataFrame, str]:
    """fit (one fbss job, as the workflow runs it) -> screening tables -> report; the summary and fbss.html."""
    from neuromod_evidence.models.pipeline import fit_all
    from neuromod_evidence.report import render_report

    fit = root / "fit"
    fit_all(root / "normalized" / "contrasts.csv", settings, fit / "fbss" / "analyses", indication="fbss",
            summary_csv=fit / "summary.csv")  # fmt: skip
    out = root / "screening"
    build_screening(settings, NormalizedPaths.in_folder(root / "normalized"), out / "registry_outcomes.csv",
                    out / "queue.csv", out / "prisma.csv", out / "crosscheck.csv")  # fmt: skip
    render_report(settings, normalized_dir=root / "normalized", fit_summary=fit / "summary.csv", fit_dir=fit,
                  out_dir=root / "report", screening_dir=out)  # fmt: skip
    summary = read_table(SUMMARY, fit / "summary.csv").set_index("analysis_id")
    return summary, (root / "report" / "fbss.html").read_text(encoding="utf-8")


def between(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i : html.index(end, i)]


MARK = "registry-sourced, not peer-reviewed"
PROVENANCE = f'<a href="https://clinicaltrials.gov/study/{NCT}" rel="noopener noreferrer">{NCT}</a>'


@pytest.mark.slow
def test_an_accepted_registry_trial_reaches_the_fit_summary_and_the_report_marks_it(tmp_path):
    _, settings = run(tmp_path, ACCEPT)
    summary, html = fit_and_report(tmp_path, settings)
    assert (summary.loc[PAIN, "source_kind"], summary.loc[PAIN, "sources"]) == ("registry", NCT)
    assert summary.loc[PAIN, "k"] == 1
    both = summary.loc[RESP]
    assert (both["source_kind"], both["k"]) == ("publication+registry", 2)
    assert both["sources"] == f"{NCT};PMID:11111111"
    # the report marks it wherever it enters: summary of findings, each analysis, the evidence table
    sof = between(html, 'id="summary-of-findings"', "</table>")
    rows = sof.split("<tr>")[2:]  # pain, responders and ODI at 6 months: every one holds registry numbers
    assert len(rows) == 3 and all(
        MARK in r and f"{PROVENANCE}, registry last updated 2024-05-01" in r for r in rows
    )
    for aid in (PAIN, RESP):
        section = between(html, f'<section class="analysis" id="{aid}"', "</section>")
        assert MARK in section
        assert f"not yet peer-reviewed: {PROVENANCE} (registry last updated 2024-05-01)." in section
    evidence = between(html, 'id="evidence"', "</table>")
    registry_trial = between(evidence, 'id="trial-nct99999901"', "</tr>")
    assert MARK in registry_trial and "registry last updated 2024-05-01" in registry_trial
    assert MARK not in between(evidence, 'id="trial-other2020"', "</tr>")
    assert "registry-disagreements" not in html  # nothing to compare it with


@pytest.mark.slow
def test_with_the_publication_its_numbers_reach_the_fit_and_the_report_lists_the_disagreement(tmp_path):
    _, settings = run(tmp_path, ACCEPT, with_publication=True)
    summary, html = fit_and_report(tmp_path, settings)
    assert (
        summary.loc[PAIN, "source_kind"] == "publication+registry"
    )  # the publication's means, the registry's SD
    studies = read_table(STUDIES, fit_analysis_dir(tmp_path / "fit", PAIN) / "studies.csv")
    assert studies["estimate"].tolist() == pytest.approx([(32.5 - 66) / 10])  # 66 (publication), not 61
    listed = between(html, 'id="registry-disagreements"', "</table>")
    row = between(listed, "<tr><td>synth2019</td>", "</tr>")
    for cell in (f"<td>{NCT}</td>", "<td>mean</td>", '<td class="num">66</td>', '<td class="num">61</td>'):
        assert cell in row
    section = between(html, f'<section class="analysis" id="{PAIN}"', "</section>")
    assert MARK in section and "registry last updated 2024-05-01" in section  # its SD is registry-sourced


def test_the_normalize_command_takes_the_registry_rows(tmp_path, capsys):
    from neuromod_evidence.cli import main
    from tests.evidence_factory import write_config

    run(tmp_path, ACCEPT)
    cfg = base_config(evidence_dir=str(tmp_path / "evidence"))
    cfg["indications"] = {"fbss": cfg["indications"]["fbss"]}
    cfg["fetch"] = {**cfg.get("fetch", {}), "decisions_file": str(tmp_path / "decisions.csv")}
    config = write_config(tmp_path / "config.yaml", cfg)
    out = tmp_path / "cli"
    args = ["normalize", "--config", str(config), "--out", str(out),
            "--registry-outcomes", str(tmp_path / "screening" / "registry_outcomes.csv")]  # fmt: skip
    assert main(args) == 0
    contrasts = read_table(CONTRASTS, out / "contrasts.csv")
    assert "registry" in set(contrasts.loc[contrasts["trial_id"] == "nct99999901", "source_kind"])
