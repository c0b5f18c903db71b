"""A small, valid SDTM study built in code, for ingestion and validation tests."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

STUDY = "CT071"


def _d(base: date, days: int) -> str:
    return (base + timedelta(days=days)).isoformat()


def minimal_domains(
    *,
    infusion: date = date(2024, 3, 5),
    temp_c: float = 38.6,
    hgb_unit: str = "g/dL",
    hgb_value: float = 10.2,
    o2_flow: float = 4.0,
    dose: float = 0.1,
) -> dict[str, pd.DataFrame]:
    """Three subjects: 001 and 002 infused (DL1, DL2), 003 apheresed and never infused."""
    subj = [f"{STUDY}-001-00{i}" for i in (1, 2, 3)]
    inf = [infusion, infusion + timedelta(days=21), None]
    aph = [
        infusion - timedelta(days=14),
        infusion + timedelta(days=7),
        infusion + timedelta(days=30),
    ]
    doses = [dose, 0.3, None]
    arm = ["DL1" if dose == 0.1 else "DL2", "DL2", "DL2"]
    dm = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "DM",
            "USUBJID": subj,
            "SUBJID": ["001", "002", "003"],
            "SITEID": "001",
            "RFSTDTC": [i.isoformat() if i else "" for i in inf],
            "AGE": [61, 58, 70],
            "AGEU": "YEARS",
            "SEX": ["M", "F", "M"],
            "ARMCD": arm,
            "ACTARMCD": [arm[0], arm[1], "NOTTRT"],
            "DTHDTC": ["", "", ""],
            "DTHFL": ["", "", ""],
        }
    )
    mh = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "MH",
            "USUBJID": subj,
            "MHSEQ": [1, 1, 1],
            "MHTERM": ["Multiple myeloma", "Primary plasma cell leukemia", "Multiple myeloma"],
            "MHDECOD": ["Plasma cell myeloma", "Plasma cell leukaemia", "Plasma cell myeloma"],
            "MHCAT": "PRIMARY DIAGNOSIS",
        }
    )
    pr = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "PR",
            "USUBJID": subj,
            "PRSEQ": [1, 1, 1],
            "PRTRT": "LEUKAPHERESIS",
            "PRSTDTC": [a.isoformat() for a in aph],
        }
    )
    ex_rows = []
    for s, i, dz in zip(subj, inf, doses, strict=True):
        if i is None:
            continue
        seq = 1
        for day in (-5, -4, -3):
            for agent, d in (("FLUDARABINE", 30), ("CYCLOPHOSPHAMIDE", 300)):
                ex_rows.append(
                    [s, seq, agent, "LYMPHODEPLETING CHEMOTHERAPY", d, "mg/m2", _d(i, day)]
                )
                seq += 1
        ex_rows.append(
            [s, seq, "CT071", "INVESTIGATIONAL PRODUCT", dz, "10^6 cells/kg", i.isoformat()]
        )
    ex = pd.DataFrame(
        ex_rows, columns=["USUBJID", "EXSEQ", "EXTRT", "EXCAT", "EXDOSE", "EXDOSU", "EXSTDTC"]
    )
    ex.insert(0, "DOMAIN", "EX")
    ex.insert(0, "STUDYID", STUDY)
    ae = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "AE",
            "USUBJID": subj[:2],
            "AESEQ": [1, 1],
            "AETERM": ["CRS", "Nail disorder"],
            "AEDECOD": ["Cytokine release syndrome", "Nail disorder"],
            "AEBODSYS": ["Immune system disorders", "Skin and subcutaneous tissue disorders"],
            "AETOXGR": ["2", "1"],
            "AESTDTC": [_d(inf[0], 2), inf[1].isoformat()[:7]],
            "AEENDTC": [_d(inf[0], 6), ""],
            "AESER": ["N", "N"],
            "AEREL": ["RELATED", "RELATED"],
            "AEOUT": ["RECOVERED/RESOLVED", "NOT RECOVERED/NOT RESOLVED"],
        }
    )
    cm = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "CM",
            "USUBJID": subj[0],
            "CMSEQ": [1],
            "CMTRT": ["TOCILIZUMAB"],
            "CMCAT": ["CRS/ICANS MANAGEMENT"],
            "CMCLAS": ["ANTI-IL-6"],
            "CMSTDTC": [_d(inf[0], 3) + "T10:00"],
        }
    )
    vs = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "VS",
            "USUBJID": [subj[0]] * 3,
            "VSSEQ": [1, 2, 3],
            "VSTESTCD": ["TEMP", "SYSBP", "WEIGHT"],
            "VSTEST": ["Temperature", "Systolic Blood Pressure", "Weight"],
            "VSORRES": [f"{temp_c:g}", "118", "72.5"],
            "VSORRESU": ["C", "mmHg", "kg"],
            "VSDTC": [_d(inf[0], 2) + "T08:00", _d(inf[0], 2) + "T08:00", _d(inf[0], -5)],
        }
    )
    fa = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "FA",
            "USUBJID": [subj[0]] * 3,
            "FASEQ": [1, 2, 3],
            "FATESTCD": ["HYPOTN", "O2DEV", "O2FLOW"],
            "FATEST": ["Hypotension Present", "Oxygen Delivery Device", "Oxygen Flow Rate"],
            "FAOBJ": "CYTOKINE RELEASE SYNDROME",
            "FAORRES": ["N", "NASAL CANNULA", f"{o2_flow:g}"],
            "FAORRESU": ["", "", "L/min"],
            "FADTC": _d(inf[0], 2) + "T08:00",
        }
    )
    qs = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "QS",
            "USUBJID": [subj[0]] * 2,
            "QSSEQ": [1, 2],
            "QSCAT": "ICE",
            "QSTESTCD": ["ICE01", "ICE06"],
            "QSTEST": ["ICE Orientation", "ICE Total Score"],
            "QSORRES": ["4", "10"],
            "QSDTC": _d(inf[0], 2) + "T09:00",
        }
    )
    lb = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "LB",
            "USUBJID": [subj[0]] * 4 + [subj[1]],
            "LBSEQ": [1, 2, 3, 4, 1],
            "LBTESTCD": ["HGB", "NEUT", "MPROTEIN", "IL6", "KAPPAFLC"],
            "LBTEST": [
                "Hemoglobin",
                "Neutrophils",
                "Monoclonal Protein",
                "Interleukin 6",
                "Kappa Lt Chain,Free",
            ],
            "LBCAT": [
                "HEMATOLOGY",
                "HEMATOLOGY",
                "DISEASE ASSESSMENT",
                "CYTOKINES",
                "DISEASE ASSESSMENT",
            ],
            "LBSPEC": ["BLOOD", "BLOOD", "SERUM", "SERUM", "SERUM"],
            "LBORRES": [f"{hgb_value:g}", "0.4", "2.1", "85.2", "45.0"],
            "LBORRESU": [hgb_unit, "10^9/L", "g/dL", "pg/mL", "mg/dL"],
            "LBORNRLO": ["12" if hgb_unit == "g/dL" else "120", "1.8", "", "", "0.33"],
            "LBORNRHI": ["16" if hgb_unit == "g/dL" else "160", "7.5", "", "", "1.94"],
            "LBDTC": [_d(inf[0], 7), _d(inf[0], 7), _d(inf[0], -7), _d(inf[0], 3), _d(inf[1], -7)],
        }
    )
    pc = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "PC",
            "USUBJID": [subj[0]] * 2,
            "PCSEQ": [1, 2],
            "PCTESTCD": ["CARTRNSG", "CARTRNSG"],
            "PCTEST": "CAR Transgene Copies",
            "PCORRES": ["31250", "<LLOQ"],
            "PCORRESU": ["copies/ug", "copies/ug"],
            "PCSPEC": "WHOLE BLOOD",
            "PCLLOQ": [10, 10],
            "PCDTC": [_d(inf[0], 14), _d(inf[0], 180)],
        }
    )
    is_ = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "IS",
            "USUBJID": [subj[0]],
            "ISSEQ": [1],
            "ISTESTCD": ["ADA_BAB"],
            "ISTEST": ["Binding Antidrug Antibody"],
            "ISORRES": ["NEGATIVE"],
            "ISDTC": [inf[0].isoformat()],
        }
    )
    ds = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "DS",
            "USUBJID": subj,
            "DSSEQ": [1, 1, 1],
            "DSTERM": ["ONGOING", "ONGOING", "MANUFACTURING FAILURE"],
            "DSDECOD": ["ONGOING", "ONGOING", "MANUFACTURING FAILURE"],
            "DSCAT": "DISPOSITION EVENT",
            "DSSTDTC": [_d(inf[0], 60), _d(inf[1], 30), _d(aph[2], 20)],
        }
    )
    suppdm = pd.DataFrame(  # study part and cohort (docs/data-model.md)
        {
            "STUDYID": STUDY,
            "RDOMAIN": "DM",
            "USUBJID": [u for u in subj for _ in (0, 1)],
            "QNAM": ["COHORT", "PART"] * 3,
            "QLABEL": ["Cohort", "Study Part"] * 3,
            "QVAL": ["C01", "ESCALATION", "C02", "ESCALATION", "C02", "ESCALATION"],
            "QORIG": "ASSIGNED",
        }
    )
    return {
        "DM": dm,
        "SUPPDM": suppdm,
        "MH": mh,
        "PR": pr,
        "EX": ex,
        "AE": ae,
        "CM": cm,
        "VS": vs,
        "FA": fa,
        "QS": qs,
        "LB": lb,
        "PC": pc,
        "IS": is_,
        "DS": ds,
    }
