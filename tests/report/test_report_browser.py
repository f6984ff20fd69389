"""The rendered report in a real browser: headless Chromium (Debian package) driven by Playwright.

The report is rendered from output of the real normalize and fit stages (tests/report/engine_output.py, built
once per session by the `engine_output` fixture). A missing browser or Playwright
makes these tests FAIL (not skip): CI must run them. `write_screenshots` is also usable on its own:

    PYTHONPATH=. python tests/report/test_report_browser.py results/report results/screenshots
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.report.engine_output import ANALYSES, NOT_CONVERGED

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = REPO / "results" / "screenshots"


def launch(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install the Debian package `chromium`")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def render_engine_report(engine_output: Path, out_dir: Path) -> Path:
    import yaml

    from neuromod_evidence.report import render_report
    from neuromod_evidence.settings import Settings

    results = engine_output / "results"
    render_report(
        Settings.from_config(yaml.safe_load((engine_output / "config.yaml").read_text(encoding="utf-8"))),
        normalized_dir=results / "normalized",
        fit_summary=results / "fit" / "summary.csv",
        fit_dir=results / "fit",
        screening_dir=results / "screening",
        out_dir=out_dir,
        state_dir=out_dir / "state",
        history_dir=out_dir / "history",
    )
    return out_dir


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 400, "height": 844}


def write_screenshots(report_dir: Path, out_dir: Path = SCREENSHOT_DIR, browser=None) -> list[Path]:
    """Full-page PNG of every page of the report at desktop width, and of the index, claims and one
    indication page at phone width (400 px)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            b = launch(p)
            try:
                return write_screenshots(report_dir, out_dir, b)
            finally:
                b.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    desktop = browser.new_page(viewport=DESKTOP)
    for page_file in sorted(report_dir.glob("*.html")):
        desktop.goto(page_file.as_uri())
        target = out_dir / f"{page_file.stem}.png"
        desktop.screenshot(path=str(target), full_page=True)
        written.append(target)
    desktop.close()
    phone = browser.new_page(viewport=PHONE, device_scale_factor=1)
    for name in ("index", "fbss", "claims"):
        phone.goto((report_dir / f"{name}.html").as_uri())
        target = out_dir / f"{name}-phone.png"
        phone.screenshot(path=str(target), full_page=True)
        written.append(target)
    phone.close()
    return written


