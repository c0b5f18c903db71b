"""A hand-built three-subject SDTM study for the adapter and CLI tests (written as CSV text)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# P1 (RRMM, DL1): serum 30 g/L -> 12, 10 g/L (PR, confirmed), then 20, 22 g/L (PD confirmed)
# P2 (PPCL, DL2): serum 20 g/L -> 0 with negative IFE, marrow 2 %, blood PC 0: CR x2; MRD negative
# P3 (RRMM): apheresed, manufacturing failure, never infused
DOMAINS: dict[str, list[dict]] = {
    "DM": [
        {"USUBJID": "P1", "ACTARMCD": "DL1", "RFSTDTC": "2024-02-01", "DTHDTC": ""},
        {"USUBJID": "P2", "ACTARMCD": "DL2", "RFSTDTC": "2024-02-10", "DTHDTC": ""},
        {"USUBJID": "P3", "ACTARMCD": "NOTTRT", "RFSTDTC": "", "DTHDTC": "2024-04-01"},
    ],
    "PR": [
        {"USUBJID": u, "PRSEQ": 1, "PRTRT": "LEUKAPHERESIS", "PRSTDTC": d}
        for u, d in (("P1", "2024-01-20"), ("P2", "2024-01-25"), ("P3", "2024-01-22"))
    ],
    "EX": [
        {"USUBJID": "P1", "EXSEQ": 1, "EXCAT": "INVESTIGATIONAL PRODUCT", "EXSTDTC": "2024-02-01"},
        {"USUBJID": "P2", "EXSEQ": 1, "EXCAT": "INVESTIGATIONAL PRODUCT", "EXSTDTC": "2024-02-10"},
    ],
    "MH": [
        {
            "USUBJID": "P1",
            "MHSEQ": 1,
            "MHCAT": "PRIMARY DIAGNOSIS",
            "MHDECOD": "Plasma cell myeloma",
        },
        {
            "USUBJID": "P2",
            "MHSEQ": 1,
            "MHCAT": "PRIMARY DIAGNOSIS",
            "MHDECOD": "Plasma cell leukaemia",
        },
        {
            "USUBJID": "P3",
            "MHSEQ": 1,
            "MHCAT": "PRIMARY DIAGNOSIS",
            "MHDECOD": "Plasma cell myeloma",
        },
    ],
    "DS": [
        {"USUBJID": "P1", "DSSEQ": 1, "DSDECOD": "ONGOING", "DSSTDTC": "2024-09-01"},
        {"USUBJID": "P2", "DSSEQ": 1, "DSDECOD": "ONGOING", "DSSTDTC": "2024-10-01"},
        {"USUBJID": "P3", "DSSEQ": 1, "DSDECOD": "DEATH", "DSSTDTC": "2024-04-01"},
    ],
    "CM": [],
}


def _lb(u, seq, code, spec, dtc, stresn=None, stresc=None, blfl=None, lloq=None, visit=None):
    return {
        "USUBJID": u,
        "LBSEQ": seq,
        "LBTESTCD": code,
        "LBSPEC": spec,
        "LBDTC": dtc,
        "LBSTRESN": stresn,
        "LBSTRESC": stresc if stresc is not None else ("" if stresn is None else str(stresn)),
        "LBORRES": "",
        "LBBLFL": blfl or "",
        "LBLLOQ": lloq,
        "VISIT": visit or "",
    }


def lb_rows() -> list[dict]:
    rows = [
        _lb("P1", 1, "MPROTEIN", "SERUM", "2024-01-30", 30.0, blfl="Y"),
        _lb("P1", 2, "MPROTEIN", "URINE", "2024-01-30", 50.0, blfl="Y"),
        _lb("P1", 3, "MPROTEIN", "SERUM", "2024-03-01", 12.0),
        _lb("P1", 4, "MPROTEIN", "SERUM", "2024-03-29", 10.0),
        _lb("P1", 5, "MPROTEIN", "SERUM", "2024-05-01", 20.0),
        _lb("P1", 6, "MPROTEIN", "SERUM", "2024-05-31", 22.0),
        _lb("P2", 1, "MPROTEIN", "SERUM", "2024-02-08", 20.0, blfl="Y"),
        _lb("P2", 2, "PLASMALE", "BLOOD", "2024-02-08", 30.0, blfl="Y"),
        _lb("P2", 3, "PLASMACE", "BONE MARROW", "2024-02-01", 70.0, blfl="Y"),
    ]
    seq = 4
    for d in ("2024-03-10", "2024-05-10"):
        for code, spec, n, c in (
            ("MPROTEIN", "SERUM", 0.0, None),
            ("MPROTEIN", "URINE", 0.0, None),
            ("IMFIX", "SERUM", None, "NEGATIVE"),
            ("IMFIX", "URINE", None, "NEGATIVE"),
            ("PLASMALE", "BLOOD", 0.0, None),
            ("PLASMACE", "BONE MARROW", 2.0, None),
        ):
            rows.append(_lb("P2", seq, code, spec, d, n, c))
            seq += 1
    rows.append(
        _lb(
            "P2",
            seq,
            "MRD",
            "BONE MARROW",
            "2024-03-10",
            None,
            "NEGATIVE",
            lloq=1e-5,
            visit="DAY 28",
        )
    )
    return rows


RS = [
    {"USUBJID": "P1", "RSSEQ": 1, "RSTESTCD": "OVRLRESP", "RSDTC": "2024-03-01", "RSSTRESC": "PR"},
    {
        "USUBJID": "P1",
        "RSSEQ": 2,
        "RSTESTCD": "OVRLRESP",
        "RSDTC": "2024-03-29",
        "RSSTRESC": "VGPR",
    },
]


def frames(lb: list[dict] | None = None) -> dict[str, pd.DataFrame]:
    d = {k: pd.DataFrame(v) for k, v in DOMAINS.items()}
    d["CM"] = pd.DataFrame(columns=["USUBJID", "CMSEQ", "CMCAT", "CMSTDTC"])
    d["LB"] = pd.DataFrame(lb if lb is not None else lb_rows())
    d["RS"] = pd.DataFrame(RS)
    return d


def write(folder: Path, lb: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames(lb).items():
        df.assign(STUDYID="CT071", DOMAIN=name).to_csv(folder / f"{name.lower()}.csv", index=False)
    return folder
