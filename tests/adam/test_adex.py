"""ADEX (exposure, BDS; cartrial.adam.adex): the CAR-T dose and each lymphodepleting agent's total
dose, summed by hand from EX records (the fludarabine / cyclophosphamide regimen of 30 mg/m2 and
300 mg/m2 a day for three days gives 90 and 900 mg/m2), and the example's CAR-T dose against
ADSL.DOSEA and SDTM EX read directly."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.adam import derive_adex
from cartrial.errors import InputError
from tests.adam._analysed import analysed

LD = "LYMPHODEPLETING CHEMOTHERAPY"


def _ex():
    days = ["2024-01-05", "2024-01-06", "2024-01-07"]
    rows = [("S1", "FLUDARABINE", LD, 30.0, "mg/m2", d) for d in days]
    rows += [("S1", "CYCLOPHOSPHAMIDE", LD, 300.0, "mg/m2", d) for d in days]
    rows += [("S1", "CT071", "INVESTIGATIONAL PRODUCT", 0.3, "10^6 cells/kg", "2024-01-10"),
             ("S2", "CT071", "INVESTIGATIONAL PRODUCT", 0.1, "10^6 cells/kg", "2024-02-01")]
    ex = pd.DataFrame(rows, columns=["USUBJID", "EXTRT", "EXCAT", "EXDOSE", "EXDOSU", "EXSTDTC"])
    ex["EXSEQ"] = ex.groupby("USUBJID").cumcount() + 1
    return ex


ADSL = pd.DataFrame({"USUBJID": ["S1", "S2"], "STUDYID": "X", "TRT01A": ["DL2", "DL1"],
                     "TRT01AN": [2, 1]})


def test_total_doses_by_hand():
    ad = derive_adex(_ex(), ADSL).set_index(["USUBJID", "PARAMCD"])
    assert ad.loc[("S1", "FLUDTDOS"), "AVAL"] == 90.0
    assert ad.loc[("S1", "CYCLTDOS"), "AVAL"] == 900.0
    assert ad.loc[("S1", "CYCLTDOS"), "NRECS"] == 3
    assert str(ad.loc[("S1", "CYCLTDOS"), "AENDT"].date()) == "2024-01-07"
    assert ad.loc[("S2", "CARTDOSE"), "AVAL"] == 0.1
    assert ("S2", "FLUDTDOS") not in ad.index  # no lymphodepletion, no record
    assert ad.groupby("PARAMCD")["PARAM"].nunique().eq(1).all()


def test_agents_sharing_a_code_are_refused():
    ex = _ex()
    ex.loc[ex["EXTRT"] == "FLUDARABINE", "EXTRT"] = ["FLUDX", "FLUDY", "FLUDX"]
    with pytest.raises(InputError, match="share a PARAMCD"):
        derive_adex(ex, ADSL)


def test_example_cart_dose_is_adsl_dosea(tmp_path_factory):
    _, frames = analysed(tmp_path_factory)
    ad, adsl = frames["ADEX"], frames["ADSL"]
    cart = ad[ad["PARAMCD"] == "CARTDOSE"].set_index("USUBJID")["AVAL"]
    dosea = adsl.set_index("USUBJID")["DOSEA"].dropna()
    assert {k: float(v) for k, v in cart.items()} == {k: float(v) for k, v in dosea.items()}
    assert set(adsl.loc[adsl["LDFL"] == "Y", "USUBJID"]) == set(
        ad.loc[ad["PARCAT1"] == LD, "USUBJID"])
