"""The generated trial: valid SDTM, deterministic bytes, truth that follows from the data.

Truth is recomputed here from the *written* records (VS/FA/CM for CRS, QS/FA for ICANS, LB for
IMWG, DM/EX + truth/dlt for the escalation) with the example's rule implementations, whose own
hand-worked guideline cases are in test_crs.py and test_disease.py.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from cartrial.data import load_study, validate_study
from cartrial.design import PendingPatient, TrialState
from cartrial.example import write_example
from cartrial.example.conduct import make_design
from cartrial.example.crs import astct_crs_grade, astct_icans_grade
from cartrial.example.disease import RANKS, imwg_category
from cartrial.example.scenarios import get_scenario
from tests.example.conftest import SCENARIO_NAMES, SEEDS, protocol, trial

CRS_THERAPY = ("ANTI-IL-6", "CORTICOSTEROID", "ANTIPYRETIC")


# ----------------------------------------------------------------------------- validity
@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_example_validates(tmp_path, scenario, seed):
    write_example(trial(scenario, seed), tmp_path)
    report = validate_study(load_study(tmp_path), protocol())
    assert report.findings.empty, report.findings.head(10).to_string()


def test_xpt_example_validates(tmp_path):
    write_example(trial("ppcl-heavy", 1), tmp_path, format="xpt")
    assert sorted(p.name for p in tmp_path.glob("*.xpt"))[0] == "ae.xpt"
    report = validate_study(load_study(tmp_path), protocol())
    assert report.findings.empty, report.findings.head(10).to_string()


def _hashes(path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted([*path.rglob("*.csv"), *path.glob("protocol.yaml")])}


def test_same_seed_same_bytes(tmp_path):
    from cartrial.example import simulate_trial

    a = simulate_trial(protocol(), seed=5, scenario="late-dlt")
    b = simulate_trial(protocol(), seed=5, scenario="late-dlt")
    write_example(a, tmp_path / "a")
    write_example(b, tmp_path / "b")
    ha, hb = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert len(ha) == 16 + 1 + len(a.truth) and ha == hb  # domains, protocol.yaml, truth
    write_example(simulate_trial(protocol(), seed=6, scenario="late-dlt"), tmp_path / "c")
    assert _hashes(tmp_path / "c")["lb.csv"] != ha["lb.csv"]


def test_csv_bytes_equal_the_foundation_writer(tmp_path):
    from cartrial.data import write_study

    t = trial("default", 2)
    write_example(t, tmp_path / "fast")
    write_study(t.domains, tmp_path / "ref")
    for p in sorted((tmp_path / "ref").glob("*.csv")):
        assert p.read_bytes() == (tmp_path / "fast" / p.name).read_bytes(), p.name


# ----------------------------------------------------------------------------- CRS / ICANS
def _crs_from_records(d: dict[str, pd.DataFrame]) -> pd.DataFrame:
    vs = d["VS"][d["VS"]["VSTESTCD"] == "TEMP"]
    temp = pd.DataFrame({"USUBJID": vs["USUBJID"], "DTC": vs["VSDTC"],
                         "TEMP": np.where(vs["VSORRESU"] == "F",
                                          (vs["VSORRES"].astype(float) - 32) / 1.8,
                                          vs["VSORRES"].astype(float))})
    fa = d["FA"][d["FA"]["FAOBJ"] == "CYTOKINE RELEASE SYNDROME"]
    wide = fa.pivot(index=["USUBJID", "FADTC"], columns="FATESTCD", values="FAORRES")
    wide = wide.reset_index().rename(columns={"FADTC": "DTC"})
    tp = temp.merge(wide, on=["USUBJID", "DTC"], how="left", validate="one_to_one")
    for c in ("FEVOTH", "HYPOOTH", "HYPXOTH"):
        tp[c] = tp[c].fillna("N") if c in tp else "N"
    tp["O2FLOW"] = pd.to_numeric(tp.get("O2FLOW"), errors="coerce")
    tp["T"] = pd.to_datetime(tp["DTC"])
    tp = tp.sort_values(["USUBJID", "T"], kind="stable").reset_index(drop=True)
    fever = (tp["TEMP"] >= 38.0) & (tp["FEVOTH"] != "Y")
    onset = tp[fever].groupby("USUBJID")["T"].min()
    cm = d["CM"][(d["CM"]["CMCAT"] == "CRS/ICANS MANAGEMENT")
                 & d["CM"]["CMCLAS"].isin(CRS_THERAPY)].copy()
    cm["T"] = pd.to_datetime(cm["CMSTDTC"])
    cm = cm.merge(onset.rename("ONSET"), left_on="USUBJID", right_index=True)
    first_tx = cm[cm["T"] >= cm["ONSET"]].groupby("USUBJID")["T"].min()
    tx = tp["USUBJID"].map(first_tx)
    masked = (tx.notna() & (tp["T"] >= tx)).to_numpy()
    tp["grade"] = astct_crs_grade(
        tp["TEMP"].to_numpy(), (tp["FEVOTH"] == "Y").to_numpy(), (tp["HYPOTN"] == "Y").to_numpy(),
        tp["VASOPN"].astype(int).to_numpy(), (tp["VASOPRSN"] == "Y").to_numpy(),
        (tp["HYPOOTH"] == "Y").to_numpy(), tp["O2DEV"].to_numpy(dtype=object),
        tp["O2FLOW"].to_numpy(float), (tp["HYPXOTH"] == "Y").to_numpy(), masked)
    return tp


@pytest.mark.parametrize(("scenario", "seed"), [("default", 1), ("toxic-dose", 2),
                                                ("late-dlt", 2)])
def test_crs_truth_follows_from_written_observations(scenario, seed):
    t = trial(scenario, seed)
    tp = _crs_from_records(t.domains)
    on = tp[tp["grade"] > 0]
    got = on.groupby("USUBJID").agg(max_grade=("grade", "max"), start=("DTC", "first"),
                                    end=("DTC", "last"))
    ep = t.truth["episodes"]
    crs = ep[ep["syndrome"] == "CRS"].set_index("USUBJID")
    assert crs["episode"].max() == 1  # one episode per patient in the example
    pd.testing.assert_series_equal(got["max_grade"].sort_index(),
                                   crs["max_grade"].sort_index(), check_names=False)
    assert (got["start"].sort_index() == crs["start_dtc"].sort_index()).all()
    assert (got["end"].sort_index() == crs["end_dtc"].sort_index()).all()
    # the AE record carries the investigator grade, which is kept as reported
    ae = t.domains["AE"]
    ae_crs = ae[ae["AEDECOD"] == "Cytokine release syndrome"].set_index("USUBJID")
    assert (ae_crs["AETOXGR"].astype(int).sort_index()
            == crs["investigator_grade"].sort_index()).all()


def test_icans_truth_follows_from_written_ice_and_findings():
    t = trial("default", 1, 150)
    qs = t.domains["QS"]
    ice = qs[qs["QSTESTCD"] == "ICE06"][["USUBJID", "QSDTC", "QSORRES"]]
    items = qs[qs["QSTESTCD"] != "ICE06"].groupby(["USUBJID", "QSDTC"])["QSORRES"].apply(
        lambda s: s.astype(int).sum())
    ice = ice.merge(items.rename("SUM").reset_index(), on=["USUBJID", "QSDTC"])
    assert (ice["QSORRES"].astype(int) == ice["SUM"]).all()
    fa = t.domains["FA"]
    fa = fa[fa["FAOBJ"] != "CYTOKINE RELEASE SYNDROME"].pivot(
        index=["USUBJID", "FADTC"], columns="FATESTCD", values="FAORRES").reset_index()
    tp = ice.merge(fa, left_on=["USUBJID", "QSDTC"], right_on=["USUBJID", "FADTC"],
                   validate="one_to_one")
    assert tp["LOC"].notna().sum() < len(tp)  # alert patients have no LOC finding
    g = astct_icans_grade(tp["QSORRES"].astype(int).to_numpy(),
                          tp["LOC"].fillna("").to_numpy(dtype=object),
                          tp["SEIZURE"].to_numpy(), tp["MOTOR"].to_numpy(),
                          tp["ICPOED"].to_numpy(), (tp["NEUOTH"] == "Y").to_numpy())
    got = tp.assign(g=g)[g > 0].groupby("USUBJID")["g"].max().sort_index()
    ep = t.truth["episodes"]
    want = ep[ep["syndrome"] == "ICANS"].set_index("USUBJID")["max_grade"].sort_index()
    assert len(want) > 0
    pd.testing.assert_series_equal(got, want, check_names=False)


# ----------------------------------------------------------------------------- IMWG
def _assessments(path, d) -> pd.DataFrame:
    lb = load_study(path)["LB"]
    lb = lb[lb["LBCAT"] == "DISEASE ASSESSMENT"].copy()
    lb["KEY"] = lb["LBTESTCD"] + ":" + lb["LBSPEC"]
    num = lb.pivot(index=["USUBJID", "LBDTC"], columns="KEY", values="LBSTRESN")
    txt = lb.pivot(index=["USUBJID", "LBDTC"], columns="KEY", values="LBSTRESC")
    bl = lb[lb["LBBLFL"] == "Y"][["USUBJID", "LBDTC"]].drop_duplicates()
    a = pd.DataFrame({
        "S": num["MPROTEIN:SERUM"], "U": num.get("MPROTEIN:URINE"),
        "K": num["KAPPAFLC:SERUM"], "L": num["LAMBDFLC:SERUM"],
        "SIFE": txt["IMFIX:SERUM"] == "POSITIVE", "UIFE": txt["IMFIX:URINE"] == "POSITIVE",
        "BM": num["PLASMACE:BONE MARROW"], "CLON": txt["PCCLON:BONE MARROW"].map(
            {"CLONAL": 1.0, "NOT CLONAL": 0.0}),
        "PB": num.get("PLASMALE:BLOOD"),
    }).reset_index().sort_values(["USUBJID", "LBDTC"], kind="stable")
    a[["BM", "CLON"]] = a.groupby("USUBJID")[["BM", "CLON"]].ffill()
    a["CLON"] = a["CLON"] > 0.5
    a["is_bl"] = a.set_index(["USUBJID", "LBDTC"]).index.isin(
        bl.set_index(["USUBJID", "LBDTC"]).index)
    # baseline per variable: the last flagged value (bridged patients: the pre-lymphodepletion
    # M-protein and FLC, the screening marrow and immunofixation)
    b = a[a["is_bl"]].groupby("USUBJID").last()
    light = np.where(b["K"] > b["L"], "KAPPA", "LAMBDA")
    inv = np.where(light == "KAPPA", b["K"], b["L"])
    unv = np.where(light == "KAPPA", b["L"], b["K"])
    md = np.where(b["S"] >= 10, "SERUM", np.where(b["U"].fillna(0) >= 200, "URINE", "FLC"))
    mh = d["MH"]
    pcl = set(mh[(mh["MHCAT"] == "PRIMARY DIAGNOSIS")
                 & (mh["MHDECOD"] == "Plasma cell leukaemia")]["USUBJID"])
    base = pd.DataFrame({"S0": b["S"], "U0": b["U"], "DFLC0": inv - unv, "PB0": b["PB"],
                         "mdtype": md, "light": light}, index=b.index)
    post = a[~a["is_bl"]].join(base, on="USUBJID")
    post["ppcl"] = post["USUBJID"].isin(pcl)
    post["pat"] = pd.factorize(post["USUBJID"])[0]
    return post.reset_index(drop=True)


@pytest.mark.parametrize(("scenario", "seed"), [("default", 1), ("ppcl-heavy", 2),
                                                ("early-progression", 2)])
def test_response_truth_follows_from_written_labs(tmp_path, scenario, seed):
    t = trial(scenario, seed)
    write_example(t, tmp_path)
    post = _assessments(tmp_path, t.domains)
    post["got"] = np.array(RANKS, dtype=object)[imwg_category(post)]
    truth = t.truth["responses"].rename(columns={"dtc": "LBDTC"})
    m = post.merge(truth, on=["USUBJID", "LBDTC"], validate="one_to_one")
    assert len(m) == len(truth) == len(post)
    bad = m[m["got"] != m["response"]]
    assert bad.empty, bad.head().to_string()


def test_best_response_is_the_best_confirmed_category():
    t = trial("early-progression", 1, 80)
    r = t.truth["responses"]
    s = t.truth["subjects"].set_index("USUBJID")
    labels = [*RANKS, "NE"]
    order = {k: i for i, k in enumerate(labels)}
    for u, g in r.groupby("USUBJID"):
        want = labels[min(order[c] for c in g["confirmed"])]
        assert s.loc[u, "best_confirmed_response"] == want
        pd_rows = g[g["confirmed"] == "PD"]
        assert s.loc[u, "pd_dtc"] == (pd_rows["dtc"].iloc[0] if len(pd_rows) else "")


# ----------------------------------------------------------------------------- escalation
@pytest.mark.parametrize("scenario", ["default", "toxic-dose", "late-dlt"])
@pytest.mark.parametrize("seed", SEEDS)
def test_each_decision_is_the_designs_on_the_data_of_that_date(scenario, seed):
    t = trial(scenario, seed)
    p = protocol()
    design = make_design(p, get_scenario(scenario))
    tite = design.name.startswith("tite")
    dlt = t.truth["dlt"]
    dm = t.domains["DM"].set_index("USUBJID")
    esc = dlt[dlt["phase"] == "ESCALATION"].assign(
        INF=lambda x: pd.to_datetime(x["USUBJID"].map(dm["RFSTDTC"])),
        MET=lambda x: pd.to_datetime(x["dlt_met_dtc"].replace("", None)))
    ids = p.dose_ids
    elim: tuple[int, ...] = ()
    h = t.history
    assert (h["action"] == "select").sum() == 1 and h["action"].iloc[-1] == "select"
    for row in h[h["action"] != "select"].itertuples(index=False):
        day = pd.Timestamp(row.date)
        seen = esc[esc["INF"] <= day]
        n = [int((seen["dose"] == d).sum()) for d in ids]
        y = [int(((seen["dose"] == d) & (seen["MET"] <= day)).sum()) for d in ids]
        pend = []
        if tite:
            open_ = seen[~(seen["MET"] <= day) & ((day - seen["INF"]).dt.days < 28)]
            pend = [PendingPatient(ids.index(r.dose), float((day - r.INF).days))
                    for r in open_.itertuples()]
        assert n == [getattr(row, f"n_{d}") for d in ids]
        assert y == [getattr(row, f"dlt_{d}") for d in ids]
        state = TrialState(n=tuple(n), y=tuple(y), current=ids.index(row.current_dose),
                           pending=tuple(pend), dlt_window=28.0, eliminated=elim)
        dec = design.decide(state)
        if row.rule == "stop: patients requested":
            continue
        assert dec.action == row.action and dec.rule == row.rule
        assert (ids[dec.next_dose] if dec.next_dose is not None else "") == row.next_dose
        elim = dec.eliminated


def test_toxic_dose_is_deescalated_and_eliminated():
    for seed in SEEDS:
        h = trial("toxic-dose", seed).history
        assert "de-escalate" in set(h["action"])
        assert h["eliminated"].str.contains("DL2").any()
        assert trial("toxic-dose", seed).selected_dose == "DL1"


def test_late_dlt_runs_tite_with_pending_patients():
    for seed in SEEDS:
        t = trial("late-dlt", seed)
        assert (t.history["pending_DL1"] + t.history["pending_DL2"]).max() > 0
        d = t.truth["dlt"]
        assert (d.loc[d["dlt"] == "Y", "dlt_met_day"] >= 18).all()


def test_dlt_truth_matches_the_events_written():
    t = trial("toxic-dose", 2, 60)
    d = t.truth["dlt"].set_index("USUBJID")
    ep = t.truth["episodes"]
    crs = ep[ep["syndrome"] == "CRS"].set_index("USUBJID")
    g4 = set(crs.index[crs["max_grade"] == 4])
    g3_72 = set(crs.index[(crs["max_grade"] == 3) & (crs["hours_grade3_plus"] >= 72)])
    assert g4 == set(d.index[d["rule"] == "CRS4"])
    assert g3_72 == set(d.index[d["rule"] == "CRS3_72H"])
    lb = t.domains["LB"]
    neut = lb[(lb["LBTESTCD"] == "NEUT") & (lb["LBDY"] > 29)]
    val = neut["LBORRES"].astype(float)  # 10^9/L and 10^3/uL are the same number
    late4 = set(neut.loc[val < 0.5, "USUBJID"])
    assert late4 == set(d.index[d["rule"] == "CYTO4_D28"])
    ae = t.domains["AE"]
    dys = ae[(ae["AEDECOD"] == "Dysphagia")]
    assert set(dys["USUBJID"]) == set(d.index[d["rule"] == "NONHEM3_7D"])
    assert (d["dlt"] == "Y").sum() == (d["rule"] != "").sum() > 0


# ----------------------------------------------------------------------------- realism
def test_journey_and_untidiness():
    t = trial("default", 1, 120)
    d = t.domains
    dm = d["DM"]
    nottrt = dm[dm["ACTARMCD"] == "NOTTRT"]
    assert len(nottrt) > 0 and (nottrt["RFSTDTC"] == "").all()
    ex = d["EX"]
    ld = ex[ex["EXCAT"] == "LYMPHODEPLETING CHEMOTHERAPY"]
    assert set(ld["EXSTDY"]) == {-5, -4, -3} and set(ld["EXDOSE"]) == {30, 300}
    pr = d["PR"].set_index("USUBJID")["PRSTDTC"]
    inf = dm.set_index("USUBJID")["RFSTDTC"]
    v2v = (pd.to_datetime(inf[inf != ""]) - pd.to_datetime(pr[inf[inf != ""].index])).dt.days
    assert 7 <= v2v.median() <= 21
    lb = d["LB"]
    assert {"g/L", "g/dL"} <= set(lb.loc[lb["LBTESTCD"] == "HGB", "LBORRESU"])
    assert (lb["VISIT"] == "UNSCHEDULED").any()
    assert (d["AE"]["AESTDTC"].str.len() == 7).any()          # partial dates
    assert (d["CM"]["CMSTDTC"].str.len() == 7).any()
    ep = t.truth["episodes"]
    assert (ep["investigator_grade"] != ep["max_grade"]).any()
    ds = d["DS"]
    assert {"DEATH", "ONGOING"} <= set(ds["DSDECOD"])
    assert ds.loc[ds["DSDECOD"] == "DEATH", "DSTERM"].str.startswith("DEATH DUE TO").all()
    # pPCL patients have circulating plasma cells >= 5 % at baseline
    mh = d["MH"]
    pcl = set(mh.loc[mh["MHDECOD"] == "Plasma cell leukaemia", "USUBJID"])
    pb = lb[(lb["LBTESTCD"] == "PLASMALE") & (lb["LBBLFL"] == "Y")]
    infused_pcl = pcl & set(inf[inf != ""].index)
    assert infused_pcl and set(pb["USUBJID"]) == infused_pcl
    assert (pb["LBORRES"].astype(float) >= 5).all()


# ----------------------------------------------------------------------------- calibration
def test_calibration_against_published_ranges(big_trial):
    """Calibration ranges of the synthetic example (CT071, Jin L et al., Lancet Haematol 2025;
    NCT05838131) on a 300-patient default trial."""
    t = big_trial
    s = t.truth["subjects"]
    n = len(s)
    ep = t.truth["episodes"]
    crs = ep[ep["syndrome"] == "CRS"]
    assert 0.60 <= crs["USUBJID"].nunique() / n <= 0.95
    assert (s["crs_max_grade"] >= 3).mean() <= 0.05
    assert 1 <= crs["onset_day"].median() <= 7
    assert 4 <= crs["duration_days"].median() <= 5
    assert (s["icans_max_grade"] > 0).mean() <= 0.10
    bor = s["best_confirmed_response"]
    assert 0.85 <= bor.isin(["sCR", "CR", "VGPR", "PR"]).mean() <= 1.0
    assert 0.70 <= bor.isin(["sCR", "CR", "VGPR"]).mean() <= 0.90
    assert 0.50 <= bor.isin(["sCR", "CR"]).mean() <= 0.70
    pc = t.domains["PC"]
    q = pc[pc["PCTESTCD"] == "CARTRNSG"]
    peak = q.loc[q.groupby("USUBJID")["PCSTRESN"].idxmax()]
    assert 8 <= (peak["PCDY"] - 1).median() <= 28            # Tmax, protocol days
    assert 2.0e4 <= peak["PCSTRESN"].median() <= 5.0e4        # Cmax ~3e4 copies/ug
    assert 8e3 <= peak["PCSTRESN"].quantile(0.1) and peak["PCSTRESN"].quantile(0.9) <= 1.1e5
    fl = pc[pc["PCTESTCD"] == "CARTCELL"].groupby("USUBJID")["PCSTRESN"].max()
    assert 100 <= fl.median() <= 200 and fl.mean() > fl.median()
    dm = t.domains["DM"]
    assert 0.05 <= (dm["ACTARMCD"] == "NOTTRT").mean() <= 0.12
    is_ = t.domains["IS"]
    assert is_.loc[is_["ISSTRESC"] == "POSITIVE", "USUBJID"].nunique() / n <= 0.10
    lb = t.domains["LB"]
    mrd = lb[lb["LBTESTCD"] == "MRD"]
    vgpr = set(s.loc[bor.isin(["sCR", "CR", "VGPR"]), "USUBJID"])
    neg = set(mrd.loc[mrd["LBORRES"] == "NEGATIVE", "USUBJID"])
    assert 0.65 <= len(neg & vgpr) / len(vgpr) <= 1.0
    il6 = lb[lb["LBTESTCD"] == "IL6"].assign(v=lambda x: pd.to_numeric(x["LBORRES"],
                                                                         errors="coerce"))
    assert 5 <= (il6.loc[il6.groupby("USUBJID")["v"].idxmax(), "LBDY"] - 1).median() <= 14
    ae = t.domains["AE"]
    g34 = ae[ae["AETOXGR"].astype(int) >= 3]
    assert 0.80 <= g34.loc[g34["AEDECOD"] == "Neutrophil count decreased",
                           "USUBJID"].nunique() / n <= 0.95
    assert 0.40 <= g34.loc[g34["AEDECOD"] == "Platelet count decreased",
                           "USUBJID"].nunique() / n <= 0.65
    assert 0.50 <= g34.loc[g34["AEDECOD"] == "Anaemia", "USUBJID"].nunique() / n <= 0.70


# ----------------------------------------------------------------------------- scale path
def test_large_writer_matches_in_memory_and_chunks_validate(tmp_path):
    from cartrial.example import simulate_trial, write_large_example

    write_example(simulate_trial(protocol(), seed=3, n_patients=25), tmp_path / "mem")
    write_large_example(protocol(), tmp_path / "one", seed=3, n_patients=25)
    assert _hashes(tmp_path / "mem") == _hashes(tmp_path / "one")
    write_large_example(protocol(), tmp_path / "many", seed=3, n_patients=50,
                        chunk_patients=20)
    study = load_study(tmp_path / "many")
    assert validate_study(study, protocol()).findings.empty
    dm = study["DM"]
    assert dm["USUBJID"].is_unique and (dm["ACTARMCD"] != "NOTTRT").sum() == 50
    subjects = pd.read_csv(tmp_path / "many" / "truth" / "subjects.csv")
    assert len(subjects) == 50 and subjects["USUBJID"].is_unique


def test_components_have_their_own_streams(monkeypatch):
    """Changing the CRS parameters changes neither the conduct nor the disease course."""
    from dataclasses import replace

    from cartrial.example import SCENARIOS, simulate_trial

    monkeypatch.setitem(SCENARIOS, "more-crs", replace(SCENARIOS["default"], name="more-crs",
                                                         crs_prob=(0.95, 0.95)))
    a = simulate_trial(protocol(), seed=9, n_patients=30)
    b = simulate_trial(protocol(), seed=9, n_patients=30, scenario="more-crs")
    pd.testing.assert_frame_equal(a.history, b.history)
    pd.testing.assert_frame_equal(a.domains["DM"], b.domains["DM"])
    cols = ["USUBJID", "intended_depth", "true_progression_day"]
    pd.testing.assert_frame_equal(a.truth["subjects"][cols], b.truth["subjects"][cols])
    assert (a.truth["subjects"]["crs_max_grade"] > 0).sum() < (
        b.truth["subjects"]["crs_max_grade"] > 0).sum()


def test_a_large_trial_is_dated_before_the_horizon_and_validates_by_dates():
    """A trial whose accrual would run past HORIZON is moved back as a whole (whole weeks), so
    no record is dated in the future of a transfer (validation's DATE_FUTURE rule); the bundled
    size is not moved. The intervals between a patient's dates are unchanged by construction:
    one shift for every date."""
    from cartrial.example import trial as T
    from cartrial.example.assemble import data_cutoff
    from cartrial.protocol import load_protocol

    proto = load_protocol("ct071")
    sc, _, pool, enr = T._prepare(proto, 1, 300, "default")
    assert data_cutoff(enr, sc) <= T.HORIZON
    small = T._prepare(proto, 20240228, None, "default")
    assert small[3].consent.min() == np.datetime64("2023-05-15", "D") + np.timedelta64(
        int(np.ceil(small[2].gap_days[0])), "D")
    t = T.simulate_trial(proto, seed=1, n_patients=300)
    last = max(pd.to_datetime(df[c].astype(str).str[:10], errors="coerce").max()
               for df in t.domains.values() for c in df.columns if c.endswith("DTC"))
    assert last <= pd.Timestamp(T.HORIZON)
