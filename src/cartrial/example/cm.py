"""Medications of the example as SDTM CM records: CAR-T supportive care and other therapy.

Tocilizumab and corticosteroids for CRS (:func:`cartrial.example.crs_records.crs_cm_rows`),
dexamethasone for ICANS grade >= 2, filgrastim (40 % of patients, days 6-15), dexamethasone
bridging between leukapheresis and infusion, the next anti-myeloma therapy after confirmed
progression and three to six prior lines with partial dates (regimens:
:mod:`cartrial.example.baseline`). Nothing starting after follow-up ended is recorded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example import baseline as bsl
from cartrial.example import crs_records as cr
from cartrial.example.journey import Journey
from cartrial.example.sdtm import fmt_date, fmt_datetime, frame


def medications(ctx: Journey, cobs: pd.DataFrame, therapy: pd.DataFrame, weight: np.ndarray,
                ep_i: pd.DataFrame, new_tx: np.ndarray, bridging: np.ndarray, aph: np.ndarray,
                re: np.random.Generator, rb: np.random.Generator
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The CM domain and the prior lines of therapy of every infused patient.

    Parameters
    ----------
    ctx : Journey
        The infused patients and their follow-up.
    cobs, therapy : pandas.DataFrame
        CRS observations and CRS therapy (:func:`cartrial.example.crs_records.crs_observations`).
    weight : numpy.ndarray
        Weight (kg) per patient (tocilizumab 8 mg/kg, at most 800 mg).
    ep_i : pandas.DataFrame
        ICANS episodes.
    new_tx : numpy.ndarray
        Day the next anti-myeloma therapy starts (``inf`` when none).
    bridging : numpy.ndarray
        True for patients bridged between leukapheresis and infusion.
    aph : numpy.ndarray
        Leukapheresis dates.
    re, rb : numpy.random.Generator
        The ``events`` stream (filgrastim; the number of prior lines) and the ``baseline``
        stream (the prior regimens).

    Returns
    -------
    tuple of pandas.DataFrame
        CM, and the prior lines (:func:`cartrial.example.baseline.prior_lines`).
    """
    rows = [cr.crs_cm_rows(cobs, therapy, weight).assign(CMCAT="CRS/ICANS MANAGEMENT",
                                                         CMINDC="CYTOKINE RELEASE SYNDROME")]
    if not ep_i.empty:
        e = ep_i[ep_i["max_grade"] >= 2]
        rows.append(pd.DataFrame({"pat": e["pat"].to_numpy(), "day": e["start_day"].to_numpy(),
                                  "minute": 11 * 60, "CMTRT": "DEXAMETHASONE",
                                  "CMCLAS": "CORTICOSTEROID", "CMDOSE": 10.0, "CMDOSU": "mg",
                                  "CMROUTE": "INTRAVENOUS", "end": e["end_day"].to_numpy(),
                                  "CMCAT": "CRS/ICANS MANAGEMENT", "CMINDC": "ICANS"}))
    n = len(ctx.inf)
    g = np.flatnonzero(re.random(n) < 0.4)
    rows.append(pd.DataFrame({"pat": g, "day": re.integers(6, 10, n)[g], "minute": 10 * 60,
                              "CMTRT": "FILGRASTIM", "CMCLAS": "GROWTH FACTOR", "CMDOSE": 300.0,
                              "CMDOSU": "ug", "CMROUTE": "SUBCUTANEOUS",
                              "end": re.integers(11, 16, n)[g], "CMCAT": "SUPPORTIVE CARE",
                              "CMINDC": "NEUTROPENIA"}))
    t = np.flatnonzero(np.isfinite(new_tx))
    rows.append(pd.DataFrame({"pat": t, "day": new_tx[t].astype(int), "minute": -1,
                              "CMTRT": np.array(["TECLISTAMAB", "DARATUMUMAB", "SELINEXOR"],
                                                dtype=object)[t % 3], "CMCLAS": "ANTI-MYELOMA",
                              "CMDOSE": np.nan, "CMDOSU": "", "CMROUTE": "",
                              "end": np.nan, "CMCAT": "SUBSEQUENT ANTI-MYELOMA THERAPY",
                              "CMINDC": "MULTIPLE MYELOMA"}))
    b = np.flatnonzero(bridging)
    aph_rel = (aph - ctx.inf).astype(int)
    rows.append(pd.DataFrame({"pat": b, "day": aph_rel[b] + 2, "minute": -1,
                              "CMTRT": "DEXAMETHASONE", "CMCLAS": "ANTI-MYELOMA", "CMDOSE": 40.0,
                              "CMDOSU": "mg", "CMROUTE": "ORAL", "end": aph_rel[b] + 5,
                              "CMCAT": "BRIDGING THERAPY", "CMINDC": "MULTIPLE MYELOMA"}))
    # prior lines with partial dates (year-month), three to six per patient (this draw stays on
    # the events stream, which later draws depend on); regimens and refractoriness:
    # example/baseline.py
    nl = re.integers(3, 7, n)
    prior, lines = bsl.prior_lines(rb, nl)
    rows.append(prior)
    cm = pd.concat(rows, ignore_index=True)
    p = cm["pat"].to_numpy()
    day = cm["day"].to_numpy().astype(int)
    cm = cm[day <= ctx.end_day[p]].reset_index(drop=True)
    p = cm["pat"].to_numpy()
    day = cm["day"].to_numpy().astype(int)
    mins = cm["minute"].to_numpy()
    date = ctx.date(p, day)
    st = np.where(mins >= 0, fmt_datetime(date, np.maximum(mins, 0)), fmt_date(date))
    st = np.where(mins == -2, np.array([s[:7] for s in fmt_date(date)], dtype=object), st)
    endv = cm["end"].to_numpy(float)
    has_end = ~np.isnan(endv) & (endv <= ctx.end_day[p])
    en = np.where(has_end, fmt_date(ctx.date(p, np.nan_to_num(endv).astype(int))), "")
    en = np.where((mins == -2), np.array([s[:4] for s in fmt_date(
        ctx.date(p, day + 150))], dtype=object), en)
    cols = {"USUBJID": ctx.usubjid[p], "CMTRT": cm["CMTRT"].to_numpy(),
            "CMCAT": cm["CMCAT"].to_numpy(), "CMSTDTC": st, "CMDECOD": cm["CMTRT"].to_numpy(),
            "CMCLAS": cm["CMCLAS"].to_numpy(), "CMINDC": cm["CMINDC"].to_numpy(),
            "CMDOSE": cm["CMDOSE"].to_numpy(float), "CMDOSU": cm["CMDOSU"].to_numpy(),
            "CMROUTE": cm["CMROUTE"].to_numpy(), "CMENDTC": en,
            "CMGRPID": cm["CMGRPID"].fillna("").to_numpy()}
    return frame("CM", cols, ["USUBJID", "CMSTDTC", "CMTRT"]), lines

