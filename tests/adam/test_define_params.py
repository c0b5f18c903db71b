"""define.xml's parameters and terms read off a batch's codes (``adam.define_params``, issue
#18) against ``define_xml.add_params``, the pandas code they stand in for.

Regression tests: equal dicts, the parameters (str keys) in the same order (define.xml reads the
terms and units sorted: ``define_xml._terms``/``_units``), on seeded random batches with missing
values, empty text, NUL characters, a missing PARAM, boolean flags and non-text objects; the
example trial's define.xml written this way is compared byte for byte with the one written from
frames in tests/adam/test_adlb_batched.py. define.xml's content itself is checked against the
Define-XML 2.1 schema in tests/adam/test_define_xml.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam.column_profile import distinct
from cartrial.adam.define_params import add_params_coded
from cartrial.adam.define_xml import _params, add_params


def _batch(seed: int, damaged: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 200
    pick = lambda vals: np.array(vals, dtype=object)[rng.integers(0, len(vals), n)]  # noqa: E731
    b = pd.DataFrame({
        "PARAMCD": pick(["ALT", "AST", "NEUT", "PLAT"]),
        "PARAM": pick(["ALT (U/L)", "AST (U/L)", "Neutrophils (10^9/L)"]),
        "AVALU": pick(["U/L", "10^9/L", "", None]),
        "AVAL": rng.normal(size=n),
        "AVALC": pick(["", "NEGATIVE", "POSITIVE", np.nan]),
        "ABLFL": pick(["Y", ""]),
        "ANRIND": pick(["LOW", "HIGH", "NORMAL", ""]),
        "TRTEMFL": pick(["Y", ""]),
    })
    if damaged:
        b.loc[rng.integers(0, n, 3), "PARAMCD"] = None
        b.loc[rng.integers(0, n, 2), "ANRIND"] = "LOW\x00x"  # pandas hashes up to the NUL
        b.loc[rng.integers(0, n, 2), "ANRIND"] = "LOW"
        if seed % 3 == 0:
            b.loc[rng.integers(0, n, 1), "PARAM"] = None  # written as str(None) by add_params
        if seed % 3 == 1:
            b["ABLFL"] = rng.random(n) < 0.5  # a boolean flag: numeric to add_params
        if seed % 3 == 2:
            b.loc[rng.integers(0, n, 1), "AVALC"] = 3  # not text
    return b


def _codes(b: pd.DataFrame) -> dict:
    """What write_batched hands over: distinct() of the object columns holding text only."""
    out = {}
    for c in b.columns:
        if b[c].dtype == object:
            codes, uniq = distinct(b[c].to_numpy())
            if pd.api.types.infer_dtype(uniq, skipna=True) in ("string", "empty"):
                out[c] = codes, uniq
    return out


@pytest.mark.parametrize("damaged", [False, True])
def test_same_items_in_the_same_order_as_add_params(damaged):
    """Regression test: 30 seeded batches each, gathered over three batches at a time."""
    for seed in range(0, 30, 3):
        want, got = {}, {}
        for b in (_batch(seed + k, damaged) for k in range(3)):
            add_params(want, b)
            add_params_coded(got, b, _codes(b))
        _same(got, want)


def _same(got: dict, want: dict) -> None:
    assert got == want
    assert _params(got) == _params(want)


def test_columns_missing_or_without_codes_are_gathered_as_before():
    """Regression test: a batch without PARAM/AVALU, and one whose codes are not given."""
    b = _batch(4, False).drop(columns=["PARAM", "AVALU"])
    for codes in (_codes(b), {}):
        want, got = {}, {}
        add_params(want, b)
        add_params_coded(got, b, codes)
        _same(got, want)


@pytest.mark.parametrize("text", [False, True])
def test_avalu_without_codes_is_gathered_once(text):
    """Regression test: AVALU is a parameter's unit and a coded variable; when its codes are
    not given (Python-backed text of a frame dataset, or no codes at all) it is read once, as
    add_params reads it (it was selected twice: a frame, not a column)."""
    b = _batch(5, True)
    if text:
        b = b.astype({"AVALU": pd.StringDtype("python"), "ANRIND": pd.StringDtype("python")})
    for codes in (_codes(b), {}):
        want, got = {}, {}
        add_params(want, b)
        add_params_coded(got, b, codes)
        _same(got, want)
