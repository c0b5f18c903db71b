"""Each subject's latest contact day per --DTC column (cartrial.efficacy.sdtm_disease.latest_days).

Regression tests: the per-distinct-text reading must give what the record-wise pandas code it
replaces gave (``DataFrame({USUBJID: astype(str), d: sdtm_day(col)}).groupby(USUBJID).max()``,
the code of ``subjects_from_sdtm`` before this change), on generated domains with partial,
invalid, blank and missing dates and missing subjects."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.efficacy.sdtm_disease import latest_days, sdtm_day

DTC = st.one_of(st.none(), st.sampled_from(["2026-03-02T10:00", "2026-03-02", "2026-04", "2025",
                                            "", "not a date", "2026-02-30", "2026-01-31T23:59"]))
SUBJ = st.sampled_from(["S1", "S2", "S10", "s1"])


def _reference(dom: pd.DataFrame) -> dict[str, pd.Series]:
    out = {}
    for c in [c for c in dom.columns if c.endswith("DTC")]:
        d = pd.DataFrame({"USUBJID": dom["USUBJID"].astype(str), "d": sdtm_day(dom[c])})
        out[c] = d.groupby("USUBJID")["d"].max()
    return out


def _got(dom: pd.DataFrame) -> dict[str, pd.Series]:
    cols = [c for c in dom.columns if c.endswith("DTC")]
    return {c: f.groupby("USUBJID")["d"].max() for c, f in zip(cols, latest_days(dom),
                                                                strict=True)}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.one_of(SUBJ, st.none()), DTC, DTC), min_size=1, max_size=30),
       st.sampled_from(["string", "object"]))
def test_latest_days_equal_the_record_wise_reading(rows, dtype) -> None:
    """Regression against the record-wise group-by it replaces (missing subjects included)."""
    dom = pd.DataFrame(rows, columns=["USUBJID", "LBDTC", "LBENDTC"]).astype(dtype)
    want, got = _reference(dom), _got(dom)
    assert list(got) == list(want) == ["LBDTC", "LBENDTC"]
    for c in want:
        pd.testing.assert_series_equal(got[c], want[c], check_names=False)


def test_a_column_without_any_date() -> None:
    """Regression: a --DTC column with no date at all gives NaT for each subject."""
    dom = pd.DataFrame({"USUBJID": ["S1", "S2"], "DSSTDTC": [None, None]}, dtype="string")
    got = latest_days(dom)[0]
    assert got["USUBJID"].tolist() == ["S1", "S2"] and got["d"].isna().all()
    assert str(got["d"].dtype) == "datetime64[ns]"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(SUBJ, DTC, DTC), min_size=1, max_size=30))
def test_a_domain_held_encoded_gives_the_same_days(rows) -> None:
    """Regression: a domain decoded whole from its encoded form (the loader's LB) is read on its
    held codes (no factorising), with the days of the record-wise reading."""
    from cartrial.data.compact import CompactFrame

    dom = pd.DataFrame(rows, columns=["USUBJID", "LBDTC", "LBENDTC"]).astype(
        pd.StringDtype("python"))
    decoded = CompactFrame(pd.concat([dom] * 10, ignore_index=True)).frame()
    want, got = _reference(dom), _got(decoded)
    for c in want:
        pd.testing.assert_series_equal(got[c], want[c], check_names=False)
