"""ADLB's LB variables read once per distinct value (``derive_vars_lb_param``, issue #18)
and its baseline's text tests asked once per distinct object (``derive_var_ablfl``).

Regression tests: the rule replaced (every text variable read row by row, pandas'
``fillna`` / ``astype(str)`` / comparisons over every record, its ``distinct_rows`` over the
texts) is kept here as the reference, and compared on the example trial's LB and on an LB
with damaged values (missing text of each variable, NUL characters, a record without USUBJID,
LBORRES in place of LBSTRESC, object columns instead of Python-backed text).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam._dates import dtc_date, yn
from cartrial.adam.adlb import _paramcd_param, derive_var_ablfl, derive_vars_lb_param
from cartrial.data.text import distinct_rows
from tests.adam import test_adae_adlb

example = test_adae_adlb.example  # the example trial's study and ADSL (a module fixture)
TEXT = pd.StringDtype("python")


def _replaced(lb: pd.DataFrame) -> pd.DataFrame:
    """derive_vars_lb_param as it was before (row by row), the reference."""
    out = pd.DataFrame({"STUDYID": lb["STUDYID"].to_numpy(), "USUBJID": lb["USUBJID"].to_numpy(),
                        "LBSEQ": lb["LBSEQ"].to_numpy()})
    code = lb["LBTESTCD"].astype(str).to_numpy()
    spec = lb["LBSPEC"].astype(str).to_numpy()
    unit = lb["LBSTRESU"].fillna("").astype(str).to_numpy() if "LBSTRESU" in lb.columns \
        else np.full(len(lb), "")
    test = lb["LBTEST"].astype(str).to_numpy()
    rows, first = distinct_rows([code, spec, test, unit])
    pc, param = _paramcd_param(code[first], spec[first], test[first], unit[first])
    out["PARAMCD"], out["PARAM"] = pc[rows], param[rows]
    out["LBCAT"] = lb["LBCAT"].to_numpy() if "LBCAT" in lb.columns else ""
    out["LBSPEC"] = spec
    out["AVAL"] = pd.to_numeric(lb["LBSTRESN"], errors="coerce").to_numpy()
    strc = lb["LBSTRESC"] if "LBSTRESC" in lb.columns else lb["LBORRES"]
    out["AVALC"] = np.where(np.isnan(out["AVAL"].to_numpy(dtype=float)),
                            strc.fillna("").astype(str).to_numpy(), "")
    out["AVALU"] = unit
    for src, dst in (("LBSTNRLO", "ANRLO"), ("LBSTNRHI", "ANRHI")):
        out[dst] = pd.to_numeric(lb[src], errors="coerce").to_numpy() if src in lb.columns \
            else np.nan
    out["ADT"], out["ADTF"] = (s.to_numpy() for s in dtc_date(lb["LBDTC"]))
    out["ADTF"] = out["ADTF"].fillna("")
    out["LBBLFL"] = lb["LBBLFL"].fillna("").to_numpy() if "LBBLFL" in lb.columns else ""
    out["LBLLOQ"] = pd.to_numeric(lb["LBLLOQ"], errors="coerce").to_numpy() \
        if "LBLLOQ" in lb.columns else np.nan
    if "LBMETHOD" in lb.columns:
        out["LBMETHOD"] = lb["LBMETHOD"].fillna("").to_numpy()
    return out


def _damaged(lb: pd.DataFrame, seed: int) -> pd.DataFrame:
    lb = lb.copy()
    rng = np.random.default_rng(seed)
    for c in ("LBSTRESU", "LBSTRESC", "LBBLFL", "LBMETHOD", "LBCAT", "LBSPEC", "LBTEST",
              "LBDTC", "STUDYID"):
        if c in lb.columns:
            lb.loc[rng.random(len(lb)) < 0.05, c] = pd.NA
    hit = rng.random(len(lb)) < 0.03
    lb["LBTEST"] = pd.array(np.where(hit, "a\x00b", lb["LBTEST"].astype(object)), dtype=TEXT)
    lb.loc[len(lb) // 3, "USUBJID"] = pd.NA
    lb.loc[rng.random(len(lb)) < 0.05, "LBSTRESN"] = np.nan
    return lb


def _equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in want.columns:  # the kind of each missing value too
        if want[c].dtype == object:
            assert [type(v) for v in got[c]] == [type(v) for v in want[c]], c


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_lb_param_equals_the_row_wise_rule(example, seed):
    study, _ = example
    lb = study["LB"] if seed is None else _damaged(study["LB"], seed)
    assert lb["LBTESTCD"].dtype == TEXT  # the loader's text: read per distinct value
    _equal(derive_vars_lb_param(lb), _replaced(lb))


def test_lb_param_of_other_columns_equals_the_row_wise_rule(example):
    study, _ = example
    lb = _damaged(study["LB"], 3)
    lb = lb.drop(columns=["LBSTRESC", "LBSTRESU", "LBCAT"])
    lb = lb.astype({c: object for c in lb.columns if lb[c].dtype == TEXT and c != "LBDTC"})
    lb.loc[lb.index[:5], "LBORRES"] = None  # None, not pd.NA: kept as it is
    _equal(derive_vars_lb_param(lb), _replaced(lb))


def test_baseline_equals_the_row_wise_tests(example):
    """Regression test: derive_var_ablfl with its text tests asked per distinct object against
    the same with pandas' row-wise comparisons (`AVALC != ""`, `LBBLFL == "Y"`, isna)."""
    study, adsl = example
    adlb = derive_vars_lb_param(_damaged(study["LB"], 4))
    got = derive_var_ablfl(adlb, adsl)
    out = adlb.copy()
    trt = out["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    day = (out["ADT"] - trt).dt.days.astype(float)
    pre = ((out["AVAL"].notna() | (out["AVALC"] != "")) & (day <= 0)).to_numpy()
    flagged = (out["LBBLFL"] == "Y").to_numpy()
    keyless = (out["USUBJID"].isna() | out["PARAMCD"].isna()).to_numpy()
    assert keyless.any() and flagged.any()
    # the baseline by groupby, as ADaMIG states it: the flagged record, else the last pre one
    frame = pd.DataFrame({"U": out["USUBJID"], "P": out["PARAMCD"], "ADT": out["ADT"],
                          "pre": pre, "flag": flagged})
    any_flag = frame.groupby(["U", "P"], dropna=False)["flag"].transform("any").to_numpy()
    cand = frame[pre & ~keyless].sort_values(["U", "P", "ADT"], kind="stable")
    last = np.zeros(len(frame), dtype=bool)
    last[cand.groupby(["U", "P"]).tail(1).index.to_numpy()] = True
    want = np.where(any_flag | keyless, flagged, last & ~keyless)
    assert got["ABLFL"].tolist() == yn(want).tolist()
