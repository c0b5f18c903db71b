"""Vital signs and the CRS/ICANS findings of the example as SDTM VS, FA and QS records.

VS: the CRS observations (temperature, blood pressure, oxygen saturation) of
:func:`cartrial.example.crs_records.crs_vs_fa`, weight at screening and monthly (site 002 writes
pounds; about 20 % of patients lose 5-14 % of their weight, the GPRC5D-related weight loss)
and height at screening. FA: the CRS findings and the ICANS domains of the ASTCT consensus
grading (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38, Table 5); QS: the ICE
score items and total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example import crs_records as cr
from cartrial.example.journey import Journey
from cartrial.example.sdtm import fmt_date, fmt_datetime, fmt_num, frame


def vs_rows(ctx: Journey, cobs: pd.DataFrame, weight: np.ndarray, height: np.ndarray,
        base_day: np.ndarray, ru: np.random.Generator) -> pd.DataFrame:
    """The VS domain: CRS vital signs, weight (screening, then monthly) and height.

    Parameters
    ----------
    ctx : Journey
        The infused patients and their follow-up.
    cobs : pandas.DataFrame
        CRS observations of :func:`cartrial.example.crs_records.crs_observations`.
    weight, height : numpy.ndarray
        Screening weight (kg) and height (cm) per patient.
    base_day : numpy.ndarray
        Screening day per patient (relative to the infusion).
    ru : numpy.random.Generator
        The ``untidy`` stream (who loses weight and how much).

    Returns
    -------
    pandas.DataFrame
        VS records; no weight is written after the patient's follow-up ended.
    """
    vs, _ = cr.crs_vs_fa(cobs, ctx.usubjid, ctx.inf, None)
    p = vs["pat"]
    n = len(ctx.inf)
    # weight at screening and monthly (GPRC5D-related weight loss in some patients)
    wdays = np.array([0, 28, 56, 90, 180, 270, 365])
    wp = np.repeat(np.arange(n), len(wdays))
    wd = np.tile(wdays, n)
    loss = np.where(ru.random(n) < 0.2, ru.uniform(0.05, 0.14, n), ru.uniform(0, 0.03, n))
    wv = weight[wp] * (1 - loss[wp] * np.minimum(wd / 90, 1))
    keep = wd <= ctx.end_day[wp]
    wp, wd, wv = wp[keep], wd[keep], wv[keep]
    lbs = ctx.site[wp] == "002"
    sp = np.arange(n)
    cols = {
        "USUBJID": np.concatenate([ctx.usubjid[p], ctx.usubjid[wp], ctx.usubjid[sp]]),
        "VSTESTCD": np.concatenate([vs["VSTESTCD"], np.full(len(wp), "WEIGHT"),
                                    np.full(n, "HEIGHT")]),
        "VSTEST": np.concatenate([vs["VSTEST"], np.full(len(wp), "Weight"),
                                  np.full(n, "Height")]),
        "VSORRES": np.concatenate([vs["VSORRES"], np.where(lbs, fmt_num(wv * 2.20462, 1),
                                                           fmt_num(wv, 1)), fmt_num(height, 0)]),
        "VSORRESU": np.concatenate([vs["VSORRESU"], np.where(lbs, "LB", "kg"),
                                    np.full(n, "cm")]),
        "VSDTC": np.concatenate([vs["dtc"], fmt_date(ctx.date(wp, wd)),
                                 fmt_date(ctx.date(sp, base_day))]),
        "VISIT": np.concatenate([np.char.add("DAY ", vs["day"].astype(str)),
                                 np.char.add("DAY ", wd.astype(str)), np.full(n, "SCREENING")]),
        "VISITNUM": np.concatenate([vs["day"], wd, np.full(n, -28)]).astype(float),
        "VSDY": np.concatenate([ctx.dy(p, vs["day"]), ctx.dy(wp, wd), ctx.dy(sp, base_day)]),
    }
    cols["VSBLFL"] = np.where((cols["VSTESTCD"] == "WEIGHT") & (cols["VISITNUM"] == 0) |
                              (cols["VSTESTCD"] == "HEIGHT"), "Y", "")
    return frame("VS", cols, ["USUBJID", "VSDTC", "VSTESTCD"])

def fa_qs_rows(ctx: Journey, cobs: pd.DataFrame, iobs: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    """The FA (CRS and ICANS findings) and QS (ICE score) domains.

    Parameters
    ----------
    ctx : Journey
        The infused patients.
    cobs, iobs : pandas.DataFrame
        CRS and ICANS observations (:mod:`cartrial.example.crs_records`).

    Returns
    -------
    tuple of pandas.DataFrame
        FA and QS. Level of consciousness is recorded only when depressed; the ICE items
        ICE01-ICE05 and the total ICE06 at every ICANS assessment.
    """
    _, fa = cr.crs_vs_fa(cobs, ctx.usubjid, ctx.inf, None)
    ip = iobs["pat"].to_numpy()
    iday = iobs["day"].to_numpy()
    idtc = fmt_datetime(ctx.date(ip, iday), iobs["minute"].to_numpy())
    m = len(ip)
    loc = iobs["loc"].to_numpy()
    has_loc = loc != ""          # LOC only when consciousness is depressed
    everyone = np.ones(m, bool)
    neuro = [("LOC", "Level of Consciousness", loc, has_loc),
             ("SEIZURE", "Seizure", iobs["seizure"].to_numpy(), everyone),
             ("MOTOR", "Motor Findings", iobs["motor"].to_numpy(), everyone),
             ("ICPOED", "Raised ICP or Cerebral Oedema", iobs["icp"].to_numpy(), everyone),
             ("NEUOTH", "Neurologic Findings Other Cause", np.full(m, "N", dtype=object),
              everyone)]
    k = sum(int(w.sum()) for *_, w in neuro)
    dy = ctx.dy(ip, iday)
    fcols = {
        "USUBJID": np.concatenate([ctx.usubjid[fa["pat"]]]
                                  + [ctx.usubjid[ip][w] for *_, w in neuro]),
        "FATESTCD": np.concatenate([fa["FATESTCD"]]
                                   + [np.full(w.sum(), c) for c, _, _, w in neuro]),
        "FATEST": np.concatenate([fa["FATEST"]] + [np.full(w.sum(), t) for _, t, _, w in neuro]),
        "FAOBJ": np.concatenate([fa["FAOBJ"], np.full(k, cr.ICANS_OBJ)]),
        "FAORRES": np.concatenate([fa["FAORRES"]] + [v[w] for _, _, v, w in neuro]),
        "FAORRESU": np.concatenate([fa["FAORRESU"], np.full(k, "")]),
        "FADTC": np.concatenate([fa["dtc"]] + [idtc[w] for *_, w in neuro]),
        "FADY": np.concatenate([ctx.dy(fa["pat"], fa["day"])] + [dy[w] for *_, w in neuro]),
    }
    fadf = frame("FA", fcols, ["USUBJID", "FADTC", "FAOBJ", "FATESTCD"])
    names = ["ICE Orientation", "ICE Naming", "ICE Following Commands", "ICE Writing",
             "ICE Attention", "ICE Total Score"]
    vals = [iobs[f"ICE0{j}"].to_numpy() for j in range(1, 6)] + [iobs["ice"].to_numpy()]
    qcols = {
        "USUBJID": np.tile(ctx.usubjid[ip], 6),
        "QSCAT": np.full(6 * m, "ICE"),
        "QSTESTCD": np.repeat([f"ICE0{j}" for j in range(1, 7)], m),
        "QSTEST": np.repeat(names, m),
        "QSORRES": np.concatenate([fmt_num(v, 0) for v in vals]),
        "QSSTRESN": np.concatenate(vals).astype(float),
        "QSDTC": np.tile(idtc, 6),
        "QSDY": np.tile(ctx.dy(ip, iday), 6),
    }
    qcols["QSSTRESC"] = qcols["QSORRES"]
    return fadf, frame("QS", qcols, ["USUBJID", "QSDTC", "QSTESTCD"])

