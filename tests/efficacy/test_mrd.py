"""MRD at 10^-5: sensitivity, sustained negativity, denominators (IMWG 2016, Kumar S et al., Lancet
Oncol 2016)."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.efficacy import classify_mrd, mrd_rates, sustained_mrd_negative
from cartrial.errors import RecordError

D = pd.Timestamp("2024-01-01")


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
