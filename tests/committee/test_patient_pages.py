"""Patient pages of the committee workspace (issue #15 point 5, issue #21 point 2).

The clinical content is checked against the guidelines' own tables, not against the code:

- CRS: ASTCT consensus grading, Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38,
  CRS table: fever >= 38.0 C with hypoxia needing a low-flow nasal cannula (<= 6 L/min) is
  grade 2; a flow above 6 L/min is high flow, grade 3.
- ICAHT: Rejeski K et al., Blood 2023;142:865-77, Table 1, early ICAHT row "ANC <= 500/uL":
  7-13 days is grade 2.
- CAR-HEMATOTOX: Rejeski K et al., Blood 2021;138:2499-513: ANC < 1200/uL 1 point, haemoglobin
  < 9.0 g/dL 1, platelets 75,000-175,000/uL 1 (< 75,000 2), CRP >= 3.0 mg/dL 1, ferritin
  > 2,000 ng/mL 2 (650-2,000 1); 0-1 low risk, >= 2 high risk.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cartrial.committee import add_user, open_store
from cartrial.committee.patient_safety import hematotox_rows, icaht_rows
from cartrial.committee.web import create_app
from cartrial.data import write_study
from cartrial.safety import car_hematotox, grade_icaht
from tests.committee.helpers import hidden
from tests.data.minimal_study import minimal_domains

# SDTM variable names that must never be shown to the committee on a patient page
SDTM_NAMES = ("USUBJID", "ACTARMCD", "ARMCD", "AESTDY", "AESTDTC", "AETOXGR", "AEDECOD",
              "AESER", "AEOUT", "EXTRT", "EXSTDTC", "FATESTCD", "VSSTRESN", "QSTESTCD",
              "DSDECOD", "DTHDTC", "RFICDTC", "CMTRT", "EARLY_GRADE", "DLT_EVALUABLE",
              "HYPOTENSION_TIER", "DRIVER")


def login(client: TestClient, user: str, pw: str) -> None:
    tok = hidden(client.get("/login").text, "csrf_token")
    r = client.post("/login", data={"username": user, "password": pw, "csrf_token": tok},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("patients")
    write_study(minimal_domains(), root / "sdtm")
    store = open_store(f"sqlite:///{root / 'sdtm' / 'committee.sqlite'}")
    add_user(store, "view", "sturdy-pass-v", "viewer")
    c = TestClient(create_app("ct071", root / "sdtm", settle_seconds=0))
    login(c, "view", "sturdy-pass-v")
    return c


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (tags and the inline image removed)."""
    html = re.sub(r'src="data:[^"]+"', "", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_patient_list_links_every_enrolled_patient_infused_or_not(client) -> None:
    page = client.get("/patients").text
    for u in ("CT071-001-001", "CT071-001-002", "CT071-001-003"):
        assert f'href="/patients/{u}"' in page
    assert "Not infused: Manufacturing failure" in page
    assert "Dose escalation" in page and "C02" in page


def test_infused_patient_page_in_clinical_labels(client) -> None:
    r = client.get("/patients/CT071-001-001")
    assert r.status_code == 200
    text = visible_text(r.text)
    for label in ("Age", "61 years", "Male", "Primary diagnosis", "Informed consent",
                  "Apheresis", "CAR-T infusion", "2024-03-05", "DL1 (0.1 x10^6/kg)",
                  "Dose escalation, cohort C01", "Adverse events", "Cytokine release syndrome",
                  "Onset (day)", "Duration (days)", "Serious", "Outcome", "Recovered/resolved",
                  "Dose-limiting toxicity", "Early ICAHT (days 0-30)", "CAR-HEMATOTOX",
                  "Best confirmed response", "Tocilizumab", "Cytopenias (CTCAE)",
                  "CAR-T cellular kinetics", "CAR Transgene Copies", "31250",
                  "Interleukin 6", "85.2"):
        assert label in text, label
    for name in SDTM_NAMES:
        assert not re.search(rf"\b{name}\b", text), name


def test_crs_row_shows_the_observations_behind_its_astct_grade(client) -> None:
    # Lee 2019 CRS table: fever 38.6 C + nasal cannula 4 L/min (low flow, <= 6) = grade 2 by
    # hypoxia; the CRS AE lasts day 2 to day 6: 5 days
    html = client.get("/patients/CT071-001-001").text
    crs = re.search(r'<table id="crs">(.*?)</table>', html, re.S).group(1)
    row = [c.strip() for c in re.findall(r"<td>(.*?)</td>", crs, re.S)]
    assert row[:8] == ["2", "08:00", "2", "hypoxia", "38.6", "no", "none",
                       "nasal cannula, 4 L/min"]
    aes = re.search(r'<table id="aes">(.*?)</table>', html, re.S).group(1)
    assert re.search(r"<td>Cytokine release syndrome</td><td>2</td><td>2024-03-07</td>"
                     r"<td>2</td><td>5</td><td>no</td>", aes)
    assert 'id="timeline"' in html


def test_high_flow_oxygen_is_grade_3_on_the_page(tmp_path) -> None:
    # Lee 2019 CRS table: high-flow nasal cannula (> 6 L/min) with fever = grade 3
    write_study(minimal_domains(o2_flow=8.0), tmp_path / "sdtm")
    store = open_store(f"sqlite:///{tmp_path / 'sdtm' / 'committee.sqlite'}")
    add_user(store, "view", "sturdy-pass-v", "viewer")
    c = TestClient(create_app("ct071", tmp_path / "sdtm", settle_seconds=0))
    login(c, "view", "sturdy-pass-v")
    crs = re.search(r'<table id="crs">(.*?)</table>',
                    c.get("/patients/CT071-001-001").text, re.S).group(1)
    row = [x.strip() for x in re.findall(r"<td>(.*?)</td>", crs, re.S)]
    assert row[2:4] == ["3", "hypoxia"] and row[7] == "nasal cannula, 8 L/min"


def test_apheresed_never_infused_patient_has_a_page_saying_why(client) -> None:
    r = client.get("/patients/CT071-001-003")
    assert r.status_code == 200
    text = visible_text(r.text)
    assert "Why this patient was not infused" in text
    assert "Manufacturing failure" in text and "not infused" in text
    assert 'id="timeline"' not in r.text            # no CRS/ICANS chart without an infusion
    assert client.get("/patients/CT071-999-999").status_code == 404


def test_icaht_shown_as_table_1_grades_it() -> None:
    # ANC 0.4 x10^9/L on days 1-9 then 2.0: 9 days <= 500/uL -> early ICAHT grade 2 (7-13 d)
    days = list(range(-5, 61))
    anc = [0.4 if 1 <= d <= 9 else 2.0 for d in days]
    labs = pd.DataFrame({"USUBJID": "P", "PARAMCD": "NEUT", "DAY": days, "AVAL": anc})
    rows = dict(icaht_rows(grade_icaht(labs)))
    assert rows["Early ICAHT (days 0-30)"] == "grade 2"
    assert rows["Days with ANC ≤ 0.5 ×10⁹/L (days 0-30)"] == "9"
    assert rows["Late ICAHT (after day 30)"] == "no ICAHT"
    assert rows["Neutrophil recovery (day)"] == "10"
    assert dict(icaht_rows(pd.DataFrame())) == {"ICAHT": "no neutrophil counts after infusion"}


def test_car_hematotox_shown_with_each_factor_and_risk() -> None:
    # ANC 1.0 (<1.2: 1) + Hb 85 g/L (<90: 1) + PLT 100 (75-175: 1) + CRP 35 mg/L (>=30: 1)
    # + ferritin 2500 (>2000: 2) = 6 points, high risk (>= 2)
    labs = pd.DataFrame({"USUBJID": "P", "PARAMCD": ["NEUT", "HGB", "PLAT", "CRP", "FERRITIN"],
                         "DAY": -6, "AVAL": [1.0, 85.0, 100.0, 35.0, 2500.0]})
    rows = dict(hematotox_rows(car_hematotox(labs)))
    assert rows["CAR-HEMATOTOX score"] == "6 (high risk)"
    assert rows["Baseline Ferritin (ng/mL)"] == "2500 → 2 point(s)"
    assert rows["Baseline Platelets (×10⁹/L)"] == "100 → 1 point(s)"


def test_invalid_new_data_keeps_the_last_snapshot_with_a_notice_on_every_page(tmp_path) -> None:
    sdtm = tmp_path / "sdtm"
    write_study(minimal_domains(), sdtm)
    store = open_store(f"sqlite:///{sdtm / 'committee.sqlite'}")
    add_user(store, "boss", "sturdy-pass-a", "admin")
    add_user(store, "stat", "sturdy-pass-s", "statistician")
    app = create_app("ct071", sdtm, settle_seconds=0)
    admin, stat = TestClient(app), TestClient(app)
    login(admin, "boss", "sturdy-pass-a")
    login(stat, "stat", "sturdy-pass-s")
    dm = minimal_domains()["DM"]
    dm.loc[0, "ACTARMCD"] = "DL9"                         # an arm the protocol does not have
    write_study({"DM": dm}, sdtm)
    pages = {stat: ("/", "/patients", "/patients/CT071-001-001", "/patients/CT071-001-003",
                    "/history", "/audit"), admin: ("/admin/users",)}
    for c, paths in pages.items():
        for path in paths:
            r = c.get(path)
            assert r.status_code == 200, path                # never a 500
            notice = re.search(r'<div class="error" id="reload-error">(.*?)</div>', r.text,
                               re.S).group(1)
            assert "fails validation" in notice
            # the finding names rule id, domain, subject, variable and value
            assert re.search(r"\[ARM_NOT_IN_PROTOCOL\]", notice), path
            assert "DM USUBJID=CT071-001-001" in notice and "ACTARMCD=&#39;DL9&#39;" in notice
    # the last good snapshot is still shown: the patient keeps the dose level it had
    assert "DL1 (0.1 x10^6/kg)" in stat.get("/patients/CT071-001-001").text


def test_death_with_date_day_and_cause(tmp_path) -> None:
    from cartrial.committee.patient_view import patient_page, patient_subjects
    from cartrial.committee.workspace import build_workspace

    d = minimal_domains()
    d["DM"].loc[1, ["DTHDTC", "DTHFL"]] = ["2024-05-20", "Y"]
    d["DS"].loc[1, ["DSTERM", "DSDECOD", "DSSTDTC"]] = [
        "DEATH DUE TO DISEASE PROGRESSION", "DEATH", "2024-05-20"]
    write_study(d, tmp_path)
    w = build_workspace("ct071", tmp_path)
    # infused 2024-03-26 (day 0): 5 days to 31 March + 30 in April + 20 in May = day 55
    assert dict(patient_page(w, "CT071-001-002").death) == {
        "Date of death": "2024-05-20", "Day since infusion": "55",
        "Cause": "Death due to disease progression"}
    assert patient_subjects(w)["STATUS"].tolist()[1] == "Infused; died 2024-05-20"
    assert patient_page(w, "CT071-001-001").death == ()
