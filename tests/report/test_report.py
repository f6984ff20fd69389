"""The HTML report rendered from the synthetic fixtures in tests/fixtures/report/ (no browser here)."""

import copy
import importlib.util
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from neuromod_evidence.report_text import plain_language

from neuromod_evidence.config import load_config
from neuromod_evidence.report import render_report

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "report"
RESULTS = FIXTURES / "results"
NOT_CONVERGED = "crps__pain_intensity__scs_vs_medical__m6"


def render(out: Path, config=None, previous=True) -> Path:
    if previous and not (out / ".previous").exists():
        shutil.copytree(FIXTURES / "previous", out / ".previous")
    render_report(
        normalized_dir=RESULTS / "normalized",
        fit_summary=RESULTS / "fit" / "summary.csv",
        fit_dir=RESULTS / "fit",
        screening_dir=RESULTS / "screening",
        out_dir=out,
        config=config or load_config(),
        previous_dir=out / ".previous" if previous else None,
    )
    return out


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("report"))


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
    assert names == {"index.html", "fbss.html", "crps.html", "pdn.html"}


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


def test_not_converged_shows_a_warning_and_no_numbers(report_dir):
    summary = pd.read_csv(RESULTS / "fit" / "summary.csv").set_index("analysis_id")
    row = summary.loc[NOT_CONVERGED]
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


def test_plain_language_sentence(report_dir):
    fbss = page(report_dir, "fbss.html")
    sec = section(fbss, "fbss__pain_intensity__scs_vs_medical__m6")
    assert re.search(
        r"In 3 trials with 410 patients, SCS reduced pain intensity by 3\.1 points on a 0–10 scale compared "
        r"with conventional medical management \(95\u00a0% CrI 2\.1 to 4\.0\); probability of at least a "
        r"2-point benefit 0\.98\.",
        sec,
    ), sec[:2000]
    single = section(fbss, "fbss__disability_odi__high_frequency_vs_tonic__m12")
    assert "single trial" in single and "pooled-diamond" not in single


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
    text = plain_language(a, nums, {}, "SCS", "CMM")
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


def test_prisma_uses_screening_counts_or_says_they_are_missing(report_dir):
    fbss = page(report_dir, "fbss.html")
    assert 'ClinicalTrials.gov: <span class="n">212</span>' in fbss
    assert 'PubMed: <span class="n">488</span>' in fbss
    assert "not randomized: 540" in fbss  # from prisma.csv's exclusion_reasons
    # every queue.csv row awaits review and is listed with its link
    assert "NCT00000096" in fbss and "awaiting review" in fbss
    pdn = page(report_dir, "pdn.html")
    assert "Screening counts are not available" in pdn
    assert 'Trials included (curated): <span class="n">2</span>' in pdn


def test_excluded_rows_with_reasons(report_dir):
    fbss = page(report_dir, "fbss.html")
    assert "timepoint 0.2 months lies outside every analysis window" in fbss
    crps = page(report_dir, "crps.html")
    assert "EQ-5D value read off a figure" in crps and "timepoint 0.2 months" not in crps


def test_methods_follow_the_config(tmp_path):
    config = copy.deepcopy(load_config())
    config["seed"] = 4242
    config["outcomes"]["pain_intensity"]["tau_prior"] = "half-cauchy:1.25"
    out = render(tmp_path, config=config, previous=False)
    html = page(out, "fbss.html")
    assert "4242" in html
    assert "half-Cauchy with scale 1.25 (half-cauchy:1.25)" in html
    assert "matplotlib" in html and "pandas" in html  # software versions


