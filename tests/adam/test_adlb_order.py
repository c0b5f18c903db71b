"""ADLB's lookups in ADSL, record order and ASEQ on integer codes (``adam.adlb_order``, issue
#18) against the pandas calls they replace (``Series.map``, ``sort_values``,
``groupby().cumcount``).

Regression tests: the faster path is compared with the replaced calls on seeded random frames
with ties, missing dates and sequence numbers, -0.0, equal texts held as distinct objects, and
subjects missing from ADSL; the frames with a missing USUBJID or PARAMCD take the pandas calls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam.adlb_order import (
    by_subject,
    record_order,
    sequence_numbers,
    subject_codes,
    subject_values,
)

KEYS = ["USUBJID", "PARAMCD", "ADT", "LBSEQ"]


def _frame(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # equal texts as distinct objects too ("".join): grouped by value, not by object
    names = [f"S{i}" for i in (3, 1, 10, 2)]
    subjects = np.array(names + ["".join(["S", "3"])], dtype=object)
    params = np.array(["PLAT", "HGB", "IL6", "ALT", "".join(["PL", "AT"])], dtype=object)
    adt = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 6, n), unit="D")
    seq = rng.integers(0, 5, n).astype(float)
    seq[rng.random(n) < 0.1] = np.nan
    seq[rng.random(n) < 0.1] = -0.0
    return pd.DataFrame({"USUBJID": subjects[rng.integers(0, 5, n)],
                         "PARAMCD": params[rng.integers(0, 5, n)],
                         "ADT": pd.Series(adt).where(rng.random(n) > 0.15).to_numpy(),
                         "LBSEQ": seq})


@pytest.mark.parametrize("seed", range(10))
def test_record_order_equals_sort_values(seed):
    """Regression test: the positions of ``sort_values(KEYS, kind="stable")``."""
    out = _frame(seed)
    want = out[KEYS].sort_values(KEYS, kind="stable").index.to_numpy()
    np.testing.assert_array_equal(record_order(out), want)


def test_record_order_of_integer_sequence_numbers_and_missing_keys():
    """Regression test: integer LBSEQ sorted as it is; a missing key takes sort_values."""
    out = _frame(11).assign(LBSEQ=lambda d: np.arange(len(d))[::-1])
    np.testing.assert_array_equal(record_order(out),
                                  out.sort_values(KEYS, kind="stable").index.to_numpy())
    for col in ("USUBJID", "PARAMCD"):
        gap = _frame(12)
        gap.loc[[3, 7], col] = None
        np.testing.assert_array_equal(record_order(gap),
                                      gap.sort_values(KEYS, kind="stable").index.to_numpy())


@pytest.mark.parametrize("column", ["TRTSDT", "TRT01A", "TRT01AN"])
def test_by_subject_equals_map(column):
    """Regression test: values and dtype of ``Series.map``, a subject missing from ADSL
    (NaN / NaT, integers made float as map makes them) and a missing USUBJID included."""
    out = _frame(5)
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "TRT01A": ["DL1", "DL2", "DL1"],
                         "TRT01AN": [1, 2, 1],
                         "TRTSDT": pd.to_datetime(["2024-03-02", None, "2024-03-04"])})
    values = adsl.set_index("USUBJID")[column]
    for ids in (out["USUBJID"], out["USUBJID"].where(out.index % 7 > 0)):
        pd.testing.assert_series_equal(by_subject(ids, subject_codes(ids), values),
                                       ids.map(values))
    found = out["USUBJID"].where(out["USUBJID"] != "S10", "S1")  # every subject in ADSL
    pd.testing.assert_series_equal(by_subject(found, subject_codes(found), values),
                                   found.map(values))
    assert subject_codes(out["USUBJID"].where(out.index > 0)) is None


@pytest.mark.parametrize("column", ["TRTSDT", "TRT01A", "TRT01AN", "SEX", "ECOG"])
def test_subject_values_equal_set_index(column):
    """Regression test: the lookup ADLB reads, against ``adsl.set_index("USUBJID")[column]``
    (values, dtype, index and its dtype and name), Python-backed text and nullable integers
    included."""
    text = pd.StringDtype("python")
    adsl = pd.DataFrame({"USUBJID": pd.array(["S1", "S2", "S3"], dtype=text),
                         "TRT01A": ["DL1", None, "DL1"], "TRT01AN": [1.0, np.nan, 1.0],
                         "TRTSDT": pd.to_datetime(["2024-03-02", None, "2024-03-04"]),
                         "SEX": pd.array(["F", None, "M"], dtype=text),
                         "ECOG": pd.array([0, None, 1], dtype="Int64")}, index=[5, 3, 9])
    got, want = subject_values(adsl, column), adsl.set_index("USUBJID")[column]
    pd.testing.assert_series_equal(got, want, check_exact=True)
    pd.testing.assert_index_equal(got.index, want.index, exact=True)


def test_sequence_numbers_equal_cumcount():
    """Regression test: ``groupby(usubjid).cumcount() + 1`` of records sorted by subject, and
    of records not in runs or with a missing subject (pandas' numbers, float with NaN)."""
    out = _frame(8)
    ids = out["USUBJID"].to_numpy()[record_order(out)]
    for arr in (ids, out["USUBJID"].to_numpy(),
                np.where(np.arange(len(ids)) % 9 == 0, None, ids).astype(object),
                ids[:0]):
        s = pd.Series(arr, dtype=object)
        want = (s.groupby(s).cumcount() + 1).to_numpy()
        got = sequence_numbers(arr)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
