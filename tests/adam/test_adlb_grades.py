"""ADLB's CTCAE grades given by grading only the records of tests with a CTCAE term
(``adam.adlb_grades`` with ``safety.ctcae_scope.graded_input``, issue #18) against grading
every record with a result and a day, the code it replaced (kept verbatim below).

Regression tests on seeded random frames: graded and ungraded tests, baseline records,
treatment-emergent records, missing limits; and the records that make ``grade_labs`` refuse the
frame (a negative result, a lower limit above the upper, two baseline records of one subject
and test as ``grade_labs`` groups them: "il6" and "IL6") put among the ungraded tests: the same
error as before, not a silent pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam.adlb_grades import _GRADED, derive_vars_atoxgr_lb
from cartrial.errors import InputError
from cartrial.protocol import load_protocol
from cartrial.safety import ctcae_lab_criteria, grade_labs

PROTOCOL = load_protocol("ct071")


def _replaced(out: pd.DataFrame) -> pd.DataFrame:
    """``adam.adlb._add_atoxgr`` as it was at bdc1956 (verbatim)."""
    out = out.copy()
    n = len(out)
    cols = {c: np.full(n, "", dtype=object) if c in _GRADED[:3] else np.full(n, np.nan)
            for c in _GRADED}
    sel = out["AVAL"].notna() & out["ADAYINF"].notna()
    if not sel.any():
        for c in _GRADED:
            out[c] = cols[c]
        return out
    inp = pd.DataFrame({
        "_ROW": np.flatnonzero(sel.to_numpy()),
        "USUBJID": out.loc[sel, "USUBJID"].to_numpy(),
        "PARAMCD": out.loc[sel, "PARAMCD"].to_numpy(),
        "DAY": out.loc[sel, "ADAYINF"].to_numpy(),
        "AVAL": out.loc[sel, "AVAL"].to_numpy(),
        "LLN": out.loc[sel, "ANRLO"].to_numpy(),
        "ULN": out.loc[sel, "ANRHI"].to_numpy(),
        "ABLFL": out.loc[sel, "ABLFL"].to_numpy(),
        "SEQ": out.loc[sel, "LBSEQ"].to_numpy(),
    })
    g = grade_labs(inp, treatment_emergent_until_day=PROTOCOL.safety.treatment_emergent_until_day)
    rows = g["_ROW"].to_numpy()
    for c in _GRADED:
        cols[c][rows] = g[c].to_numpy()
        out[c] = cols[c]
    return out


def _frame(seed: int, n: int = 500) -> pd.DataFrame:
    """ADLB records after the baseline derivation: one baseline (the last record on or before
    day 0) per subject and test."""
    rng = np.random.default_rng(seed)
    tests = np.array(["PLAT", "NEUT", "ALT", "HGB", "IL6", "MPROTEIN", "FERRITIN"], dtype=object)
    out = pd.DataFrame({"USUBJID": np.array(["S1", "S2", "S3"], dtype=object)[
                            rng.integers(0, 3, n)],
                        "LBSEQ": np.arange(1.0, n + 1),
                        "PARAMCD": tests[rng.integers(0, len(tests), n)],
                        "ADAYINF": rng.integers(-10, 60, n).astype(float),
                        "AVAL": np.round(rng.gamma(2.0, 40.0, n), 1),
                        "ANRLO": np.where(rng.random(n) < 0.9, 30.0, np.nan),
                        "ANRHI": np.where(rng.random(n) < 0.9, 150.0, np.nan)})
    out.loc[rng.random(n) < 0.1, "AVAL"] = np.nan
    out.loc[rng.random(n) < 0.05, "ADAYINF"] = np.nan
    pre = out[(out["ADAYINF"] <= 0) & out["AVAL"].notna()].sort_values("ADAYINF", kind="stable")
    last = pre.groupby(["USUBJID", "PARAMCD"]).tail(1).index
    out["ABLFL"] = np.where(out.index.isin(last), "Y", "")
    return out


def _same(out: pd.DataFrame) -> bool:
    """True when both refuse the frame with the same error, else the frames are equal."""
    try:
        want = _replaced(out)
    except InputError as e:
        with pytest.raises(InputError) as got:
            derive_vars_atoxgr_lb(out, PROTOCOL)
        assert type(got.value) is type(e) and str(got.value) == str(e)
        return True
    pd.testing.assert_frame_equal(derive_vars_atoxgr_lb(out, PROTOCOL), want, check_exact=True)
    return False


@pytest.mark.parametrize("seed", range(8))
def test_grades_equal_grading_every_record(seed):
    """Regression test: every graded column equal, also for the ungraded tests' records."""
    out = _frame(seed)
    assert not _same(out)
    graded = derive_vars_atoxgr_lb(out, PROTOCOL)
    ungraded = ~out["PARAMCD"].isin(list(ctcae_lab_criteria("5.0").graded_tests()))
    assert ungraded.any() and graded.loc[ungraded, ["ATOXGRL", "ATOXGRH"]].isna().all(None)


