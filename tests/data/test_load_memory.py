"""The loader frees each numeric variable's text once it is parsed (issue #18: memory): the
text columns of LBSEQ, LBSTRESN, ... (8 bytes a record) are gone before the domain is
checked and standardised, not kept until the caller lets go of the frame it read.

Facts about object lifetimes (weak references), not about numbers; the values loaded are
covered by the loader's tests against their references (tests/data/test_load.py,
test_snapshot.py, test_validate_codes.py)."""

from __future__ import annotations

import gc
import weakref

import pandas as pd

import cartrial.data.load as load
from cartrial.data import load_study, write_study
from cartrial.data.spec import data_model, is_numeric_var
from tests.data.minimal_study import minimal_domains


def test_numeric_text_freed_before_standardisation(tmp_path, monkeypatch) -> None:
    write_study(minimal_domains(), tmp_path, format="csv")
    refs: dict[str, list] = {}
    read = load._read_file

    def reading(path, *args):
        raw = read(path, *args)
        name = path.stem.upper()
        refs[name] = [weakref.ref(raw[c].array) for c in raw.columns
                      if is_numeric_var(name, c)]
        return raw

    alive_then: dict[str, int] = {}
    standardize = load.standardize_results

    def standardising(name, df, *args, **kwargs):
        gc.collect()
        alive_then[name] = sum(r() is not None for r in refs[name])
        return standardize(name, df, *args, **kwargs)

    monkeypatch.setattr(load, "_read_file", reading)
    monkeypatch.setattr(load, "standardize_results", standardising)
    study = load_study(tmp_path)
    assert refs["AE"] and alive_then["AE"] == 0  # while the caller still holds its frame
    # a domain held encoded: its numeric variables never become text columns (parsed from
    # the reader's codes)
    assert refs["LB"] == [] and refs["VS"] == []
    assert all(n == 0 for n in alive_then.values()), alive_then
    assert pd.api.types.is_float_dtype(study["LB"]["LBSTRESN"])


def test_prepare_domain_consumes_the_numeric_columns() -> None:
    lb = minimal_domains()["LB"]
    raw = load.frame_columns(lb.astype(str).where(lb.notna(), None), set(), {})
    typed = load.prepare_domain("LB", raw, data_model(), [], set(), {})
    assert list(raw.columns) == []  # the columns were taken from the caller's frame
    assert all(pd.api.types.is_float_dtype(typed[c]) for c in typed.columns
               if is_numeric_var("LB", c))
