"""Meeting day in the workspace: what is new, the DLT-window calendar, the design's objections to
a decision, the committee's DLT adjudication (used by the recommendation and by `decide --db`),
attendees, signatures and minutes.

Outside references: the BOIN boundaries and elimination rule of R BOIN 2.7.2 get.boundary
(``validation/data/boin_boundary.csv``, provenance in its header); Liu & Yuan, J R Stat Soc C
2015;64:507-23, section 2.2 (escalate to the next higher dose; stop when the lowest dose is
eliminated); 21 CFR 11.50(a) (a signature shows printed name, date and time, meaning).
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, list_decisions, open_store, verify_audit
from cartrial.committee.adjudication import adjudication_frame
from cartrial.committee.objections import design_objections
from cartrial.committee.records import list_exceptions
from cartrial.committee.signature import MEANING, list_signatures
from cartrial.committee.web import create_app
from cartrial.conduct.recommend import recommend
from cartrial.data import write_study
from cartrial.protocol import load_protocol
from tests.committee.helpers import hidden
from tests.data.minimal_study import minimal_domains

BOUNDARY = Path(__file__).parents[2] / "validation" / "data" / "boin_boundary.csv"
CUTOFF = date(2024, 9, 1)  # the minimal study's latest date
MEETING = "2024-09-02"


def r_boin(n: int, target: float = 0.3, cutoff: float = 0.95) -> pd.Series:
    """R BOIN get.boundary's row for ``n`` patients (escalate_le, deescalate_ge, eliminate_ge)."""
    b = pd.read_csv(BOUNDARY, comment="#")
    row = b[(b["target"] == target) & (b["cutoff"] == cutoff) & (b["n"] == n)]
    assert len(row) == 1
    return row.iloc[0]


@pytest.fixture(scope="module")
def four_doses(tmp_path_factory) -> Path:
    """ct071 with two more dose levels (so that skipping a dose can be tried)."""
    src = Path(load_protocol.__code__.co_filename).with_name("bundled") / "ct071.yaml"
    text = src.read_text(encoding="utf-8").replace(
        'starting_dose: DL1',
        '  - {id: DL3, label: "1 x10^6/kg", dose: 1.0, unit: "10^6 CAR+ T cells/kg"}\n'
        '  - {id: DL4, label: "3 x10^6/kg", dose: 3.0, unit: "10^6 CAR+ T cells/kg"}\n'
        'starting_dose: DL1')
    out = tmp_path_factory.mktemp("proto") / "ct071_4.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def _workspace(proto, cohorts: list[tuple[int, int, int]]) -> SimpleNamespace:
    """A workspace stand-in: cohorts of (dose index, patients, DLTs), all windows completed."""
    rows = []
    day0 = pd.Timestamp("2024-03-01")
    for j, n, y in cohorts:
        for i in range(n):
            rows.append({"USUBJID": f"S{len(rows) + 1}", "DOSE_INDEX": j,
                         "DOSE_LEVEL": proto.dose_ids[j], "DLT": "yes" if i < y else "no",
                         "DLT_EVALUABLE": True, "FOLLOWUP_DAY": 28.0, "BACKFILL": "N",
                         "INFUSION_DATE": day0 + pd.Timedelta(days=len(rows))})
    p = pd.DataFrame(rows, columns=["USUBJID", "DOSE_INDEX", "DOSE_LEVEL", "DLT",
                                    "DLT_EVALUABLE", "FOLLOWUP_DAY", "BACKFILL", "INFUSION_DATE"])
    rec = recommend(p, proto)
    phase = "escalation" if rec.decision.action != "stop" else "expansion"
    return SimpleNamespace(protocol=proto, as_of=CUTOFF, decision=SimpleNamespace(
        recommendation=rec, patients=p, phase=phase))


TODAY = date(2026, 12, 6)


def _rules(w, action, dose, meeting=date(2024, 9, 2)) -> list[str]:
    return [r for r, _ in design_objections(w, action, dose, meeting, TODAY)]


