"""The workspace shows only a settled, validated snapshot (issue #14 point 4).

A fake monotonic clock stands in for the settling interval: no sleeps, no wall-clock deadlines.
"""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cartrial.cli.main import app as cli
from cartrial.committee import add_user, list_decisions, open_store
from cartrial.committee.web import create_app
from cartrial.data import write_study
from cartrial.errors import FindingsError
from tests.committee.helpers import Clock, hidden
from tests.data.minimal_study import minimal_domains


@pytest.fixture()
def served(tmp_path):
    sdtm = tmp_path / "sdtm"
    write_study(minimal_domains(), sdtm)
    store = open_store(f"sqlite:///{sdtm / 'committee.sqlite'}")
    add_user(store, "stat", "sturdy-pass-s", "statistician")
    clock = Clock()
    client = TestClient(create_app("ct071", sdtm, settle_seconds=30, clock=clock))
    tok = hidden(client.get("/login").text, "csrf_token")
    r = client.post("/login", data={"username": "stat", "password": "sturdy-pass-s",
                                    "csrf_token": tok}, follow_redirects=False)
    assert r.status_code == 303
    return client, store, sdtm, clock


def _extra_ae(sdtm, **changes) -> None:
    ae = minimal_domains()["AE"]
    extra = ae.iloc[[0]].assign(**({"AESEQ": ae["AESEQ"].max() + 1, "AETERM": "Headache",
                                    "AEDECOD": "Headache", "AETOXGR": "1"} | changes))
    write_study({"AE": pd.concat([ae, extra], ignore_index=True)}, sdtm)


def test_new_files_are_taken_up_only_after_settling(served) -> None:
    client, _, sdtm, clock = served
    old = hidden(client.get("/decide").text, "data_hash")
    _extra_ae(sdtm)
    clock.t += 5
    page = client.get("/").text
    assert "New files are arriving" in page and old[:16] in page
    assert 'id="no-form"' in client.get("/decide").text
    clock.t += 20                      # still within 30 s of the first sight of these files
    assert "New files are arriving" in client.get("/").text
    _extra_ae(sdtm, AETERM="Nausea")   # the copy goes on: the settling clock restarts
    clock.t += 29
    assert "New files are arriving" in client.get("/").text
    clock.t += 2
    assert "New files are arriving" in client.get("/").text  # 2 s after the last change
    clock.t += 29
    form = client.get("/decide").text
    assert 'id="reload-error"' not in form and hidden(form, "data_hash") != old


def test_a_folder_that_changes_while_loading_is_not_a_snapshot(served, monkeypatch) -> None:
    client, _, sdtm, clock = served
    import cartrial.committee.snapshot as snapshot

    real = snapshot.build_workspace
    old = hidden(client.get("/decide").text, "data_hash")

    def copy_goes_on(*a, **k):
        ws = real(*a, **k)
        (sdtm / "zz.partial").write_text("still copying")
        return ws

    monkeypatch.setattr(snapshot, "build_workspace", copy_goes_on)
    _extra_ae(sdtm)
    clock.t += 31
    client.get("/")                    # first sight of the new files
    clock.t += 31
    page = client.get("/").text
    assert "changed while it was being read" in page and old[:16] in page


def test_data_with_errors_is_never_served_nor_decided_on(served) -> None:
    client, store, sdtm, clock = served
    good = client.get("/decide").text
    _extra_ae(sdtm, AESTDTC="2024-02-30")           # an impossible date: a validation error
    client.get("/")
    clock.t += 31
    page = client.get("/").text
    assert "fails validation" in page and 'id="findings"' in page
    assert "AESTDTC=&#39;2024-02-30&#39;" in page   # the finding names variable and value
    assert hidden(good, "data_hash")[:16] in page  # the last good snapshot stays
    for path in ("/history", "/patients/CT071-001-001"):
        assert 'id="findings"' in client.get(path).text  # on every page
    assert 'id="no-form"' in client.get("/decide").text
    r = client.post("/decide", data={k: hidden(good, k) for k in
                                     ("csrf_token", "form_token", "data_hash")}
                    | {"choice": "accept", "attendees": "stat", "meeting_date": "2024-09-02"})
    assert r.status_code == 409 and list_decisions(store) == []
    write_study({"AE": minimal_domains()["AE"]}, sdtm)  # the sponsor sends the fixed transfer
    assert 'id="findings"' not in client.get("/").text


def test_data_with_errors_at_start_up_stops_serve(tmp_path) -> None:
    domains = minimal_domains()
    domains["AE"].loc[0, "AESTDTC"] = "2024-02-30"
    write_study(domains, tmp_path / "sdtm")
    with pytest.raises(FindingsError, match="AESTDTC"):
        create_app("ct071", tmp_path / "sdtm")
    r = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path / "sdtm"), "--protocol",
                                 "ct071", "--port", "1"])
    assert r.exit_code == 2 and "AESTDTC" in r.output and "Traceback" not in r.output
