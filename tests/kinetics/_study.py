"""A small SDTM study for the kinetics adapters and CLI, built in code with hand-known values.

S1 (DL1) has the reference profile P1 of test_nca.py in PC (qPCR and flow / 10); S2 (DL2) the
same profile doubled; S3 (DL2) P1 with its day-21 sample NOT DONE; S4 was never infused.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from cartrial.data import data_model, standardize_results

STUDY = "CT071"
INF = {"S1": date(2024, 3, 5), "S2": date(2024, 4, 2), "S3": date(2024, 5, 7)}
DOSE = {"S1": 0.1, "S2": 0.3, "S3": 0.3}
P1_T = [0, 1, 4, 7, 14, 21, 28, 56, 90]
P1_C = [None, 10, 100, 1000, 500, 250, 125, None, None]


def _d(s: str, day: int) -> str:
    return (INF[s] + timedelta(days=day)).isoformat()


def uid(s: str) -> str:
    return f"{STUDY}-001-{s}"


def kinetics_domains() -> dict[str, pd.DataFrame]:
    subjects = ["S1", "S2", "S3", "S4"]
    dm = pd.DataFrame(
        {
            "STUDYID": STUDY,
            "DOMAIN": "DM",
            "USUBJID": [uid(s) for s in subjects],
            "SUBJID": subjects,
            "SITEID": "001",
            "RFSTDTC": [INF[s].isoformat() if s in INF else "" for s in subjects],
            "AGE": 60,
            "AGEU": "YEARS",
            "SEX": "F",
            "ARMCD": ["DL1", "DL2", "DL2", "DL2"],
            "ACTARMCD": ["DL1", "DL2", "DL2", "NOTTRT"],
        }
    )
    ex = pd.DataFrame(
        [
            {
                "STUDYID": STUDY,
                "DOMAIN": "EX",
                "USUBJID": uid(s),
                "EXSEQ": 1,
                "EXTRT": "CT071",
                "EXCAT": "INVESTIGATIONAL PRODUCT",
                "EXDOSE": DOSE[s],
                "EXDOSU": "10^6 cells/kg",
                "EXSTDTC": INF[s].isoformat(),
            }
            for s in INF
        ]
    )
    pc_rows = []
    for s, factor in (("S1", 1.0), ("S2", 2.0), ("S3", 1.0)):
        seq = 1
        for testcd, unit, scale, lloq in (
            ("CARTRNSG", "copies/ug", 1.0, 5.0),
            ("CARTCELL", "cells/uL", 0.1, 0.5),
        ):
            for t, c in zip(P1_T, P1_C, strict=True):
                value = None if c is None else c * factor * scale
                row = {
                    "STUDYID": STUDY,
                    "DOMAIN": "PC",
                    "USUBJID": uid(s),
                    "PCSEQ": seq,
                    "PCTESTCD": testcd,
                    "PCTEST": testcd,
                    "PCORRESU": unit,
                    "PCORRES": "<LLOQ" if value is None else f"{value:g}",
                    "PCSPEC": "WHOLE BLOOD",
                    "PCLLOQ": lloq,
                    "PCDTC": _d(s, t),
                    "PCSTAT": "",
                }
                if s == "S3" and t == 21:
                    row.update(PCORRES="", PCSTAT="NOT DONE")
                pc_rows.append(row)
                seq += 1
    pc_rows.append(
        {
            "STUDYID": STUDY,
            "DOMAIN": "PC",
            "USUBJID": uid("S4"),
            "PCSEQ": 1,
            "PCTESTCD": "CARTRNSG",
            "PCTEST": "CARTRNSG",
            "PCORRESU": "copies/ug",
            "PCORRES": "<LLOQ",
            "PCSPEC": "WHOLE BLOOD",
            "PCLLOQ": 5.0,
            "PCDTC": "2024-06-01",
            "PCSTAT": "",
        }
    )
    pc = pd.DataFrame(pc_rows)
    # IL-6: baseline 2 ng/L at day -1; peak 100 x (1 + CRS grade) at day 3; 4 at day 28.
    grade = {"S1": 1, "S2": 2, "S3": 0}
    lb_rows = []
    for s in INF:
        for k, (t, v) in enumerate([(-1, 2.0), (3, 100.0 * (1 + grade[s])), (28, 4.0)]):
            lb_rows.append(
                {
                    "STUDYID": STUDY,
                    "DOMAIN": "LB",
                    "USUBJID": uid(s),
                    "LBSEQ": k + 1,
                    "LBTESTCD": "IL6",
                    "LBTEST": "Interleukin 6",
                    "LBCAT": "CYTOKINES",
                    "LBSPEC": "SERUM",
                    "LBORRES": f"{v:g}",
                    "LBORRESU": "ng/L",
                    "LBLLOQ": 1.0,
                    "LBDTC": _d(s, t),
                }
            )
    lb = pd.DataFrame(lb_rows)
    is_rows = []
    ada = {
        "S1": [(0, "NEGATIVE", None), (28, "POSITIVE", 8)],
        "S2": [(0, "NEGATIVE", None), (28, "NEGATIVE", None)],
        "S3": [(0, "NEGATIVE", None), (28, "NEGATIVE", None)],
    }
    for s, recs in ada.items():
        for k, (t, res, titer) in enumerate(recs):
            is_rows.append(
                {
                    "STUDYID": STUDY,
                    "DOMAIN": "IS",
                    "USUBJID": uid(s),
                    "ISSEQ": k + 1,
                    "ISTESTCD": "ADA_BAB",
                    "ISTEST": "Binding Antidrug Antibody",
                    "ISORRES": res,
                    "ISSTRESC": res,
                    "ISSTRESN": float("nan") if titer is None else float(titer),
                    "ISSTRESU": "" if titer is None else "titer",
                    "ISDTC": _d(s, t),
                    "ISBLFL": "Y" if t == 0 else "",
                }
            )
    is_ = pd.DataFrame(is_rows)
    ae = pd.DataFrame(
        [
            {
                "STUDYID": STUDY,
                "DOMAIN": "AE",
                "USUBJID": uid(s),
                "AESEQ": 1,
                "AETERM": "CRS",
                "AEDECOD": "Cytokine release syndrome",
                "AETOXGR": str(g),
                "AESTDTC": _d(s, 2),
            }
            for s, g in grade.items()
            if g > 0
        ]
    )
    return {"DM": dm, "EX": ex, "PC": pc, "LB": lb, "IS": is_, "AE": ae}


def standardised_domains() -> dict[str, pd.DataFrame]:
    """:func:`kinetics_domains` with --STRESC/--STRESN/--STRESU filled as load_study does."""
    model = data_model()
    findings: list = []
    out = {k: standardize_results(k, v, model, findings) for k, v in kinetics_domains().items()}
    assert not findings, findings
    return out
