"""result_findings: which records are of a numeric or a coded test is decided per distinct test
code (issue #18); a missing or unknown test code is neither, in every kind of column (regression
tests: they pass on the code before, which asked each record's text with isin)."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.data.results import result_findings
from cartrial.data.spec import data_model


@pytest.mark.parametrize("dtype", ["string", object])
def test_missing_and_unknown_test_codes_are_neither_numeric_nor_coded(dtype) -> None:
    vs = pd.DataFrame({"USUBJID": ["S1"] * 5, "VSSEQ": [1.0, 2.0, 3.0, 4.0, 5.0],
                       "VSTESTCD": pd.Series(["TEMP", None, "NOPE", "TEMP", "TEMP"],
                                             dtype=dtype),
                       "VSORRES": ["high", "high", "high", "39,7", "38.5"],
                       "VSORRESU": ["C"] * 5})
    got = [(f.seq, f.rule_id) for f in result_findings("VS", vs, data_model())]
    assert got == [(1.0, "RESULT_NOT_NUMBER"), (4.0, "DECIMAL_COMMA")]


def test_a_coded_results_standard_text_is_checked_only_for_coded_tests() -> None:
    model = data_model()
    coded = next(c for c, t in model.tests["LB"].items() if t.is_coded)
    lb = pd.DataFrame({"USUBJID": ["S1"] * 3, "LBSEQ": [1.0, 2.0, 3.0],
                       "LBTESTCD": pd.Series([coded, None, coded], dtype="string"),
                       "LBORRES": ["negative", "negative", "positive"],
                       "LBSTRESC": ["NEGATIVE", "POSITIVE", "NEGATIVE"],
                       "LBSTRESN": [float("nan")] * 3})
    got = [(f.seq, f.rule_id) for f in result_findings("LB", lb, model)]
    assert got == [(3.0, "STRESC_MISMATCH")]


def _stresn_mismatch_before(name: str, df: pd.DataFrame) -> list[tuple]:
    """The STRESN_MISMATCH records as the rule before found them (pandas ``groupby`` of the
    four key columns filled with ""): the reference of the regression test below."""
    import numpy as np

    from cartrial.data.results import RELATIVE_TOLERANCE, _numbers
    from cartrial.data.units import convert

    tests = data_model().tests[name]
    numeric = df[f"{name}TESTCD"].isin([c for c, t in tests.items() if not t.is_coded])
    codes, num, _ = _numbers(df[f"{name}ORRES"])
    onum = np.append(num, np.nan)[codes]
    sn = df[f"{name}STRESN"].to_numpy(dtype=float)
    keys = pd.DataFrame({"t": df[f"{name}TESTCD"], "s": df.get(f"{name}SPEC", ""),
                         "ou": df.get(f"{name}ORRESU", ""),
                         "su": df.get(f"{name}STRESU", "")}).fillna("")
    both = numeric.to_numpy(dtype=bool) & ~np.isnan(onum) & ~np.isnan(sn)
    out = []
    for (t, s, ou, su), g in keys[both].groupby(["t", "s", "ou", "su"], sort=True):
        std = tests[t].standard_unit(s or None)
        pos = df.index.get_indexer(g.index.to_numpy())
        a = onum[pos] if std is None else convert(onum[pos], t, ou or std, std)
        b = sn[pos] if std is None else convert(sn[pos], t, su or std, std)
        if a is None or b is None:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            off = np.abs(a - b) > RELATIVE_TOLERANCE * np.maximum(np.abs(a), np.abs(b))
        out += [(df["USUBJID"].iloc[pos[k]], float(sn[pos[k]])) for k in np.flatnonzero(off)]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_standard_result_mismatches_are_those_of_the_rule_before(seed: int) -> None:
    """Regression: STRESN_MISMATCH found by (test, specimen, units) groups taken from the
    columns' codes gives the records, in the order, that pandas' groupby gave."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 400

    def pick(values: list) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=object)[rng.integers(0, len(values), n)],
                         dtype="string")

    lb = pd.DataFrame({
        "USUBJID": pd.Series([f"S{i}" for i in range(n)], dtype="string"),
        "LBSEQ": np.arange(n, dtype=float),
        "LBTESTCD": pick(["HGB", "CREAT", "K", "IMFIX", None, "XX"]),
        "LBSPEC": pick(["SERUM", "BLOOD", None]),
        "LBORRES": pick(["1.0", "10.2", "88", "4.1", "abc", None]),
        "LBORRESU": pick(["g/dL", "g/L", "mg/dL", "umol/L", "mmol/L", None, ""]),
        "LBSTRESN": np.asarray([10.2, 102.0, 88.4, 4.1, 1.0, np.nan])[rng.integers(0, 6, n)],
        "LBSTRESU": pick(["g/L", "umol/L", "mmol/L", None]),
    })
    got = [(f.usubjid, f.value) for f in result_findings("LB", lb, data_model())
           if f.rule_id == "STRESN_MISMATCH"]
    want = _stresn_mismatch_before("LB", lb)
    assert got == want and len(want) > 5
