"""ADSL on the hand-built three-subject study of tests/data/minimal_study.py.

001: apheresis 2024-02-20, LD 2024-02-29..03-02, infused 2024-03-05 at 0.1 (DL1), RRMM;
002: apheresis 2024-03-12, infused 2024-03-26 at 0.3 (DL2), pPCL;
003: apheresis 2024-04-04, manufacturing failure (never infused).
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.adam import derive_adsl, derive_vars_trt
from cartrial.errors import RecordError
from cartrial.protocol import load_protocol
from tests.adam._study import minimal_study

P = load_protocol("ct071")


@pytest.fixture(scope="module")
def adsl(tmp_path_factory):
    return derive_adsl(minimal_study(tmp_path_factory.mktemp("s")), P).set_index("USUBJID")


def test_treatment_from_ex_and_protocol(adsl):
    s1, s2, s3 = adsl.loc["CT071-001-001"], adsl.loc["CT071-001-002"], adsl.loc["CT071-001-003"]
    assert (s1["TRT01A"], s1["TRT01AN"], s1["DOSEA"]) == ("DL1 0.1 x10^6/kg", 1.0, 0.1)
    assert (s2["TRT01A"], s2["TRT01AN"]) == ("DL2 0.3 x10^6/kg", 2.0)
    assert s1["TRTSDT"] == pd.Timestamp("2024-03-05") == s1["INFDT"]
    assert s1["LDSTDT"] == pd.Timestamp("2024-02-29")  # day -5 of the 2024 leap year
    assert s3["TRT01A"] == "" and pd.isna(s3["TRTSDT"]) and pd.isna(s3["TRT01AN"])
    assert s3["TRT01P"] == "DL2 0.3 x10^6/kg"  # planned from ARMCD


def test_apheresis_and_populations(adsl):
    assert adsl.loc["CT071-001-003", "APHDT"] == pd.Timestamp("2024-04-04")
    assert adsl["ITTFL"].tolist() == ["Y", "Y", "Y"]
    assert adsl["SAFFL"].tolist() == ["Y", "Y", ""]
    assert adsl["POPCD"].tolist() == ["RRMM", "PPCL", "RRMM"]
    assert adsl["PPCLFL"].tolist() == ["", "Y", ""]
    # 001 has a post-infusion M-protein? no: its MPROTEIN is at day -7 -> not efficacy-evaluable
    assert adsl["EFFFL"].tolist() == ["", "", ""]
    assert "DLTEVLFL" not in adsl.columns  # no DLT adjudication given


def test_disposition_and_last_known_alive(adsl):
    s3 = adsl.loc["CT071-001-003"]
    assert (s3["EOSSTT"], s3["DCSREAS"]) == ("DISCONTINUED", "MANUFACTURING FAILURE")
    assert s3["EOSDT"] == pd.Timestamp("2024-04-24")
    assert adsl.loc["CT071-001-001", "EOSSTT"] == "ONGOING"
    # 001: latest complete date is the PC sample at day 180 (2024-09-01)
    assert adsl.loc["CT071-001-001", "LSTALVDT"] == pd.Timestamp("2024-09-01")
    # 002: the AE start 2024-03 is partial and does not count; DS 2024-04-25 does
    assert adsl.loc["CT071-001-002", "LSTALVDT"] == pd.Timestamp("2024-04-25")


def test_death_from_dm_and_ds(tmp_path):
    def dm(df):
        df = df.copy()
        df.loc[1, "DTHDTC"] = "2024-04"
        df.loc[1, "DTHFL"] = "Y"
        return df

    def ds(df):
        df = df.copy()
        df.loc[1, ["DSDECOD", "DSTERM", "DSSTDTC"]] = ["DEATH", "DEATH DUE TO DISEASE "
                                                       "PROGRESSION", "2024-04"]
        return df

    a = derive_adsl(minimal_study(tmp_path, DM=dm, DS=ds), P).set_index("USUBJID")
    s2 = a.loc["CT071-001-002"]
    assert (s2["DTHDT"], s2["DTHDTF"], s2["DTHFL"]) == (pd.Timestamp("2024-04-01"), "D", "Y")
    assert s2["DTHCAUS"] == "DEATH DUE TO DISEASE PROGRESSION"
    assert s2["EOSSTT"] == "DISCONTINUED"
    # last known alive never after death: the infusion 2024-03-26 is before 2024-04-01
    assert s2["LSTALVDT"] <= s2["DTHDT"]


def test_dose_not_in_protocol_names_the_record():
    adsl = pd.DataFrame({"USUBJID": ["S1"], "ARMCD": ["DL1"]})
    ex = pd.DataFrame({"USUBJID": ["S1"], "EXSEQ": [10], "EXCAT": ["INVESTIGATIONAL PRODUCT"],
                       "EXDOSE": [0.2], "EXSTDTC": ["2024-03-05"]})
    with pytest.raises(RecordError) as e:
        derive_vars_trt(adsl, ex, P)
    f = e.value.finding
    assert (f.domain, f.usubjid, f.seq, f.variable, f.value) == ("EX", "S1", 10, "EXDOSE", 0.2)


def test_dltevlfl_from_adjudication(tmp_path):
    study = minimal_study(tmp_path)
    dlt = pd.DataFrame({"USUBJID": ["CT071-001-001", "CT071-001-002"], "DLT": ["yes", "pending"],
                        "DLT_EVALUABLE": [True, False]})
    a = derive_adsl(study, P, dlt_patients=dlt)
    assert a["DLTEVLFL"].tolist() == ["Y", "", ""]
    assert a["DLTFL"].tolist() == ["Y", "", ""]
