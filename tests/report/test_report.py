"""The HTML report rendered from output of the REAL normalize and fit stages (tests/report/engine_output.py)."""

import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml

from neuromod_evidence.report import render_report
from neuromod_evidence.report.analysis_view import sensitivity_rows
from neuromod_evidence.report.text import fmt_prob, plain_language
from neuromod_evidence.settings import Settings
from neuromod_evidence.tables import (
    NORMALIZED_TRIALS,
    STUDIES,
    SUMMARY,
    TableError,
    fit_analysis_dir,
    read_table,
    write_table,
)
from tests.report.engine_output import ANALYSES, FORMULA, NOT_CONVERGED

REPO = Path(__file__).resolve().parents[2]
FBSS_PAIN = "fbss__pain_intensity__scs_vs_medical__m6"


def config_of(engine_output: Path) -> dict:
    return yaml.safe_load((engine_output / "config.yaml").read_text(encoding="utf-8"))


def render(
    engine_output: Path, out: Path, config=None, history=True, results=None, snapshot_dir=None
) -> Path:
    results = results or engine_output / "results"
    render_report(
        Settings.from_config(config or config_of(engine_output)),
        normalized_dir=results / "normalized",
        fit_summary=results / "fit" / "summary.csv",
        fit_dir=results / "fit",
        screening_dir=results / "screening",
        out_dir=out,
        state_dir=out / "state" if history else None,
        history_dir=out / "history" if history else None,
        snapshot_dir=snapshot_dir,
    )
    return out


def summary_row(engine_output: Path, aid: str) -> pd.Series:
    return (
        read_table(SUMMARY, engine_output / "results" / "fit" / "summary.csv")
        .set_index("analysis_id")
        .loc[aid]
    )


def previous_state(engine_output: Path, history: Path) -> None:
    """An earlier state in the history: without trial gamma_lee2018 (so fbss pain m6 had k=2, n=150) and
    without the pdn responder analysis."""
    results = engine_output / "results"
    summary = read_table(SUMMARY, results / "fit" / "summary.csv")
    summary = summary[summary["analysis_id"] != "pdn__responder_50__scs_vs_medical__m6"].copy()
    summary.loc[summary["analysis_id"] == FBSS_PAIN, ["k", "n_participants"]] = [2, 150]
    trials = read_table(NORMALIZED_TRIALS, results / "normalized" / "trials.csv")
    folder = history / "00001_2026-05-01_previous"
    write_table(SUMMARY, summary, folder / "summary.csv")
    write_table(NORMALIZED_TRIALS, trials[trials["trial_id"] != "gamma_lee2018"], folder / "trials.csv")
    (folder / "meta.json").write_text(json.dumps({"fingerprint": "previous", "date": "2026-05-01"}))


@pytest.fixture(scope="module")
def report_dir(engine_output, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    previous_state(engine_output, out / "history")
    return render(engine_output, out)


def page(report_dir: Path, name: str) -> str:
    return (report_dir / name).read_text(encoding="utf-8")


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.srcs, self.tags = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    return c


def section(html: str, aid: str) -> str:
    start = html.index(f'<section class="analysis" id="{aid}"')
    return html[start : html.index("</section>", start)]


def test_pages_for_every_indication(report_dir):
    names = {p.name for p in report_dir.glob("*.html")}
    assert names == {"index.html", "fbss.html", "crps.html", "pdn.html", "claims.html"}


def test_markup_in_titles_is_escaped(report_dir):
    for name in ("index.html", "fbss.html", "crps.html", "pdn.html"):
        html = page(report_dir, name)
        assert "<script" not in html.lower()
        assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
        assert "script" not in parse(html).tags and "img" not in parse(html).tags
    fbss = page(report_dir, "fbss.html")
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt; &amp; &lt;img src=x onerror=alert(2)&gt;"
        in fbss
    )


