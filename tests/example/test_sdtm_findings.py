"""example/sdtm_findings.py: VS, FA and QS of the example.

Checked against hand-worked unit conversion (1 lb = 0.45359237 kg, so kg x 2.20462 = lb), the
ICE score of the ASTCT consensus (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38,
Table 4: orientation 4, naming 3, commands 1, writing 1, attention 1 point; total 0-10) and
the follow-up of DM.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.example.conftest import trial


def test_weight_is_written_in_pounds_at_site_002_and_height_once_at_screening():
    t = trial("default", 20240228, 300)
    vs = t.domains["VS"]
    dm = t.domains["DM"].set_index("USUBJID")
    w = vs[vs["VSTESTCD"] == "WEIGHT"]
    site = dm.loc[w["USUBJID"], "SITEID"].to_numpy()
    assert set(w.loc[site == "002", "VSORRESU"]) == {"LB"}
    assert set(w.loc[site != "002", "VSORRESU"]) == {"kg"}
    kg = w.assign(v=w["VSORRES"].astype(float))
    kg.loc[site == "002", "v"] /= 2.20462
    base = kg[kg["VISITNUM"] == 0].set_index("USUBJID")["v"]
    # weight never rises above its baseline by more than the rounding; loss at most 14 %
    rel = kg["v"].to_numpy() / base.loc[kg["USUBJID"]].to_numpy()
    assert rel.max() <= 1.001 and rel.min() >= 0.85
    h = vs[vs["VSTESTCD"] == "HEIGHT"]
    assert h["USUBJID"].is_unique and (h["VSBLFL"] == "Y").all() and set(h["VISIT"]) == {
        "SCREENING"}
    end = pd.to_datetime(dm.loc[w["USUBJID"], "RFPENDTC"].to_numpy())
    assert (pd.to_datetime(w["VSDTC"].str[:10]).to_numpy() <= end).all()


def test_ice_total_is_the_sum_of_its_items_within_0_to_10():
    t = trial("default", 20240228, 300)
    qs = t.domains["QS"]
    assert len(qs) > 0 and set(qs["QSCAT"]) == {"ICE"}
    wide = qs.pivot_table(index=["USUBJID", "QSDTC"], columns="QSTESTCD", values="QSSTRESN")
    items = wide[[f"ICE0{j}" for j in range(1, 6)]]
    assert (items.sum(axis=1) == wide["ICE06"]).all()
    assert wide["ICE06"].between(0, 10).all()
    assert (items.max() <= pd.Series({"ICE01": 4, "ICE02": 3, "ICE03": 1, "ICE04": 1,
                                      "ICE05": 1})).all()


def test_level_of_consciousness_is_recorded_only_when_depressed():
    t = trial("default", 20240228, 300)
    fa = t.domains["FA"]
    icans = fa[fa["FATESTCD"].isin(["LOC", "SEIZURE", "MOTOR", "ICPOED", "NEUOTH"])]
    per = icans.groupby(["USUBJID", "FADTC"])["FATESTCD"].apply(set)
    assert per.apply(lambda s: {"SEIZURE", "MOTOR", "ICPOED", "NEUOTH"} <= s).all()
    loc = fa[fa["FATESTCD"] == "LOC"]
    assert (loc["FAORRES"] != "").all()
    assert len(loc) < len(per)   # not at every ICANS assessment
    assert np.array_equal(fa["FADY"].to_numpy() != 0, np.ones(len(fa), bool))  # no day 0