def test_eliminated_dose_is_refused_as_r_boin_eliminates(four_doses) -> None:
    proto = load_protocol(four_doses)
    ref = r_boin(3)
    w = _workspace(proto, [(0, 3, 0), (1, 3, int(ref["eliminate_ge"]))])  # 3/3 at DL2
    d = w.decision.recommendation.decision
    assert [proto.dose_ids[j] for j in d.eliminated][:1] == ["DL2"]
    assert "eliminated_dose" in _rules(w, "stay", "DL2")
    assert _rules(w, "de-escalate", "DL1") == []
    # one DLT fewer than R's elimination boundary: DL2 stays open (de-escalation only)
    w = _workspace(proto, [(0, 3, 0), (1, 3, int(ref["eliminate_ge"]) - 1)])
    assert w.decision.recommendation.decision.eliminated == ()
    assert "eliminated_dose" not in _rules(w, "stay", "DL2")


def test_skipping_an_untried_dose_is_refused(four_doses) -> None:
    proto = load_protocol(four_doses)
    w = _workspace(proto, [(0, 3, int(r_boin(3)["escalate_le"]))])  # 0/3 at DL1: escalate
    assert w.decision.recommendation.decision.action == "escalate"
    assert _rules(w, "escalate", "DL2") == []
    assert _rules(w, "escalate", "DL3") == ["skipped_dose"]
    assert _rules(w, "escalate", "DL4") == ["skipped_dose"]
    first = _workspace(proto, [])  # nothing tried: only the starting dose
    assert _rules(first, "escalate", "DL2") == ["skipped_dose"]
    assert _rules(first, "stay", "DL1") == []


def test_any_next_dose_after_stop_is_refused(four_doses) -> None:
    proto = load_protocol(four_doses)
    w = _workspace(proto, [(0, 3, int(r_boin(3)["eliminate_ge"]))])  # lowest dose eliminated
    assert w.decision.recommendation.decision.action == "stop"
    assert "after_stop" in _rules(w, "stay", "DL1")
    assert "after_stop" in _rules(w, "suspend", None)
    assert _rules(w, "stop", None) == []


def test_meeting_date_before_cutoff_or_in_future_is_refused(four_doses) -> None:
    w = _workspace(load_protocol(four_doses), [(0, 3, 0)])
    assert _rules(w, "escalate", "DL2", CUTOFF - timedelta(days=1)) == ["meeting_before_cutoff"]
    assert _rules(w, "escalate", "DL2", CUTOFF) == []
    assert _rules(w, "escalate", "DL2", TODAY + timedelta(days=1)) == ["meeting_in_future"]


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    """The minimal study and its workspace, built once for the module (the data never change
    here; each test gets its own committee database)."""
    from cartrial.committee.workspace import build_workspace

    sdtm = tmp_path_factory.mktemp("meeting") / "sdtm"
    write_study(minimal_domains(), sdtm)
    return sdtm, build_workspace("ct071", sdtm)


@pytest.fixture()
def site(trial, tmp_path, monkeypatch):
    sdtm, ws = trial
    monkeypatch.setattr("cartrial.committee.snapshot.build_workspace", lambda *a, **k: ws)
    db = tmp_path / "committee.sqlite"
    store = open_store(f"sqlite:///{db}")
    add_user(store, "stat", "password-s", "statistician", full_name="Ann Statistician")
    add_user(store, "chair", "password-c", "member", full_name="Dr Chair")
    add_user(store, "view", "password-v", "viewer")
    app = create_app("ct071", sdtm, f"sqlite:///{db}", settle_seconds=0)
    return app, store, db, sdtm


def _login(client: TestClient, user: str, pw: str) -> str:
    tok = hidden(client.get("/login").text, "csrf_token")
    r = client.post("/login", data={"username": user, "password": pw, "csrf_token": tok},
                    follow_redirects=False)
    assert r.status_code == 303
    return hidden(client.get("/").text, "csrf_token")


def _form(client: TestClient) -> dict[str, str]:
    page = client.get("/decide").text
    return {k: hidden(page, k) for k in ("csrf_token", "form_token", "data_hash")}


def _recommendation(client: TestClient) -> str:
    page = client.get("/").text
    return re.search(r"Recommendation: ([^<]+)</strong>", page).group(1)