def test_not_converged_shows_a_warning_and_no_numbers(engine_output, report_dir):
    row = summary_row(engine_output, NOT_CONVERGED)
    assert not row["converged"]  # the engine said so (impossible ESS threshold)
    crps = page(report_dir, "crps.html")
    sec = section(crps, NOT_CONVERGED)
    assert "Not converged" in sec
    assert 'class="sentence"' not in sec
    for value in (row["estimate"], row["ci_low"], row["ci_high"], row["pred_low"], row["pred_high"]):
        shown = f"{abs(value):.1f}"
        assert f"\u2212{shown} (" not in sec and f"{shown} to" not in sec
    assert "pooled-diamond" not in sec and "Posterior distributions" not in sec
    index = page(report_dir, "index.html")
    assert "not converged — no estimate shown" in index


def test_links_to_pubmed_and_registries(report_dir):
    fbss = parse(page(report_dir, "fbss.html"))
    assert "https://pubmed.ncbi.nlm.nih.gov/10000001/" in fbss.hrefs
    assert "https://pubmed.ncbi.nlm.nih.gov/10000011/" in fbss.hrefs
    assert "https://clinicaltrials.gov/study/NCT00000001" in fbss.hrefs
    assert "https://www.isrctn.com/ISRCTN00000002" in fbss.hrefs


def test_internal_links_resolve_and_nothing_is_loaded_from_outside(report_dir):
    for html_file in report_dir.glob("*.html"):
        html = html_file.read_text(encoding="utf-8")
        doc = parse(html)
        assert doc.srcs == []  # images are inline SVG
        assert "Content-Security-Policy" in html and "default-src 'none'" in html
        for href in doc.hrefs:
            if href.startswith(("https://", "data:")):
                continue
            target, _, fragment = href.partition("#")
            target_file = report_dir / target if target else html_file
            assert target_file.exists(), (html_file.name, href)
            if fragment:
                assert fragment in parse(target_file.read_text(encoding="utf-8")).ids, (html_file.name, href)


def _minus(x: float) -> str:
    return f"{x:.1f}".replace("-", "\u2212")


def test_plain_language_sentence(engine_output, report_dir):
    """The interval is printed signed and in the table's order (issue 11: it read "−2.2 to 6.7" where the
    table said "−6.7 to 2.2")."""
    row = summary_row(engine_output, FBSS_PAIN)
    fbss = page(report_dir, "fbss.html")
    sec = section(fbss, FBSS_PAIN)
    assert re.search(
        rf"In 3 trials with 410 patients, SCS reduced pain intensity by {abs(row['estimate']):.1f} points on a "
        rf"0–10 scale compared with conventional medical management \(mean difference {_minus(row['estimate'])}, "
        rf"95\u00a0% CrI {_minus(row['ci_low'])} to {_minus(row['ci_high'])}\); probability of at least a "
        rf"2-point benefit {re.escape(fmt_prob(row['p_mcid']))}\.",
        sec,
    ), sec[:2000]
    single = section(fbss, "fbss__disability_odi__high_frequency_vs_tonic__m12")
    assert "single trial" in single and "pooled-diamond" not in single


def test_the_indications_own_mcid_is_used(engine_output, report_dir):
    """pdn sets its own MCID for pain (1.5 points): the fit used it and so does the report (it used the
    outcome's global 2.0 before)."""
    aid = "pdn__pain_intensity__scs_vs_medical__m6"
    row = summary_row(engine_output, aid)
    assert row["mcid"] == 1.5
    pdn = page(report_dir, "pdn.html")
    sec = section(pdn, aid)
    assert f"probability of at least a 1.5-point benefit {fmt_prob(row['p_mcid'])}." in sec
    methods = pdn[pdn.index('id="methods-model"') :]
    assert "<td>1.5 points (0–10)</td>" in methods
    assert "<td>2.0 points (0–10)</td>" in page(report_dir, "fbss.html")


