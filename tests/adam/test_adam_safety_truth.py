"""The ADaM variables behind the safety tables against the example trial's simulation truth
(``sdtm/truth/*.csv``, written by the generator, not by the analysis): CRS / ICANS episodes
(ADSYND), the DLT met and its criterion (ADSL DLTFL, DLTCRIT, DLTPNDFL), event baskets (ADAE
customized queries) and the IEC-HS screen; plus hand-worked cases of each derivation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam.adhtox_cytopenia import cytopenia_rows
from cartrial.adam.adsl_dlt import derive_vars_dlt
from cartrial.adam.adsynd import derive_adsynd
from cartrial.adam.iec_hs import derive_var_iechsfl, derive_var_iecscrfl
from cartrial.protocol import load_protocol
from tests.report._pipeline import analysed

P = load_protocol("ct071")


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return analysed(tmp_path_factory).out


def _adam(out, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "adam" / f"{name.lower()}.csv", keep_default_na=False,
                       na_values=[""], low_memory=False)


def _truth(out, name: str) -> pd.DataFrame:
    return pd.read_csv(out.parent / "sdtm" / "truth" / f"{name}.csv", keep_default_na=False,
                       na_values=[""])


def test_adsynd_episodes_equal_the_simulated_episodes(out):
    """Every simulated CRS / ICANS episode is one ADSYND episode with the simulated onset day
    and highest grade; its duration within the half-day granularity of the daily
    observations."""
    s = _adam(out, "ADSYND")
    w = s.pivot_table(index=["USUBJID", "PARCAT1", "EPISODE"], columns="PARAMCD",
                      values="AVAL").reset_index()
    t = _truth(out, "episodes").rename(columns={"syndrome": "PARCAT1", "episode": "EPISODE"})
    m = t.merge(w, on=["USUBJID", "PARCAT1", "EPISODE"], how="outer", validate="1:1")
    assert len(m) == len(t) == len(w) > 5
    crs = m["PARCAT1"] == "CRS"
    onset = np.where(crs, m["CRSONDY"], m["ICNONDY"])
    assert (onset == m["onset_day"]).all()
    assert (np.where(crs, m["CRSMAXGR"], m["ICNMAXGR"]) == m["max_grade"]).all()
    dur = np.where(crs, m["CRSDURDY"], m["ICNDURDY"])
    np.testing.assert_allclose(dur, m["duration_days"].astype(float), atol=0.5)


def test_adsynd_hand_worked_and_empty():
    sl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["P1"], "TRT01A": ["DL1"], "TRT01AN": [1]})
    ep = pd.DataFrame({"USUBJID": ["P1", "P1"], "EPISODE": [1, 2], "ONSET_DAY": [0.9, 10.2],
                       "DURATION_DAYS": [4.0, np.nan], "MAX_GRADE": [3, 1],
                       "STEROID": [True, False]})
    d = derive_adsynd(ep.assign(TOCILIZUMAB=[True, False]), ep, sl)
    first = d[(d["PARCAT1"] == "ICANS") & (d["EPISODE"] == 1)].set_index("PARAMCD")["AVAL"]
    # onset 0.9 days after midnight of the infusion day: day 0; the second episode unresolved
    assert first.to_dict() == {"ICNONDY": 0.0, "ICNDURDY": 4.0, "ICNMAXGR": 3.0, "ICNSTER": 1.0}
    assert np.isnan(d.loc[(d["PARAMCD"] == "CRSDURDY") & (d["EPISODE"] == 2), "AVAL"].item())
    assert d["ASEQ"].tolist() == list(range(1, len(d) + 1))
    assert derive_adsynd(ep.iloc[:0].assign(TOCILIZUMAB=[]), ep.iloc[:0], sl).empty


def test_adsl_dlt_and_criterion_equal_the_simulated_dlts(out):
    """DLTFL and DLTCRIT against truth/dlt.csv (the simulated DLT and the protocol rule id, shown
    in the protocol's words); no window is open at the example's cut-off."""
    sl = _adam(out, "ADSL").set_index("USUBJID")
    t = _truth(out, "dlt").set_index("USUBJID")
    words = P.dlt.criteria()
    assert ((sl.loc[t.index, "DLTFL"] == "Y") == (t["dlt"] == "Y")).all()
    hit = t[t["dlt"] == "Y"]
    assert len(hit) >= 1
    assert sl.loc[hit.index, "DLTCRIT"].tolist() == [words[r] for r in hit["rule"]]
    assert sl["DLTCRIT"].isna().sum() == len(sl) - len(hit)
    assert sl["DLTPNDFL"].isna().all()


def test_dlt_pending_and_criterion_hand_worked():
    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "SAFFL": ["Y", "Y", "Y", ""]})
    p = pd.DataFrame({"USUBJID": ["A", "B", "C"], "DLT": ["yes", "pending", "no"],
                      "DLT_EVALUABLE": [True, False, True],
                      "DLT_CRITERION": ["Grade 4 CRS", None, None]})
    d = derive_vars_dlt(adsl, p)
    assert d["DLTPNDFL"].tolist() == ["", "Y", "", ""]
    assert d["DLTCRIT"].tolist() == ["Grade 4 CRS", "", "", ""]
    assert d["DLTEVLFL"].tolist() == ["Y", "", "Y", ""]
    assert derive_vars_dlt(adsl, None).equals(adsl)


def test_adae_baskets_equal_the_simulated_basket_events(out):
    """Each subject's first onset in a basket and its days to resolution from ADAE's customized
    queries against truth/basket_events.csv (days since infusion; an end day covers its day;
    an end after the patient was last known alive is not observed)."""
    from cartrial.adam.adae_baskets import basket_queries

    adae = _adam(out, "ADAE")
    sl = _adam(out, "ADSL")
    last = (pd.to_datetime(sl["LSTALVDT"]) - pd.to_datetime(sl["TRTSDT"])).dt.days
    t = _truth(out, "basket_events")
    t["END_DAY"] = t["END_DAY"].where(t["END_DAY"] <= t["USUBJID"].map(
        dict(zip(sl["USUBJID"], last, strict=True))))
    zz = basket_queries(P.safety.baskets)
    checked = 0
    for b in P.safety.baskets:
        q = zz[b.name]
        terms = {x.upper() for x in b.terms}
        ev = t[t["AEDECOD"].str.upper().isin(terms)]
        recs = adae[(adae[f"CQ{q}NAM"] == b.name) & (adae["TRTEMFL"] == "Y")]
        first = recs[recs[f"AOCC{q}FL"] == "Y"]
        assert set(ev["USUBJID"]) <= set(first["USUBJID"]), b.name
        for r in first.itertuples():
            e = ev[ev["USUBJID"] == r.USUBJID]
            if set(recs.loc[recs["USUBJID"] == r.USUBJID, "AESEQ"]) != set(e["AESEQ"]):
                continue  # background events (e.g. pneumonia) are not basket events of the truth
            assert getattr(r, f"CQ{q}ONDY") == e["START_DAY"].min()
            resolved = e["END_DAY"].notna().all()
            assert (getattr(r, f"CQ{q}RSFL") == "Y") == resolved
            if resolved:
                assert getattr(r, f"CQ{q}RSDY") == e["END_DAY"].max() + 1 - e["START_DAY"].min()
            checked += 1
    assert checked >= 10


def test_iec_hs_flags(out):
    """IECHSFL on the bundled IEC-HS term; IECSCRFL on the screen-positive patients of the IEC-HS
    listing (Listing 16.2.7 shows them) and the simulated IEC-HS phenotype of
    truth/haematology.csv."""
    a = derive_var_iechsfl(pd.DataFrame({"AEDECOD": [
        "immune effector cell-associated HLH-like syndrome", "Pyrexia"]}))
    assert a["IECHSFL"].tolist() == ["Y", ""]
    sl = pd.DataFrame({"USUBJID": ["A", "B"]})
    assert derive_var_iecscrfl(sl, pd.DataFrame())["IECSCRFL"].tolist() == ["", ""]
    adsl = _adam(out, "ADSL")
    pos = set(adsl.loc[adsl["IECSCRFL"] == "Y", "USUBJID"])
    h = _truth(out, "haematology")
    assert pos <= set(h.loc[h["PHENOTYPE"] == "iec-hs", "USUBJID"]) and pos


def test_cytopenia_parameters_hand_worked():
    c = pd.DataFrame({"USUBJID": ["P1", "P2"], "TERM": ["Neutrophil count decreased"] * 2,
                      "FIRST_DAY": [2.0, 5.0], "RECOVERED": [True, False],
                      "RECOVERY_DAY": [16.0, np.nan], "PROLONGED": pd.array([False, pd.NA],
                                                                          dtype="boolean")})
    r = cytopenia_rows(c, 28).set_index(["USUBJID", "PARAMCD"])
    assert r.loc[("P1", "NEUTRCDY"), "AVAL"] == 14.0
    assert r.loc[("P1", "NEUTRECV"), "AVALC"] == "Y" and r.loc[("P2", "NEUTRECV"), "AVALC"] == "N"
    assert np.isnan(r.loc[("P2", "NEUTRCDY"), "AVAL"]) and np.isnan(
        r.loc[("P2", "NEUTPROL"), "AVAL"])
    assert r.loc[("P1", "NEUTPROL"), "PARAM"].endswith("by day 28")
    assert cytopenia_rows(None, 28).empty


def test_cytopenia_parameters_recomputed_from_adlb_grades(out):
    """ADHTOX's cytopenia parameters (the safety engine's grading) recomputed from ADLB's own
    NCI CTCAE v5.0 low-direction grades (ATOXGRL, derived by cartrial.adam.adlb) with the rule
    written out here: first post-infusion day graded >= 3; recovery at the first assessment
    after the last one graded >= 3; prolonged when the last assessment by day 28 is >= 3."""
    lb = _adam(out, "ADLB")
    h = _adam(out, "ADHTOX")
    h = h[h["PARCAT1"] == "CYTOPENIA"]
    rows = []
    for code, pre in (("NEUT", "NEUT"), ("PLAT", "PLAT"), ("HGB", "ANEM")):
        d = lb[(lb["PARAMCD"] == code) & (lb["ADAYINF"] > 0) & lb["ATOXGRL"].notna()]
        for u, g in d.sort_values(["USUBJID", "ADAYINF"]).groupby("USUBJID"):
            sev = g.loc[g["ATOXGRL"] >= 3, "ADAYINF"]
            if sev.empty:
                continue
            rec = g.loc[g["ADAYINF"] > sev.max(), "ADAYINF"].min()
            by28 = g[g["ADAYINF"] <= P.safety.prolonged_cytopenia_day]
            rows += [(u, pre + "G3DY", sev.min()), (u, pre + "RECV", float(rec == rec)),
                     (u, pre + "RCDY", rec - sev.min()),
                     (u, pre + "PROL", float(by28["ATOXGRL"].iloc[-1] >= 3) if len(by28)
                      else np.nan)]
    mine = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "X"])
    m = mine.merge(h[["USUBJID", "PARAMCD", "AVAL"]], on=["USUBJID", "PARAMCD"], how="outer")
    assert len(m) == len(mine) == len(h) > 20
    np.testing.assert_allclose(m["X"].astype(float), m["AVAL"].astype(float))
