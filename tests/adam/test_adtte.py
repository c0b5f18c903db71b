"""ADTTE from the efficacy engine's time-to-event rows: bad input gets a named error, and the
optional descriptions may be absent (CDISC ADaM Basic Data Structure for Time-to-Event Analyses
v1.0, 2012: CNSR 0 = event, positive integers = censoring)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cartrial.adam import derive_adtte
from cartrial.errors import InputError, RecordError

TTE = pd.DataFrame({"USUBJID": ["S1", "S2"], "PARAMCD": "PFS", "PARAM": "Progression-free",
                    "STARTDT": pd.to_datetime(["2024-01-01", "2024-01-01"]),
                    "ADT": pd.to_datetime(["2024-07-01", "2024-04-01"]), "AVAL": [183, 92],
                    "CNSR": [0, 1]})
ADSL = pd.DataFrame({"USUBJID": ["S1", "S2"], "STUDYID": "CT071", "TRT01A": "DL1",
                     "TRT01AN": 1, "PPCLFL": "N", "SAFFL": "Y"})


def test_descriptions_are_optional_and_blank_when_absent() -> None:
    out = derive_adtte(TTE, ADSL)
    assert out["EVNTDESC"].tolist() == ["", ""] and out["CNSDTDSC"].tolist() == ["", ""]
    assert out["CNSR"].tolist() == [0, 1] and out["AVALU"].eq("DAYS").all()


def test_absent_descriptions_raise_no_pandas_future_warning() -> None:
    # pandas 2 warned that filling an all-missing object column would stop downcasting it;
    # the source variables (SRCDOM / SRCVAR) are still those of a blank description
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        out = derive_adtte(TTE, ADSL)
    assert out["SRCDOM"].tolist() == ["ADRS", "ADRS"] and out["SRCVAR"].tolist() == ["ADT"] * 2


def test_missing_adsl_variable_is_named() -> None:
    with pytest.raises(InputError, match=r"ADSL: missing variable\(s\) \['SAFFL'\]"):
        derive_adtte(TTE, ADSL.drop(columns="SAFFL"))


def test_censoring_code_outside_the_codes_names_the_record() -> None:
    with pytest.raises(RecordError, match="CNSR"):
        derive_adtte(TTE.assign(CNSR=[0, 7]), ADSL)
