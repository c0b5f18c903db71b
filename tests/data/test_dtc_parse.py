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
