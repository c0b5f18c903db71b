"""Laboratory results of the example as SDTM LB records: safety labs and disease assessments.

Safety labs (haematology and chemistry of :data:`cartrial.example.labs.LAB_TESTS`) are written in
the site's unit with the site's reference range (the conventional-unit site writes conventional
units); IgG only at screening and days 28, 90, 180 and 365. The grade >= 3 runs of the
cytopenias (CTCAE v5.0 "Investigations", lower limit of normal as written) feed the adverse
events. Disease assessments: serum and urine M-protein, free light chains and their ratio,
immunofixation, marrow plasma cells and clonality, MRD (NGF or NGS by site) and, for pPCL, the
blood plasma cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example import labs as lb
from cartrial.example.journey import Journey
from cartrial.example.sdtm import fmt_date, fmt_num, fmt_sig, frame


def _units(test: str, conv: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """(ORRES text, ORRESU, value written in SI) for one test at mixed-unit sites."""
    _, _, si, cu, fac, dsi, dcu, _ = lb.LAB_TESTS[test]
    w_si = np.round(v, dsi)
    w_cu = np.round(v * fac, dcu)
    txt = np.where(conv, fmt_num(w_cu, dcu), fmt_num(w_si, dsi))
    unit = np.where(conv, cu, si)
    back = np.where(conv, w_cu / fac, w_si)
    return txt, unit, back

def lab_rows(ctx: Journey, lpat: np.ndarray, lnom: np.ndarray, lact: np.ndarray,
             vals: dict[str, np.ndarray]) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """The safety-lab LB records and the CTCAE grade of every cytopenia result.

    Parameters
    ----------
    ctx : Journey
        The infused patients.
    lpat, lnom, lact : numpy.ndarray
        Patient, nominal day (-28 screening, -999 unscheduled) and actual day of each draw.
    vals : dict of str to numpy.ndarray
        True value per test (SI units), one per draw.

    Returns
    -------
    tuple
        One LB frame per test (with helper columns ``_pat``, ``_day``), and the CTCAE grade
        of each draw for the tests of :data:`cartrial.example.labs.CTCAE_LOW` (columns
        ``pat``, ``day``, ``test``, ``grade``).
    """
    frames = []
    runs = []
    site_i = np.searchsorted(np.array(["001", "002", "003"]), ctx.site[lpat])
    conv = ctx.conv[lpat]
    visit = np.where(lnom == -28, "SCREENING", np.where(lnom == -999, "UNSCHEDULED",
                                                        np.char.add("DAY ", lnom.astype(str))))
    vnum = np.where(lnom == -999, lact + 0.01, lnom).astype(float)
    for test, (name, cat, _si, _cu, fac, dsi, dcu, ranges) in lb.LAB_TESTS.items():
        if test in ("IGG",):
            keep = np.isin(lnom, [-28, 28, 90, 180, 365])
        else:
            keep = np.ones(len(lpat), bool)
        txt, unit, back = _units(test, conv, vals[test])
        lo = np.array([r[0] for r in ranges])[site_i]
        hi = np.array([r[1] for r in ranges])[site_i]
        lo_t = np.where(conv, fmt_num(lo * fac, dcu), fmt_num(lo, dsi))
        hi_t = np.where(conv, fmt_num(hi * fac, dcu), fmt_num(hi, dsi))
        frames.append(pd.DataFrame({
            "USUBJID": ctx.usubjid[lpat][keep], "LBTESTCD": test, "LBTEST": name, "LBCAT": cat,
            "LBSPEC": "BLOOD" if cat == "HEMATOLOGY" else "SERUM", "LBORRES": txt[keep],
            "LBORRESU": unit[keep], "LBORNRLO": lo_t[keep], "LBORNRHI": hi_t[keep],
            "LBDTC": fmt_date(ctx.date(lpat, lact))[keep], "VISIT": visit[keep],
            "VISITNUM": vnum[keep], "LBDY": ctx.dy(lpat, lact)[keep],
            "LBBLFL": np.where(lnom == -5, "Y", "")[keep], "_pat": lpat[keep],
            "_day": lact[keep]}))
        if test in lb.CTCAE_LOW:
            lln_back = np.where(conv, np.round(lo * fac, dcu) / fac, lo)
            g = lb.ctcae_low_grade(test, back, lln_back)
            runs.append(pd.DataFrame({"pat": lpat, "day": lact, "test": test, "grade": g}))
    return frames, pd.concat(runs, ignore_index=True)

def disease_rows(ctx: Journey, a: pd.DataFrame, mrd_test: np.ndarray, mrd_neg: np.ndarray
                 ) -> list[pd.DataFrame]:
    """The disease-assessment LB records (category DISEASE ASSESSMENT).

    Parameters
    ----------
    ctx : Journey
        The infused patients.
    a : pandas.DataFrame
        The assessments (:attr:`cartrial.example.assessments.Assessments.table`).
    mrd_test, mrd_neg : numpy.ndarray
        Per assessment: an MRD test is done; it is negative.

    Returns
    -------
    list of pandas.DataFrame
        One frame per test and specimen (with helper columns ``_pat``, ``_day``).
    """
    p = a["pat"].to_numpy()
    day = a["day"].to_numpy()
    nom = a["nom"].to_numpy()
    conv = ctx.conv[p]
    dtc = fmt_date(ctx.date(p, day))
    visit = np.where(nom == -1, "SCREENING", np.char.add("DAY ", nom.astype(str)))
    vnum = np.where(nom == -1, -28, nom).astype(float)
    dy = ctx.dy(p, day)
    blfl = np.where(nom == -1, "Y", "")
    out = []

    def add(mask, test, name, spec, orres, unit, **extra):
        d = pd.DataFrame({"USUBJID": ctx.usubjid[p][mask], "LBTESTCD": test, "LBTEST": name,
                          "LBCAT": "DISEASE ASSESSMENT", "LBSPEC": spec,
                          "LBORRES": np.asarray(orres, dtype=object)[mask],
                          "LBORRESU": np.asarray(unit, dtype=object)[mask]
                          if np.ndim(unit) else unit,
                          "LBDTC": dtc[mask], "VISIT": visit[mask], "VISITNUM": vnum[mask],
                          "LBDY": dy[mask], "LBBLFL": blfl[mask], "_pat": p[mask],
                          "_day": day[mask]})
        for c, v in extra.items():
            d[c] = np.asarray(v, dtype=object)[mask] if np.ndim(v) else v
        out.append(d)

    S = a["S"].to_numpy()
    allr = np.ones(len(p), bool)
    add(allr, "MPROTEIN", "Monoclonal Protein", "SERUM",
        np.where(conv, fmt_num(S / 10, 2), fmt_num(S, 1)), np.where(conv, "g/dL", "g/L"))
    md = a["mdtype"].to_numpy()
    urine = md != "FLC"
    add(urine, "MPROTEIN", "Monoclonal Protein", "URINE", fmt_num(a["U"].to_numpy(), 0),
        "mg/24h")
    K, L = a["K"].to_numpy(), a["L"].to_numpy()
    add(allr, "KAPPAFLC", "Kappa Lt Chain", "SERUM",
        np.where(conv, fmt_num(K / 10, 2), fmt_num(K, 1)), np.where(conv, "mg/dL", "mg/L"),
        LBORNRLO=np.where(conv, "0.33", "3.3"), LBORNRHI=np.where(conv, "1.94", "19.4"))
    add(allr, "LAMBDFLC", "Lambda Lt Chain", "SERUM",
        np.where(conv, fmt_num(L / 10, 2), fmt_num(L, 1)), np.where(conv, "mg/dL", "mg/L"),
        LBORNRLO=np.where(conv, "0.57", "5.7"), LBORNRHI=np.where(conv, "2.63", "26.3"))
    rt, _ = fmt_sig(K / L, 3)
    add(allr, "KAPLAMB", "Kappa Lt Chain", "SERUM", rt, "RATIO", LBORNRLO="0.26",
        LBORNRHI="1.65")
    pn = lambda b: np.where(b, "POSITIVE", "NEGATIVE")  # noqa: E731
    add(allr, "IMFIX", "Immunofixation", "SERUM", pn(a["SIFE"].to_numpy()), "")
    add(allr, "IMFIX", "Immunofixation", "URINE", pn(a["UIFE"].to_numpy()), "")
    mar = a["marrow"].to_numpy()
    bmw = np.round(a["BM"].to_numpy(), 1)
    add(mar, "PLASMACE", "Plasma Cells", "BONE MARROW", fmt_num(bmw, 1), "%")
    clon = np.where(a["f"].to_numpy() > 0.02, "CLONAL", "NOT CLONAL")
    add(mar, "PCCLON", "Plasma Cell Clonality", "BONE MARROW", clon, "")
    method = np.where(ctx.site[p] == "003", "NEXT GENERATION SEQUENCING",
                      "NEXT GENERATION FLOW CYTOMETRY")
    add(mrd_test, "MRD", "Minimal Residual Disease", "BONE MARROW", pn(~mrd_neg), "",
        LBMETHOD=method, LBLLOQ=np.full(len(p), 1e-5))
    pcl = a["ppcl"].to_numpy()
    add(pcl, "PLASMALE", "Plasma Cells/Leukocytes", "BLOOD", fmt_num(a["PB"].to_numpy(), 1), "%")
    for d in out:
        d.loc[d["LBORRESU"] == "", "LBORRESU"] = ""
    return out

def finish_lb(df: pd.DataFrame) -> pd.DataFrame:
    """The LB domain from its parts: helper columns dropped, optional columns filled, sorted.

    Parameters
    ----------
    df : pandas.DataFrame
        All LB parts concatenated.

    Returns
    -------
    pandas.DataFrame
        LB with LBSEQ; the same columns whatever parts are present (chunks agree).
    """
    df = df.drop(columns=["_pat", "_day"])
    for c in ("LBORNRLO", "LBORNRHI", "LBMETHOD"):  # the same columns in every chunk
        df[c] = df[c].fillna("") if c in df else ""
    if "LBLLOQ" not in df:
        df["LBLLOQ"] = np.nan
    return frame("LB", {c: df[c].to_numpy() for c in df.columns},
                 ["USUBJID", "LBDTC", "LBCAT", "LBTESTCD", "LBSPEC"])

