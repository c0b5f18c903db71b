"""ADLB's baseline (ABLFL, BASE, BASEC) found with integer arrays (``adam.adlb_baseline``,
issue #18) against the pandas groupby/sort/reindex code it replaced, kept verbatim below.

Regression tests: the faster path is compared with the replaced one on seeded random frames
(flagged and derived baselines, ties on the date, missing dates, results and keys, a group's
second flagged record); the rule itself is checked by hand-worked cases in
tests/adam/test_adae_adlb.py and the doctests of ``derive_var_ablfl``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam._dates import study_day_from, yn
from cartrial.adam.adlb import derive_var_ablfl
from cartrial.errors import RecordError


def _replaced(out: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """``adam.adlb._add_ablfl`` as it was at be77783 (verbatim, up to BASEC: CHG, PCHG and
    ANRIND after it are unchanged)."""
    trt = out["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    out["ADY"] = study_day_from(out["ADT"], trt)
    out["ADAYINF"] = (out["ADT"] - trt).dt.days.astype(float)
    has = out["AVAL"].notna() | (out["AVALC"] != "")
    pre = has & (out["ADAYINF"] <= 0)
    flagged = out["LBBLFL"] == "Y"
    key = [out["USUBJID"], out["PARAMCD"]]
    any_flag = flagged.groupby(key).transform("any")
    order = np.arange(len(out))
    # last pre-infusion record by date (stable on input order)
    srt = out[["USUBJID", "PARAMCD", "ADT"]].assign(_o=order).sort_values(
        ["USUBJID", "PARAMCD", "ADT", "_o"], kind="stable")  # the keys only: no frame copy
    cand = srt[pre.loc[srt.index]]
    last_pre = cand.groupby(["USUBJID", "PARAMCD"], sort=False).tail(1).index
    derived_bl = pd.Series(False, index=out.index)
    derived_bl.loc[last_pre] = True
    abl = np.where(any_flag, flagged, derived_bl)
    out["ABLFL"] = yn(abl)
    bl = out[abl]
    dup = bl.duplicated(["USUBJID", "PARAMCD"])
    if dup.any():
        r = bl[dup].iloc[0]
        raise RecordError(domain="LB", usubjid=r["USUBJID"], seq=r["LBSEQ"], variable="LBBLFL",
                          value="Y", rule=f"more than one baseline record for {r['PARAMCD']}")
    bmap = bl.set_index(["USUBJID", "PARAMCD"])
    idx = pd.MultiIndex.from_frame(out[["USUBJID", "PARAMCD"]])
    out["BASE"] = bmap["AVAL"].reindex(idx).to_numpy()
    out["BASEC"] = bmap["AVALC"].reindex(idx).fillna("").to_numpy()
    return out


def _frame(seed: int, n: int, flag_rate: float, missing_keys: bool
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    subjects = np.array([f"S{i}" for i in range(6)], dtype=object)
    usubjid = subjects[rng.integers(0, 6, n)]
    paramcd = np.array(["NEUT", "PLAT", "IGG", "CRP"], dtype=object)[rng.integers(0, 4, n)]
    if missing_keys:
        usubjid[rng.random(n) < 0.05] = None
        paramcd[rng.random(n) < 0.03] = np.nan
    adt = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 25, n), unit="D")
    adt = pd.Series(adt).where(rng.random(n) > 0.1)  # NaT: a record without a date
    aval = np.round(rng.normal(5, 2, n), 1)
    aval[rng.random(n) < 0.2] = np.nan
    avalc = np.where(np.isnan(aval) & (rng.random(n) < 0.5), "NEGATIVE", "").astype(object)
    lbblfl = np.where(rng.random(n) < flag_rate, "Y", "").astype(object)
    out = pd.DataFrame({"STUDYID": "CT071", "USUBJID": usubjid, "LBSEQ": np.arange(1, n + 1),
                        "PARAMCD": paramcd, "AVAL": aval, "AVALC": avalc,
                        "ANRLO": np.where(rng.random(n) < 0.8, 3.0, np.nan),
                        "ANRHI": np.where(rng.random(n) < 0.8, 7.0, np.nan),
                        "ADT": adt.to_numpy(), "LBBLFL": lbblfl})
    trtsdt = pd.Timestamp("2024-03-10") + pd.to_timedelta(rng.integers(-3, 4, 6), unit="D")
    adsl = pd.DataFrame({"USUBJID": subjects, "TRTSDT": trtsdt})
    adsl.loc[rng.integers(0, 6), "TRTSDT"] = pd.NaT  # a subject not infused
    return out, adsl


def _compare(out: pd.DataFrame, adsl: pd.DataFrame) -> bool:
    """True when both raise the same RecordError or give equal frames (False: no error)."""
    try:
        want = _replaced(out.copy(), adsl)
    except RecordError as e:
        with pytest.raises(RecordError) as got:
            derive_var_ablfl(out, adsl)
        assert str(got.value) == str(e)
        return True
    pd.testing.assert_frame_equal(derive_var_ablfl(out, adsl)[want.columns], want)
    return False


@pytest.mark.parametrize("missing_keys", [False, True])
@pytest.mark.parametrize("flag_rate", [0.0, 0.004, 0.02, 0.3])
def test_baseline_equals_the_replaced_groupby_code(flag_rate, missing_keys):
    """Regression test: 25 seeded frames per case, frames and RecordErrors equal."""
    errors = 0
    for seed in range(25):
        out, adsl = _frame(seed, 300, flag_rate, missing_keys)
        errors += _compare(out, adsl)
    if flag_rate == 0.0:
        assert errors == 0
    if flag_rate == 0.3:
        assert errors == 25  # a group's second flagged record: the same error both ways


def test_no_records_and_no_baseline_equal_the_replaced_code():
    """Regression test: an empty frame and a frame without a baseline candidate."""
    out, adsl = _frame(1, 50, 0.0, False)
    _compare(out.iloc[:0].reset_index(drop=True), adsl)
    late = out.assign(ADT=pd.Timestamp("2025-01-01"))  # every record after infusion
    assert not _compare(late, adsl)
    assert (derive_var_ablfl(late, adsl)["ABLFL"] == "").all()


def test_integer_results_keep_their_dtype_as_before():
    """Regression test: AVAL of integers gives BASE of the dtype the reindex gave."""
    out, adsl = _frame(3, 200, 0.0, False)
    for frame in (out.assign(AVAL=np.arange(200)), out.assign(AVAL=np.arange(200.0))):
        _compare(frame, adsl)
