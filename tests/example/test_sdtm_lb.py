"""example/sdtm_lb.py: safety-lab and disease-assessment LB records of the example.

Checked against the protocol's schedule (ct071: MRD on days 28, 90, 180, 365), the site units
(g/dL = g/L / 10; mg/dL = mg/L / 10), hand-worked ratios and the disease truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example.population import CONVENTIONAL_SITE
from tests.example.conftest import protocol, trial


def _lb():
    return trial("default", 20240228, 300).domains["LB"]


def test_disease_assessments_are_written_in_the_sites_unit():
    t = trial("default", 20240228, 300)
    lb = t.domains["LB"]
    dm = t.domains["DM"].set_index("USUBJID")
    mp = lb[(lb["LBTESTCD"] == "MPROTEIN") & (lb["LBSPEC"] == "SERUM")]
    conv = dm.loc[mp["USUBJID"], "SITEID"].to_numpy() == CONVENTIONAL_SITE
    unit = mp["LBORRESU"].to_numpy()
    assert set(unit[conv]) <= {"g/dL"} and set(unit[~conv]) <= {"g/L"}
    kl = lb[lb["LBTESTCD"].isin(["KAPPAFLC", "LAMBDFLC", "KAPLAMB"])].pivot_table(
        index=["USUBJID", "LBDTC"], columns="LBTESTCD", values="LBORRES", aggfunc="first")
    # the ratio is written with 3 significant digits from the unrounded values; recompute it
    # from the written chains (1 decimal in mg/L or 2 in mg/dL): agreement within 2 %
    r = kl["KAPPAFLC"].astype(float) / kl["LAMBDFLC"].astype(float)
    assert np.allclose(kl["KAPLAMB"].astype(float), r, rtol=0.02)


def test_mrd_is_tested_at_the_protocols_mrd_visits_only():
    lb = _lb()
    mrd = lb[lb["LBTESTCD"] == "MRD"]
    assert len(mrd) > 0
    days = set(mrd["VISIT"].str.removeprefix("DAY ").astype(int))
    assert days <= set(protocol().schedule.mrd.days)
    assert set(mrd["LBORRES"]) <= {"POSITIVE", "NEGATIVE"}
    assert set(mrd["LBLLOQ"]) == {1e-5}
    assert set(mrd["LBMETHOD"]) <= {"NEXT GENERATION SEQUENCING", "NEXT GENERATION FLOW CYTOMETRY"}


def test_safety_labs_follow_the_schedule_and_igg_only_at_its_visits():
    lb = _lb()
    igg = lb[lb["LBTESTCD"] == "IGG"]
    assert set(igg["VISIT"]) <= {"SCREENING", "DAY 28", "DAY 90", "DAY 180", "DAY 365"}
    neut = lb[(lb["LBTESTCD"] == "NEUT") & (lb["VISIT"].str.startswith("DAY "))]
    nominal = set(neut["VISIT"].str.removeprefix("DAY ").astype(int))
    assert set(protocol().schedule.safety_labs.days) - {-5} <= nominal
    unsched = lb[lb["VISIT"] == "UNSCHEDULED"]
    assert (unsched["VISITNUM"] % 1 != 0).all()          # day + 0.01: sorts after its day
    for c in ("LBORNRLO", "LBORNRHI", "LBMETHOD", "LBLLOQ"):
        assert c in lb.columns
    assert not {"_pat", "_day"} & set(lb.columns)


def test_the_best_response_of_the_truth_shows_in_the_written_values():
    t = trial("default", 20240228, 300)
    lb = t.domains["LB"]
    subj = t.truth["subjects"].set_index("USUBJID")
    cr = subj.index[subj["best_confirmed_response"].isin(["CR", "sCR"])]
    ife = lb[(lb["LBTESTCD"] == "IMFIX") & lb["USUBJID"].isin(cr)]
    # a confirmed CR needs negative immunofixation (IMWG 2016); each such patient has some
    assert len(cr) > 0
    assert (ife.groupby("USUBJID")["LBORRES"].apply(lambda s: (s == "NEGATIVE").any())).all()
    assert pd.Series(lb["LBDY"]).ne(0).all()
