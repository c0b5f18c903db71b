"""A tiny hand-written SDTM study (docs/data-model.md conventions) for the adapter tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

INF = {"S1": "2024-03-10", "S2": "2024-04-02", "S3": "2024-05-20"}


def _d(subject: str, day: int, time: str | None = None) -> str:
    date = (pd.Timestamp(INF[subject]) + pd.Timedelta(days=day)).strftime("%Y-%m-%d")
    return f"{date}T{time}" if time else date


def _seq(rows: list[dict], domain: str) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df.insert(0, "STUDYID", "CT071")
    df.insert(1, "DOMAIN", domain)
    df[f"{domain}SEQ"] = df.groupby("USUBJID").cumcount() + 1
    return df


def study_frames() -> dict[str, pd.DataFrame]:
    dm = pd.DataFrame({
        "STUDYID": "CT071", "DOMAIN": "DM", "USUBJID": ["S1", "S2", "S3"],
        "SUBJID": ["1", "2", "3"], "SITEID": "01", "RFSTDTC": [INF["S1"], INF["S2"], INF["S3"]],
        "AGE": ["61", "55", "70"], "AGEU": "YEARS", "SEX": ["M", "F", "M"],
        "ARMCD": ["DL1", "DL1", "DL2"], "ACTARMCD": ["DL1", "DL1", "DL2"],
        "DTHDTC": ["", _d("S2", 40), ""], "DTHFL": ["", "Y", ""]})
    ex = _seq([{"USUBJID": s, "EXTRT": "CT071", "EXCAT": "INVESTIGATIONAL PRODUCT",
                "EXDOSE": d, "EXDOSU": "10^6 cells/kg", "EXSTDTC": _d(s, 0, "10:00")}
               for s, d in (("S1", "0.1"), ("S2", "0.1"), ("S3", "0.3"))], "EX")
    # S1 CRS: day 1 fever (G1); day 2 fever + 1 pressor (G3) + tocilizumab; day 3 afebrile
    # on 1 pressor (masked G3); day 4 afebrile hypotension on fluids (masked G2); day 5 normal.
    # S3: fever day 1 only (G1), follow-up to day 20.
    ra = "ROOM AIR"
    crs = [("S1", 1, 38.4, "N", 0, "N", ra, ""), ("S1", 2, 39.1, "Y", 1, "N", ra, ""),
           ("S1", 3, 37.2, "Y", 1, "N", "NASAL CANNULA", "2"),
           ("S1", 4, 37.0, "Y", 0, "N", ra, ""), ("S1", 5, 36.8, "N", 0, "N", ra, ""),
           ("S3", 1, 38.2, "N", 0, "N", ra, ""), ("S3", 2, 37.0, "N", 0, "N", ra, "")]
    vs = _seq([{"USUBJID": s, "VSTESTCD": "TEMP", "VSTEST": "Temperature", "VSORRES": str(t),
                "VSORRESU": "C", "VSDTC": _d(s, d, "08:00")} for s, d, t, *_ in crs]
              + [{"USUBJID": "S2", "VSTESTCD": "TEMP", "VSTEST": "Temperature", "VSORRES": "36.9",
                  "VSORRESU": "C", "VSDTC": _d("S2", 1, "08:00")}]
              # S1 weight 80 kg at baseline, 70 kg on day 60: -12.5% = CTCAE weight loss grade 2
              + [{"USUBJID": "S1", "VSTESTCD": "WEIGHT", "VSTEST": "Weight", "VSORRES": w,
                  "VSORRESU": "kg", "VSDTC": _d("S1", d), "VSBLFL": fl}
                 for d, w, fl in ((-6, "80", "Y"), (60, "70", ""))], "VS")
    fa_rows = []
    for s, d, _t, hyp, vaso, vp, dev, flow in crs:
        for code, val in (("HYPOTN", hyp), ("VASOPN", str(vaso)), ("VASOPRSN", vp),
                          ("O2DEV", dev), ("O2FLOW", flow)):
            if val == "":
                continue
            fa_rows.append({"USUBJID": s, "FATESTCD": code, "FATEST": code,
                            "FAOBJ": "CYTOKINE RELEASE SYNDROME", "FAORRES": val,
                            "FAORRESU": "L/min" if code == "O2FLOW" else "",
                            "FADTC": _d(s, d, "08:00")})
    # S1 ICANS: ICE 8 on day 6 (G1), 10 on day 7
    for d, loc in ((6, "AWAKENS SPONTANEOUSLY"), (7, "")):
        if loc:
            fa_rows.append({"USUBJID": "S1", "FATESTCD": "LOC", "FATEST": "Level of Consciousness",
                            "FAOBJ": "IMMUNE EFFECTOR CELL-ASSOCIATED NEUROTOXICITY SYNDROME",
                            "FAORRES": loc, "FADTC": _d("S1", d, "09:00")})
    fa = _seq(fa_rows, "FA")
    qs_rows = []
    for d, items in ((6, [3, 3, 1, 1, 0]), (7, [4, 3, 1, 1, 1])):
        for i, v in enumerate(items, start=1):
            qs_rows.append({"USUBJID": "S1", "QSCAT": "ICE", "QSTESTCD": f"ICE0{i}",
                            "QSTEST": f"ICE item {i}", "QSORRES": str(v),
                            "QSDTC": _d("S1", d, "09:00")})
        qs_rows.append({"USUBJID": "S1", "QSCAT": "ICE", "QSTESTCD": "ICE06", "QSTEST": "ICE Total",
                        "QSORRES": str(sum(items)), "QSDTC": _d("S1", d, "09:00")})
    qs = _seq(qs_rows, "QS")
    cm = _seq([{"USUBJID": "S1", "CMTRT": "TOCILIZUMAB", "CMCAT": "CRS/ICANS MANAGEMENT",
                "CMCLAS": "ANTI-IL-6", "CMSTDTC": _d("S1", 2, "07:30")}], "CM")
    lb_rows = []
    for s, vals in (("S1", [(-5, 2.5), (7, 0.3), (14, 0.8), (28, 1.9)]),
                    ("S2", [(-5, 2.0), (7, 1.6)]), ("S3", [(-5, 3.0), (7, 0.4)])):
        for d, v in vals:
            lb_rows.append({"USUBJID": s, "LBTESTCD": "NEUT", "LBTEST": "Neutrophils",
                            "LBCAT": "HEMATOLOGY", "LBSPEC": "BLOOD", "LBORRES": str(v),
                            "LBORRESU": "10^9/L", "LBORNRLO": "1.8", "LBORNRHI": "7.5",
                            "LBDTC": _d(s, d, "07:00"), "LBBLFL": "Y" if d < 0 else ""})
    # S3 IgG 3.5 g/L on day 28: below the protocol's 4 g/L hypogammaglobulinaemia flag
    lb_rows.append({"USUBJID": "S3", "LBTESTCD": "IGG", "LBTEST": "Immunoglobulin G",
                    "LBCAT": "IMMUNOLOGY", "LBSPEC": "SERUM", "LBORRES": "3.5", "LBORRESU": "g/L",
                    "LBORNRLO": "7", "LBORNRHI": "16", "LBDTC": _d("S3", 14), "LBBLFL": ""})
    lb = _seq(lb_rows, "LB")
    ae = _seq([
        {"USUBJID": "S1", "AETERM": "CRS", "AEDECOD": "Cytokine release syndrome",
         "AEBODSYS": "Immune system disorders", "AETOXGR": "3", "AESTDTC": _d("S1", 1),
         "AEENDTC": _d("S1", 4), "AEREL": "RELATED", "AEOUT": "RECOVERED/RESOLVED"},
        {"USUBJID": "S1", "AETERM": "ICANS",
         "AEDECOD": "Immune effector cell-associated neurotoxicity syndrome",
         "AEBODSYS": "Nervous system disorders", "AETOXGR": "1", "AESTDTC": _d("S1", 6),
         "AEENDTC": _d("S1", 6), "AEREL": "RELATED", "AEOUT": "RECOVERED/RESOLVED"},
        {"USUBJID": "S1", "AETERM": "neutropenia", "AEDECOD": "Neutrophil count decreased",
         "AEBODSYS": "Investigations", "AETOXGR": "3", "AESTDTC": _d("S1", 7),
         "AEENDTC": _d("S1", 20), "AEREL": "RELATED", "AEOUT": "RECOVERED/RESOLVED"},
        {"USUBJID": "S1", "AETERM": "nail changes", "AEDECOD": "Nail disorder",
         "AEBODSYS": "Skin and subcutaneous tissue disorders", "AETOXGR": "1",
         "AESTDTC": _d("S1", 60), "AEENDTC": "", "AEREL": "RELATED", "AEOUT": ""},
        {"USUBJID": "S3", "AETERM": "CRS", "AEDECOD": "Cytokine release syndrome",
         "AEBODSYS": "Immune system disorders", "AETOXGR": "1", "AESTDTC": _d("S3", 1),
         "AEENDTC": _d("S3", 1), "AEREL": "RELATED", "AEOUT": "RECOVERED/RESOLVED"},
    ], "AE")
    ds = _seq([
        {"USUBJID": "S1", "DSTERM": "ONGOING", "DSDECOD": "ONGOING", "DSCAT": "DISPOSITION EVENT",
         "DSSTDTC": _d("S1", 90)},
        {"USUBJID": "S2", "DSTERM": "DEATH DUE TO DISEASE PROGRESSION", "DSDECOD": "DEATH",
         "DSCAT": "DISPOSITION EVENT", "DSSTDTC": _d("S2", 40)},
        {"USUBJID": "S3", "DSTERM": "ONGOING", "DSDECOD": "ONGOING", "DSCAT": "DISPOSITION EVENT",
         "DSSTDTC": _d("S3", 20)},
    ], "DS")
    return {"DM": dm, "EX": ex, "VS": vs, "FA": fa, "QS": qs, "CM": cm, "LB": lb, "AE": ae,
            "DS": ds}


def write_study(root: Path, frames: dict[str, pd.DataFrame] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, df in (frames or study_frames()).items():
        df.to_csv(root / f"{name.lower()}.csv", index=False)
    return root
