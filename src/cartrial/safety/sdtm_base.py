"""What the safety engine's SDTM adapters share: a domain of the study, the infusion date and
days since infusion (protocol day 0 = the CAR-T infusion; the rules are stated in
:mod:`cartrial.safety.sdtm`), and the syndrome terms the adapters recognise (AEDECOD as coded
in MedDRA; Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 for CRS and ICANS)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.dates import parse_dtc
from cartrial.data.text import upper_stripped
from cartrial.errors import InputError
from cartrial.safety._frames import fail

CRS_TERM = "Cytokine release syndrome"
ICANS_TERM = "Immune effector cell-associated neurotoxicity syndrome"
HEMATOLOGIC_TERMS = ("Neutrophil count decreased", "Platelet count decreased", "Anaemia",
                     "Anemia", "White blood cell count decreased", "Lymphocyte count decreased",
                     "Febrile neutropenia", "Neutropenia", "Thrombocytopenia", "Leukopenia",
                     "Lymphopenia", "Pancytopenia")
END_OF_DAY = 1439.0 / 1440.0   # 23:59, where a date-only death is placed


def _domain(study, name: str, required: bool = True) -> pd.DataFrame | None:
    """A domain of a :class:`cartrial.data.Study` (or a dict of frames); None when absent."""
    df = study.get(name)
    if df is None and required:
        raise InputError(f"safety: domain {name} is required (docs/data-model.md)")
    return df


def _text(s: pd.Series) -> pd.Series:
    return upper_stripped(s).fillna("")


def infusion_dates(study) -> pd.Series:
    """Infusion date (normalised Timestamp) per USUBJID; subjects never infused are absent.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        SDTM domains: DM (RFSTDTC) required, EX optional (first EXSTDTC with EXCAT
        INVESTIGATIONAL PRODUCT, which wins over DM.RFSTDTC).

    Returns
    -------
    pandas.Series
        Midnight of the infusion date, indexed by USUBJID.

    Raises
    ------
    InputError
        DM missing.

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "RFSTDTC": ["2026-03-01", ""]})
    >>> ex = pd.DataFrame({"USUBJID": ["S1"], "EXCAT": ["INVESTIGATIONAL PRODUCT"],
    ...                    "EXSTDTC": ["2026-03-02T10:00"]})
    >>> infusion_dates({"DM": dm, "EX": ex})
    S1   2026-03-02
    dtype: datetime64[ns]
    """
    dm = _domain(study, "DM")
    ex = _domain(study, "EX", required=False)
    out = pd.Series(dtype="datetime64[ns]")
    if ex is not None and len(ex):
        ip = ex[_text(ex["EXCAT"]) == "INVESTIGATIONAL PRODUCT"]
        d = parse_dtc(ip["EXSTDTC"])["dt"]
        out = pd.Series(d.to_numpy(), index=ip["USUBJID"].astype(str).to_numpy()).dropna()
        out = out.groupby(level=0).min()
    rf = parse_dtc(dm["RFSTDTC"])["dt"]
    rf = pd.Series(rf.to_numpy(), index=dm["USUBJID"].astype(str).to_numpy()).dropna()
    out = out.combine_first(rf)
    return out.dt.normalize()


def _day(df: pd.DataFrame, dtc: str, inf: pd.Series, *, domain: str,
         seq: str | None = None) -> np.ndarray:
    """Days since midnight of the infusion date; a partial / invalid date raises."""
    dt = parse_dtc(df[dtc])["dt"]
    ref = df["USUBJID"].astype(str).map(inf)
    given = df[dtc].notna().to_numpy()
    partial = dt.isna().to_numpy() & given
    if partial.any() or not given.all():  # only a failing call needs the frame with SEQ
        frame = df.assign(SEQ=df[seq]) if seq and seq in df.columns else df
        fail(frame, partial, domain=domain, variable=dtc,
             rule="date/time must be complete to the day and valid (ISO 8601)")
        fail(frame, ~given, domain=domain, variable=dtc, rule="date is required")
    return ((dt - ref).dt.total_seconds() / 86400.0).to_numpy(dtype=float)
