"""SDTM helpers of the example: study day without day 0, --SEQ, number text, fast CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cartrial.data.write import to_csv_text
from cartrial.example.sdtm import csv_text, fmt_num, fmt_sig, seq_within, study_day


def test_study_day_has_no_day_zero():
    # docs/data-model.md: --DY = date - RFSTDTC + 1 on or after infusion, date - RFSTDTC before
    ref = np.array(["2024-03-05"] * 3, dtype="datetime64[D]")
    d = np.array(["2024-03-04", "2024-03-05", "2024-04-02"], dtype="datetime64[D]")
    assert list(study_day(d, ref)) == [-1, 1, 29]


def test_seq_restarts_per_subject():
    assert list(seq_within(np.array(["a", "a", "b", "c", "c", "c"]))) == [1, 2, 1, 1, 2, 3]


def test_number_text():
    assert list(fmt_num(np.array([1.25, 2.0, np.nan, 0.04]), 1)) == ["1.2", "2.0", "", "0.0"]
    txt, val = fmt_sig(np.array([32280.5, 0.012345, 7.0]), 3)
    assert list(txt) == ["32300", "0.0123", "7.00"] and list(val) == [32300, 0.0123, 7.0]


@given(st.lists(st.tuples(st.one_of(st.floats(allow_nan=True, allow_infinity=False,
                                              width=32), st.integers(-10**6, 10**6)),
                          st.text(alphabet='ab,"\n x', max_size=6)), max_size=20))
def test_fast_csv_is_byte_identical_to_the_foundation_writer(rows):
    df = pd.DataFrame({"NUM": [float(r[0]) for r in rows], "TXT": [r[1] for r in rows],
                       "INT": np.arange(len(rows))})
    assert csv_text(df) == to_csv_text(df)
