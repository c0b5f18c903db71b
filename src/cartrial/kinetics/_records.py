"""Placing SDTM findings records in time from the infusion and reading their results (numbers or
text below the limit of quantification), for :mod:`cartrial.kinetics.sdtm`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.batches import take_rows
from cartrial.data.dates import parse_dtc
from cartrial.data.results import BLQ_PREFIXES
from cartrial.data.text import upper_stripped
from cartrial.errors import InputError
from cartrial.kinetics._groups import first_bad


def timed(
    df: pd.DataFrame, domain: str, dtc: str, inf: pd.DataFrame,
    columns: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop NOT DONE records and those of subjects never infused; add ``time_days``.

    The records kept are copied once, with only ``columns`` (those present; all when None) and
    a fresh RangeIndex (issue #18: a large study's records were copied four times over)."""
    seq = f"{domain}SEQ"
    excluded: dict[str, int] = {}
    stat = f"{domain}STAT"
    keep = np.ones(len(df), dtype=bool)
    if stat in df.columns:
        nd = upper_stripped(df[stat]).eq("NOT DONE").fillna(False).to_numpy(dtype=bool)
        excluded["not_done"] = int(nd.sum())
        keep = ~nd
    infused = df["USUBJID"].astype(str).isin(inf["USUBJID"]).to_numpy()
    excluded["not_infused"] = int((keep & ~infused).sum())
    cols = list(df.columns) if columns is None else [c for c in columns if c in df.columns]
    df = take_rows(df, keep & infused, cols)
    p = parse_dtc(df[dtc])
    first_bad(
        df,
        ~p["dt"].notna().to_numpy(),
        domain=domain,
        variable=dtc,
        seq_col=seq,
        rule="collection date must be a complete ISO 8601 date to be placed in time",
    )
    df["USUBJID"] = df["USUBJID"].astype(str)  # the frame is this function's own copy
    # each subject's infusion date converted once, then spread to their records (converting
    # the records' object column went value by value: ~20 ms a batch at 10,000 patients)
    infdt = df["USUBJID"].map(pd.to_datetime(inf.set_index("USUBJID")["INFDT"]))
    days = (p["dt"].dt.normalize() - infdt).dt.days
    df["time_days"] = days.to_numpy(dtype=float)
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
    # the text is read only where the number is missing (issue #18: a large LB's cytokine
    # records were upper-cased whole, twice)
    gap = np.flatnonzero(~np.isfinite(val))
    text = pd.Series(pd.NA, index=df.index[gap], dtype="string")
    for col in (f"{domain}STRESC", f"{domain}ORRES"):
        if col in df.columns:
            text = text.fillna(upper_stripped(df[col].iloc[gap]))
    blq = np.zeros(len(df), dtype=bool)
    blq[gap] = text.str.startswith(BLQ_PREFIXES).fillna(False).to_numpy(bool)
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
