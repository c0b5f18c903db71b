"""example/subject.py: each enrolled subject's DM, DS, MH, PR, EX and SUPPDM records.

Checked against the protocol's stated facts (ct071: Flu/Cy 30 and 300 mg/m2 on days -5 to -3,
the dose of each level), the exposure and subject truth, the conduct (who was infused) and a
hand-worked SUPPDM.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from cartrial.example.journey import END_REASONS
from cartrial.example.subject import suppdm
from tests.example.conftest import protocol, trial


def test_lymphodepletion_and_infusion_are_given_as_the_protocol_states():
    t = trial("default", 1)
    ex = t.domains["EX"]
    ld = ex[ex["EXCAT"] == "LYMPHODEPLETING CHEMOTHERAPY"]
    flu = ld[ld["EXTRT"] == "FLUDARABINE"]
    cy = ld[ld["EXTRT"] == "CYCLOPHOSPHAMIDE"]
    assert set(flu["EXDOSE"]) == {30} and set(cy["EXDOSE"]) == {300}
    assert set(ld["EXDOSU"]) == {"mg/m2"}
    assert set(ld["EXSTDY"]) == {-5.0, -4.0, -3.0}   # days -5..-3 (no study day 0)
    ip = ex[ex["EXCAT"] == "INVESTIGATIONAL PRODUCT"].set_index("USUBJID")
    assert (ld.groupby("USUBJID").size() == 6).all() and set(ld["USUBJID"]) == set(ip.index)
    doses = {d.id: d.dose for d in protocol().dose_levels}
    dm = t.domains["DM"].set_index("USUBJID")
    assert (ip["EXDOSE"] == dm.loc[ip.index, "ACTARMCD"].map(doses)).all()
    expo = t.truth["exposure"].set_index("USUBJID")
    assert (ip["EXDOSE"] == expo.loc[ip.index, "received_dose"]).all()
    assert (dm.loc[ip.index, "RFSTDTC"] == ip["EXSTDTC"]).all()


def test_dm_records_who_was_infused_and_the_deaths_of_the_truth():
    t = trial("early-progression", 2)
    dm = t.domains["DM"].set_index("USUBJID")
    subj = t.truth["subjects"].set_index("USUBJID")
    infused = dm["ACTARMCD"] != "NOTTRT"
    assert set(dm.index[infused]) == set(subj.index)
    assert (dm.loc[~infused, "RFSTDTC"] == "").all()
    assert (dm.loc[subj.index, "DTHDTC"] == subj["death_dtc"]).all()
    assert (dm.loc[subj.index, "RFSTDTC"] == subj["infusion_dtc"]).all()
    pr = t.domains["PR"].set_index("USUBJID")
    assert (pr.loc[subj.index, "PRSTDTC"] == subj["apheresis_dtc"]).all()


def test_one_disposition_event_per_subject_with_the_cause_of_death():
    t = trial("early-progression", 2)
    ds = t.domains["DS"]
    disp = ds[ds["DSCAT"] == "DISPOSITION EVENT"].set_index("USUBJID")
    dm = t.domains["DM"].set_index("USUBJID")
    assert disp.index.is_unique and set(disp.index) == set(dm.index)
    infused = dm.index[dm["ACTARMCD"] != "NOTTRT"]
    assert set(disp.loc[infused, "DSDECOD"]) <= set(END_REASONS)
    subj = t.truth["subjects"].set_index("USUBJID")
    dead = subj.index[subj["death_cause"] != ""]
    assert (disp.loc[dead, "DSDECOD"] == "DEATH").all()
    cause = "DEATH DUE TO " + subj.loc[dead, "death_cause"]
    assert (disp.loc[dead, "DSTERM"] == cause).all()
    assert (disp.loc[dead, "DSSTDTC"] == subj.loc[dead, "death_dtc"]).all()
    ms = ds[ds["DSCAT"] == "PROTOCOL MILESTONE"]
    assert (ms.groupby("DSDECOD").size().to_dict()
            == {"INFORMED CONSENT OBTAINED": len(dm), "LEUKAPHERESIS": len(dm),
                "INFUSION": len(infused)})


def test_diagnosis_precedes_consent_by_the_stated_years():
    t = trial("ppcl-heavy", 4)
    mh = t.domains["MH"]
    dx = mh[mh["MHCAT"] == "PRIMARY DIAGNOSIS"].set_index("USUBJID")
    dm = t.domains["DM"].set_index("USUBJID")
    assert dx.index.is_unique and set(dx.index) == set(dm.index)
    assert dx["MHSTDTC"].str.fullmatch(r"\d{4}-\d{2}").all()
    months = ((pd.to_datetime(dm.loc[dx.index, "RFICDTC"]).dt.to_period("M")
               - pd.to_datetime(dx["MHSTDTC"]).dt.to_period("M")).apply(lambda x: x.n))
    pcl = dx["MHTERM"] == "Primary plasma cell leukemia"
    assert pcl.any() and (~pcl).any()
    assert months[pcl].between(3, 19).all()       # 0.3-1.5 years, whole months
    assert months[~pcl].between(23, 97).all()     # 2-8 years


def test_suppdm_hand_worked():
    enr = SimpleNamespace(expansion=np.array([False, True]), cohort=np.array([3, 5]),
                          randomised=None)
    s = suppdm(np.array(["S-2", "S-1"], dtype=object), enr)
    assert s[["USUBJID", "QNAM", "QVAL"]].values.tolist() == [
        ["S-1", "COHORT", "EXP"], ["S-1", "PART", "EXPANSION"],
        ["S-2", "COHORT", "C03"], ["S-2", "PART", "ESCALATION"]]
    assert set(s["RDOMAIN"]) == {"DM"}
