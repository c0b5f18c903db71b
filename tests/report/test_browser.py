"""The report opened in a real browser (Debian chromium driven by Playwright).

Skipped when ``chromium`` is not on PATH (the pip package never downloads a browser here),
except in CI (``CI=true``), where that fails (tests/conftest.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.report._pipeline import analysed

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed")
def test_report_renders_without_errors(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    run = analysed(tmp_path_factory)
    report: Path = run.report
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        # generous limits that end as soon as the page is there: a loaded CI machine is slow
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True,
                                    timeout=600_000)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(600_000)
        page.set_default_navigation_timeout(600_000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        # every table and figure of the run is in the page, in the contents and visible
        captions = page.eval_on_selector_all("figcaption .num",
                                             "els => els.map(e => e.textContent)")
        expected = [" ".join(c.split(" ", 2)[:2]) for c in run.tables + run.figures]
        assert sorted(captions) == sorted(expected)
        toc = page.eval_on_selector_all("nav a", "els => els.map(e => e.getAttribute('href'))")
        for slug in page.eval_on_selector_all("figure[id]", "els => els.map(e => e.id)"):
            assert f"#{slug}" in toc
        # every figure rendered: an inline <svg> with a non-empty box and drawn content
        boxes = page.eval_on_selector_all(
            "figure.fig svg", "els => els.map(e => { const b = e.getBoundingClientRect();"
            " return [b.width, b.height, e.querySelectorAll('path, image, use').length]; })")
        assert len(boxes) == len(run.figures)
        assert all(w > 100 and h > 100 and n > 0 for w, h, n in boxes)
        # every table has a header row and at least one body row
        rows = page.eval_on_selector_all("figure.tlf table", "els => els.map(e => "
                                         "[e.tHead.rows.length, e.tBodies[0].rows.length])")
        assert len(rows) == len(run.tables)
        assert all(h == 1 and b >= 1 for h, b in rows)
        shot = report.parent / "report.png"
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:", "about:")) for u in requests)
    assert shot.stat().st_size > 10_000
