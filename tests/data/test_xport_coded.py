"""Text and number columns handed to the streaming XPORT writer as codes into their distinct
values (``XportV5Writer.write(part, coded=...)``, issue #18: each distinct value encoded once).

The reference is pyreadstat (ReadStat 1.3.7): the whole-frame writer gives pyreadstat's bytes
(tests/data/test_xport.py), and the coded parts must give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartrial.data.text import factorize_text
from cartrial.data.xport import XportV5Writer, text_width
from cartrial.errors import InputError
from tests.data.test_xport import assert_same_as_pyreadstat, frames, kwargs_for, parts_of


def _coded(part: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The part with its text columns as codes (-1 = missing) and their distinct values + "",
    its number columns as codes (NaN -1) and their distinct floats."""
    out, values = part.copy(), {}
    for c in part.columns:
        if part[c].dtype == object:
            codes, uniq = factorize_text(part[c].to_numpy())
            out[c], values[c] = codes, np.append(uniq, "").astype(object)
        elif part[c].dtype.kind == "f":
            out[c], values[c] = pd.factorize(part[c].to_numpy(), use_na_sentinel=True)
    return out, values


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(df=frames(), data=st.data())
def test_coded_parts_give_pyreadstats_bytes(df: pd.DataFrame, data, tmp_path: Path) -> None:
    want = assert_same_as_pyreadstat(df, tmp_path)
    parts = parts_of(df, data.draw(st.lists(st.integers(0, len(df)), max_size=3)))
    kinds = ["text" if df[c].dtype == object else "num" for c in df.columns]
    widths = {c: text_width(df[c]) for c, k in zip(df.columns, kinds, strict=True)
              if k == "text"}
    path = tmp_path / "coded.xpt"
    with XportV5Writer(path, columns=list(df.columns), kinds=kinds, text_widths=widths,
                       **kwargs_for(df)) as w:
        for i, p in enumerate(parts):
            part, values = _coded(p)
            if i % 2:  # some parts coded, some not: both ways give the same records
                w.write(part, coded=values)
            else:
                w.write(p)
    assert path.read_bytes() == want


def test_coded_text_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    kw = {"table_name": "ADX", "file_label": "x", "columns": ["A", "T"],
          "column_labels": ["a", "t"], "kinds": ["num", "text"], "text_widths": {"T": 2}}
    part = pd.DataFrame({"A": [1.0, 2.0], "T": [0, 1]})
    for coded, message in [
        ({"T": np.array(["ab", "abc", ""], dtype=object)}, "'T': a value of 3 bytes"),
        ({"A": np.array(["x", ""], dtype=object)}, "'A': coded text for a num column"),
    ]:
        with pytest.raises(InputError, match=message), XportV5Writer(tmp_path / "x.xpt",
                                                                     **kw) as w:
            w.write(part, coded=coded)
        assert not (tmp_path / "x.xpt").exists()
    with pytest.raises(InputError, match="'T': coded text needs integer codes"), \
            XportV5Writer(tmp_path / "x.xpt", **kw) as w:
        w.write(part.astype({"T": float}), coded={"T": np.array(["a", "b", ""], dtype=object)})
    with pytest.raises(InputError, match="'A': coded numbers need integer codes"), \
            XportV5Writer(tmp_path / "x.xpt", **kw) as w:
        w.write(part, coded={"A": np.array([1.0, 2.0])})


def test_coded_numbers_give_the_values_bytes(tmp_path: Path) -> None:
    """Regression test (the code against itself): numbers as codes into their distinct values,
    each converted to an IBM double once, against the values converted row by row: -0.0 and
    0.0 (one code), NaN, infinities, subnormal, huge and tiny values, more rows than a chunk."""
    rng = np.random.default_rng(9)
    pool = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1e-300, 1e300, 1 / 3, -2.5,
                     1e75, 1e-80, 123456789.125])
    x = np.concatenate([pool, rng.choice(pool, 5_000), rng.normal(size=5_000)])
    kw = {"table_name": "ADX", "file_label": "x", "columns": ["A"], "column_labels": ["a"],
          "kinds": ["num"], "text_widths": {}, "chunk_rows": 999}
    frame = pd.DataFrame({"A": x})
    with XportV5Writer(tmp_path / "values.xpt", **kw) as w:
        w.write(frame)
    codes, uniq = pd.factorize(x, use_na_sentinel=True)
    with XportV5Writer(tmp_path / "codes.xpt", **kw) as w:
        w.write(pd.DataFrame({"A": codes}), coded={"A": uniq})
    assert (tmp_path / "codes.xpt").read_bytes() == (tmp_path / "values.xpt").read_bytes()