def test_downloads_are_copied_and_linked(report_dir):
    dl = report_dir / "downloads"
    assert (dl / "tables" / "fit_summary.csv").exists()
    assert (dl / "tables" / "contrasts.csv").exists()
    assert (dl / "tables" / "prisma.csv").exists()
    nc = dl / "analyses" / "fbss__pain_intensity__scs_vs_medical__m6" / "posterior.nc"
    assert nc.exists()
    hrefs = parse(page(report_dir, "fbss.html")).hrefs
    assert "downloads/analyses/fbss__pain_intensity__scs_vs_medical__m6/posterior.nc" in hrefs
    assert "downloads/tables/fit_summary.csv" in hrefs


def test_what_changed_since_the_previous_run(tmp_path):
    out = render(tmp_path)
    first = page(out, "index.html")
    changes = first[first.index('id="changes"') : first.index('id="how-to-read"')]
    assert "2026-05-01" in changes
    assert "New trials:</strong> gamma_lee2018" in changes
    assert "New analysis" in changes and "pdn__responder_50__scs_vs_medical__m6" in changes
    assert "Changed" in changes and "k=2, n=150" in changes and "k=3, n=410" in changes
    # rendering the same data again shows the same comparison (the baseline only moves when data change)
    render(tmp_path)
    again = page(out, "index.html")
    assert again[again.index('id="changes"') : again.index('id="how-to-read"')] == changes


def test_first_run_says_there_is_nothing_to_compare(tmp_path):
    out = render(tmp_path, previous=False)
    assert "No previous run to compare with" in page(out, "index.html")


def test_script_main_with_plain_paths(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "render_report_script", REPO / "scripts" / "render_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pages = module.main(
        trials=RESULTS / "normalized" / "trials.csv",
        summary=RESULTS / "fit" / "summary.csv",
        fit_dir=RESULTS / "fit",
        out_dir=tmp_path / "report",
        config=load_config(),
        prisma=None,
    )
    assert [p.name for p in pages] == ["index.html", "fbss.html", "crps.html", "pdn.html"]
    assert "Screening counts are not available" in (tmp_path / "report" / "fbss.html").read_text()


@pytest.mark.slow
def test_snakemake_rule_and_snakemake_report(tmp_path):
    shutil.copytree(RESULTS, tmp_path / "results")
    (tmp_path / "results" / "fit" / "analyses.done").touch()
    (tmp_path / "Snakefile").write_text(
        f'configfile: "{REPO / "config" / "config.yaml"}"\n'
        f'include: "{REPO / "workflow" / "rules" / "common.smk"}"\n'
        f'include: "{REPO / "workflow" / "rules" / "report.smk"}"\n'
        "rule all:\n    input: rules.render_report.output\n"
    )
    snakemake = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "1",
        "--directory",
        str(tmp_path),
        "--snakefile",
        str(tmp_path / "Snakefile"),
    ]
    run = subprocess.run(snakemake, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    for name in ("index.html", "fbss.html", "crps.html", "pdn.html"):
        assert (tmp_path / "results" / "report" / name).exists()
    assert (tmp_path / "logs" / "report" / "render_report.log").exists()
    run = subprocess.run(
        [*snakemake, "--report", str(tmp_path / "report.zip")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    import zipfile

    names = zipfile.ZipFile(tmp_path / "report.zip").namelist()
    assert any(n.endswith("/fbss.html") for n in names) and any(n.endswith("/index.html") for n in names)


def test_engine_style_sensitivity_rows_are_labelled():
    from neuromod_evidence.report import _sensitivity_rows

    sens = pd.DataFrame(
        {
            "scenario": ["primary", "primary prior", "tau prior half-cauchy:0.5", "exclude imputed SDs"],
            "method": ["nnhm MCMC", "exact NNHM", "exact NNHM", "exact NNHM"],
            "estimate": ["-2.0", "-2.01", "-2.1", ""],
            "ci_low": ["-3", "-3", "-3.2", ""],
            "ci_high": ["-1", "-1", "-1.0", ""],
        }
    )
    rows = _sensitivity_rows(sens)
    assert list(rows["label"]) == ["Primary prior (exact)", "Tau prior half-cauchy:0.5 (exact)"]
