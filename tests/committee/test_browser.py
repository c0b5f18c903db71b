"""The workspace in a real browser: Debian chromium driven by Playwright over loopback.

Logs in, reads the overview, records a decision and sees it in the history; a viewer is
refused; after a record is altered directly in the database, audit verification fails.
Skipped when ``chromium`` is not on PATH (the pip package never downloads a browser here),
except in CI (``CI=true``), where that fails (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
import threading
import time

import pytest

from cartrial.committee import add_user, list_decisions, open_store, verify_audit
from cartrial.data import write_study
from tests.data.minimal_study import minimal_domains

CHROMIUM = shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# Generous limits, not deadlines (issue #14.9): each wait returns when what it waits for
# happens; on a loaded 2-core machine a page after login took over 30 s once.
WAIT_S = 600
WAIT_MS = WAIT_S * 1000
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(app):  # noqa: ANN001, ANN201
    """Run the app with uvicorn on a free loopback port; yield its URL; stop it afterwards."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    # wait for the event (server started), with a generous limit for a loaded machine
    limit = time.monotonic() + WAIT_S
    while not srv.started and th.is_alive() and time.monotonic() < limit:
        time.sleep(0.05)
    assert srv.started, "the workspace server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        th.join(timeout=WAIT_S)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from cartrial.committee.web import create_app

    root = tmp_path_factory.mktemp("browser")
    write_study(minimal_domains(), root / "sdtm")
    db = root / "sdtm" / "committee.sqlite"
    store = open_store(f"sqlite:///{db}")
    add_user(store, "stat", "password-s", "statistician")
    add_user(store, "view", "password-v", "viewer")
    with serving(create_app("ct071", root / "sdtm", settle_seconds=0)) as url:
        yield url, store, db


def _login(page, base, user, pw):
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", pw)
    # wait for the redirect to land: asserting on a page still in flight was a flaky race
    with page.expect_navigation(url=f"{base}/"):
        page.click("#login")


def test_committee_member_flow_in_chromium(server, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, store, db = server
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True,
                                    timeout=WAIT_MS)
        page = browser.new_page()
        page.set_default_timeout(WAIT_MS)
        page.set_default_navigation_timeout(WAIT_MS)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(base + "/")
        assert page.url.endswith("/login")            # nothing without login
        _login(page, base, "stat", "password-s")
        expect(page.locator("#doses")).to_be_visible(timeout=WAIT_MS)
        assert "Recommendation" in page.locator("#recommendation").inner_text()
        page.click("text=CT071-001-001")
        expect(page.locator("#timeline")).to_be_visible(timeout=WAIT_MS)
        page.goto(base + "/decide")
        page.check("#override")
        page.select_option("#action", "stay")
        page.select_option("#next_dose", "DL1")
        page.fill("#rationale", "wait for the day-28 labs of the last patient")
        page.select_option("#attendees", ["stat", "view"])
        with page.expect_navigation(url=f"{base}/history"):
            page.click("#submit")
        expect(page.locator("#history")).to_contain_text("wait for the day-28 labs",
                                                         timeout=WAIT_MS)
        page.screenshot(path=str(tmp_path / "history.png"))
        assert not errors, errors                      # no console errors for a member
        with page.expect_navigation(url=f"{base}/login"):
            page.click("text=Log out")
        _login(page, base, "view", "password-v")
        expect(page.locator("#doses")).to_be_visible(timeout=WAIT_MS)
        page.goto(base + "/decide")
        expect(page.locator("h1")).to_have_text("403", timeout=WAIT_MS)
        browser.close()
    assert (tmp_path / "history.png").stat().st_size > 0
    decisions = list_decisions(store)
    assert decisions[-1].rationale.startswith("wait for") and not decisions[-1].accepted
    assert verify_audit(store).ok
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER decisions_no_update")
    con.execute("UPDATE decisions SET next_dose = 'DL2'")
    con.commit()
    con.close()
    assert not verify_audit(open_store(f"sqlite:///{db}")).ok