def test_plain_language_for_odds_ratios():
    a = {
        "k": 2,
        "n": 300,
        "measure": "OR",
        "mcid": 1.5,
        "direction": "lower_is_better",
        "outcome_label": "Participants taking opioids (lower is better)",
    }
    nums = {"estimate": -0.5, "ci_low": -0.9, "ci_high": -0.1, "p_mcid": 0.71}
    text = plain_language(a, nums, "", "SCS", "CMM")
    assert text.startswith(
        "In 2 trials with 300 patients, participants taking opioids were less common with SCS"
    )
    assert "odds ratio 0.61, 95\u00a0% CrI 0.41 to 0.90" in text
    assert "odds ratio at most 0.67) 0.71" in text
    assert "two trials" in text


def test_every_figure_has_alt_text(report_dir):
    for name in ("fbss.html", "crps.html", "pdn.html"):
        html = page(report_dir, name)
        svgs = re.findall(r"<svg\b[^>]*>", html)
        assert svgs
        for tag in svgs:
            assert 'role="img"' in tag
            label = re.search(r'aria-label="([^"]*)"', tag).group(1)
            assert len(label) > 20
        assert html.count('<figure class="forest">') == html.count('<section class="analysis"')
    assert sum(page(report_dir, n).count('<figure class="forest">') for n in ("fbss.html", "crps.html",
                                                                              "pdn.html")) == ANALYSES  # fmt: skip


def test_study_intervals_come_from_the_engines_studies_table(engine_output, report_dir):
    studies = read_table(
        STUDIES, fit_analysis_dir(engine_output / "results" / "fit", FBSS_PAIN) / "studies.csv"
    )
    sec = section(page(report_dir, "fbss.html"), FBSS_PAIN)
    for _, s in studies.iterrows():
        interval = f"{_minus(s['estimate'])} [{_minus(s['ci_low'])}, {_minus(s['ci_high'])}]"
        assert interval in sec, (interval, s["study_label"])


