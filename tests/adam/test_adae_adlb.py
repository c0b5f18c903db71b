"""ADAE and ADLB: hand-worked dates, flags and CTCAE v5.0 grades."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.adam import derive_adae, derive_adlb, derive_adsl, derive_var_trtemfl
from cartrial.errors import RecordError
from cartrial.protocol import load_protocol
from tests.adam._study import minimal_study

P = load_protocol("ct071")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return minimal_study(tmp_path_factory.mktemp("s"))


@pytest.fixture(scope="module")
def adsl(study):
    return derive_adsl(study, P)


def test_adae_dates_flags_and_grades(study, adsl):
    ae = derive_adae(study["AE"], adsl, P).set_index("USUBJID")
    crs = ae.loc["CT071-001-001"]
    # CRS 2024-03-07..03-11 after infusion 2024-03-05: ASTDY 3, AENDY 7, 5 days
    assert (crs["ASTDY"], crs["AENDY"], crs["ADURN"]) == (3, 7, 5)
    assert (crs["TRTEMFL"], crs["CRSFL"], crs["ATOXSCL"], crs["ATOXGRN"]) == (
        "Y", "Y", "ASTCT 2019", 2)
    nail = ae.loc["CT071-001-002"]
    # AESTDTC 2024-03 holds the 03-26 infusion: imputed to the infusion date (flag D), not to
    # 03-01, so the event may be treatment-emergent (admiral's ADAE template, min_dates = TRTSDT)
    assert (nail["ASTDT"], nail["ASTDTF"], nail["TRTEMFL"]) == (
        pd.Timestamp("2024-03-26"), "D", "Y")
    assert nail["ASTDY"] == 1  # the infusion day is study day 1
    assert nail["ATOXSCL"] == "NCI CTCAE V5.0"



def test_atoxscl_names_the_ctcae_version_the_protocol_pins(study, adsl):
    """ATOXSCL of a non-CRS / ICANS event names the CTCAE version of the protocol's
    safety.ctcae_version (was always 'NCI CTCAE V5.0', a misstatement for a trial graded by
    v6.0, 22 July 2025); CRS stays on the ASTCT 2019 scale (Lee et al., Biol Blood Marrow
    Transplant 2019;25:625-38)."""
    v6 = P.model_copy(update={"safety": P.safety.model_copy(update={"ctcae_version": "6.0"})})
    ae = derive_adae(study["AE"], adsl, v6).set_index("USUBJID")
    assert ae.loc["CT071-001-002", "ATOXSCL"] == "NCI CTCAE V6.0"
    assert ae.loc["CT071-001-001", "ATOXSCL"] == "ASTCT 2019"

def test_trtemfl_window_edges():
    # admiral derive_var_trtemfl: TRTSDT <= ASTDT <= TRTSDT + end_window
    adsl = pd.DataFrame({"USUBJID": ["S"], "TRTSDT": [pd.Timestamp("2024-01-01")]})
    ae = pd.DataFrame({"USUBJID": ["S"] * 4, "ASTDT": pd.to_datetime(
        ["2023-12-31", "2024-01-01", "2024-01-31", "2024-02-01"])})
    assert derive_var_trtemfl(ae, adsl, 30)["TRTEMFL"].tolist() == ["", "Y", "Y", ""]


def test_bad_grade_is_refused(study, adsl):
    ae = study["AE"].copy()
    ae.loc[0, "AETOXGR"] = "6"
    with pytest.raises(RecordError, match="AETOXGR='6'"):
        derive_adae(ae, adsl, P)


def test_adlb_baseline_change_and_ctcae(study, adsl):
    lb = derive_adlb(study["LB"], adsl, P).set_index(["USUBJID", "PARAMCD"])
    hgb = lb.loc[("CT071-001-001", "HGB")]
    # Hb 10.2 g/dL = 102 g/L at day 7, LLN 120 g/L: CTCAE v5.0 anaemia grade 1 (<LLN - 100 g/L)
    assert (hgb["AVAL"], hgb["AVALU"], hgb["ATOXDSCL"], hgb["ATOXGRL"]) == (
        102.0, "g/L", "Anemia", 1.0)
    neut = lb.loc[("CT071-001-001", "NEUT")]
    # 0.4 x 10^9/L: neutrophil count decreased grade 4 (< 0.5)
    assert (neut["ATOXDSCL"], neut["ATOXGRL"]) == ("Neutrophil count decreased", 4.0)
    # no pre-infusion value: no baseline, no change
    assert np.isnan(neut["BASE"]) and neut["ABLFL"] == ""
    flc = lb.loc[("CT071-001-002", "KAPPAFLC")]
    # 45.0 mg/dL = 450 mg/L seven days before infusion: the baseline record itself
    assert (flc["AVAL"], flc["ABLFL"], flc["BASE"], flc["ADY"]) == (450.0, "Y", 450.0, -7)
    assert np.isnan(flc["CHG"])  # change is post-baseline only


def test_adlb_change_after_baseline(tmp_path):
    def lb(df):
        extra = df.iloc[[4]].copy()
        extra["LBSEQ"] = 2
        extra["LBORRES"] = "22.5"
        extra["LBDTC"] = "2024-04-23"  # day 28 after the 03-26 infusion
        return pd.concat([df, extra], ignore_index=True)

    study = minimal_study(tmp_path, LB=lb)
    a = derive_adlb(study["LB"], derive_adsl(study, P), P)
    post = a[(a["PARAMCD"] == "KAPPAFLC") & (a["LBSEQ"] == 2)].iloc[0]
    assert (post["BASE"], post["AVAL"], post["CHG"], post["PCHG"]) == (450.0, 225.0, -225.0,
                                                                        -50.0)
    assert post["ADY"] == 29  # protocol day 28 is study day 29


def test_two_flagged_baselines_are_refused(tmp_path):
    def lb(df):
        df = df.copy()
        df.loc[:, "LBBLFL"] = ""
        extra = df.iloc[[0]].copy()
        extra["LBSEQ"] = 9
        df = pd.concat([df, extra], ignore_index=True)
        df.loc[df["LBTESTCD"] == "HGB", "LBBLFL"] = "Y"
        return df

    study = minimal_study(tmp_path, LB=lb)
    with pytest.raises(RecordError, match="more than one baseline record for HGB"):
        derive_adlb(study["LB"], derive_adsl(study, P), P)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-400, 400), min_size=1, max_size=20))
def test_study_day_has_no_day_zero(offsets):
    adsl = pd.DataFrame({"USUBJID": ["S"], "TRTSDT": [pd.Timestamp("2024-06-15")],
                         "TRT01A": ["DL1"], "TRT01AN": [1.0], "SAFFL": ["Y"]})
    ae = pd.DataFrame({"STUDYID": "X", "USUBJID": "S", "AESEQ": range(len(offsets)),
                       "AEDECOD": "Nausea", "AEBODSYS": "GI", "AETOXGR": "1",
                       "AESTDTC": [(pd.Timestamp("2024-06-15") + pd.Timedelta(days=o))
                                   .strftime("%Y-%m-%d") for o in offsets]})
    out = derive_adae(ae, adsl, P)
    dy = out["ASTDY"].to_numpy()
    off = (out["ASTDT"] - pd.Timestamp("2024-06-15")).dt.days.to_numpy()
    assert (dy != 0).all()
    assert np.array_equal(dy, np.where(off >= 0, off + 1, off))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["2024-03", "2024", "2024-02-29", "2023-02-29", "",
                                 "2024-03-05T10:00", "x"]), min_size=1, max_size=15),
       st.sampled_from(["start", "end"]))
def test_dates_parsed_once_per_distinct_value_equal_the_foundation(values, kind):
    from cartrial.adam._dates import dtc_date
    from cartrial.data import impute_date

    v = pd.Series(values, dtype=object)
    d, f = dtc_date(v, kind)
    d2, f2 = impute_date(v, kind=kind)
    assert d.equals(pd.to_datetime(d2).dt.normalize())
    assert f.fillna("-").tolist() == f2.fillna("-").tolist()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from cartrial.data import load_study
    from cartrial.example import simulate_trial, write_example

    root = tmp_path_factory.mktemp("ex")
    write_example(simulate_trial(P), root)
    st_ = load_study(root)
    return st_, derive_adsl(st_, P)


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_adlb_in_subject_batches_equals_one_pass(example, batch):
    """Batches of subjects (how a large trial is derived) give the one-pass dataset exactly."""
    study, adsl = example
    lb = study["LB"]
    assert lb["USUBJID"].nunique() > 2 * batch
    whole = derive_adlb(lb, adsl, P, batch_subjects=10**6)
    pd.testing.assert_frame_equal(derive_adlb(lb, adsl, P, batch_subjects=batch), whole)
    # rows without a subject id are kept (last, as the one-pass sort puts them), not lost
    nosubj = lb.copy()
    nosubj.loc[nosubj.index[0], "USUBJID"] = pd.NA
    pd.testing.assert_frame_equal(derive_adlb(nosubj, adsl, P, batch_subjects=batch),
                                  derive_adlb(nosubj, adsl, P, batch_subjects=10**6))
