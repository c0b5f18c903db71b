"""ADRS MRD parameters (cartrial.adam.adrs_mrd): sustained MRD negativity, the MRD-negative CR
of the FDA draft and the best-response criteria behind Table 14.4.2's denominators.

Outside references: IMWG 2016 (Kumar S et al., Lancet Oncol 2016;17:e328-46): sustained MRD
negativity = negative in the marrow at two assessments at least one year apart, MRD negativity
counted at a sensitivity of 1 in 10^5 or better; FDA draft guidance, January 2026
(FDA-2025-D-2616): MRD-negative CR = CR or sCR with a bone-marrow NGF or NGS negative at 10^-5
or deeper. The cases are worked by hand from those definitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam.adrs_mrd import derive_param_mrd_subject, with_response_criteria


def _mrd(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "ADT", "MRDRES", "MRDSENS", "MRDMETH",
                                       "MRDSPEC"]).assign(ADT=lambda d: pd.to_datetime(d["ADT"]))


BOR = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "AVALC": ["CR", "sCR", "VGPR", "CR"]})


def test_sustained_and_fda_mrd_negative_cr_by_hand():
    """A: negatives 2024-01-01 and 2025-01-01 (366 days) -> sustained; B: negatives 300 days
    apart -> not; C: negatives a year apart with a positive between -> not sustained; D: a
    10^-4 negative is not negative at 10^-5 (IMWG) -> neither. FDA: A (CR, NGS, marrow) yes; B
    (sCR, but a blood specimen) no; C (VGPR) no."""
    m = _mrd([("A", "2024-01-01", "NEGATIVE", 1e-5, "NGS", "BONE MARROW"),
              ("A", "2025-01-01", "NEGATIVE", 1e-6, "NGS", "BONE MARROW"),
              ("B", "2024-01-01", "NEGATIVE", 1e-5, "NGF", "PERIPHERAL BLOOD"),
              ("B", "2024-10-27", "NEGATIVE", 1e-5, "NGF", "PERIPHERAL BLOOD"),
              ("C", "2024-01-01", "NEGATIVE", 1e-5, "NGS", "BONE MARROW"),
              ("C", "2024-06-01", "POSITIVE", 1e-5, "NGS", "BONE MARROW"),
              ("C", "2025-01-10", "NEGATIVE", 1e-5, "NGS", "BONE MARROW"),
              ("D", "2024-01-01", "NEGATIVE", 1e-4, "NGS", "BONE MARROW"),
              ("D", "2025-02-01", "NEGATIVE", 1e-4, "NGS", "BONE MARROW")])
    p = derive_param_mrd_subject(m, BOR, 1e-5)
    got = {c: p[p["PARAMCD"] == c].set_index("USUBJID")["AVALC"].to_dict()
           for c in ("MRDSUST", "MRDNEGCR")}
    assert got["MRDSUST"] == {"A": "Y", "B": "N", "C": "N", "D": "N"}
    assert got["MRDNEGCR"] == {"A": "Y", "B": "N", "C": "N", "D": "N"}
    assert p.groupby("PARAMCD")["PARAM"].nunique().eq(1).all()


def test_response_criteria_on_mrd_records_only():
    """CRIT1 = VGPR or better (the registration denominator), CRIT2 = CR or better (IMWG)."""
    rs = pd.DataFrame({"USUBJID": ["C", "C", "A", "A"], "PARAMCD": ["CBOR", "MRD", "CBOR",
                                                                  "MRDSUST"],
                       "AVALC": ["VGPR", "NEGATIVE", "CR", "Y"]})
    out = with_response_criteria(rs)
    assert out["CRIT1FL"].tolist() == ["", "Y", "", "Y"]
    assert out["CRIT2FL"].tolist() == ["", "N", "", "Y"]
    assert out.loc[1, "CRIT1"] == "Best confirmed response VGPR or better"


def _old_criteria(adrs: pd.DataFrame) -> pd.DataFrame:
    """with_response_criteria as it was (np.where: a string object a record)."""
    from cartrial.adam.adrs_mrd import CRITERIA, MRD_PARAMS

    out = adrs.copy()
    bor = out[out["PARAMCD"] == "CBOR"].set_index("USUBJID")["AVALC"]
    on = out["PARAMCD"].isin(["MRD", *MRD_PARAMS]).to_numpy()
    best = out["USUBJID"].map(bor)
    for var, (text, cats) in CRITERIA.items():
        out[var] = np.where(on, text, "")
        out[var + "FL"] = np.where(on, np.where(best.isin(cats), "Y", "N"), "")
    return out


def test_response_criteria_equal_the_replaced_path():
    """Regression test (issue #18: memory): the criteria as shared objects, set in place by
    add_response_criteria, equal the per-record text of the path replaced."""
    from cartrial.adam.adrs_mrd import add_response_criteria

    rng = np.random.default_rng(11)
    n = 3_000
    subj = np.array([f"S{i}" for i in rng.integers(400, size=n)], dtype=object)
    codes = np.array(["CBOR", "MRD", "MRDSUST", "MRDNEGCR", "OVR"], dtype=object)
    resp = np.array(["sCR", "CR", "VGPR", "PR", "NEGATIVE", "Y", "N", None], dtype=object)
    rs = pd.DataFrame({"USUBJID": subj, "PARAMCD": codes[rng.integers(5, size=n)],
                       "AVALC": resp[rng.integers(len(resp), size=n)]})
    rs = rs.drop_duplicates(["USUBJID", "PARAMCD"])  # one CBOR a subject
    want = _old_criteria(rs)
    got = rs.copy()
    add_response_criteria(got)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    pd.testing.assert_frame_equal(with_response_criteria(rs), want, check_exact=True)
    assert len({id(v) for v in got["CRIT1"]}) <= 2  # one object per distinct value
