"""dtc_parse: the per-process table of parsed --DTC texts, emptied by forget_parsed."""

from __future__ import annotations

import pandas as pd

from cartrial.data import dtc_parse
from cartrial.data.dates import parse_dtc


def test_forgotten_texts_parse_to_the_same_frame():
    texts = pd.Series(["2024-03-15T10:30", "2024-03", "2024-02-30", None, ""])
    before = parse_dtc(texts)
    assert dtc_parse._PARSED
    dtc_parse.forget_parsed()
    assert not dtc_parse._PARSED
    pd.testing.assert_frame_equal(parse_dtc(texts), before)


def test_remembered_years_and_days_are_one_object_each():
    dtc_parse.forget_parsed()
    texts = [f"2024-03-15T10:{m:02d}" for m in range(3)] + ["2024-03-16", "2024"]
    got = dtc_parse._many([t + "" for t in texts])
    assert got == [dtc_parse._parse_one(t) for t in texts]  # the same values
    assert len({id(g[1]) for g in got}) == 1  # year 2024: one object
    assert len({id(g[6]) for g in got[:3]}) == 1 and got[3][6] == got[0][6] + 1
    dtc_parse.forget_parsed()
    assert not dtc_parse._INTS
