"""A whole committee meeting walked in headless Chromium (Debian chromium driven by Playwright).

Log in, review what is new since the last meeting and the DLT-window calendar, adjudicate one
DLT (the recommendation changes as R BOIN's boundaries say), record the decision with the
attendees, sign it by re-entering the password, open the minutes PDF and find the decision in
its text (pdftotext); then a viewer is refused every write. Waits are on events, with generous
limits (no sleeps). Skipped when ``chromium`` or ``pdftotext`` is not on PATH.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cartrial.committee import add_user, list_decisions, open_store, verify_audit
from cartrial.committee.signature import MEANING, list_signatures
from cartrial.data import write_study
from tests.committee.test_browser import ARGS, CHROMIUM, WAIT_MS, WAIT_S, _login, serving
from tests.data.minimal_study import minimal_domains

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None or shutil.which("pdftotext") is None,
                                 reason="Debian chromium or poppler-utils not installed")]


@pytest.fixture()
def server(tmp_path):
    from cartrial.committee.web import create_app

    write_study(minimal_domains(), tmp_path / "sdtm")
    db = tmp_path / "sdtm" / "committee.sqlite"
    store = open_store(f"sqlite:///{db}")
    add_user(store, "stat", "password-s", "statistician", full_name="Ann Statistician")
    add_user(store, "chair", "password-c", "member", full_name="Dr Chair")
    add_user(store, "view", "password-v", "viewer")
    app = create_app("ct071", tmp_path / "sdtm", settle_seconds=0)
    app.state.watcher.status()  # the whole start-up build (the meeting reads its new events)
    with serving(app) as url:
        yield url, store


def _shot(page, path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def test_a_whole_meeting_in_chromium(server, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, store = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True,
                                    timeout=WAIT_MS)
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(WAIT_MS)
        page.set_default_navigation_timeout(WAIT_MS)
        _login(page, base, "chair", "password-c")
        # review what is new since the last meeting (first meeting: everything)
        expect(page.locator("#new")).to_contain_text("CRS grade 2")
        expect(page.locator("#slots")).to_contain_text("2 open slot(s)")
        expect(page.locator("#recommendation")).to_contain_text("STAY")
        _shot(page, tmp_path / "overview.png")
        # adjudicate one DLT: 1 DLT in 1 patient at DL2 -> de-escalate (R BOIN n=1: y >= 1)
        page.select_option("#adj-usubjid", "CT071-001-002")
        page.select_option("#adj-dlt", "yes")
        page.fill("#adj-rationale", "grade 3 rash on day 10, related to CT071")
        with page.expect_navigation():
            page.click("#adjudicate")
        expect(page.locator("#recommendation")).to_contain_text("DE-ESCALATE")
        expect(page.locator("#adjudications")).to_contain_text("grade 3 rash on day 10")
        # record the decision (accept) with the attendees chosen from the users
        page.goto(base + "/decide")
        page.select_option("#attendees", ["chair", "stat"])
        page.fill("#meeting_date", "2024-09-02")
        _shot(page, tmp_path / "decide.png")
        with page.expect_navigation(url=f"{base}/history"):
            page.click("#submit")
        d = list_decisions(store)[-1]
        expect(page.locator("#history")).to_contain_text("de-escalate")
        # sign it: the password again
        page.click(f"#sign-{d.id}")
        expect(page.locator("#meaning")).to_have_text(MEANING)
        page.fill("#sign-password", "password-c")
        _shot(page, tmp_path / "sign.png")
        with page.expect_navigation(url=f"{base}/decisions/{d.id}/minutes.html"):
            page.click("#sign")
        expect(page.locator(".signature")).to_contain_text("Signed: Dr Chair")
        _shot(page, tmp_path / "minutes.png")
        # the minutes PDF, its text extracted by pdftotext
        page.goto(base + "/history")
        with page.expect_download(timeout=WAIT_MS) as dl:
            page.click(f"#minutes-pdf-{d.id}")
        pdf = tmp_path / "minutes.pdf"
        dl.value.save_as(pdf)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True, timeout=WAIT_S).stdout
        text = " ".join(text.split())                # table cells may wrap over lines
        for needle in ("Decision 1: meeting of 2024-09-02", "Accepted: DE-ESCALATE → DL1",
                       "CT071-001-002", "grade 3 rash on day 10", "Signed: Dr Chair",
                       f"Meaning: {MEANING}", "Dr Chair (chair)", "Ann Statistician (stat)"):
            assert needle in text, needle
        with page.expect_navigation(url=f"{base}/login"):
            page.click("text=Log out")
        # a viewer reads everything and is refused every write
        _login(page, base, "view", "password-v")
        expect(page.locator("#new")).to_be_visible()
        assert page.locator("#adjudicate-form").count() == 0
        for path in ("/decide", f"/decisions/{d.id}/sign"):
            page.goto(base + path)
            expect(page.locator("h1")).to_have_text("403")
        page.goto(base + "/history")
        assert page.locator(f"#sign-{d.id}").count() == 0
        token = page.locator("input[name=csrf_token]").first.input_value()
        for path, form in (("/adjudicate", {"usubjid": "CT071-001-001", "dlt": "yes",
                                            "rationale": "x"}),
                           (f"/decisions/{d.id}/sign", {"password": "password-v"}),
                           ("/decide", {"choice": "accept", "attendees": "view",
                                        "meeting_date": "2024-09-02"})):
            r = page.request.post(base + path, form={"csrf_token": token, **form})
            assert r.status == 403, path
        browser.close()
    assert [s.signer for s in list_signatures(store)[d.id]] == ["chair"]
    assert len(list_decisions(store)) == 1 and verify_audit(store).ok
