"""The overview says where the trial stands (issue #15 point 3 in the workspace): after the
escalation stopped, the stop date, the selected dose and the expansion, as the example's own
truth/escalation.csv records them (the generator's record, not the engine's output)."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from cartrial.committee import add_user, open_store
from cartrial.committee.web import create_app
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol
from tests.committee.test_web import _login


def test_overview_states_the_stop_and_the_selected_dose_of_the_truth(tmp_path) -> None:
    trial = simulate_trial(load_protocol("ct071"), seed=20240228)
    write_example(trial, tmp_path / "ex")
    truth = pd.read_csv(tmp_path / "ex" / "truth" / "escalation.csv")
    stop = truth.loc[truth["action"] == "stop", "date"].iloc[0]
    selected = truth.loc[truth["action"] == "select", "next_dose"].iloc[0]
    sdtm = tmp_path / "ex"
    store = open_store(f"sqlite:///{sdtm / 'committee.sqlite'}")
    add_user(store, "stat", "password-s", "statistician")
    client = TestClient(create_app("ct071", sdtm, settle_seconds=0))
    _login(client, "stat", "password-s")
    html = client.get("/").text
    assert 'id="trial-status"' in html
    assert f"escalation stopped on {stop}: {selected} selected; now in expansion" in html
