"""A patient page and the "last good snapshot" notice in a real browser (Debian chromium through
Playwright): the page reads in clinical labels with no SDTM variable name, and after an invalid
transfer every page keeps the last good data under a notice naming the findings. Screenshots
are written to the test's temporary folder (looked at when the feature was built)."""

from __future__ import annotations

import threading
import time

import pytest

from cartrial.committee import add_user, open_store
from cartrial.data import write_study
from tests.committee.test_browser import ARGS, CHROMIUM, WAIT_MS, WAIT_S, _free_port, _login
from tests.committee.test_patient_pages import SDTM_NAMES
from tests.data.minimal_study import minimal_domains

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed")]


@pytest.fixture()
def server(tmp_path):
    import uvicorn

    from cartrial.committee.web import create_app

    sdtm = tmp_path / "sdtm"
    write_study(minimal_domains(), sdtm)
    store = open_store(f"sqlite:///{sdtm / 'committee.sqlite'}")
    add_user(store, "boss", "sturdy-pass-a", "admin")
    add_user(store, "stat", "sturdy-pass-s", "statistician")
    srv = uvicorn.Server(uvicorn.Config(create_app("ct071", sdtm, settle_seconds=0),
                                        host="127.0.0.1", port=(port := _free_port()),
                                        log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    limit = time.monotonic() + WAIT_S          # a generous limit on the event, not a deadline
    while not srv.started and th.is_alive() and time.monotonic() < limit:
        time.sleep(0.05)
    assert srv.started, "the workspace server did not start"
    yield f"http://127.0.0.1:{port}", sdtm
    srv.should_exit = True
    th.join(timeout=WAIT_S)


def test_patient_page_and_stale_data_notice_in_chromium(server, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, sdtm = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True,
                                    timeout=WAIT_MS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.set_default_navigation_timeout(WAIT_MS)
        _login(page, base, "stat", "sturdy-pass-s")
        page.click("text=Patients")
        expect(page.locator("#patient-list")).to_contain_text("Manufacturing failure")
        page.click("text=CT071-001-001")
        expect(page.locator("#crs")).to_be_visible()
        page.screenshot(path=str(tmp_path / "patient.png"), full_page=True)
        text = page.locator("main").inner_text()
        for label in ("Key dates", "CAR-T infusion", "Adverse events", "Onset (day)",
                      "Grade set by", "Temperature (°C)", "Oxygen", "Tocilizumab",
                      "ICE score (0-10)", "Early ICAHT (days 0-30)", "CAR-HEMATOTOX score",
                      "Best confirmed response (IMWG 2016)", "Dose escalation, cohort C01"):
            assert label in text, label
        for name in SDTM_NAMES:
            assert name not in text, name
        page.goto(base + "/patients/CT071-001-003")
        expect(page.locator("#not-infused")).to_contain_text("Manufacturing failure")

        dm = minimal_domains()["DM"]
        dm.loc[0, "ACTARMCD"] = "DL9"
        write_study({"DM": dm}, sdtm)                 # an invalid transfer arrives
        page.goto(base + "/patients/CT071-001-001")
        notice = page.locator("#reload-error")
        expect(notice).to_contain_text("[ARM_NOT_IN_PROTOCOL]")
        expect(notice).to_contain_text("USUBJID=CT071-001-001")
        assert "DL1 (0.1 x10^6/kg)" in page.locator("#headline").inner_text()
        page.screenshot(path=str(tmp_path / "notice.png"))
        browser.close()
    assert (tmp_path / "patient.png").stat().st_size > 0
    assert (tmp_path / "notice.png").stat().st_size > 0