def test_a_refused_record_of_an_ungraded_test_is_refused_as_before():
    """Regression test: a negative result, LLN above ULN, two baseline records of a subject
    and test as grade_labs groups them (case): all records graded, the same error raised."""
    out = _frame(3)
    il6 = np.flatnonzero((out["PARAMCD"] == "IL6") & out["AVAL"].notna()
                         & out["ADAYINF"].notna())
    negative = out.copy()
    negative.loc[il6[0], "AVAL"] = -1.0
    limits = out.copy()
    limits.loc[il6[0], ["ANRLO", "ANRHI"]] = [10.0, 5.0]
    case = out.copy()
    base = out.index[(out["PARAMCD"] == "IL6") & (out["ABLFL"] == "Y")][0]
    twin = out.loc[[base]].assign(PARAMCD="il6", LBSEQ=9999.0)
    case = pd.concat([case, twin], ignore_index=True)
    for frame in (negative, limits, case):
        assert _same(frame)


def test_no_graded_record_and_no_record():
    """Regression test: only ungraded tests, and no records: no grade, as before."""
    out = _frame(4)
    ungraded = out[out["PARAMCD"].isin(["IL6", "MPROTEIN"])].reset_index(drop=True)
    assert not _same(ungraded)
    assert ungraded.pipe(derive_vars_atoxgr_lb, PROTOCOL)["ATOXGRL"].isna().all()
    assert not _same(out.iloc[:0])


def test_graded_tests_of_the_criteria():
    c = ctcae_lab_criteria("5.0")
    assert {"PLAT", "NEUT", "ALT", "HGB"} <= c.graded_tests()
    assert not {"IL6", "MPROTEIN", "FERRITIN"} & c.graded_tests()
    assert all(t.upper() == t for t in c.graded_tests())


def test_adlb_grades_by_the_ctcae_version_the_protocol_pins():
    """ADLB grades by the protocol's ``safety.ctcae_version``, as the safety engine does (it
    graded by v5.0 whatever the protocol pinned). External check, the tables themselves:
    neutrophils 0.8 x 10^9/L are grade 3 in NCI CTCAE v5.0 (27 Nov 2017; grade 3 "<1.0 - 0.5 x
    10^9/L") and grade 2 in v6.0 (22 July 2025; grade 2 "<1.0 - 0.5 x 10^9/L")."""
    import pandas as pd

    from cartrial.adam.adlb_grades import derive_vars_atoxgr_lb
    from cartrial.protocol import load_protocol

    adlb = pd.DataFrame({"USUBJID": "S1", "LBSEQ": [1.0, 2.0], "PARAMCD": "NEUT",
                         "ADAYINF": [-2.0, 7.0], "AVAL": [3.1, 0.8], "ANRLO": 1.8,
                         "ANRHI": 7.5, "ABLFL": ["Y", ""]})
    base = load_protocol("ct071")
    for version, grade in (("5.0", 3.0), ("6.0", 2.0)):
        protocol = base.model_copy(update={
            "safety": base.safety.model_copy(update={"ctcae_version": version})})
        got = derive_vars_atoxgr_lb(adlb, protocol)
        assert got["ATOXGRL"].tolist() == [0.0, grade]
        assert got["ATOXDSCL"].iloc[1] == "Neutrophil count decreased"
