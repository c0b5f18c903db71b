"""Haematotoxicity phenotypes of the example trial, with truth: biphasic and late (prolonged)
neutropenia, and one IEC-HS (HLH-like syndrome) case after CRS resolution.

Drawn from the trial's own random stream ``haematology`` (:data:`STREAM`), so every other
quantity of the example is unchanged except the counts of the patients given a phenotype.
Calibration (assumption of the synthetic example, shapes as described by the EHA/EBMT ICAHT
consensus, Rejeski K et al., Blood 2023;142:865-77, and the ASTCT IEC-HS framework, Hines MR et
al., Transplant Cell Ther 2023;29:438.e1-16):

* **biphasic**: about 1 in 8 patients whose first neutropenia recovered by day 15: a first
  nadir <= 0.3 x10^9/L, a recovery of at least 4 days, then a second dip to 0.15-0.45 x10^9/L
  from day 19-21 lasting 3-5 days (ending by day 26: never a grade 4 persisting past day 28);
* **late neutropenia**: about 25 % of the others followed >= 100 days: ANC at or below 1.2 /
  0.8 / 0.5 x10^9/L (late ICAHT grade 1 / 2 / 3) from day 45-60 for 21-35 days;
* **IEC-HS**: one patient with CRS, 2-3 days after CRS resolution: ferritin to 30,000 ug/L,
  ALT about 7 x ULN for 5 days, fibrinogen 1.0-1.3 g/L, LDH to 900 U/L, ANC < 1.0 and platelets
  < 50 x10^9/L for 10 days, reported as a grade 3 AE lasting 5 days (no DLT by duration).

Every value is a floor or ceiling on the example's own trajectory (:mod:`cartrial.example.labs`)
at the patient's measurements, with unscheduled counts added where the phenotype needs them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example.labs import LAB_TESTS
from cartrial.example.sdtm import fmt_date

STREAM = "haematology"
IEC_HS_TERM = "Immune effector cell-associated HLH-like syndrome"
SOC = {IEC_HS_TERM: "Immune system disorders"}
#: late ANC ceiling per late ICAHT grade; 0.5 is "<= 500/uL" (ICAHT grade 3) but not "< 0.5"
#: (CTCAE grade 4), so no grade 4 neutropenia appears after day 28 (the CYTO4_D28 DLT rule)
LATE_DEPTH = {1: 1.2, 2: 0.8, 3: 0.5}
#: IEC-HS course: day after onset -> (ferritin ug/L, ALT x ULN or None, fibrinogen g/L, LDH U/L)
IEC_HS_COURSE = {0: (15000.0, None, 1.3, 700.0), 2: (30000.0, 7.5, 1.0, 900.0),
                 4: (20000.0, 7.0, 1.2, 650.0), 7: (8000.0, None, 1.8, 400.0),
                 10: (3000.0, None, 2.4, 280.0), 14: (800.0, None, 2.8, 220.0)}
IEC_HS_BASELINE = (3.0, 200.0)        # fibrinogen g/L, LDH U/L before lymphodepletion
EXTRA_TESTS = {"FIBRINO": ("Fibrinogen", "g/L", (2.0, 4.0), 1),
               "LDH": ("Lactate Dehydrogenase", "U/L", (120, 250), 0)}


def plan(rng: np.random.Generator, cplan: dict[str, np.ndarray], end_day: np.ndarray,
         dlt_type: np.ndarray, crs_episodes: pd.DataFrame) -> pd.DataFrame:
    """Per patient (index = patient number): PHENOTYPE ('', biphasic, late, iec-hs) and its
    parameters. Lowers the first nadir of biphasic patients in ``cplan`` (in place)."""
    n = len(end_day)
    u_bi, u_late, u_iec = rng.random(n), rng.random(n), rng.random(n)
    dip_start, dip_len = rng.integers(19, 22, n), rng.integers(3, 6, n)
    dip_depth = rng.uniform(0.15, 0.45, n)
    late_start, late_len = rng.integers(45, 61, n), rng.integers(21, 36, n)
    late_grade = rng.choice([1, 2, 3], size=n, p=[0.4, 0.4, 0.2])
    iec_delay = rng.integers(2, 4, n)
    free = (dlt_type == "") & ~cplan["cyto_dlt"]
    bi = free & ~cplan["prolonged"] & (cplan["neut_rec"] <= 15) & (end_day >= 35) & (u_bi < 0.5)
    late = free & ~bi & (end_day >= 100) & (u_late < 0.25)
    out = pd.DataFrame({"PHENOTYPE": np.where(bi, "biphasic", np.where(late, "late", "")),
                        "START": np.where(bi, dip_start, np.where(late, late_start, -1)),
                        "DAYS": np.where(bi, dip_len, np.where(late, late_len, 0)),
                        "DEPTH": np.where(bi, dip_depth, np.where(
                            late, np.vectorize(LATE_DEPTH.get)(late_grade), np.nan)),
                        "LATE_GRADE": np.where(late, late_grade, 0)})
    cplan["neut_nadir"] = np.where(bi, np.minimum(cplan["neut_nadir"], 0.3), cplan["neut_nadir"])
    ep = crs_episodes
    if len(ep):
        crs_end = ep.groupby("pat")["end_day"].max()
        cand = crs_end.index.to_numpy()
        ok = free[cand] & ~bi[cand] & ~late[cand] & (end_day[cand] >= crs_end.to_numpy() + 30)
        cand = cand[ok]
        if len(cand):
            p = cand[np.argmin(u_iec[cand])]
            out.loc[p, ["PHENOTYPE", "START", "DAYS"]] = [
                "iec-hs", int(crs_end[p] + iec_delay[p]), 10]
            out.loc[p, "CRS_END"] = float(crs_end[p])
    return out


def _visits(hp: pd.DataFrame, cplan: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Unscheduled count days each phenotype needs to be seen in the data."""
    pats, days = [], []
    for p, r in hp[hp["PHENOTYPE"] != ""].iterrows():
        s, d = int(r["START"]), int(r["DAYS"])
        if r["PHENOTYPE"] == "biphasic":
            tn = cplan["neut_tn"][p]
            rec = max(cplan["neut_rec"][p], tn + 5)
            want = [round(tn), int(np.ceil(rec)), s, s + d]
        elif r["PHENOTYPE"] == "late":
            want = [s, s + 7, s + 14, s + d]
        else:
            want = [s + k for k in IEC_HS_COURSE]
        pats += [p] * len(want)
        days += want
    return np.asarray(pats, dtype=np.int64), np.asarray(days, dtype=np.int64)


