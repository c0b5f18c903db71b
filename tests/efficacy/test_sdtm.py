"""SDTM adapters: units, baseline, population, apheresis origin, errors naming the LB record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.data import Study
from cartrial.efficacy.sdtm import (
    disease_assessments_from_sdtm,
    efficacy_from_study,
    infusion_dates,
    subjects_from_sdtm,
)
from cartrial.errors import RecordError
from cartrial.protocol import load_protocol

from ._sdtm_fixture import _lb, frames, lb_rows


def test_subjects_table():
    f = frames()
    s = subjects_from_sdtm(f["DM"], f["EX"], f["PR"], f["MH"], f["CM"], f["DS"], [f["LB"]])
    s = s.set_index("USUBJID")
    assert s.loc["P2", "POPCD"] == "PPCL" and s.loc["P1", "POPCD"] == "RRMM"
    assert s.loc["P1", "APHDT"] == pd.Timestamp("2024-01-20")
    assert pd.isna(s.loc["P3", "INFDT"]) and pd.isna(s.loc["P3", "DOSE"])
    assert s.loc["P3", "LSTALVDT"] == s.loc["P3", "DTHDT"] == pd.Timestamp("2024-04-01")
    assert s.loc["P1", "LSTALVDT"] == pd.Timestamp("2024-09-01")


def test_units_and_baseline():
    f = frames()
    a = disease_assessments_from_sdtm(f["LB"], infusion_dates(f["EX"]))
    p1 = a[a.USUBJID == "P1"]
    assert p1["SPEP"].tolist() == [3.0, 1.2, 1.0, 2.0, 2.2]  # g/L -> g/dL
    assert p1["ABLFL"].tolist() == ["Y", None, None, None, None]
    p2b = a[(a.USUBJID == "P2") & (a.ABLFL == "Y")].iloc[0]
    assert (p2b["BMPC"], p2b["PBPC"]) == (70.0, 30.0)
    assert p2b["ADT"] == pd.Timestamp("2024-02-08")  # latest baseline record


def test_study_end_to_end():
    study = Study(domains=frames())
    res, imwg, conc = efficacy_from_study(study, load_protocol("ct071"))
    s = imwg.subjects.set_index("USUBJID")
    assert s.loc["P1", "BOR"] == "PR"
    assert s.loc["P1", "PDDT"] == pd.Timestamp("2024-05-01")
    assert s.loc["P2", "BOR"] == "CR"  # pPCL: 2 months apart >= 6 weeks, blood PC 0
    r = res.rates.set_index(["group", "endpoint"])
    assert r.loc[("Overall", "ORR"), ["n", "N"]].tolist() == [2, 3]  # leukapheresed population
    assert r.loc[("Not infused", "ORR"), "N"] == 1
    pfs = res.tte[res.tte.PARAMCD == "PFS"].set_index("USUBJID")
    assert (
        pfs.loc["P1", "AVAL"] == (pd.Timestamp("2024-05-01") - pd.Timestamp("2024-01-20")).days + 1
    )
    assert pfs.loc["P3", "EVNTDESC"] == "Death"
    assert conc is not None and conc.n_matched == 2 and conc.n_agree == 1


def test_ife_without_result_names_the_lb_record():
    rows = lb_rows() + [_lb("P1", 99, "IMFIX", "SERUM", "2024-03-01", None, "")]
    f = frames(rows)
    with pytest.raises(RecordError, match="LB USUBJID=P1 LBSEQ=99 .*immunofixation record without"):
        disease_assessments_from_sdtm(f["LB"], infusion_dates(f["EX"]))


def test_negative_m_protein_names_the_lb_record():
    rows = lb_rows() + [_lb("P1", 98, "MPROTEIN", "URINE", "2024-03-01", -5.0)]
    f = frames(rows)
    with pytest.raises(RecordError, match="LBSEQ=98 LBSTRESN"):
        disease_assessments_from_sdtm(f["LB"], infusion_dates(f["EX"]))


def test_baseline_flag_after_infusion_is_an_error():
    rows = lb_rows() + [_lb("P1", 97, "MPROTEIN", "URINE", "2024-03-01", 10.0, blfl="Y")]
    f = frames(rows)
    with pytest.raises(RecordError, match="LBSEQ=97 LBBLFL.*after the infusion"):
        disease_assessments_from_sdtm(f["LB"], infusion_dates(f["EX"]))


def test_plasmacytoma_spd_and_new_lesion_from_tu_tr():
    f = frames()
    tr = pd.DataFrame(
        [
            {
                "USUBJID": "P1",
                "TRSEQ": i,
                "TRLNKID": lk,
                "TRTESTCD": code,
                "TRDTC": dtc,
                "TRSTRESN": v,
            }
            for i, (lk, code, dtc, v) in enumerate(
                [
                    ("T1", "LDIAM", "2024-01-29", 20.0),
                    ("T1", "LPERP", "2024-01-29", 10.0),
                    ("T2", "LDIAM", "2024-01-29", 10.0),
                    ("T2", "LPERP", "2024-01-29", 10.0),
                    ("T1", "LDIAM", "2024-03-01", 10.0),
                    ("T1", "LPERP", "2024-03-01", 10.0),
                    ("T2", "LDIAM", "2024-03-01", 5.0),
                    ("T2", "LPERP", "2024-03-01", 10.0),
                ],
                start=1,
            )
        ]
    )
    tu = pd.DataFrame(
        [{"USUBJID": "P1", "TUSEQ": 1, "TULNKID": "N1", "TUORRES": "NEW", "TUDTC": "2024-03-29"}]
    )
    a = disease_assessments_from_sdtm(f["LB"], infusion_dates(f["EX"]), tu, tr)
    p1 = a[a.USUBJID == "P1"].set_index("ADT")
    assert p1.loc[pd.Timestamp("2024-01-30"), "SPD"] == 300.0  # 20x10 + 10x10 at baseline
    assert p1.loc[pd.Timestamp("2024-03-01"), "SPD"] == 150.0  # 50 % smaller: PR-compatible
    assert p1.loc[pd.Timestamp("2024-03-29"), "NEWLES"] == "Y"
    from cartrial.efficacy import derive_imwg_response

    r = derive_imwg_response(a[a.USUBJID == "P1"])
    row = r.assessments.set_index("ADT").loc[pd.Timestamp("2024-03-29")]
    assert row["AVALC"] == "PD" and row["PDTYPE"] == "IMAGING" and row["CONFC"] == "PD"


def test_inconsistent_flc_ratio_names_the_ratio_record():
    rows = lb_rows() + [
        _lb("P1", 95, "KAPPAFLC", "SERUM", "2024-03-01", 40.0),
        _lb("P1", 96, "LAMBDFLC", "SERUM", "2024-03-01", 10.0),
        _lb("P1", 94, "KAPLAMB", "SERUM", "2024-03-01", 0.25),
    ]
    f = frames(rows)
    a = disease_assessments_from_sdtm(f["LB"], infusion_dates(f["EX"]))
    from cartrial.efficacy import derive_imwg_response

    with pytest.raises(RecordError, match="LB USUBJID=P1 LBSEQ=94 FLCRATIO=0.25.*inconsistent"):
        derive_imwg_response(a)


def test_missing_origin_is_a_clear_error():
    f = frames()
    del f["PR"]
    from cartrial.errors import InputError

    with pytest.raises(InputError, match="LEUKAPHERESIS.*time_origin"):
        efficacy_from_study(Study(domains=f), load_protocol("ct071"))


def test_without_summaries_responses_and_survival_are_the_same():
    """Regression (issue #18): ``summaries=False`` (what ``analyze`` asks for: its tables come
    from ADaM) keeps the responses, time-to-event rows, Kaplan-Meier fits and medians
    unchanged and builds no rates, MRD table, numbers at risk or concordance."""
    study, protocol = Study(domains=frames()), load_protocol("ct071")
    full, imwg, _ = efficacy_from_study(study, protocol)
    lean, imwg2, conc = efficacy_from_study(study, protocol, summaries=False)
    pd.testing.assert_frame_equal(imwg2.subjects, imwg.subjects, check_exact=True)
    for name in ("tte", "tte_summary", "landmarks", "subjects"):
        pd.testing.assert_frame_equal(getattr(lean, name), getattr(full, name),
                                      check_exact=True)
    assert sorted(lean.km) == sorted(full.km) and lean.footnotes == full.footnotes
    for key, fit in full.km.items():
        pd.testing.assert_frame_equal(lean.km[key].table, fit.table, check_exact=True)
        np.testing.assert_array_equal(lean.km[key].median_ci, fit.median_ci)
    assert lean.rates is None and lean.mrd is None and lean.at_risk is None and conc is None


def _pivoted(rows: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    """The reshaping as written before it took ``unstack`` (pivot_table's "first")."""
    wide = rows.pivot_table(index=index, columns="col", values="value", aggfunc="first")
    wide["SRCSEQ"] = rows.groupby(index)["LBSEQ"].min()
    seq = rows.pivot_table(index=index, columns="col", values="LBSEQ", aggfunc="first")
    return wide.join(seq.add_prefix("SEQ_")).reset_index()


@pytest.mark.parametrize("kind", ["unique", "repeated", "missing value"])
def test_wide_rows_as_pivot_table_gives_them(kind: str) -> None:
    """Regression test (against the earlier pivot_table code, restated above): rows unique per
    subject, date and variable are unstacked; repeats and missing values keep pivot_table's
    first non-missing value and its dropping of empty columns."""
    rng = np.random.default_rng(3)
    n = 400
    rows = pd.DataFrame({
        "USUBJID": [f"S{i % 9}" for i in range(n)],
        "ADT": pd.Timestamp("2026-02-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),
        "BLFL": False, "col": rng.choice(["SPEP", "KAPPA", "SIFE", "BMCLONAL"], n),
        "LBSEQ": np.arange(n, dtype=float) + 1})
    rows = rows.drop_duplicates(["USUBJID", "ADT", "col"]).reset_index(drop=True)
    rows["value"] = [f"V{i % 3}" if c in ("SIFE", "BMCLONAL") else float(i)
                     for i, c in enumerate(rows["col"])]
    if kind == "repeated":
        rows = pd.concat([rows, rows.iloc[:20].assign(LBSEQ=lambda d: d["LBSEQ"] + 1000,
                                                      value="V9")], ignore_index=True)
    if kind == "missing value":
        rows.loc[rows["col"] == "BMCLONAL", "value"] = None
    infusion = pd.Series(pd.Timestamp("2026-01-15"), index=[f"S{i}" for i in range(9)])
    got = disease_assessments_from_sdtm(None, infusion, lb_rows=rows)
    want = _pivoted(rows, ["USUBJID", "ADT"]).assign(ABLFL=None)
    want = want[[c for c in got.columns if c in want]].rename_axis(columns=None)
    post = got[got["ABLFL"].isna()].reset_index(drop=True)[want.columns]
    pd.testing.assert_frame_equal(
        post, want.assign(SPEP=want["SPEP"].astype(float), KAPPA=want["KAPPA"].astype(float)),
        check_exact=True)
    assert ("BMCLONAL" in got) == (kind != "missing value")  # pivot_table drops it
