"""MRD-negative CR rate as FDA's draft guidance defines it ("Minimal Residual Disease and
Complete Response in Multiple Myeloma: Use as Endpoints to Support Accelerated Approval",
January 2026, FDA-2025-D-2616: CR or sCR with bone-marrow MRD negativity at 10^-5 or deeper by
NGF or NGS), next to the CT071 registration's rate (MRD-negative at 10^-5 among VGPR or
better). Each patient below is worked by hand against the two definitions."""

from __future__ import annotations

import pandas as pd

from cartrial.efficacy import classify_mrd, mrd_rates
from cartrial.efficacy.mrd import DEFINITIONS, FDA_POP, REGISTRATION_POP, SUSTAINED_DEFINITION

D = pd.Timestamp("2024-03-01")
NGF, NGS = "NEXT GENERATION FLOW CYTOMETRY", "NEXT GENERATION SEQUENCING"
BM, PB = "BONE MARROW", "PERIPHERAL BLOOD"

# USUBJID, BOR, MRD result, sensitivity, method, specimen     FDA   registration (VGPR+)
ROWS = [
    ("A", "sCR", "NEGATIVE", 1e-5, NGF, BM),               # yes   yes
    ("B", "CR", "NEGATIVE", 1e-6, NGS, BM),                # yes   yes (10^-6 is deeper)
    ("C", "CR", "NEGATIVE", 1e-4, NGF, BM),                # no: not 10^-5   no (not evaluable)
    ("D", "CR", "NEGATIVE", 1e-5, NGS, PB),                # no: blood       yes
    ("E", "CR", "NEGATIVE", 1e-5, "ALLELE-SPECIFIC PCR", BM),  # no: method  yes
    ("F", "VGPR", "NEGATIVE", 1e-5, NGF, BM),              # no: not CR      yes
    ("G", "PR", None, None, None, None),                   # no              (not VGPR+)
    ("H", "CR", "POSITIVE", 1e-5, NGF, BM),                # no              no
]


def frames(with_assay: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    bor = pd.DataFrame({"USUBJID": [r[0] for r in ROWS], "BOR": [r[1] for r in ROWS]})
    m = pd.DataFrame([{"USUBJID": r[0], "ADT": D, "AVISIT": "DAY 90", "MRDRES": r[2],
                       "MRDSENS": r[3], "MRDMETH": r[4], "MRDSPEC": r[5]}
                      for r in ROWS if r[2] is not None])
    if not with_assay:
        m = m.drop(columns=["MRDMETH", "MRDSPEC"])
    return classify_mrd(m), bor


def pick(t: pd.DataFrame, population: str, endpoint: str) -> pd.Series:
    return t[(t["population"] == population) & (t["endpoint"] == endpoint)
             & (t["timepoint"] == "Any time") & (t["group"] == "Overall")].iloc[0]


def test_fda_mrd_negative_cr_rate_among_all_treated() -> None:
    t = mrd_rates(*frames())
    r = pick(t, FDA_POP, "MRDNEGCR")
    assert (r["n"], r["N"]) == (2, 8)          # A and B of all 8 treated
    assert r["definition"] == DEFINITIONS[FDA_POP]
    assert "10^-5 or deeper by NGF or NGS" in r["definition"]


def test_registration_rate_beside_it() -> None:
    t = mrd_rates(*frames())
    r = pick(t, REGISTRATION_POP, "MRDNEG")
    assert (r["n"], r["N"]) == (5, 7)          # A, B, D, E, F of the 7 with VGPR or better
    assert r["definition"].startswith("CT071 registration")
    s = pick(t, REGISTRATION_POP, "MRDSUST")
    assert s["definition"] == SUSTAINED_DEFINITION and "12 months" in s["definition"]


def test_fda_sensitivity_does_not_follow_a_deeper_protocol_pin() -> None:
    c, bor = frames()
    c = classify_mrd(c.drop(columns=["MRDNEGFL", "MRDEVLFL", "MRDFDAFL"]), sensitivity=1e-6)
    t = mrd_rates(c, bor, sensitivity=1e-6)
    assert pick(t, FDA_POP, "MRDNEGCR")["n"] == 2          # still A (10^-5) and B
    assert pick(t, REGISTRATION_POP, "MRDNEG")["n"] == 1   # only B at 10^-6


def test_no_fda_rate_without_method_and_specimen() -> None:
    t = mrd_rates(*frames(with_assay=False))
    assert FDA_POP not in set(t["population"])


def test_mrd_examples_run() -> None:
    """Regression test: the Examples section of efficacy.mrd runs as written."""
    import doctest

    import cartrial.efficacy.mrd as mod

    res = doctest.testmod(mod, extraglobs={"pd": pd})
    assert res.attempted > 0 and res.failed == 0