def add_visits(hp: pd.DataFrame, cplan: dict[str, np.ndarray], lpat: np.ndarray,
               lnom: np.ndarray, lact: np.ndarray, end_day: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lab grid with the phenotypes' unscheduled days added (VISIT UNSCHEDULED, nominal
    -999), except on days the patient already has a count or after follow-up ended."""
    p, d = _visits(hp, cplan)
    have = set(zip(lpat.tolist(), lact.tolist(), strict=True))
    keep = np.array([(a, b) not in have and b <= end_day[a] for a, b in zip(p, d, strict=True)],
                    dtype=bool)
    p, d = p[keep], d[keep]
    if len(p):
        _, first = np.unique(np.column_stack([p, d]), axis=0, return_index=True)
        p, d = p[np.sort(first)], d[np.sort(first)]
    return (np.concatenate([lpat, p]), np.concatenate([lnom, np.full(len(p), -999)]),
            np.concatenate([lact, d]))


def apply(hp: pd.DataFrame, lpat: np.ndarray, lact: np.ndarray,
          vals: dict[str, np.ndarray], site: np.ndarray) -> None:
    """Impose the phenotypes on the true SI values at (lpat, lact), in place (``site``: each
    patient's site, for the ALT upper limit of normal)."""
    t = lact.astype(float)
    uln = np.array([hi for _lo, hi in LAB_TESTS["ALT"][7]], dtype=float)
    alt_uln = uln[np.searchsorted(np.array(["001", "002", "003"]), site)]
    for p, r in hp[hp["PHENOTYPE"] != ""].iterrows():
        s, e = float(r["START"]), float(r["START"] + r["DAYS"])
        win = (lpat == p) & (t >= s) & (t < e)
        if r["PHENOTYPE"] in ("biphasic", "late"):
            vals["NEUT"] = np.where(win, np.minimum(vals["NEUT"], r["DEPTH"]), vals["NEUT"])
            continue
        win = (lpat == p) & (t >= s) & (t <= e)
        vals["NEUT"] = np.where(win, np.minimum(vals["NEUT"], 0.7), vals["NEUT"])
        vals["PLAT"] = np.where(win, np.minimum(vals["PLAT"], 35.0), vals["PLAT"])
        for k, (ferr, alt, _fib, _ldh) in IEC_HS_COURSE.items():
            at = (lpat == p) & (t == s + k)
            vals["FERRITIN"] = np.where(at, ferr, vals["FERRITIN"])
            if alt is not None:
                vals["ALT"] = np.where(at, alt * alt_uln[p], vals["ALT"])
    vals["WBC"] = vals["NEUT"] + vals["LYM"] + 0.4


def lab_rows(ctx, hp: pd.DataFrame, lpat: np.ndarray, lnom: np.ndarray,
             lact: np.ndarray) -> pd.DataFrame:
    """Fibrinogen and LDH of the IEC-HS patient (baseline and the IEC-HS course), in the
    columns of the example's LB rows (SI units at every site)."""
    iec = hp.index[hp["PHENOTYPE"] == "iec-hs"]
    if not len(iec):
        return pd.DataFrame()
    p, s = int(iec[0]), int(hp.loc[iec[0], "START"])
    course = {s + k: v for k, v in IEC_HS_COURSE.items()}
    rows = np.flatnonzero((lpat == p) & ((lnom == -5) | np.isin(lact, list(course))))
    frames = []
    for j, (test, (name, unit, (lo, hi), dec)) in enumerate(EXTRA_TESTS.items()):
        v = [course[d][2 + j] if d in course else IEC_HS_BASELINE[j] for d in lact[rows]]
        visit = np.where(lnom[rows] == -999, "UNSCHEDULED",
                         np.char.add("DAY ", lnom[rows].astype(str)))
        frames.append(pd.DataFrame({
            "USUBJID": ctx.usubjid[lpat[rows]], "LBTESTCD": test, "LBTEST": name,
            "LBCAT": "CHEMISTRY" if test == "LDH" else "COAGULATION",
            "LBSPEC": "PLASMA" if test == "FIBRINO" else "SERUM",
            "LBORRES": [f"{x:.{dec}f}" for x in v], "LBORRESU": unit,
            "LBORNRLO": f"{lo:.{dec}f}", "LBORNRHI": f"{hi:.{dec}f}",
            "LBDTC": fmt_date(ctx.date(lpat[rows], lact[rows])),
            "VISIT": visit, "VISITNUM": np.where(lnom[rows] == -999, lact[rows] + 0.01,
                                                 lnom[rows]).astype(float),
            "LBDY": ctx.dy(lpat[rows], lact[rows]), "LBBLFL": np.where(lnom[rows] == -5, "Y", ""),
            "_pat": lpat[rows], "_day": lact[rows]}))
    return pd.concat(frames, ignore_index=True)


def ae_rows(hp: pd.DataFrame) -> pd.DataFrame:
    """The IEC-HS adverse event (ASTCT grade 3, related, 5 days) in the example's AE plan
    columns."""
    iec = hp[hp["PHENOTYPE"] == "iec-hs"]
    st = iec["START"].to_numpy(dtype=float) + 1
    return pd.DataFrame({"pat": iec.index.to_numpy(), "term": IEC_HS_TERM, "start": st,
                         "start_min": -1, "end": st + 5, "grade": 3, "inv": 3,
                         "rel": "RELATED", "src": "haematology", "episode": 0})


def truth(ids: np.ndarray, hp: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Truth table ``haematology``: one row per patient given a phenotype (USUBJID, PHENOTYPE,
    START_DAY, DAYS, ANC_CEILING in 10^9/L, LATE_ICAHT_GRADE_MIN, CRS_END_DAY)."""
    h = hp[hp["PHENOTYPE"] != ""]
    crs_end = h["CRS_END"] if "CRS_END" in h else pd.Series(np.nan, index=h.index)
    return {"haematology": pd.DataFrame({
        "USUBJID": ids[h.index.to_numpy()], "PHENOTYPE": h["PHENOTYPE"].to_numpy(),
        "START_DAY": h["START"].to_numpy(dtype=int), "DAYS": h["DAYS"].to_numpy(dtype=int),
        "ANC_CEILING": np.where(h["PHENOTYPE"] == "iec-hs", 0.7, h["DEPTH"]).round(3),
        "LATE_ICAHT_GRADE_MIN": h["LATE_GRADE"].to_numpy(dtype=int),
        "CRS_END_DAY": crs_end.to_numpy(dtype=float)})}
