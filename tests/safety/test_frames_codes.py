"""The safety engine's flags and test codes asked of distinct values (issue #18):
``as_bool`` reads each distinct text once, ``paramcd_codes`` makes one ``TestCodes`` per PARAMCD
array inside its block and the analysis makes it once for ICAHT, CAR-HEMATOTOX and IEC-HS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.safety import _frames
from cartrial.safety._frames import TestCodes as Codes
from cartrial.safety._frames import as_bool
from cartrial.safety._frames import paramcd_codes as codes_of
from cartrial.safety._frames import paramcd_memo as codes_memo


def test_flags_read_per_distinct_text() -> None:
    df = pd.DataFrame({"F": pd.array(["Y", " n", None, "true", "0", "", "Yes"], dtype="string"),
                       "SEQ": range(7)})
    assert as_bool(df, "F", domain="FA").tolist() == [True, False, False, True, False, False,
                                                      True]
    with pytest.raises(RecordError, match="yes/no flag") as exc:
        as_bool(df.assign(F=["Y", "MAYBE", "N", "Y", "N", "N", "N"]), "F", domain="FA")
    assert exc.value.finding.seq == 1


def test_paramcd_codes_made_once_per_column_inside_the_block() -> None:
    labs = pd.DataFrame({"PARAMCD": ["NEUT", "plat ", "NEUT"]})
    with codes_memo():
        first = codes_of(labs)
        assert codes_of(labs) is first
        assert codes_of(labs[["PARAMCD"]]) is not first  # a copy of the column
        changed = labs.assign(PARAMCD=["PLAT", "PLAT", "NEUT"])
        assert codes_of(changed) is not first
        assert codes_of(changed).rows(["plat"]).tolist() == [True, True, False]
    assert codes_of(labs) is not codes_of(labs)  # outside any block: made each time
    np.testing.assert_array_equal(codes_of(labs).rows(["PLAT"]),
                                  Codes(labs).rows(["PLAT"]))


def test_analysis_makes_the_lab_test_codes_once(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.sdtm import safety_inputs
    from tests.safety._generated import loaded

    made = []
    real = _frames.TestCodes.__init__

    def counted(self, labs) -> None:  # noqa: ANN001
        made.append(len(labs))
        real(self, labs)

    study, protocol = loaded(tmp_path, 5, 12)
    inputs = safety_inputs(study, protocol)
    monkeypatch.setattr(_frames.TestCodes, "__init__", counted)
    analyse_safety(inputs, protocol, tables=False)
    assert made == [len(inputs.labs)]


@pytest.mark.parametrize("dtype", ["string", object])
def test_sorted_text_codes_equal_pandas_sorted_factorize(dtype) -> None:  # noqa: ANN001
    """Regression (against ``pd.factorize(sort=True)``, which it replaces in ``_pivot``): the
    same codes and uniques (values, dtype, Index type) for text, missing values, non-ASCII
    text, text pandas hashes only up to a NUL and values that are not all text."""
    cases = [["b", None, "a", "b", "é", "Z", "", "a ", "2024-01-01T10:00"], [], [None, None],
             ["a\x00", "a", "b", "\x00"], ["b", 1, "a"]]
    for values in cases:
        if dtype == "string" and any(v is not None and type(v) is not str for v in values):
            continue
        s = pd.Series(values, dtype=dtype)
        codes, uniq = _frames.sorted_text_codes(s)
        want_codes, want_uniq = pd.factorize(s, sort=True)
        assert codes.tolist() == want_codes.tolist() and codes.dtype == want_codes.dtype
        pd.testing.assert_index_equal(uniq, want_uniq, exact=True)
    floats = pd.Series([2.0, np.nan, 0.5])
    assert _frames.sorted_text_codes(floats)[0].tolist() == [1, -1, 0]


def test_held_values_and_yes_flags_make_the_same_frames() -> None:
    """Regression: a frame built from ``held_values`` (a numpy column's ndarray, else its
    extension array) equals one built from ``Series.array``; ``yes_flags`` equals what a frame
    makes of ``np.where(mask, "Y", "")``."""
    df = pd.DataFrame({"T": ["a", None, "c"], "F": [1.0, np.nan, 3.0],
                       "S": pd.array(["x", None, "z"], dtype="string"),
                       "D": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
                       "B": pd.array([True, None, False], dtype="boolean")})
    at = np.array([2, 0, 1, 2])
    pd.testing.assert_frame_equal(
        pd.DataFrame({c: _frames.held_values(df[c]).take(at) for c in df.columns}),
        pd.DataFrame({c: df[c].array.take(at) for c in df.columns}), check_exact=True)
    mask = np.array([True, False, True])
    made = pd.DataFrame({"FL": _frames.yes_flags(mask)})
    pd.testing.assert_frame_equal(made, pd.DataFrame({"FL": np.where(mask, "Y", "")}))
    assert made["FL"].iloc[0] is made["FL"].iloc[2]  # one object per value
