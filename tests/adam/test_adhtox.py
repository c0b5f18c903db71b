"""ADHTOX (haematotoxicity BDS dataset): a hand-worked ANC course and baseline through the
safety engine into one row per subject and parameter. The ICAHT day counts are worked by hand
from Table 1 of Rejeski K et al. (Blood 2023;142:865-77); the CAR-HEMATOTOX points from the
factors of Rejeski K et al. (Blood 2021;138:2499-513)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam import derive_adhtox, variable_label
from cartrial.safety import car_hematotox, grade_icaht

ADSL = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["A", "B"], "TRT01A": ["DL1", "DL2"],
                     "TRT01AN": [1, 2]})


def _frames():
    # A: ANC 0.05 on days 1-7, 0.3 on days 8-15, 1.2 from day 16; late 0.9 and 0.8 on days 45
    # and 60 -> early: <= 0.5 on 15 days (grade 3), <= 0.1 on 7 days (grade 3); late <= 1.0 on
    # two measurements -> grade 2; recovery day 16, nadir 0.05 on day 1
    a = [(-5, 2.0), (1, 0.05), (8, 0.3), (16, 1.2), (31, 1.6), (45, 0.9), (60, 0.8)]
    # B: never below 0.5 after infusion, progression on day 20 (censored)
    b = [(-5, 2.0), (3, 0.7), (20, 1.8)]
    labs = pd.DataFrame([("A", "NEUT", d, v) for d, v in a] + [("B", "NEUT", d, v) for d, v in b],
                        columns=["USUBJID", "PARAMCD", "DAY", "AVAL"])
    censor = pd.DataFrame({"USUBJID": ["A", "B"], "CENSOR_DAY": [np.nan, 20.0],
                           "CENSOR_REASON": ["", "progression"]})
    # A's baseline: platelets 60 (2), ferritin 700 (1), others normal -> 3, high risk
    base = pd.DataFrame({"USUBJID": "A", "DAY": -5.0,
                         "PARAMCD": ["NEUT", "HGB", "PLAT", "CRP", "FERRITIN"],
                         "AVAL": [2.0, 120.0, 60.0, 5.0, 700.0]})
    return grade_icaht(labs, censor=censor), car_hematotox(base)


def test_parameters_of_a_hand_worked_course() -> None:
    icaht, ht = _frames()
    d = derive_adhtox(icaht, ht, ADSL).set_index(["USUBJID", "PARAMCD"])
    assert d.loc[("A", "ANC500DY"), "AVAL"] == 15 and d.loc[("A", "ANC100DY"), "AVAL"] == 7
    assert d.loc[("A", "EICAHTGR"), "AVALC"] == "GRADE 3"
    assert d.loc[("A", "LICAHTGR"), "AVALC"] == "GRADE 2"
    assert d.loc[("A", "ANCRECDY"), "AVAL"] == 16
    assert (d.loc[("A", "ANCNADIR"), "AVAL"], d.loc[("A", "ANCNADIR"), "ADAYINF"]) == (0.05, 1)
    assert d.loc[("A", "HTOXSCOR"), "AVAL"] == 3 and d.loc[("A", "HTOXSCOR"), "AVALC"] == "HIGH"
    assert d.loc[("A", "EICAHTGR"), "ICAHTCFL"] == "Y"
    # B: no neutropenia, censored at progression on day 20 (the grade is a lower bound)
    assert d.loc[("B", "EICAHTGR"), "AVALC"] == "GRADE 0"
    assert d.loc[("B", "EICAHTGR"), "ICAHTCFL"] == "N"
    assert (d.loc[("B", "EICAHTGR"), "ICENSDY"], d.loc[("B", "EICAHTGR"), "ICENSRS"]) == (
        20.0, "PROGRESSION")
    assert ("B", "HTOXSCOR") not in d.index   # no baseline record: no score row


def test_bds_conventions() -> None:
    icaht, ht = _frames()
    d = derive_adhtox(icaht, ht, ADSL)
    assert d["PARAMCD"].str.len().max() <= 8
    assert (d.groupby("USUBJID")["ASEQ"].apply(lambda s: list(s) == list(range(1, len(s) + 1)))
            ).all()
    assert not d.duplicated(["USUBJID", "PARAMCD"]).any()
    for c in d.columns:
        assert len(variable_label(c)) <= 40
