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
