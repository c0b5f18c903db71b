"""Response and MRD rates (clinical-standards.md 4.6, 6, 7) and investigator concordance."""

from __future__ import annotations

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cartrial.efficacy import (
    classify_mrd,
    mrd_rates,
    response_concordance,
    response_rates,
    sustained_mrd_negative,
)
from cartrial.errors import RecordError

D = pd.Timestamp("2024-01-01")


def test_response_rates_by_dose_and_overall():
    # 10 patients as at the CT071 EHA 2024 cut-off: sCR 5, VGPR 2, PR 2, one non-responder
    bor = pd.DataFrame(
        {
            "USUBJID": [f"P{i}" for i in range(10)],
            "BOR": ["sCR"] * 5 + ["VGPR"] * 2 + ["PR"] * 2 + ["MR"],
            "DOSE": ["DL1"] * 7 + ["DL2"] * 3,
        }
    )
    t = response_rates(bor, by="DOSE").set_index(["group", "endpoint"])
    assert t.loc[("Overall", "ORR"), ["n", "N"]].tolist() == [9, 10]  # ORR 90 %
    assert t.loc[("Overall", "VGPRPLUS"), "n"] == 7
    assert t.loc[("Overall", "CRPLUS"), "n"] == 5
    assert t.loc[("Overall", "MR"), "n"] == 1  # MR is not a response
    assert t.loc[("DL2", "ORR"), ["n", "N"]].tolist() == [2, 3]
    # exact CI for 5/10 (reference table, section 7)
    assert_allclose(
        t.loc[("Overall", "CRPLUS"), ["lower", "upper"]].astype(float),
        [0.187086, 0.812914],
        atol=5e-7,
    )
    assert "Clopper-Pearson" in t["method"].iloc[0]
    assert list(t.index.get_level_values(0).unique()) == ["DL1", "DL2", "Overall"]


def _mrd(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "ADT", "AVISIT", "MRDRES", "MRDSENS"])


def test_mrd_sensitivity_rules():
    df = classify_mrd(
        _mrd(
            [
                ("A", D, "DAY 28", "NEGATIVE", 1e-5),
                ("B", D, "DAY 28", "NEGATIVE", 1e-6),  # 10^-6 negative counts as 10^-5 negative
                ("C", D, "DAY 28", "NEGATIVE", 1e-4),  # less sensitive: not evaluable
                ("E", D, "DAY 28", "POSITIVE", 1e-4),  # positive is positive
            ]
        )
    )
    assert df["MRDNEGFL"].tolist() == ["Y", "Y", None, None]
    assert df["MRDEVLFL"].tolist() == ["Y", "Y", None, "Y"]


def test_mrd_errors_name_the_record():
    with pytest.raises(RecordError, match="USUBJID=A.*without a valid assay sensitivity"):
        classify_mrd(_mrd([("A", D, "DAY 28", "NEGATIVE", None)]))
    with pytest.raises(RecordError, match="POSITIVE or NEGATIVE"):
        classify_mrd(_mrd([("A", D, "DAY 28", "", 1e-5)]))


def test_sustained_negativity_needs_one_year_without_positive():
    y = pd.Timedelta(days=365)
    df = classify_mrd(
        _mrd(
            [
                ("A", D, "M1", "NEGATIVE", 1e-5),
                ("A", D + y, "M13", "NEGATIVE", 1e-5),
                ("B", D, "M1", "NEGATIVE", 1e-5),
                ("B", D + y - pd.Timedelta(days=1), "M12", "NEGATIVE", 1e-5),
                ("C", D, "M1", "NEGATIVE", 1e-5),
                ("C", D + y / 2, "M7", "POSITIVE", 1e-5),
                ("C", D + y, "M13", "NEGATIVE", 1e-5),
            ]
        )
    )
    assert sustained_mrd_negative(df).to_dict() == {"A": True, "B": False, "C": False}


def test_mrd_rates_registration_denominator_is_vgpr_or_better():
    bor = pd.DataFrame(
        {"USUBJID": list("ABCD"), "BOR": ["sCR", "VGPR", "PR", "SD"], "DOSE": ["DL1"] * 4}
    )
    df = classify_mrd(
        _mrd(
            [
                ("A", D, "DAY 28", "NEGATIVE", 1e-5),
                ("B", D, "DAY 28", "POSITIVE", 1e-5),
                ("C", D, "DAY 28", "NEGATIVE", 1e-5),
            ]
        )
    )
    t = mrd_rates(df, bor, by="DOSE")
    t = t[(t.group == "Overall") & (t.endpoint == "MRDNEG") & (t.timepoint == "DAY 28")]
    t = t.set_index("population")
    assert t.loc["VGPR or better (registration)", ["n", "N"]].tolist() == [1, 2]
    assert t.loc["All treated", ["n", "N"]].tolist() == [2, 4]
    assert t.loc["CR or better (IMWG)", ["n", "N"]].tolist() == [1, 1]


def test_concordance_table_and_listing():
    inv = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "B"],
            "ADT": [D, D + pd.Timedelta(days=28), D],
            "RSSTRESC": ["PR", "VGPR", "CR"],
            "SRCSEQ": [1, 2, 3],
        }
    )
    der = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "B"],
            "ADT": [D, D + pd.Timedelta(days=28), D + pd.Timedelta(days=1)],
            "AVALC": ["PR", "PR", "CR"],
        }
    )
    c = response_concordance(inv, der)
    assert (c.n_matched, c.n_agree) == (2, 1)
    assert c.table.loc["VGPR", "PR"] == 1 and c.table.loc["PR", "PR"] == 1
    assert c.table.loc["CR", "(none)"] == 1 and c.table.loc["(none)", "CR"] == 1
    assert len(c.discrepancies) == 3
    with pytest.raises(RecordError, match="RS USUBJID=A RSSEQ=1 RSSTRESC='Partial'"):
        response_concordance(inv.assign(RSSTRESC=["Partial", "PR", "CR"]), der)


def test_mrd_time_points_in_schedule_order():
    bor = pd.DataFrame({"USUBJID": ["A"], "BOR": ["CR"]})
    df = classify_mrd(
        _mrd(
            [
                ("A", D + pd.Timedelta(days=90), "DAY 90", "NEGATIVE", 1e-5),
                ("A", D + pd.Timedelta(days=28), "DAY 28", "POSITIVE", 1e-5),
            ]
        )
    )
    tps = list(dict.fromkeys(mrd_rates(df, bor)["timepoint"]))
    assert tps == ["DAY 28", "DAY 90", "Any time"]
