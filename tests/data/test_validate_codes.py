"""Loading and validating with text columns factorised once (cartrial.data.validate_codes).

Regression tests: the faster validation must give what the previous code gave. The snapshot
``messy_snapshot.json`` was written by the code before this change (commit cde98c6, pandas
2.3.3, numpy 2.4.6, pyarrow 26.0.1) with ``python tests/data/_messy.py OUT.json``: the CT071
example (seed ``_messy.SEED``) with seeded messy values (padded, re-cased, blank and malformed
cells, unknown codes, impossible dates, NULs, repeated records). The helpers are also checked
against the pandas operations they replace, on generated columns.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data.validate_codes import (
    among,
    codes_memo,
    column_codes,
    key_duplicated,
    map_by_value,
    present,
    subjects_of,
)

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _messy import SEED, digest, make_messy  # noqa: E402

# pandas 2 hashes text only up to a NUL (pandas issue #34551): "\x00A" and "" are one value
# to pandas' duplicated / isin; the references below are taken on text without NUL, and
# test_text_with_a_nul_is_kept_apart checks that such values stay apart here
TEXT = st.one_of(st.none(), st.sampled_from(["A", "a", "B", " A", "", "é", "AB"]))


def test_messy_trial_loads_and_validates_as_before(tmp_path) -> None:
    """Regression: frames, load findings and validation findings of a messy generated trial
    are those of the code before the change (snapshot, see the module docstring)."""
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    folder = tmp_path / "messy"
    write_example(simulate_trial(load_protocol("ct071"), seed=SEED), folder)
    make_messy(folder, SEED)
    got = digest(folder)
    want = json.loads((HERE / "messy_snapshot.json").read_text())
    assert got["by_rule"] == want["by_rule"]
    assert got["domains"] == want["domains"]
    assert got == want
    assert sum(want["by_rule"].values()) > 1000  # the trial is messy enough to say something


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=30), st.sampled_from(["A", "a", "AB", ""]))
def test_helpers_equal_the_pandas_operations(values, value) -> None:
    """Regression against pandas: ==, isin, notna on a text column."""
    s = pd.Series(values, dtype="string")
    with codes_memo():
        assert among(s, {value}).tolist() == (s == value).fillna(False).tolist()
        assert among(s, {"A", "", "é"}).tolist() == s.isin({"A", "", "é"}).tolist()
        assert present(s).tolist() == s.notna().tolist()
        codes, uniq = column_codes(s)
        assert [None if c < 0 else uniq[c] for c in codes] == [
            None if v is pd.NA else v for v in s]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, st.one_of(st.none(), st.integers(0, 3))), max_size=30))
def test_key_duplicated_and_subjects_equal_pandas(rows) -> None:
    """Regression against pandas: duplicated keys (both parts filled), subjects, map."""
    df = pd.DataFrame({"USUBJID": pd.array([u for u, _s in rows], dtype="string"),
                       "AESEQ": pd.array([np.nan if s is None else float(s) for _u, s in rows],
                                         dtype=float)})
    key = ["USUBJID", "AESEQ"]
    want = df.duplicated(subset=key, keep="first") & df[key].notna().all(axis=1)
    assert key_duplicated(df, key).tolist() == want.tolist()
    assert subjects_of(df) == set(df["USUBJID"].dropna().astype(str))
    mask = (df["AESEQ"] > 1).to_numpy()
    assert subjects_of(df, mask) == set(df.loc[mask, "USUBJID"].dropna().astype(str))
    death = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01"]), index=["A", "é"])
    got = map_by_value(df["USUBJID"], death)
    assert pd.Series(got).equals(pd.Series(df["USUBJID"].map(death).to_numpy()))


def test_standardised_results_do_not_depend_on_the_chunk(tmp_path) -> None:
    """Regression: standardising the messy trial's LB and VS 37 rows at a time gives the
    frames and findings of one pass (the groups and results are factorised on the whole
    domain, then taken chunk by chunk)."""
    from cartrial.data import data_model, load_study, standardize_results
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    folder = tmp_path / "messy"
    write_example(simulate_trial(load_protocol("ct071"), seed=SEED, n_patients=4), folder)
    make_messy(folder, SEED, rate=0.05)
    study = load_study(folder)
    for name in ("LB", "VS"):
        raw = study[name].drop(columns=[c for c in study[name] if c.startswith(f"{name}ST")])
        one, many = [], []
        whole = standardize_results(name, raw, data_model(), one)
        parts = standardize_results(name, raw, data_model(), many, chunk_rows=37)
        pd.testing.assert_frame_equal(whole, parts, check_exact=True)
        assert [str(f) for f in one] == [str(f) for f in many]
        assert one  # messy units were found


def test_text_with_a_nul_is_kept_apart() -> None:
    """Values that differ after a NUL character are different values (pandas' own hashing
    would merge "\x00A" with "", pandas issue #34551; load_study reports such values)."""
    df = pd.DataFrame({"USUBJID": pd.array(["", "\x00A", "\x00A"], dtype="string"),
                       "AESEQ": [1.0, 1.0, 1.0]})
    assert key_duplicated(df, ["USUBJID", "AESEQ"]).tolist() == [False, False, True]
    assert among(df["USUBJID"], {"\x00A"}).tolist() == [False, True, True]
    assert column_codes(df["USUBJID"])[0].tolist() == [0, 1, 1]
