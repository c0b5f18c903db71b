"""Placing SDTM findings records in time from the infusion and reading their results (numbers or
text below the limit of quantification), for :mod:`cartrial.kinetics.sdtm`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.dates import parse_dtc
from cartrial.data.results import BLQ_PREFIXES
from cartrial.data.text import upper_stripped
from cartrial.errors import InputError
from cartrial.kinetics._groups import first_bad


def timed(
    df: pd.DataFrame, domain: str, dtc: str, inf: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop NOT DONE records and those of subjects never infused; add ``time_days``."""
    seq = f"{domain}SEQ"
    excluded: dict[str, int] = {}
    stat = f"{domain}STAT"
    df = df.reset_index(drop=True)
    if stat in df.columns:
        nd = upper_stripped(df[stat]).eq("NOT DONE").fillna(False).to_numpy(dtype=bool)
        excluded["not_done"] = int(nd.sum())
        df = df[~nd].reset_index(drop=True)
    infused = df["USUBJID"].astype(str).isin(inf["USUBJID"]).to_numpy()
    excluded["not_infused"] = int((~infused).sum())
    df = df[infused].reset_index(drop=True)
    p = parse_dtc(df[dtc])
    first_bad(
        df,
        ~p["dt"].notna().to_numpy(),
        domain=domain,
        variable=dtc,
        seq_col=seq,
        rule="collection date must be a complete ISO 8601 date to be placed in time",
    )
    infdt = df["USUBJID"].astype(str).map(inf.set_index("USUBJID")["INFDT"])
    days = (p["dt"].dt.normalize() - pd.to_datetime(infdt)).dt.days
    df = df.assign(USUBJID=df["USUBJID"].astype(str), time_days=days.to_numpy(dtype=float))
    return df, excluded


def result_values(df: pd.DataFrame, domain: str) -> tuple[np.ndarray, np.ndarray]:
    """(value, blq): numeric --STRESN, or BLQ text in --STRESC / --ORRES with --STRESN missing."""
    stresn = f"{domain}STRESN"
    if stresn not in df.columns:
        raise InputError(
            f"{domain}: no {stresn} column; read the study with "
            "cartrial.data.load_study, which fills it in standard units"
        )
    val = pd.to_numeric(df[stresn], errors="coerce").to_numpy(dtype=float)
    text = pd.Series(pd.NA, index=df.index, dtype="string")
    for col in (f"{domain}STRESC", f"{domain}ORRES"):
        if col in df.columns:
            text = text.fillna(upper_stripped(df[col]))
    blq = (~np.isfinite(val)) & text.str.startswith(BLQ_PREFIXES).fillna(False).to_numpy(bool)
    first_bad(
        df,
        ~np.isfinite(val) & ~blq,
        domain=domain,
        variable=stresn,
        seq_col=f"{domain}SEQ",
        rule="result is neither a number nor below the limit of quantification "
        f"(set {domain}STAT = NOT DONE for a missing sample)",
    )
    return val, blq
