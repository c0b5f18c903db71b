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
