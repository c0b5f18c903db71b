"""example/cm.py: the medications the example simulates (CAR-T supportive care and the rest).

Checked against the truth (ICANS episodes, the next therapy after confirmed progression,
the baseline prior lines), the conduct (leukapheresis dates) and hand-worked doses.
"""

from __future__ import annotations

import pandas as pd

from tests.example.conftest import trial


def _big():
    return trial("default", 20240228, 300)


def test_icans_grade_2_or_more_is_treated_with_dexamethasone_on_its_first_day():
    t = _big()
    cm = t.domains["CM"]
    dex = cm[(cm["CMINDC"] == "ICANS") & (cm["CMTRT"] == "DEXAMETHASONE")]
    ep = t.truth["episodes"]
    ep = ep[(ep["syndrome"] == "ICANS") & (ep["max_grade"] >= 2)]
    assert len(ep) > 0
    want = set(zip(ep["USUBJID"], ep["start_dtc"].str[:10], strict=True))
    got = set(zip(dex["USUBJID"], dex["CMSTDTC"].str[:10], strict=True))
    assert got == want
    assert (dex["CMDOSE"] == 10.0).all() and (dex["CMROUTE"] == "INTRAVENOUS").all()


def test_the_next_therapy_starts_on_the_truths_date_after_confirmed_progression():
    t = trial("early-progression", 2)
    cm = t.domains["CM"]
    nxt = cm[cm["CMCAT"] == "SUBSEQUENT ANTI-MYELOMA THERAPY"].set_index("USUBJID")
    subj = t.truth["subjects"].set_index("USUBJID")
    want = subj.loc[subj["new_therapy_dtc"] != "", "new_therapy_dtc"]
    dm = t.domains["DM"].set_index("USUBJID")
    within = want[want <= dm.loc[want.index, "RFPENDTC"]]   # recorded while followed
    assert len(within) > 0
    assert nxt["CMSTDTC"].sort_index().to_dict() == within.sort_index().to_dict()
    assert (subj.loc[within.index, "pd_dtc"] < within).all()


def test_bridging_starts_two_days_after_leukapheresis_and_prior_lines_number_3_to_6():
    t = _big()
    cm = t.domains["CM"]
    pr = t.domains["PR"].set_index("USUBJID")
    br = cm[cm["CMCAT"] == "BRIDGING THERAPY"].set_index("USUBJID")
    assert len(br) > 0
    days = (pd.to_datetime(br["CMSTDTC"]) - pd.to_datetime(pr.loc[br.index, "PRSTDTC"])).dt.days
    assert (days == 2).all()
    assert (br["CMDOSE"] == 40.0).all() and (br["CMROUTE"] == "ORAL").all()
    prior = cm[cm["CMCAT"] == "PRIOR ANTI-MYELOMA THERAPY"]
    lines = prior.groupby("USUBJID")["CMGRPID"].nunique()
    assert lines.between(3, 6).all()
    truth = t.truth["baseline"].set_index("USUBJID")["prior_lines"]
    assert (lines.sort_index() == truth.loc[lines.index].sort_index()).all()
    assert prior["CMSTDTC"].str.fullmatch(r"\d{4}-\d{2}").all()   # partial dates (year-month)


def test_filgrastim_is_given_to_about_40_percent_between_days_6_and_15():
    t = _big()
    cm = t.domains["CM"]
    g = cm[cm["CMTRT"] == "FILGRASTIM"]
    assert 0.3 < g["USUBJID"].nunique() / 300 < 0.5
    inf = t.truth["subjects"].set_index("USUBJID")["infusion_dtc"]
    st = (pd.to_datetime(g["CMSTDTC"].str[:10])
          - pd.to_datetime(inf.loc[g["USUBJID"]].to_numpy())).dt.days
    assert st.between(6, 9).all()
