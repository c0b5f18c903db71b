"""SDTM adapters and the study-level tables on the hand-built study of ``_study.py``."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cartrial.errors import RecordError
from cartrial.kinetics.analysis import analyse_kinetics
from cartrial.kinetics.sdtm import ada_data, infusions, pc_profiles
from cartrial.protocol import load_protocol
from tests.kinetics._study import kinetics_domains, standardised_domains, uid

LN2 = math.log(2.0)
P1_AUC = 1820 + 6125 / LN2  # test_nca.py: P1 AUClast, lin-up/log-down


@pytest.fixture(scope="module")
def protocol():
    return load_protocol("ct071")


@pytest.fixture(scope="module")
def report(protocol):
    return analyse_kinetics(standardised_domains(), protocol)


def test_infusion_day_is_day_0_and_dose_level_from_protocol(protocol) -> None:
    d = standardised_domains()
    inf = infusions(d["EX"], protocol, d["DM"]).set_index("USUBJID")
    assert list(inf.DOSELVL.astype(str)) == ["DL1", "DL2", "DL2"]
    prof = pc_profiles(d["PC"], inf.reset_index())
    s1 = prof[(prof.USUBJID == uid("S1")) & (prof.PCTESTCD == "CARTRNSG")]
    assert list(s1.time_days) == [0, 1, 4, 7, 14, 21, 28, 56, 90]
    assert list(s1.blq) == [True, False, False, False, False, False, False, True, True]
    # S3's NOT DONE samples (qPCR and flow) and S4 (never infused) are counted, not hidden.
    assert prof.attrs["excluded"] == {"not_done": 2, "not_infused": 1}


def test_nca_per_profile_matches_hand_values(report) -> None:
    t = report.nca.set_index(["USUBJID", "PCTESTCD"])
    assert_allclose(t.loc[(uid("S1"), "CARTRNSG"), "AUCLST"], P1_AUC, rtol=1e-12)
    assert_allclose(t.loc[(uid("S1"), "CARTCELL"), "AUCLST"], P1_AUC / 10, rtol=1e-12)
    assert_allclose(t.loc[(uid("S2"), "CARTRNSG"), "AUC0_28"], 2 * P1_AUC, rtol=1e-12)
    # S3 lost its day-21 sample: only 14 and 28 after Tmax -> lambda_z not estimable.
    assert "LAMZ_NE" in t.loc[(uid("S3"), "CARTRNSG"), "FLAGS"]
    assert t.loc[(uid("S1"), "CARTRNSG"), "unit"] == "copies/ug"


def test_dose_summary_geometric_mean(report) -> None:
    s = report.nca_summary.set_index(["PCTESTCD", "DOSELVL", "PARAMCD"])
    dl2 = s.loc[("CARTRNSG", "DL2", "CMAX")]
    assert dl2.n == 2
    assert_allclose(dl2.geo_mean, math.sqrt(2000 * 1000))  # S2 2000, S3 1000
    assert s.loc[("CARTRNSG", "ALL", "CMAX")].n == 3


def test_crs_grade_from_ae_and_il6_association(report) -> None:
    grades = report.subjects.set_index("USUBJID").CRSGR.to_dict()
    assert grades == {uid("S1"): 1, uid("S2"): 2, uid("S3"): 0}
    assert report.method["crs_grade_source"].startswith("AE.AETOXGR")
    il6 = report.crs_association.set_index("PARAMCD").loc["PEAK_IL6"]
    assert_allclose(il6.spearman_rho, 1.0)  # peak 100 x (1 + grade)


def test_cytokine_table(report) -> None:
    c = report.cytokines.set_index("USUBJID")
    # S2: base 2 at day -1, peak 300 at day 3, 4 at day 28.
    assert (c.loc[uid("S2"), "PEAK"], c.loc[uid("S2"), "FCPEAK"]) == (300.0, 150.0)
    # AUC0-28: 0-3 3*(2+300)/2 = 453; 3-28 25*(300+4)/2 = 3800.
    assert_allclose(c.loc[uid("S2"), "AUC0_28"], 453 + 3800)


def test_ada_rate(report) -> None:
    a = report.ada_summary.set_index("DOSELVL").loc["ALL"]
    assert (a.n_evaluable, a.n_te) == (3, 1)


def test_crs_and_response_from_caller(protocol) -> None:
    crs = pd.DataFrame({"USUBJID": [uid("S1"), uid("S2"), uid("S3")], "CRSGR": [0, 0, 3]})
    bor = pd.DataFrame({"USUBJID": [uid("S1"), uid("S2"), uid("S3")], "BOR": ["CR", "sCR", "PR"]})
    r = analyse_kinetics(standardised_domains(), protocol, crs=crs, response=bor)
    assert r.method["crs_grade_source"] == "caller"
    er = r.exposure_response.set_index(["PCTESTCD", "BOR", "PARAMCD"])
    assert er.loc[("CARTRNSG", "sCR", "CMAX"), "geo_mean"] == pytest.approx(2000.0)
    assert len(r.exposure_response_tests) == 4  # 2 analytes x (CMAX, AUC0_28)


def test_bad_ada_result_names_the_record(protocol) -> None:
    d = standardised_domains()
    d["IS"].loc[1, "ISSTRESC"] = "EQUIVOCAL"
    inf = infusions(d["EX"], protocol)
    with pytest.raises(RecordError) as exc:
        ada_data(d["IS"], inf)
    f = exc.value.finding
    assert (f.domain, f.usubjid, f.seq, f.variable) == ("IS", uid("S1"), 2, "ISSTRESC")


def test_dose_not_in_protocol(protocol) -> None:
    d = kinetics_domains()
    d["EX"].loc[0, "EXDOSE"] = 0.2
    with pytest.raises(RecordError, match="not a protocol dose level"):
        infusions(d["EX"], protocol)


def test_pp_domain(report, protocol) -> None:
    from cartrial.kinetics.sdtm import to_pp

    d = standardised_domains()
    pp = to_pp(report.nca, infusions(d["EX"], protocol), studyid="CT071")
    s1 = pp[(pp.USUBJID == uid("S1")) & (pp.PPCAT == "CARTRNSG")].set_index("PPTESTCD")
    assert_allclose(s1.loc["AUCINT", "PPSTRESN"], P1_AUC, rtol=1e-12)
    assert (s1.loc["AUCINT", "PPSTINT"], s1.loc["AUCINT", "PPENINT"]) == ("P0D", "P28D")
    assert s1.loc["AUCLST", "PPSTRESU"] == "day*copies/ug"
    assert s1.loc["CMAX", "PPRFDTC"] == "2024-03-05"
    assert pp.PPTESTCD.str.len().max() <= 8
    s3 = pp[(pp.USUBJID == uid("S3")) & (pp.PPCAT == "CARTRNSG")].set_index("PPTESTCD")
    assert s3.loc["LAMZHL", "PPSTAT"] == "NOT DONE" and "LAMZ_NE" in s3.loc["LAMZHL", "PPREASND"]
    assert (
        pp.groupby("USUBJID").PPSEQ.apply(lambda s: list(s) == list(range(1, len(s) + 1)))
    ).all()


def test_without_summaries_the_per_patient_frames_are_the_same(protocol, report) -> None:
    """Regression (issue #18): ``summaries=False`` (what ``analyze`` asks for: its tables come
    from ADaM) gives the per-patient frames ADaM is derived from unchanged, and no summary."""
    lean = analyse_kinetics(standardised_domains(), protocol, summaries=False)
    for name in ("subjects", "nca", "cytokines", "ada"):
        pd.testing.assert_frame_equal(getattr(lean, name), getattr(report, name),
                                      check_exact=True)
    assert lean.method == report.method
    for name in ("nca_summary", "persistence", "persistence_summary", "cytokine_summary_dose",
                 "cytokine_summary_crs", "crs_association", "exposure_response",
                 "exposure_response_tests", "exposure_safety", "exposure_safety_tests",
                 "ada_summary", "ada_kinetics"):
        assert getattr(lean, name) is None, name
