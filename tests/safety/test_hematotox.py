"""CAR-HEMATOTOX baseline score (Rejeski K et al., Blood 2021;138(24):2499-2513): the five
factors and their points as the paper prints them (ANC <1200/uL 1; Hb <9.0 g/dL 1; platelets
75,000-175,000/uL 1, <75,000/uL 2; CRP >=3.0 mg/dL 1; ferritin 650-2,000 ng/mL 1, >2,000 2;
low risk 0-1, high >= 2), converted to SI by hand in each case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.safety import car_hematotox, hematotox_table


def baseline(anc=2.0, hgb=120.0, plat=200.0, crp=5.0, ferritin=300.0, day=-5.0,
             subject="P") -> pd.DataFrame:
    vals = {"NEUT": anc, "HGB": hgb, "PLAT": plat, "CRP": crp, "FERRITIN": ferritin}
    return pd.DataFrame({"USUBJID": subject, "DAY": day, "PARAMCD": list(vals),
                         "AVAL": list(vals.values())})


def score(**kw) -> pd.Series:
    return car_hematotox(baseline(**kw)).iloc[0]


@pytest.mark.parametrize(("kw", "points"), [
    # ANC: 1200/uL = 1.2 x10^9/L; "<1200" scores
    ({"anc": 1.2}, 0), ({"anc": 1.19}, 1),
    # haemoglobin 9.0 g/dL = 90 g/L; "<9.0" scores
    ({"hgb": 90.0}, 0), ({"hgb": 89.9}, 1),
    # platelets: >175,000 0; 75,000-175,000 1; <75,000 2 (x10^9/L)
    ({"plat": 175.1}, 0), ({"plat": 175.0}, 1), ({"plat": 75.0}, 1), ({"plat": 74.9}, 2),
    # CRP 3.0 mg/dL = 30 mg/L
    ({"crp": 29.9}, 0), ({"crp": 30.0}, 1),
    # ferritin (ng/mL = ug/L): <650 0; 650-2,000 1; >2,000 2
    ({"ferritin": 649.0}, 0), ({"ferritin": 650.0}, 1), ({"ferritin": 2000.0}, 1),
    ({"ferritin": 2000.1}, 2),
])
def test_each_factor_on_both_sides_of_its_cut_off(kw: dict, points: int) -> None:
    r = score(**kw)
    assert r["SCORE"] == points
    assert r["RISK"] == ("low" if points <= 1 else "high")


def test_total_and_risk_groups() -> None:
    # every factor at its worst: 1 + 1 + 2 + 1 + 2 = 7, high risk
    r = score(anc=0.5, hgb=80.0, plat=50.0, crp=40.0, ferritin=3000.0)
    assert r["SCORE"] == 7 and r["RISK"] == "high"
    assert [r[f"{f}_POINTS"] for f in ("ANC", "HEMOGLOBIN", "PLATELETS", "CRP", "FERRITIN")] == [
        1, 1, 2, 1, 2]
    # one point is still low risk, two points high (0-1 low, >= 2 high)
    assert score(anc=1.0)["RISK"] == "low"
    assert score(anc=1.0, crp=35.0)["RISK"] == "high"


def test_baseline_is_the_last_value_before_lymphodepletion() -> None:
    labs = pd.concat([baseline(plat=200.0, day=-20), baseline(plat=60.0, day=-5),
                      baseline(plat=20.0, day=-1)])
    r = car_hematotox(labs).iloc[0]
    assert r["PLATELETS"] == 60.0 and r["PLATELETS_POINTS"] == 2
    r = car_hematotox(labs, on_or_before_day=-10).iloc[0]
    assert r["PLATELETS"] == 200.0 and r["SCORE"] == 0


def test_missing_factor_leaves_the_score_missing_and_named() -> None:
    labs = baseline()
    labs = labs[labs["PARAMCD"] != "FERRITIN"]
    r = car_hematotox(labs).iloc[0]
    assert np.isnan(r["SCORE"]) and r["RISK"] == "" and r["MISSING"] == "Ferritin"


def test_bad_unit_or_value_names_the_record() -> None:
    labs = baseline().assign(UNIT=["10^9/L", "g/dL", "10^9/L", "mg/L", "ug/L"], SEQ=range(1, 6))
    with pytest.raises(RecordError) as e:
        car_hematotox(labs)
    assert e.value.finding.seq == 2 and e.value.finding.variable == "UNIT"


def test_table_by_dose_level() -> None:
    """Regression test (counts of hand-scored subjects)."""
    labs = pd.concat([baseline(subject="A"), baseline(anc=0.5, crp=40.0, subject="B"),
                      baseline(subject="C").query("PARAMCD != 'CRP'")])
    subjects = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DOSE_LEVEL": ["1", "2", "2"]})
    t = hematotox_table(car_hematotox(labs), subjects).set_index(["ROW", "COLUMN"])["VALUE"]
    assert t[("High risk (score >= 2)", "2")] == "1 (50.0%)"
    assert t[("Low risk (score 0-1)", "Overall")] == "1 (33.3%)"
    assert t[("Not evaluable (a baseline factor missing)", "2")] == "1 (50.0%)"