@pytest.fixture(scope="module")
def report_dir(engine_output, tmp_path_factory) -> Path:
    return render_engine_report(engine_output, tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # ImportError fails the test: no skip

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def pages(report_dir: Path) -> list[Path]:
    found = sorted(report_dir.glob("*.html"))
    assert {p.name for p in found} >= {"index.html", "fbss.html", "crps.html", "pdn.html"}
    return found


def open_page(browser, url: str, report_dir: Path):
    """Open `url`, recording console errors, page errors, dialogs and every request made."""
    page = browser.new_page()
    log = {"errors": [], "requests": [], "dialogs": []}
    page.on("console", lambda m: log["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("request", lambda r: log["requests"].append(r.url))

    def on_dialog(d):
        log["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load")
    return page, log


def test_every_page_loads_without_errors_or_outside_requests(browser, report_dir):
    root = report_dir.resolve()
    for html in pages(report_dir):
        page, log = open_page(browser, html.as_uri(), report_dir)
        assert log["errors"] == [], (html.name, log["errors"])
        assert log["dialogs"] == []
        for url in log["requests"]:
            parsed = urlparse(url)
            if parsed.scheme == "data":
                continue
            assert parsed.scheme == "file", (html.name, url)
            assert Path(unquote(parsed.path)).resolve().is_relative_to(root), (html.name, url)
        assert page.evaluate("document.scripts.length") == 0
        assert (
            page.evaluate("document.querySelectorAll('link[rel=stylesheet], iframe, object, embed').length")
            == 0
        )
        page.close()


def test_every_forest_plot_is_visible_with_alt_text(browser, report_dir):
    total = 0
    for html in pages(report_dir):
        page, _ = open_page(browser, html.as_uri(), report_dir)
        figures = page.locator("figure svg.fig")
        for i in range(figures.count()):
            svg = figures.nth(i)
            svg.scroll_into_view_if_needed()
            assert svg.is_visible()
            box = svg.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 80
            assert svg.get_attribute("role") == "img"
            assert len(svg.get_attribute("aria-label") or "") > 20
        forests = page.locator("figure.forest svg.fig")
        if html.stem not in ("index", "claims"):
            sections = page.locator("section.analysis")
            assert forests.count() == sections.count() > 0
        total += forests.count()
        page.close()
    assert total == ANALYSES  # one per analysis of the engine output


def test_links_between_pages_resolve(browser, report_dir):
    checked = 0
    ids_of: dict[Path, set[str]] = {}
    for html in pages(report_dir):
        page, _ = open_page(browser, html.as_uri(), report_dir)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            parsed = urlparse(href)
            if parsed.scheme in ("http", "https"):
                assert parsed.netloc in {"pubmed.ncbi.nlm.nih.gov", "clinicaltrials.gov", "www.isrctn.com"}, (
                    href
                )
                continue
            assert parsed.scheme == "file", href
            target = Path(unquote(parsed.path))
            assert target.exists(), f"{html.name}: broken link {href}"
            if parsed.fragment and target.suffix == ".html":
                if target not in ids_of:
                    other, _ = open_page(browser, target.as_uri(), report_dir)
                    ids_of[target] = set(other.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
                    other.close()
                assert parsed.fragment in ids_of[target], f"{html.name}: {href}"
            checked += 1
        page.close()
    assert checked > 20


def test_markup_in_a_trial_title_is_text_and_never_runs(browser, report_dir):
    page, log = open_page(browser, (report_dir / "fbss.html").as_uri(), report_dir)
    title_cell = page.locator("#trial-beta_jones2005 td.trial-title")
    assert "<script>alert(1)</script>" in title_cell.inner_text()
    assert "<img src=x onerror=alert(2)>" in title_cell.inner_text()
    assert page.locator("main img, main b").count() == 0
    assert page.evaluate("document.scripts.length") == 0
    # the forest plot shows the label as SVG text too
    assert "<script>alert(1)</script>" in page.locator("figure.forest").first.inner_text()
    page.wait_for_timeout(300)
    assert log["dialogs"] == []
    assert log["errors"] == []
    page.close()


def test_not_converged_analysis_shows_a_warning(browser, report_dir):
    page, _ = open_page(browser, (report_dir / "crps.html").as_uri(), report_dir)
    section = page.locator(f"section[id='{NOT_CONVERGED}']")
    assert section.locator(".warning").is_visible()
    assert "Not converged" in section.locator(".warning").inner_text()
    assert section.locator(".sentence").count() == 0
    page.close()


def test_screenshots_of_every_page(browser, report_dir):
    written = write_screenshots(report_dir, SCREENSHOT_DIR, browser)
    assert {p.name for p in written} >= {"index.png", "fbss.png", "crps.png", "pdn.png", "index-phone.png",
                                         "fbss-phone.png", "claims-phone.png"}  # fmt: skip
    for png in written:
        assert png.stat().st_size > 10_000


def axe_script() -> str:
    """axe-core's axe.min.js as the pinned PyPI package axe-playwright-python ships it (no network)."""
    import axe_playwright_python  # ImportError fails the test: no skip

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_accessibility_checker_finds_no_serious_violation(browser, report_dir, viewport):
    """axe-core (WCAG 2.x A/AA rules: contrast, names, landmarks, scrollable regions, ...) on every page at
    desktop and phone width; injected through the DevTools protocol, which the page's CSP does not block."""
    script = axe_script()
    for html in pages(report_dir):
        page = browser.new_page(viewport=viewport)
        page.goto(html.as_uri(), wait_until="load")
        page.evaluate(
            "document.querySelectorAll('details').forEach(d => { d.open = true; })"
        )  # check them too
        page.evaluate(script)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert bad == [], (html.name, viewport, bad)
        assert len(result["passes"]) > 10  # axe did run its rules on this page
        page.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_nothing_sticks_out_of_the_page_sideways(browser, report_dir, viewport):
    """At 400 px too, the page never scrolls sideways: wide tables scroll inside their own box, plots scale."""
    for html in pages(report_dir):
        page = browser.new_page(viewport=viewport)
        page.goto(html.as_uri(), wait_until="load")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], html.name
        for svg in page.locator("figure svg.fig").all():
            box = svg.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, html.name
        page.close()


if __name__ == "__main__":
    src = (Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "results" / "report").resolve()
    dest = Path(sys.argv[2]) if len(sys.argv) > 2 else SCREENSHOT_DIR
    for path in write_screenshots(src, dest):
        print(path)