def test_new_since_last_meeting_and_calendar(site) -> None:
    app, store, _, _ = site
    c = TestClient(app)
    _login(c, "stat", "password-s")
    page = c.get("/").text
    # first meeting: everything; the minimal study's one CRS grade 2 (day 2 after 2024-03-05)
    assert "first meeting: everything" in page
    new = page[page.index('id="new"'):page.index("DLT-window calendar")]
    assert "2024-03-07" in new and "CRS grade 2" in new
    assert 'href="/patients/CT071-001-001"' in new
    assert "Nail disorder" not in new                  # grade 1, not serious
    # both patients finished their 28-day windows by the cut-off; cohort C02 has 1 of 3
    assert "No escalation patient is inside the DLT window" in page
    assert "1 of 3 treated" in page and "2 open slot(s)" in page
    r = c.post("/decide", data={**_form(c), "choice": "accept", "attendees": ["stat"],
                                "meeting_date": MEETING}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get("/").text                             # after a decision: only what is newer
    assert f"data cut-off {CUTOFF} of the previous decision" in page and "Nothing new" in page


def test_adjudication_changes_the_recommendation_as_r_boin(site) -> None:
    app, store, db, sdtm = site
    c = TestClient(app)
    tok = _login(c, "stat", "password-s")
    assert _recommendation(c).startswith("STAY")      # 0/1 at DL2, the highest dose
    r = c.post("/adjudicate", data={"csrf_token": tok, "usubjid": "CT071-001-002",
                                    "dlt": "yes", "rationale": ""})
    assert r.status_code == 400 and "rationale" in r.text
    r = c.post("/adjudicate", data={"csrf_token": tok, "usubjid": "CT071-001-009",
                                    "dlt": "yes", "rationale": "x"})
    assert r.status_code == 400 and "not an escalation patient" in r.text
    r = c.post("/adjudicate", data={"csrf_token": tok, "usubjid": "CT071-001-002",
                                    "dlt": "yes", "rationale": "grade 3 rash, related"},
               follow_redirects=False)
    assert r.status_code == 303
    # 1 DLT in 1 patient at DL2: R BOIN get.boundary de-escalates at n=1 when y >= 1
    assert int(r_boin(1)["deescalate_ge"]) == 1
    assert _recommendation(c).startswith("DE-ESCALATE → DL1")
    page = c.get("/").text
    assert "grade 3 rash, related" in page and ">committee<" in page
    frame = adjudication_frame(store)
    assert frame.to_dict("records") == [{"USUBJID": "CT071-001-002", "DLT": "yes",
                                         "RATIONALE": "grade 3 rash, related",
                                         "ADJ_DATE": CUTOFF.isoformat()}]
    con = sqlite3.connect(db)
    actions = [a for (a,) in con.execute("SELECT action FROM audit ORDER BY seq")]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE dlt_adjudications SET dlt = 'no'")
    con.close()
    assert "adjudicate DLT" in actions and verify_audit(store).ok
    # the recorded decision carries the adjudicated DLT list
    r = c.post("/decide", data={**_form(c), "choice": "accept", "attendees": ["stat", "chair"],
                                "meeting_date": MEETING}, follow_redirects=False)
    rec = json.loads(list_decisions(store)[-1].recommendation)
    assert rec["action"] == "de-escalate" and rec["dlts"][0]["DLT_SOURCE"] == "committee"
    assert rec["dlts"][0]["ENGINE_DLT"] == "no"


def test_decide_db_uses_the_workspace_adjudications(site) -> None:
    from typer.testing import CliRunner

    from cartrial.cli.main import app as cli

    app, store, db, sdtm = site
    c = TestClient(app)
    tok = _login(c, "stat", "password-s")
    c.post("/adjudicate", data={"csrf_token": tok, "usubjid": "CT071-001-002", "dlt": "yes",
                                "rationale": "grade 3 rash, related"})
    run = CliRunner()
    base = ["decide", str(sdtm), "--protocol", "ct071", "--json"]
    plain = json.loads(run.invoke(cli, base).stdout)
    used = json.loads(run.invoke(cli, [*base, "--db", f"sqlite:///{db}"]).stdout)
    assert plain["action"] == "stay" and used["action"] == "de-escalate"
    earlier = json.loads(run.invoke(cli, [*base, "--db", f"sqlite:///{db}",
                                          "--as-of", "2024-08-31"]).stdout)
    assert earlier["action"] != "de-escalate"         # not yet adjudicated on that cut-off
    missing = run.invoke(cli, [*base, "--db", f"sqlite:///{db.with_name('none.sqlite')}"])
    assert missing.exit_code == 2 and "no such database" in missing.output
    assert not db.with_name("none.sqlite").exists()


@pytest.mark.parametrize(("values", "message"), [
    ({"choice": "accept", "meeting_date": "2024-08-31"}, "before the data cut-off"),
    ({"choice": "accept", "meeting_date": "2999-01-01"}, "after today"),
    ({"choice": "override", "action": "escalate", "next_dose": "DL2",
      "meeting_date": "2024-08-31", "rationale": "r"}, "design forbids"),
])
def test_form_refuses_what_the_design_forbids(site, values, message) -> None:
    app, store, _, _ = site
    c = TestClient(app)
    _login(c, "stat", "password-s")
    r = c.post("/decide", data={**_form(c), "attendees": ["stat"], **values})
    assert r.status_code == 400 and message in r.text
    assert list_decisions(store) == []


def test_override_of_a_design_rule_is_recorded_with_its_rationale(site) -> None:
    app, store, _, _ = site
    c = TestClient(app)
    _login(c, "chair", "password-c")
    data = {"choice": "override", "action": "stay", "next_dose": "DL2",
            "meeting_date": "2024-08-31", "attendees": ["chair", "stat"],
            "design_override": "yes", "rationale": ""}
    r = c.post("/decide", data={**_form(c), **data})
    assert r.status_code == 400 and list_decisions(store) == []   # no rationale
    data["rationale"] = "meeting held before the last transfer was locked"
    r = c.post("/decide", data={**_form(c), **data}, follow_redirects=False)
    assert r.status_code == 303
    d = list_decisions(store)[-1]
    assert not d.accepted and json.loads(d.attendees) == ["chair", "stat"]
    assert [e.rule for e in list_exceptions(store)[d.id]] == ["meeting_before_cutoff"]
    minutes = c.get(f"/decisions/{d.id}/minutes.html").text
    assert "Design rule overridden" in minutes and "meeting_before_cutoff" in minutes
    assert "Dr Chair (chair)" in minutes and verify_audit(store).ok


def test_attendees_must_be_users(site) -> None:
    app, store, _, _ = site
    c = TestClient(app)
    _login(c, "stat", "password-s")
    page = c.get("/decide").text
    assert '<select name="attendees" id="attendees" multiple' in page
    assert '<option value="chair">Dr Chair' in page
    r = c.post("/decide", data={**_form(c), "choice": "accept", "attendees": ["stat", "mallory"],
                                "meeting_date": MEETING})
    assert r.status_code == 400 and "unknown: mallory" in r.text


def test_signing_needs_the_password_and_is_shown_as_21_cfr_11_50(site) -> None:
    app, store, db, _ = site
    c = TestClient(app)
    tok = _login(c, "stat", "password-s")
    c.post("/decide", data={**_form(c), "choice": "accept", "attendees": ["stat"],
                            "meeting_date": MEETING})
    d = list_decisions(store)[-1]
    assert MEANING in c.get(f"/decisions/{d.id}/sign").text
    r = c.post(f"/decisions/{d.id}/sign", data={"csrf_token": tok, "password": "not-mine-12"})
    assert r.status_code == 401 and list_signatures(store) == {}
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    r = c.post(f"/decisions/{d.id}/sign", data={"csrf_token": tok, "password": "password-s"},
               follow_redirects=False)
    assert r.status_code == 303
    (sig,) = list_signatures(store)[d.id]
    assert sig.printed_name == "Ann Statistician" and sig.signed_at >= before
    minutes = c.get(f"/decisions/{d.id}/minutes.html").text
    # 21 CFR 11.50(a): (1) printed name, (2) date and time, (3) meaning
    assert "Signed: Ann Statistician" in minutes
    assert f"Date and time: {sig.signed_at:%Y-%m-%d %H:%M:%S} UTC" in minutes
    assert f"Meaning: {MEANING}" in minutes and "matches the record" in minutes
    r = c.post(f"/decisions/{d.id}/sign", data={"csrf_token": tok, "password": "password-s"})
    assert r.status_code == 400 and "already" in r.text
    con = sqlite3.connect(db)
    for q in ("UPDATE signatures SET printed_name = 'x'", "DELETE FROM signatures",
              "UPDATE decisions SET action = 'stop'"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(q)
    con.close()
    actions = [e for e in sqlite3.connect(db).execute("SELECT action FROM audit")]
    assert ("sign decision",) in actions and verify_audit(store).ok


def test_viewer_is_refused_every_meeting_write(site) -> None:
    app, store, _, _ = site
    stat = TestClient(app)
    _login(stat, "stat", "password-s")
    stat.post("/decide", data={**_form(stat), "choice": "accept", "attendees": ["stat"],
                               "meeting_date": MEETING})
    v = TestClient(app)
    tok = _login(v, "view", "password-v")
    assert 'id="adjudicate-form"' not in v.get("/").text
    for path, data in (("/adjudicate", {"usubjid": "CT071-001-002", "dlt": "yes",
                                        "rationale": "x"}),
                       ("/decisions/1/sign", {"password": "password-v"}),
                       ("/decide", {"choice": "accept", "attendees": "view",
                                    "meeting_date": MEETING})):
        assert v.post(path, data={"csrf_token": tok, **data}).status_code == 403, path
    assert v.get("/decisions/1/sign").status_code == 403
    assert adjudication_frame(store).empty and list_signatures(store) == {}
    assert len(list_decisions(store)) == 1


def test_new_since_picks_each_kind_of_event_by_its_date() -> None:
    """Hand-worked: infusion 2024-03-05 (minimal study); a DLT with onset day 9 is dated
    2024-03-14, a CRS grade 3 with onset day 2 is 2024-03-07; an SAE, a death and an RS PR are
    dated by AESTDTC, DTHDTC and RSDTC; grade 1 CRS, a non-serious AE and SD are not listed."""
    from cartrial.committee.meeting import new_since

    dom = minimal_domains()
    dom["AE"] = pd.concat([dom["AE"], dom["AE"].iloc[[0]].assign(
        AESEQ=2, AEDECOD="Pneumonia", AETOXGR="3", AESTDTC="2024-04-02", AESER="Y")])
    dom["DM"] = dom["DM"].assign(DTHDTC=["", "2024-08-20", ""])
    dom["RS"] = pd.DataFrame({"USUBJID": ["CT071-001-001"] * 3, "RSTESTCD": "OVRLRESP",
                              "RSSTRESC": ["SD", "PR", "PR"],
                              "RSDTC": ["2024-04-01", "2024-05-01", "2024-06-01"]})
    patients = pd.DataFrame({"USUBJID": ["CT071-001-001"], "DLT": ["yes"],
                             "DLT_ONSET_DAY": [9.0], "DLT_TERM": ["Neutrophil count decreased"],
                             "DOSE_LEVEL": ["DL1"], "DLT_SOURCE": ["engine"],
                             "INFUSION_DATE": [pd.Timestamp("2024-03-05")]})
    events = pd.DataFrame({"USUBJID": ["CT071-001-001", "CT071-001-002"], "EVENT": ["CRS", "CRS"],
                           "ONSET_DAY": [2.0, 1.0], "GRADE": [3.0, 1.0],
                           "GRADE_SOURCE": ["derived", "derived"]})
    w = SimpleNamespace(study_domains=dom, as_of=CUTOFF, protocol=load_protocol("ct071"),
                        decision=SimpleNamespace(patients=patients),
                        safety=SimpleNamespace(syndrome_events=events))
    got = new_since(w, None)
    assert [(str(d.date()), c) for d, c in zip(got["DATE"], got["CATEGORY"], strict=True)] == [
        ("2024-03-07", "CRS"), ("2024-03-14", "DLT"), ("2024-04-02", "SAE"),
        ("2024-05-01", "response"), ("2024-08-20", "death")]
    assert got.loc[got["CATEGORY"] == "SAE", "DETAIL"].item() == "AESEQ 2, grade 3"
    later = new_since(w, date(2024, 4, 2))            # after the cut-off of the last decision
    assert later["CATEGORY"].tolist() == ["response", "death"]
