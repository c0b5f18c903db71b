"""Cellular kinetics, cytokines and immunogenicity of the example as SDTM PC, LB and IS records.

PC: CAR transgene copies (qPCR) and CAR+ T cells (flow cytometry) at the kinetics visits, with
multiplicative assay noise, "<LLOQ" below the assay's limit. LB (category CYTOKINES): each
cytokine of :data:`cartrial.example.kinetics.CYTOKINES` rises with the CRS grade and the
expansion and peaks 2 days after CRS onset (day 5-12; day 7 without CRS). IS: binding
anti-drug antibodies, positive from day 28 in the scenario's fraction of patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example import kinetics as kin
from cartrial.example.journey import Journey
from cartrial.example.sdtm import fmt_date, fmt_sig, frame


def cytokine_rows(ctx: Journey, plan, kp: pd.DataFrame, protocol,  # noqa: ANN001
                  rk: np.random.Generator) -> list[pd.DataFrame]:
    """The cytokine LB records at the protocol's cytokine visits.

    Parameters
    ----------
    ctx : Journey
        The infused patients.
    plan : cartrial.example.crs.CrsPlan
        The CRS plan (grade and onset per patient).
    kp : pandas.DataFrame
        The kinetics plan (``cmax`` per patient).
    protocol : cartrial.protocol.Protocol
        Gives ``schedule.cytokines``.
    rk : numpy.random.Generator
        The ``kinetics`` stream (baseline, fold change and assay noise, cytokine by cytokine).

    Returns
    -------
    list of pandas.DataFrame
        One frame per cytokine (with helper columns ``_pat``, ``_day``).
    """
    n = len(ctx.inf)
    cs = protocol.schedule.cytokines
    days = np.asarray(sorted(cs.days))
    p = np.repeat(np.arange(n), len(days))
    d = np.tile(days, n)
    keep = d <= ctx.end_day[p]
    p, d = p[keep], d[keep]
    g = plan.crs_grade[p]
    peak = np.where(plan.crs_grade > 0, np.clip(plan.crs_onset + 2, 5, 12), 7)[p]
    expn = np.log(kp["cmax"].to_numpy()[p] / 3e4)
    out = []
    for code, (name, base, lloq, per_g, f0) in kin.CYTOKINES.items():
        b = base * np.exp(rk.normal(0, 0.3, n))[p]
        fold = np.exp(f0 + per_g * g + 0.3 * expn + rk.normal(0, 0.3, len(p)))
        v = kin.cytokine_curve(b, np.maximum(fold, 1.0), peak, d) * np.exp(
            rk.normal(0, 0.1, len(p)))
        txt, val = fmt_sig(v, 3)
        blq = val < lloq
        txt = np.where(blq, "<LLOQ", txt)
        unit = np.where(ctx.conv[p], "pg/mL", "ng/L")
        out.append(pd.DataFrame({
            "USUBJID": ctx.usubjid[p], "LBTESTCD": code, "LBTEST": name, "LBCAT": "CYTOKINES",
            "LBSPEC": "SERUM", "LBORRES": txt, "LBORRESU": unit, "LBLLOQ": lloq,
            "LBDTC": fmt_date(ctx.date(p, d)), "VISIT": np.char.add("DAY ", d.astype(str)),
            "VISITNUM": d.astype(float), "LBDY": ctx.dy(p, d), "LBBLFL": np.where(d == 0, "Y", ""),
            "_pat": p, "_day": d}))
    return out

def pc_rows(ctx: Journey, kpat: np.ndarray, knom: np.ndarray, kact: np.ndarray,
            conc: np.ndarray, flow: np.ndarray) -> pd.DataFrame:
    """The PC domain: transgene copies (copies/ug) and CAR+ T cells (cells/uL) per sample.

    Parameters
    ----------
    ctx : Journey
        The infused patients.
    kpat, knom, kact : numpy.ndarray
        Patient, nominal and actual day of each sample.
    conc, flow : numpy.ndarray
        Measured qPCR and flow values per sample.

    Returns
    -------
    pandas.DataFrame
        PC with "<LLOQ" (and no PCSTRESN) below each assay's LLOQ.
    """
    q_txt, q_v = fmt_sig(conc, 3)
    q_blq = q_v < kin.QPCR_LLOQ
    f_txt, f_v = fmt_sig(flow, 3)
    f_blq = f_v < kin.FLOW_LLOQ
    m = len(kpat)
    dtc = fmt_date(ctx.date(kpat, kact))
    cols = {
        "USUBJID": np.tile(ctx.usubjid[kpat], 2),
        "PCTESTCD": np.repeat(["CARTRNSG", "CARTCELL"], m),
        "PCTEST": np.repeat(["CAR Transgene Copies", "CAR+ T Cells"], m),
        "PCORRES": np.concatenate([np.where(q_blq, "<LLOQ", q_txt), np.where(f_blq, "<LLOQ",
                                                                             f_txt)]),
        "PCORRESU": np.repeat(["copies/ug", "cells/uL"], m),
        "PCSPEC": "WHOLE BLOOD",
        "PCLLOQ": np.repeat([kin.QPCR_LLOQ, kin.FLOW_LLOQ], m),
        "PCDTC": np.tile(dtc, 2),
        "PCSTRESC": np.concatenate([np.where(q_blq, "<LLOQ", q_txt), np.where(f_blq, "<LLOQ",
                                                                              f_txt)]),
        "PCSTRESN": np.concatenate([np.where(q_blq, np.nan, q_v), np.where(f_blq, np.nan, f_v)]),
        "PCSTRESU": np.repeat(["copies/ug", "cells/uL"], m),
        "PCMETHOD": np.repeat(["QPCR", "FLOW CYTOMETRY"], m),
        "VISIT": np.tile(np.char.add("DAY ", knom.astype(str)), 2),
        "VISITNUM": np.tile(knom, 2).astype(float),
        "PCDY": np.tile(ctx.dy(kpat, kact), 2),
    }
    return frame("PC", cols, ["USUBJID", "PCDTC", "PCTESTCD"])

def is_rows(ctx: Journey, protocol, rk: np.random.Generator,  # noqa: ANN001
            frac: float) -> pd.DataFrame:
    """The IS domain: binding anti-drug antibodies at the protocol's ADA visits.

    Parameters
    ----------
    ctx : Journey
        The infused patients.
    protocol : cartrial.protocol.Protocol
        Gives ``schedule.ada``.
    rk : numpy.random.Generator
        The ``kinetics`` stream (who turns positive, then the titre).
    frac : float
        Fraction of patients who turn positive (from day 28 on).

    Returns
    -------
    pandas.DataFrame
        IS with the titre (2^4 to 2^9) of positive samples.
    """
    n = len(ctx.inf)
    days = np.asarray(sorted(protocol.schedule.ada.days))
    p = np.repeat(np.arange(n), len(days))
    d = np.tile(days, n)
    keep = d <= ctx.end_day[p]
    p, d = p[keep], d[keep]
    pos_pat = rk.random(n) < frac
    titer = 2.0 ** rk.integers(4, 10, n)
    pos = pos_pat[p] & (d >= 28)
    res = np.where(pos, "POSITIVE", "NEGATIVE")
    cols = {"USUBJID": ctx.usubjid[p], "ISTESTCD": "ADA_BAB",
            "ISTEST": "Binding Antidrug Antibody", "ISORRES": res, "ISDTC": fmt_date(
                ctx.date(p, d)), "ISSTRESC": res,
            "ISSTRESN": np.where(pos, titer[p], np.nan), "ISSTRESU": np.where(pos, "titer", ""),
            "ISBLFL": np.where(d == 0, "Y", ""), "VISIT": np.char.add("DAY ", d.astype(str)),
            "VISITNUM": d.astype(float), "ISDY": ctx.dy(p, d)}
    return frame("IS", cols, ["USUBJID", "ISDTC"])

