"""standardize_results: the columns it replaces are let go of, the new text columns built as
before (issue #18: the load's peak memory)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd

from cartrial.data import data_model, standardize_results
from cartrial.data.validate_codes import codes_memo, column_codes

TEXT = pd.StringDtype("python")


def _lb() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": pd.array(["S1", "S1", "S2"], dtype=TEXT),
        "LBSEQ": [1.0, 2.0, 1.0],
        "LBTESTCD": pd.array(["CREAT", "CREAT", "HGB"], dtype=TEXT),
        "LBSPEC": pd.array(["SERUM", "SERUM", "BLOOD"], dtype=TEXT),
        "LBORRES": pd.array(["1.0", "<0.5", "12"], dtype=TEXT),
        "LBORRESU": pd.array(["mg/dL", "mg/dL", "g/dL"], dtype=TEXT),
        "LBSTRESC": pd.array([None, None, None], dtype=TEXT),
        "LBSTRESN": [np.nan, np.nan, np.nan],
        "LBSTRESU": pd.array([None, None, None], dtype=TEXT),
    })


def test_replaced_columns_are_not_kept_by_the_load_memo() -> None:
    """Inside the loader's memo (codes remembered per column), the --STRESC / --STRESU arrays
    replaced by standardisation are freed when replaced, not when the memo ends."""
    lb = _lb()
    with codes_memo():
        for c in lb.columns:
            column_codes(lb[c])  # remembered, as the reader's codes are inside load_study
        old = [weakref.ref(lb[c].array) for c in ("LBSTRESC", "LBSTRESU")]
        out = standardize_results("LB", lb, data_model(), [], copy=False)
        gc.collect()
        assert all(r() is None for r in old)
        assert out["LBSTRESU"].tolist() == ["umol/L", "umol/L", "g/L"]


def test_new_text_columns_are_text_as_before() -> None:
    """Regression (passes on the code before): --STRESC / --STRESU come out as Python-backed
    text, missing as pd.NA; a unit held as a number in an in-memory frame's object column is
    converted to text as ``pd.array(..., dtype="string")`` converts it."""
    lb = _lb()
    out = standardize_results("LB", lb, data_model(), [])
    assert out["LBSTRESC"].dtype == TEXT and out["LBSTRESU"].dtype == TEXT
    assert out["LBSTRESC"].tolist() == ["1.0", "<0.5", "12"]  # as collected
    odd = lb.iloc[:1].assign(LBORRES=pd.array([None], dtype=TEXT),
                             LBSTRESU=pd.Series([5], dtype=object))
    got = standardize_results("LB", odd, data_model(), [])["LBSTRESU"]
    assert got.dtype == TEXT and got.tolist() == ["5"]

