"""cartrial.errors: the one required-columns check every layer uses (issue #19: each rule once)."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

import cartrial.errors as errors
from cartrial.errors import InputError, require_columns


def test_every_missing_column_is_named_with_what_is_present():
    df = pd.DataFrame({"USUBJID": [], "AVAL": []})
    with pytest.raises(InputError) as e:
        require_columns(df, ["USUBJID", "ADT", "PARAMCD"], where="ADLB", noun="variable")
    assert str(e.value) == ("ADLB: missing variable(s) ['ADT', 'PARAMCD']; "
                            "present: ['AVAL', 'USUBJID']")


def test_something_that_is_not_a_frame_is_an_input_error():
    with pytest.raises(InputError, match="expected a pandas DataFrame, got list"):
        require_columns([1, 2], ["A"], where="AE")


def test_nothing_missing_passes():
    require_columns(pd.DataFrame({"A": [1]}), ["A"], where="X")


def test_the_docstring_example_runs():
    """Regression test of the documentation (errors is not a package of test_doctests)."""
    result = doctest.testmod(errors, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 1 and result.failed == 0


def test_errors_cross_a_process_boundary_as_themselves():
    """A forked writer's error reaches the main process as the same class, record and text
    (pickled through ``Background``), so the CLI still exits 2 naming the record."""
    import pickle

    from cartrial.errors import Finding, FindingsError, InputError, RecordError

    rec = RecordError(domain="AE", usubjid="S1", seq=3, variable="AESTDTC", value="2024-13",
                      rule="not an ISO 8601 date", hint="a hint")
    back = pickle.loads(pickle.dumps(rec))
    assert type(back) is RecordError and back.finding == rec.finding and str(back) == str(rec)
    many = FindingsError([Finding("DM", "S2", 1, "AGE", -1, "age must be >= 0")])
    back = pickle.loads(pickle.dumps(many))
    assert type(back) is FindingsError and back.findings == many.findings
    assert str(pickle.loads(pickle.dumps(InputError("bad")))) == "bad"
