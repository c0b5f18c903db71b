"""The randomised ROSE stage where the committee and `cartrial decide` read it (issue #20).

Outside reference: the example's ``truth/rose.csv`` (each randomised patient's arm, whether
infused and whether responding, drawn by the simulator before the SDTM was written). The part is
shown in words ("Randomised dose-optimisation stage"), never as the SDTM code RANDOMISED, and
every patient of the stage is listed with the arm randomised to.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app
from tests.example.test_rose_scenario import example

LABEL = "Randomised dose-optimisation stage"

pytestmark = pytest.mark.slow


def test_workspace_lists_the_stage_patients_with_their_arm_in_words():
    from cartrial.committee.patient_view import patient_page, patient_subjects
    from cartrial.committee.workspace import build_workspace

    out, t, _, _ = example()
    w = build_workspace(str(out / "protocol.yaml"), out)
    rows = patient_subjects(w).set_index("USUBJID")
    rose = t.truth["rose"]
    want = [f"{LABEL} (arm {a})" for a in rose["ARMCD"]]
    assert rows.loc[rose["USUBJID"], "PART"].tolist() == want
    assert not rows["PART"].str.contains("RANDOMISED").any()
    first = rose[rose["infused"] == "Y"].iloc[0]
    assert f"{LABEL} (arm {first['ARMCD']})" in patient_page(w, first["USUBJID"]).headline


def test_decide_shows_the_stage_in_words_with_each_patients_arm():
    out, t, _, _ = example()
    proto = str(out / "protocol.yaml")
    res = CliRunner().invoke(app, ["decide", str(out), "--protocol", proto, "--json"])
    assert res.exit_code == 0, res.output
    whole = json.loads(res.stdout)
    assert whole["status"].endswith("now in the randomised dose-optimisation stage")
    got = whole["randomised_stage"]
    rose = t.truth["rose"]
    inf = rose[rose["infused"] == "Y"]
    by_id = {p["USUBJID"]: p for p in got["patients"]}
    assert set(by_id) == set(inf["USUBJID"])
    for r in inf.itertuples(index=False):
        assert by_id[r.USUBJID]["ARMCD"] == r.ARMCD
        assert by_id[r.USUBJID]["RESPONSE"] == ("yes" if r.responds == "Y" else "no")
    res = CliRunner().invoke(app, ["decide", str(out), "--protocol", proto])
    assert res.exit_code == 0 and LABEL in res.output
    assert all(u in res.output for u in inf["USUBJID"])
