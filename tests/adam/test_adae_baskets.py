"""ADAE customized queries of the protocol's event baskets: hand-worked onset and resolution
days, the first-occurrence flag, and, on the example trial, every subject's basket summary
equal to the safety engine's (computed independently from SDTM AE by
cartrial.safety.baskets.basket_summary)."""

from __future__ import annotations

from types import SimpleNamespace as B

import numpy as np
import pandas as pd
import pytest

from cartrial.adam.adae_baskets import MAX_QUERIES, basket_queries, derive_vars_cq
from cartrial.adam.metadata import variable_label
from tests.report._pipeline import analysed

BASKETS = [B(category="GPRC5D", name="Oral", terms=["Dysgeusia", "Dry mouth"]),
           B(category="Infections", name="Viral", terms=["Herpes zoster"]),
           B(category="GPRC5D", name="Nail", terms=["Nail disorder"])]


def _adae() -> pd.DataFrame:
    d = pd.to_datetime
    return pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1", "S2", "S2", "S3"], "AESEQ": [1, 2, 3, 1, 2, 1],
        "AEDECOD": ["DYSGEUSIA", "Dry mouth", "Herpes zoster", "Nail disorder", "Nail disorder",
                    "Dysgeusia"],
        "TRTEMFL": ["Y", "Y", "Y", "Y", "Y", ""],
        "ASTDT": d(["2024-01-21", "2024-01-26", "2024-02-10", "2024-01-11", "2024-03-01",
                    "2023-12-20"]),
        "AENDT": d(["2024-03-01", "2024-03-31", None, "2024-01-20", None, "2023-12-25"]),
        "TRTSDT": d(["2024-01-01"] * 5 + ["2024-01-01"])})


def test_query_numbers_follow_the_category_order():
    assert basket_queries(BASKETS) == {"Oral": "01", "Viral": "02", "Nail": "01"}
    many = [B(category=str(i), name=str(i), terms=[]) for i in range(MAX_QUERIES + 1)]
    with pytest.raises(ValueError, match="customized queries"):
        basket_queries(many)


def test_hand_worked_onset_and_resolution():
    out = derive_vars_cq(_adae(), BASKETS)
    # S1 oral: onset 2024-01-21 = day 20 after the 01-01 infusion; both ended, the last on
    # 03-31 = day 90, covering its whole day: 91 - 20 = 71 days to resolution
    s1 = out.iloc[:2]
    assert s1["CQ01NAM"].tolist() == ["Oral", "Oral"]
    assert s1["AOCC01FL"].tolist() == ["Y", ""]
    assert s1["CQ01ONDY"].tolist() == [20.0, 20.0]
    assert s1["CQ01RSFL"].tolist() == ["Y", "Y"] and s1["CQ01RSDY"].tolist() == [71.0, 71.0]
    # S1 viral (another category): onset day 40, not ended
    v = out.iloc[2]
    assert (v["CQ02NAM"], v["AOCC02FL"], v["CQ02ONDY"], v["CQ02RSFL"]) == ("Viral", "Y", 40.0,
                                                                          "")
    assert np.isnan(v["CQ02RSDY"]) and out.iloc[2]["CQ01NAM"] == ""
    # S2 nail: one event ended, one not: not resolved; first onset day 10
    s2 = out.iloc[3:5]
    assert s2["CQ01RSFL"].tolist() == ["", ""] and s2["CQ01ONDY"].tolist() == [10.0, 10.0]
    assert s2["AOCC01FL"].tolist() == ["Y", ""]
    # S3: before infusion (not treatment-emergent): in the basket, no onset, no flags
    s3 = out.iloc[5]
    assert (s3["CQ01NAM"], s3["AOCC01FL"], s3["CQ01RSFL"]) == ("Oral", "", "")
    assert np.isnan(s3["CQ01ONDY"])


def test_every_customized_query_variable_has_a_label():
    for zz in range(1, MAX_QUERIES + 1):
        for v in ("CQ{}NAM", "AOCC{}FL", "CQ{}ONDY", "CQ{}RSFL", "CQ{}RSDY"):
            assert 0 < len(variable_label(v.format(f"{zz:02d}"))) <= 40


def test_example_baskets_equal_the_safety_engine(tmp_path_factory):
    """ADAE's per-subject basket values against the safety engine's basket summary of the same
    trial (a separate implementation working on SDTM AE and fractional days since infusion)."""
    from cartrial.data import load_study
    from cartrial.protocol import load_protocol
    from cartrial.safety.baskets import basket_summary
    from cartrial.safety.sdtm_subjects import adverse_events

    out = analysed(tmp_path_factory).out
    adae = pd.read_csv(out / "adam" / "adae.csv", keep_default_na=False, na_values=[""])
    protocol = load_protocol("ct071")
    study = load_study(out.parent / "sdtm")
    ae = adverse_events(study, protocol)
    engine = basket_summary(ae, protocol.safety.baskets)
    zz = basket_queries(protocol.safety.baskets)
    rows = []
    for b in protocol.safety.baskets:
        q = zz[b.name]
        first = adae[(adae[f"CQ{q}NAM"] == b.name) & (adae[f"AOCC{q}FL"] == "Y")]
        rows += [(r.USUBJID, b.category, b.name, getattr(r, f"CQ{q}ONDY"),
                  getattr(r, f"CQ{q}RSFL") == "Y", getattr(r, f"CQ{q}RSDY"))
                 for r in first.itertuples()]
    got = pd.DataFrame(rows, columns=["USUBJID", "CATEGORY", "BASKET", "ONSET", "RESOLVED",
                                      "DAYS"]).sort_values(["USUBJID", "CATEGORY", "BASKET"])
    exp = engine.sort_values(["USUBJID", "CATEGORY", "BASKET"])
    assert len(got) == len(exp) > 10
    assert got["USUBJID"].tolist() == exp["USUBJID"].tolist()
    assert got["ONSET"].tolist() == np.floor(exp["ONSET_DAY"]).tolist()
    assert got["RESOLVED"].tolist() == exp["RESOLVED"].tolist()
    np.testing.assert_allclose(got["DAYS"].to_numpy(dtype=float),
                               exp["DAYS_TO_RESOLUTION"].to_numpy(dtype=float))