def test_a_studies_table_off_contract_is_an_error_naming_the_file(engine_output, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(engine_output / "results", results)
    path = fit_analysis_dir(results / "fit", FBSS_PAIN) / "studies.csv"
    df = pd.read_csv(path).rename(columns={"shrunk_ci_low": "shrunk_low"})
    df.to_csv(path, index=False)
    with pytest.raises(TableError, match=r"studies\.csv.*shrunk_ci_low"):
        render(engine_output, tmp_path / "report", history=False, results=results)


def test_an_analysis_whose_fit_wrote_no_folder_shows_its_contrasts(engine_output, tmp_path):
    """A failed fit leaves a summary row and no folder: the forest plot shows the normalized contrasts."""
    results = tmp_path / "results"
    shutil.copytree(engine_output / "results", results)
    shutil.rmtree(fit_analysis_dir(results / "fit", FBSS_PAIN))
    out = render(engine_output, tmp_path / "report", history=False, results=results)
    sec = section(page(out, "fbss.html"), FBSS_PAIN)
    assert sec.count("cell-label-") == 3 and "Downloads:" not in sec


def test_prisma_uses_screening_counts_or_says_they_are_missing(report_dir):
    fbss = page(report_dir, "fbss.html")
    assert 'ClinicalTrials.gov: <span class="n">212</span>' in fbss
    assert 'PubMed: <span class="n">488</span>' in fbss
    assert "not randomized: 540" in fbss  # from prisma.csv's exclusion_reasons
    # every queue.csv row awaits review and is listed with its link
    assert "NCT00000096" in fbss and "awaiting review" in fbss
    pdn = page(report_dir, "pdn.html")
    assert "Screening counts are not available" in pdn
    assert 'Studies included in the review (curated): <span class="n">2</span>' in pdn


def test_excluded_rows_with_reasons(report_dir):
    fbss = page(report_dir, "fbss.html")
    assert "no comparison possible for fbss__qol_eq5d__scs_vs_medical__m6" in fbss
    crps = page(report_dir, "crps.html")
    assert "is not analysed for indication &#39;crps&#39;" in crps and "no comparison possible" not in crps


def test_methods_follow_the_config(engine_output, tmp_path):
    config = copy.deepcopy(config_of(engine_output))
    config["seed"] = 4242
    config["outcomes"]["pain_intensity"]["tau_prior"] = "half-cauchy:1.25"
    out = render(engine_output, tmp_path, config=config, history=False)
    html = page(out, "fbss.html")
    assert "4242" in html
    assert "half-Cauchy with scale 1.25 (half-cauchy:1.25)" in html
    assert "matplotlib" in html and "pandas" in html  # software versions
    assert "2 × 400 (400)" in html  # chains × draws (tuning), from the settings
    # the sensitivity priors per measure (they used to print as 'MD; OR')
    assert "MD: half-Cauchy with scale x1 (half-cauchy:x1)" in html


def test_downloads_are_written_and_linked(report_dir):
    dl = report_dir / "downloads"
    assert (dl / "tables" / "fit_summary.csv").exists()
    assert (dl / "tables" / "contrasts.csv").exists()
    assert (dl / "tables" / "prisma.csv").exists()
    nc = dl / "analyses" / FBSS_PAIN / "posterior.nc"
    assert nc.exists()
    assert (dl / "analyses" / FBSS_PAIN / "studies.csv").exists()
    assert (dl / "figures" / f"{FBSS_PAIN}__forest.svg").exists()
    hrefs = parse(page(report_dir, "fbss.html")).hrefs
    assert f"downloads/analyses/{FBSS_PAIN}/posterior.nc" in hrefs
    assert "downloads/tables/fit_summary.csv" in hrefs


def test_csv_downloads_neutralise_spreadsheet_formulas(engine_output, report_dir):
    """Hardening item 8: a title starting with '=' is data in the normalized table, text in the download."""
    raw = read_table(NORMALIZED_TRIALS, engine_output / "results" / "normalized" / "trials.csv")
    assert FORMULA in set(raw["title"])
    people = pd.read_csv(report_dir / "downloads" / "tables" / "trials.csv", dtype=str)
    assert "'" + FORMULA in set(people["title"]) and FORMULA not in set(people["title"])
    assert not any(str(v).startswith(("=", "+", "@")) for v in people.to_numpy().ravel())


def test_what_changed_since_the_previous_run(engine_output, tmp_path):
    previous_state(engine_output, tmp_path / "history")
    out = render(engine_output, tmp_path)
    first = page(out, "index.html")
    changes = first[first.index('id="changes"') : first.index('id="how-to-read"')]
    assert "2026-05-01" in changes
    assert "New trials:</strong> gamma_lee2018" in changes
    assert "New analysis" in changes and "pdn__responder_50__scs_vs_medical__m6" in changes
    assert "Changed" in changes and "k=2, n=150" in changes and "k=3, n=410" in changes
    # rendering the same data again shows the same comparison (the baseline only moves when data change)
    render(engine_output, tmp_path)
    again = page(out, "index.html")
    assert again[again.index('id="changes"') : again.index('id="how-to-read"')] == changes
    # the state this report shows is written (declared outputs), the history holds each distinct state once
    assert {p.name for p in (out / "state").iterdir()} == {"summary.csv", "trials.csv", "meta.json"}
    entries = sorted(p.name for p in (out / "history").iterdir())
    assert len(entries) == 2 and entries[0] == "00001_2026-05-01_previous"
    meta = json.loads((out / "state" / "meta.json").read_text())
    assert entries[1].endswith(meta["fingerprint"][:12])


def test_first_run_says_there_is_nothing_to_compare(engine_output, tmp_path):
    out = render(engine_output, tmp_path)
    assert "No previous run to compare with" in page(out, "index.html")
    out = render(engine_output, tmp_path)  # same data again: still nothing different to compare with
    assert "No previous run to compare with" in page(out, "index.html")


def test_script_main_with_plain_paths(engine_output, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "render_report_script", REPO / "scripts" / "render_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = engine_output / "results"
    pages = module.main(
        config=config_of(engine_output),
        trials=results / "normalized" / "trials.csv",
        summary=results / "fit" / "summary.csv",
        out_dir=tmp_path / "report",
        prisma=None,
        fetch_mode="live",
    )
    assert [p.name for p in pages] == ["index.html", "fbss.html", "crps.html", "pdn.html", "claims.html"]
    html = (tmp_path / "report" / "fbss.html").read_text()
    assert "Screening counts are not available" in html
    assert "fetch mode: live" in html


@pytest.mark.slow
def test_snakemake_rule_and_snakemake_report(engine_output, tmp_path):
    shutil.copytree(engine_output / "results", tmp_path / "results")
    (tmp_path / "Snakefile").write_text(
        f'configfile: "{engine_output / "config.yaml"}"\n'
        f'include: "{REPO / "workflow" / "rules" / "common.smk"}"\n'
        f'include: "{REPO / "workflow" / "rules" / "report.smk"}"\n'
        "rule all:\n    input: rules.render_report.output\n"
    )
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "1", "--directory", str(tmp_path),
                 "--snakefile", str(tmp_path / "Snakefile")]  # fmt: skip
    # the subprocess imports the package of this checkout (PYTHONPATH=src may be relative to the repo)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run(snakemake, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-3000:] + str(list((tmp_path / "logs").rglob("*.log")))
    report = tmp_path / "results" / "report"
    for name in ("index.html", "fbss.html", "crps.html", "pdn.html", "state/summary.csv", "state/meta.json"):
        assert (report / name).exists()
    assert len(list((report / "history").iterdir())) == 1
    assert (tmp_path / "logs" / "report" / "render_report.log").exists()
    run = subprocess.run(
        [*snakemake, "--report", str(tmp_path / "report.zip")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    import zipfile

    names = zipfile.ZipFile(tmp_path / "report.zip").namelist()
    assert any(n.endswith("/fbss.html") for n in names) and any(n.endswith("/index.html") for n in names)


def test_engine_style_sensitivity_rows_are_labelled():
    sens = pd.DataFrame(
        {
            "scenario": ["primary", "primary prior", "tau prior half-cauchy:0.5", "exclude imputed SDs"],
            "method": ["nnhm MCMC", "exact NNHM", "exact NNHM", "exact NNHM"],
            "estimate": [-2.0, -2.01, -2.1, float("nan")],
            "ci_low": [-3, -3, -3.2, float("nan")],
            "ci_high": [-1, -1, -1.0, float("nan")],
        }
    )
    rows = sensitivity_rows(sens)
    assert list(rows["label"]) == ["Primary prior (exact)", "Tau prior half-cauchy:0.5 (exact)"]


def test_headings_descend_one_level_at_a_time(report_dir):
    """One h1 per page and no skipped level (h1 -> h3) anywhere: screen-reader users navigate by headings."""
    for html in sorted(report_dir.glob("*.html")):
        levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", html.read_text(encoding="utf-8"))]
        assert levels[0] == 1 and levels.count(1) == 1, html.name
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        assert jumps == [], (html.name, jumps)


def test_claims_show_a_not_converged_analysis_as_not_used_with_the_reason(report_dir):
    claims = page(report_dir, "claims.html")
    row = claims[claims.index(f'href="crps.html#{NOT_CONVERGED}"') :]
    row = row[: row.index("</tr>")]
    assert "not converged, not used" in row and "min bulk ESS" in row and "not rated" in row


def test_plots_have_their_numbers_beside_them(report_dir):
    sec = section(page(report_dir, "fbss.html"), FBSS_PAIN)
    assert "Numbers behind the sensitivity plot" in sec and "Main analysis" in sec
    density = sec[sec.index("Numbers behind the posterior plot") :]
    assert "Median" in density and "Between-trial SD" in density
    assert f'href="downloads/figures/{FBSS_PAIN}__posterior.svg"' in sec
    assert (report_dir / "downloads" / "figures" / f"{FBSS_PAIN}__posterior.svg").exists()
