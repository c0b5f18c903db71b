"""Tracebacks the fuzz tests (test_fuzz.py) found, each kept as a fast regression test: the
damaged input gives findings or a clean result, never another exception."""

from __future__ import annotations

import pandas as pd

from cartrial.data import load_study, validate_study, write_study
from cartrial.protocol import load_protocol
from tests.data.minimal_study import minimal_domains


def test_misspelt_usubjid_header_is_var_missing_not_a_keyerror(tmp_path) -> None:
    d = minimal_domains()
    d["LB"] = d["LB"].rename(columns={"USUBJID": "USUBJD"})
    write_study(d, tmp_path)
    f = validate_study(load_study(tmp_path), load_protocol("ct071")).findings
    miss = f[f["rule_id"] == "VAR_MISSING"]
    assert miss[["domain", "variable"]].values.tolist() == [["LB", "USUBJID"]]


def test_subject_without_a_disposition_event_is_ongoing_not_a_typeerror() -> None:
    """One subject's DS disposition record removed: ADSL.EOSSTT is ONGOING (admiral: missing
    disposition -> ONGOING) instead of numpy.select failing on a missing comparison."""
    from cartrial.adam.adsl import derive_vars_eos

    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"]})
    ds = pd.DataFrame({"USUBJID": ["S1"], "DSCAT": ["DISPOSITION EVENT"],
                       "DSDECOD": ["COMPLETED"], "DSSTDTC": ["2024-05-01"]}, dtype="string")
    out = derive_vars_eos(adsl, ds)
    assert out["EOSSTT"].tolist() == ["COMPLETED", "ONGOING"]


def test_coded_result_without_orres_column_is_var_missing_not_a_keyerror(tmp_path) -> None:
    """IS without ISORRES but with ISSTRESC: the coded result is checked on ISSTRESC."""
    d = minimal_domains()
    d["IS"] = d["IS"].drop(columns="ISORRES").assign(ISSTRESC=["MAYBE"])
    write_study(d, tmp_path)
    f = validate_study(load_study(tmp_path), load_protocol("ct071")).findings
    assert f[f["rule_id"] == "VAR_MISSING"][["domain", "variable"]].values.tolist() == [
        ["IS", "ISORRES"]]
    term = f[f["rule_id"] == "TERM_UNKNOWN"]
    # (ISSTRESC has controlled terms and ADA_BAB coded values: both rules name it)
    assert {tuple(r) for r in term[["domain", "variable", "value"]].values.tolist()} == {
        ("IS", "ISSTRESC", "MAYBE")}
