"""CRS / ICANS flow sheets as SDTM records (VS, FA, QS, CM) and their truth.

Conventions: docs/data-model.md "CRS observations" and "ICANS observations". The truth grade of
every time point is recomputed from the values written (:mod:`cartrial.example.crs`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example.crs import (
    ICE_MAX,
    ICE_REMOVAL_ORDER,
    CrsPlan,
    astct_crs_grade,
    astct_icans_grade,
    icans_path,
    intended_path,
)
from cartrial.example.sdtm import fmt_datetime, fmt_num

CRS_OBJ = "CYTOKINE RELEASE SYNDROME"
ICANS_OBJ = "IMMUNE EFFECTOR CELL-ASSOCIATED NEUROTOXICITY SYNDROME"
DAILY_UNTIL = 14


def _grid(last_day: np.ndarray, n: int, end_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(patient, day) for days 0..max(14, last_day + 1), cut at each patient's end of follow-up."""
    stop = np.minimum(np.maximum(DAILY_UNTIL, last_day + 1), end_day)
    counts = np.maximum(stop + 1, 0)
    pat = np.repeat(np.arange(n), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    day = np.arange(len(pat)) - start
    return pat, day


def crs_observations(rng: np.random.Generator, plan: CrsPlan, inf: np.ndarray,
                     end_day: np.ndarray) -> dict[str, pd.DataFrame]:
    """Raw CRS observations per time point with the intended and recomputed grades."""
    n = len(inf)
    last = np.where(plan.crs_grade > 0, plan.crs_onset + plan.crs_days, 0)
    pat, day = _grid(last, n, end_day)
    m = len(pat)
    g = intended_path(plan, day, pat)
    minute = 8 * 60 + rng.integers(-30, 31, m)
    # therapy: tocilizumab at the first grade >= 2 time point (all >= 3, 70 % of grade 2)
    u_toci = rng.random(n)
    toci_pat = (plan.crs_grade >= 3) | ((plan.crs_grade == 2) & (u_toci < 0.7))
    first2 = plan.crs_onset + 1
    steroid_pat = (plan.crs_grade >= 3) | ((plan.crs_grade == 2) & (u_toci < 0.15))
    apap_pat = (plan.crs_grade >= 1) & (rng.random(n) < 0.5)
    after_toci = toci_pat[pat] & (day > first2[pat])
    # fever: present on every intended grade >= 1 day except masked grade >= 2 days
    no_fever = after_toci & (g >= 2) & (rng.random(m) < 0.6)
    fever = (g >= 1) & ~no_fever
    temp = np.where(fever, rng.uniform(38.0, 39.8, m), rng.uniform(36.1, 37.6, m))
    # other-cause fever outside episodes (e.g. catheter infection) in a few patients
    other = (g == 0) & (day >= 10) & (rng.random(m) < 0.01)
    other &= (last[pat] < day - 1)
    temp = np.where(other, rng.uniform(38.1, 38.9, m), temp)
    temp = np.round(temp, 1)
    # components realising the grade
    route = rng.random(m)                      # 0-0.4 hypotension, 0.4-0.8 hypoxia, else both
    hyp_side = (g >= 2) & ((route < 0.4) | (route >= 0.8))
    oxy_side = (g >= 2) & (route >= 0.4)
    npress = np.where(hyp_side & (g == 3), 1, np.where(hyp_side & (g == 4), 2, 0))
    vasopressin = hyp_side & (g >= 3) & (rng.random(m) < 0.2)
    hypotn = hyp_side
    dev = np.full(m, "ROOM AIR", dtype=object)
    flow = np.full(m, np.nan)
    lo = oxy_side & (g == 2)
    dev[lo] = np.where(rng.random(lo.sum()) < 0.85, "NASAL CANNULA", "BLOW-BY")
    flow[lo] = rng.integers(1, 7, lo.sum()).astype(float)          # 1..6 L/min, 6 = boundary
    hi = oxy_side & (g == 3)
    hdev = np.array(["HIGH-FLOW NASAL CANNULA", "FACE MASK", "VENTURI MASK", "NASAL CANNULA"],
                    dtype=object)[rng.integers(0, 4, hi.sum())]
    dev[hi] = hdev
    flow[hi] = np.where(hdev == "NASAL CANNULA", 6.5, np.where(
        hdev == "HIGH-FLOW NASAL CANNULA", rng.integers(20, 50, hi.sum()), rng.integers(8, 15,
                                                                                       hi.sum())))
    g4 = oxy_side & (g == 4)
    dev[g4] = np.array(["CPAP", "BIPAP"], dtype=object)[rng.integers(0, 2, g4.sum())]
    # when only one side realises the grade, the other side may be milder (never higher)
    mild = (g == 3) & hyp_side & ~oxy_side & (rng.random(m) < 0.4)
    dev[mild] = "NASAL CANNULA"
    flow[mild] = rng.integers(1, 4, mild.sum()).astype(float)
    fevoth = np.where(other, "Y", "N")
    masked = _masked(pat, day, minute, g, toci_pat, steroid_pat, apap_pat, first2, plan)
    truth = astct_crs_grade(temp, other, hypotn, npress, vasopressin, np.zeros(m, bool), dev,
                            flow, np.zeros(m, bool), masked)
    sbp = np.where(hypotn, rng.integers(72, 89, m), rng.integers(102, 138, m))
    pulse = np.where(fever, rng.integers(92, 125, m), rng.integers(64, 92, m))
    obs = pd.DataFrame({
        "pat": pat, "day": day, "minute": minute, "intended": g, "grade": truth,
        "temp": temp, "fever_other": other, "hypotn": hypotn, "npress": npress,
        "vasopressin": vasopressin, "device": dev, "flow": flow, "sbp": sbp, "pulse": pulse,
        "masked": masked,
    })
    therapy = pd.DataFrame({
        "pat": np.arange(n), "toci": toci_pat, "steroid": steroid_pat, "apap": apap_pat,
        "first2": first2, "onset": plan.crs_onset,
    })
    _ = fevoth
    return {"obs": obs, "therapy": therapy}


def _masked(pat, day, minute, g, toci, steroid, apap, first2, plan) -> np.ndarray:
    """Therapy given within the episode at or before the time point (ASTCT rule 2)."""
    # acetaminophen 30 min after the onset assessment; tocilizumab / steroid 60 / 120 min after
    # the first grade >= 2 assessment (see crs_cm); all strictly after that assessment
    t_apap = np.where(apap, plan.crs_onset * 1440 + 8 * 60 + 31 + 30, np.inf)
    t_toci = np.where(toci, first2 * 1440 + 8 * 60 + 31 + 60, np.inf)
    t_ster = np.where(steroid, first2 * 1440 + 8 * 60 + 31 + 120, np.inf)
    t_first = np.minimum.reduce([t_apap, t_toci, t_ster])
    tp = day * 1440 + minute
    return tp >= t_first[pat]


def crs_cm_rows(obs: pd.DataFrame, therapy: pd.DataFrame, weight: np.ndarray) -> pd.DataFrame:
    """CM rows (pat, day, minute, end day, end minute, CMTRT, CMCLAS, dose, unit, route)."""
    rows = []
    t = therapy
    on = t["apap"].to_numpy()
    rows.append(pd.DataFrame({"pat": t["pat"][on], "day": t["onset"][on], "minute": 8 * 60 + 61,
                              "CMTRT": "PARACETAMOL", "CMCLAS": "ANTIPYRETIC", "CMDOSE": 1000.0,
                              "CMDOSU": "mg", "CMROUTE": "ORAL"}))
    on = t["toci"].to_numpy()
    rows.append(pd.DataFrame({"pat": t["pat"][on], "day": t["first2"][on],
                              "minute": 8 * 60 + 91, "CMTRT": "TOCILIZUMAB",
                              "CMCLAS": "ANTI-IL-6",
                              "CMDOSE": np.round(np.minimum(8 * weight[on], 800)),
                              "CMDOSU": "mg", "CMROUTE": "INTRAVENOUS"}))
    on = t["steroid"].to_numpy()
    rows.append(pd.DataFrame({"pat": t["pat"][on], "day": t["first2"][on],
                              "minute": 8 * 60 + 151, "CMTRT": "DEXAMETHASONE",
                              "CMCLAS": "CORTICOSTEROID", "CMDOSE": 10.0, "CMDOSU": "mg",
                              "CMROUTE": "INTRAVENOUS"}))
    pr = obs[obs["npress"] > 0]
    if len(pr):
        first = pr.groupby("pat", sort=True).agg(day=("day", "min"), end=("day", "max"))
        rows.append(pd.DataFrame({"pat": first.index, "day": first["day"].to_numpy(),
                                  "minute": 7 * 60, "CMTRT": "NOREPINEPHRINE",
                                  "CMCLAS": "VASOPRESSOR", "CMDOSE": np.nan, "CMDOSU": "",
                                  "CMROUTE": "INTRAVENOUS", "end": first["end"].to_numpy()}))
        two = pr[pr["npress"] >= 2].groupby("pat", sort=True).agg(day=("day", "min"),
                                                                  end=("day", "max"))
        rows.append(pd.DataFrame({"pat": two.index, "day": two["day"].to_numpy(),
                                  "minute": 7 * 60 + 30, "CMTRT": "PHENYLEPHRINE",
                                  "CMCLAS": "VASOPRESSOR", "CMDOSE": np.nan, "CMDOSU": "",
                                  "CMROUTE": "INTRAVENOUS", "end": two["end"].to_numpy()}))
    vp = obs[obs["vasopressin"]]
    if len(vp):
        f = vp.groupby("pat", sort=True).agg(day=("day", "min"), end=("day", "max"))
        rows.append(pd.DataFrame({"pat": f.index, "day": f["day"].to_numpy(), "minute": 7 * 60 + 15,
                                  "CMTRT": "VASOPRESSIN", "CMCLAS": "VASOPRESSOR",
                                  "CMDOSE": np.nan, "CMDOSU": "", "CMROUTE": "INTRAVENOUS",
                                  "end": f["end"].to_numpy()}))
    out = pd.concat(rows, ignore_index=True)
    out["end"] = out["end"].fillna(out["day"]) if "end" in out else out["day"]
    return out


def crs_vs_fa(obs: pd.DataFrame, usubjid: np.ndarray, inf: np.ndarray,
              visit_fn) -> tuple[dict, dict]:
    """VS (TEMP, SYSBP, PULSE) and FA (CRS) column dictionaries from the observations."""
    p = obs["pat"].to_numpy()
    day = obs["day"].to_numpy()
    dtc = fmt_datetime(inf[p] + day.astype("timedelta64[D]"), obs["minute"].to_numpy())
    k = len(p)
    temp_f = np.zeros(k, bool)  # temperatures are recorded in C
    vs = {
        "pat": np.tile(p, 3), "day": np.tile(day, 3), "dtc": np.tile(dtc, 3),
        "VSTESTCD": np.repeat(np.array(["TEMP", "SYSBP", "PULSE"], dtype=object), k),
        "VSTEST": np.repeat(np.array(["Temperature", "Systolic Blood Pressure", "Pulse Rate"],
                                     dtype=object), k),
        "VSORRES": np.concatenate([fmt_num(obs["temp"].to_numpy(), 1),
                                   fmt_num(obs["sbp"].to_numpy(), 0),
                                   fmt_num(obs["pulse"].to_numpy(), 0)]),
        "VSORRESU": np.repeat(np.array(["C", "mmHg", "beats/min"], dtype=object), k),
    }
    _ = temp_f
    yn = {True: "Y", False: "N"}
    hyp = obs["hypotn"].to_numpy()
    dev = obs["device"].to_numpy()
    flow = obs["flow"].to_numpy()
    has_flow = ~np.isnan(flow)
    fever = obs["temp"].to_numpy() >= 38.0
    parts = [
        (np.ones(k, bool), "HYPOTN", "Hypotension Present", np.array([yn[b] for b in hyp]), ""),
        (np.ones(k, bool), "VASOPN", "Vasopressors Excl Vasopressin Number",
         fmt_num(obs["npress"].to_numpy(), 0), ""),
        (np.ones(k, bool), "VASOPRSN", "Vasopressin Given",
         np.where(obs["vasopressin"].to_numpy(), "Y", "N"), ""),
        (np.ones(k, bool), "O2DEV", "Oxygen Delivery Device", dev, ""),
        (has_flow, "O2FLOW", "Oxygen Flow Rate",
         np.where(flow % 1 == 0, fmt_num(flow, 0), fmt_num(flow, 1)), "L/min"),
        (fever, "FEVOTH", "Fever Attributed to Other Cause",
         np.where(obs["fever_other"].to_numpy(), "Y", "N"), ""),
        (hyp, "HYPOOTH", "Hypotension Attributed to Other Cause", np.full(k, "N"), ""),
        (dev != "ROOM AIR", "HYPXOTH", "Hypoxia Attributed to Other Cause", np.full(k, "N"), ""),
    ]
    cols: dict[str, list] = {c: [] for c in ("pat", "day", "dtc", "FATESTCD", "FATEST",
                                             "FAORRES", "FAORRESU")}
    for mask, code, name, vals, unit in parts:
        cols["pat"].append(p[mask])
        cols["day"].append(day[mask])
        cols["dtc"].append(dtc[mask])
        cols["FATESTCD"].append(np.full(mask.sum(), code, dtype=object))
        cols["FATEST"].append(np.full(mask.sum(), name, dtype=object))
        cols["FAORRES"].append(np.asarray(vals, dtype=object)[mask])
        cols["FAORRESU"].append(np.full(mask.sum(), unit, dtype=object))
    fa = {c: np.concatenate(v) for c, v in cols.items()}
    fa["FAOBJ"] = np.full(len(fa["pat"]), CRS_OBJ, dtype=object)
    return vs, fa


def icans_observations(rng: np.random.Generator, plan: CrsPlan, end_day: np.ndarray
                       ) -> pd.DataFrame:
    """Daily ICE items and neurological findings (days 1-10 and through ICANS) with grades."""
    n = len(end_day)
    last = np.where(plan.icans_grade > 0, plan.icans_onset + plan.icans_days, 0)
    stop = np.minimum(np.maximum(10, last + 1), end_day)
    counts = np.maximum(stop, 0)
    pat = np.repeat(np.arange(n), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    day = np.arange(len(pat)) - start + 1
    m = len(pat)
    g = icans_path(plan, day, pat)
    ice = np.select([g == 0, g == 1, g == 2, g == 3],
                    [10, rng.integers(7, 10, m), rng.integers(3, 7, m), rng.integers(0, 3, m)])
    # an alert patient has no LOC finding; "awakens spontaneously" is grade-1 drowsiness
    loc = np.where(g >= 1, "AWAKENS SPONTANEOUSLY", "").astype(object)
    # grade 2 sometimes through drowsiness with a better ICE; grade 3 through a resolving seizure
    drowsy = (g == 2) & (rng.random(m) < 0.3)
    ice = np.where(drowsy, rng.integers(7, 10, m), ice)
    loc[drowsy] = "AWAKENS TO VOICE"
    seize = (g == 3) & (rng.random(m) < 0.25)
    ice = np.where(seize, rng.integers(3, 7, m), ice)
    seizure = np.where(seize, "CLINICAL OR EEG SEIZURE RESOLVING", "NONE").astype(object)
    tactile = (g == 3) & ~seize & (rng.random(m) < 0.3)
    loc[tactile] = "AWAKENS TO TACTILE STIMULUS"
    deficit = 10 - ice
    items = np.tile(ICE_MAX, (m, 1))
    cap = ICE_MAX[ICE_REMOVAL_ORDER]
    before = np.concatenate([[0], np.cumsum(cap)[:-1]])
    removed = np.clip(deficit[:, None] - before[None, :], 0, cap[None, :])
    items[:, ICE_REMOVAL_ORDER] -= removed
    total = items.sum(axis=1)
    motor = np.full(m, "NONE", dtype=object)
    icp = np.full(m, "NONE", dtype=object)
    grade = astct_icans_grade(total, loc, seizure, motor, icp, np.zeros(m, bool))
    minute = 9 * 60 + rng.integers(0, 46, m)
    df = pd.DataFrame({"pat": pat, "day": day, "minute": minute, "intended": g, "grade": grade,
                       "ice": total, "loc": loc, "seizure": seizure, "motor": motor, "icp": icp})
    for j in range(5):
        df[f"ICE0{j + 1}"] = items[:, j]
    return df


def episodes(tp: pd.DataFrame, what: str) -> pd.DataFrame:
    """Episodes: maximal runs of consecutive time points with grade >= 1 (per patient)."""
    t = tp.sort_values(["pat", "day", "minute"], kind="stable")
    on = t["grade"].to_numpy() > 0
    pat = t["pat"].to_numpy()
    prev_on = np.concatenate([[False], on[:-1]])
    prev_pat = np.concatenate([[-1], pat[:-1]])
    start = on & (~prev_on | (prev_pat != pat))
    ep = np.cumsum(start)
    sel = on
    e = pd.DataFrame({"pat": pat[sel], "ep": ep[sel], "day": t["day"].to_numpy()[sel],
                      "minute": t["minute"].to_numpy()[sel], "grade": t["grade"].to_numpy()[sel]})
    if e.empty:
        return pd.DataFrame(columns=["pat", "episode", "start_day", "start_minute", "end_day",
                                     "end_minute", "max_grade", "what"])
    agg = e.groupby("ep", sort=True).agg(pat=("pat", "first"), start_day=("day", "first"),
                                        start_minute=("minute", "first"), end_day=("day", "last"),
                                        end_minute=("minute", "last"), max_grade=("grade", "max"))
    # hours at grade >= 3 before improving to <= 2 (for the 72 h DLT rules)
    g3 = e[e["grade"] >= 3]
    if len(g3):
        first3 = g3.groupby("ep").agg(d3=("day", "first"), m3=("minute", "first"))
        after = e.merge(first3, left_on="ep", right_index=True)
        t_rel = (after["day"] - after["d3"]) * 1440 + after["minute"] - after["m3"]
        better = after[(after["grade"] <= 2) & (t_rel > 0)].assign(t=t_rel)
        fb = better.groupby("ep")["t"].min()
        # no improvement inside the episode: it improves at its end (next assessment grade 0)
        agg["hours_g3"] = np.nan
        has = agg.index.isin(first3.index)
        agg.loc[has, "hours_g3"] = (fb.reindex(agg.index[has]) / 60).to_numpy()
        last_t = ((agg["end_day"] - first3["d3"].reindex(agg.index)) * 1440 + agg["end_minute"]
                  - first3["m3"].reindex(agg.index)) / 60 + 24
        agg["hours_g3"] = agg["hours_g3"].fillna(last_t.where(has))
    else:
        agg["hours_g3"] = np.nan
    agg["episode"] = agg.groupby("pat").cumcount() + 1
    agg["what"] = what
    return agg.reset_index(drop=True)
