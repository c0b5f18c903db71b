"""SharedText: a text column read block by block equals the column read row by row (regression
tests: they pass on the code before issue #18's faster construction too)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data.shared_text import SharedText

VALUES = st.sampled_from(["A", "B", "", "  ", " A", "A ", "é", "x\ny", None, "B", "CRP"])


@settings(max_examples=60)
@given(blocks=st.lists(st.lists(VALUES, max_size=12), min_size=1, max_size=5))
def test_blocks_equal_the_row_by_row_column(blocks) -> None:
    """Text stripped, blanks missing, one object per distinct value, the rows with blanks
    around a value remembered with the value as read; codes and distinct values those of
    ``pd.factorize`` of the column (first appearance), whatever the blocks."""
    text = SharedText()
    for block in blocks:
        text.add(pa.array(block, type=pa.string()))
    got = text.finish()
    rows = [v for block in blocks for v in block]
    want = [pd.NA if v is None or not v.strip() else v.strip() for v in rows]
    assert isinstance(got, pd.arrays.StringArray) and got.dtype == pd.StringDtype("python")
    assert got.tolist() == want
    held = [v for v in got.tolist() if v is not pd.NA]
    assert all(v is next(w for w in held if w == v) for v in held)  # shared objects
    codes, uniq = text.factorized
    want_codes, want_uniq = pd.factorize(pd.array(want, dtype="string"), use_na_sentinel=True)
    assert codes.tolist() == want_codes.tolist() and list(uniq) == list(want_uniq)
    is_padded = [v is not None and v.strip() != "" and v != v.strip() for v in rows]
    if any(is_padded):
        assert text.padded.tolist() == is_padded
        as_read = [pd.NA if v is None or not v.strip() else v for v in rows]
        assert text.raw.tolist() == as_read
    else:
        assert text.padded is None


def test_no_rows() -> None:
    text = SharedText()
    text.add(pa.array([], type=pa.string()))
    got = text.finish()
    assert len(got) == 0 and got.dtype == pd.StringDtype("python")
    assert text.factorized[0].tolist() == [] and np.asarray(text.factorized[1]).size == 0


@settings(max_examples=60)
@given(blocks=st.lists(st.lists(VALUES.filter(lambda v: v is not None), max_size=12),
                       min_size=1, max_size=5))
def test_blocks_the_reader_encoded_equal_text_blocks(blocks) -> None:
    """Regression: blocks given dictionary-encoded (as the CSV reader gives them, its
    dictionary in order of first appearance) make the column the same blocks as text make
    (codes, distinct values, padded rows, NUL flag)."""
    text, encoded = SharedText(), SharedText()
    for block in blocks:
        arr = pa.array(block, type=pa.string())
        text.add(arr)
        encoded.add(pa.DictionaryArray.from_arrays(
            pa.array(pd.factorize(np.asarray(block, dtype=object))[0], type=pa.int32()),
            pa.array(pd.unique(np.asarray(block, dtype=object)), type=pa.string())))
    assert text.finish().tolist() == encoded.finish().tolist()
    assert [a.tolist() for a in text.factorized] == [a.tolist() for a in encoded.factorized]
    assert (text.padded is None) == (encoded.padded is None) and text.has_nul == encoded.has_nul
    if text.padded is not None:
        assert text.padded.tolist() == encoded.padded.tolist()
