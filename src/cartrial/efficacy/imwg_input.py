"""IMWG input: check the assessment frame and name the record behind any bad value.

The frame's columns are described in :mod:`cartrial.efficacy.imwg`. Every measurement column is
optional (added as "not done"); numbers must be numbers >= 0, immunofixation POSITIVE or
NEGATIVE, a reported kappa/lambda ratio must agree with the chains (within 2 %), each subject
has exactly one baseline (``ABLFL == "Y"``) and later assessments on distinct dates after it.
A bad value raises :class:`~cartrial.errors.RecordError` naming domain, subject, record,
variable, value and rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.errors import InputError, RecordError, require_columns

NUMERIC_COLUMNS = ("SPEP", "UPEP", "KAPPA", "LAMBDA", "FLCRATIO", "BMPC", "SPD", "PBPC")
FLAG_COLUMNS = ("BMCLONAL", "NEWLES", "IFEINTF")
IFE_COLUMNS = ("SIFE", "UIFE")
_FLC_RATIO_RTOL = 0.02  # reported ratio may be rounded; 2 % relative, or 0.01 absolute
_IFE_VALUES = {"POSITIVE", "NEGATIVE"}


def _err(row: pd.Series, variable: str, value: object, rule: str, hint: str | None = None) -> None:
    dom = row.get("SRCDOM") if isinstance(row.get("SRCDOM"), str) else "IMWG input"
    seq = row.get("SRCSEQ") if "SRCSEQ" in row.index else row.name
    own = row.get(f"SEQ_{variable}")  # the source record of this very value, when known
    if own is not None and own == own:
        seq = own
    if isinstance(seq, float) and seq.is_integer():
        seq = int(seq)
    raise RecordError(
        domain=dom,
        usubjid=str(row["USUBJID"]),
        seq=seq,
        variable=variable,
        value=value,
        rule=rule,
        hint=hint,
    )


def prepare_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """Check the IMWG input frame and add the absent optional columns.

    Parameters
    ----------
    assessments : pandas.DataFrame
        One row per subject and assessment (columns in :mod:`cartrial.efficacy.imwg`).

    Returns
    -------
    pandas.DataFrame
        A copy sorted by USUBJID and ADT: measurements as floats, IFE upper-cased, flags as
        1.0 / 0.0 / NaN, and ``_BL`` (True on the baseline row).

    Raises
    ------
    InputError
        A required column (USUBJID, ADT, ABLFL) is missing or ADT is not a datetime.
    RecordError
        A value breaks a rule (first offending record named).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": ["S1", "S1"], "ABLFL": ["Y", None], "SPEP": [2.0, 1.0],
    ...                    "ADT": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    >>> prepare_assessments(df)[["SPEP", "UPEP", "_BL"]].values.tolist()
    [[2.0, nan, True], [1.0, nan, False]]
    """
    require_columns(assessments, ("USUBJID", "ADT", "ABLFL"), where="IMWG input")
    df = assessments.copy()
    if not pd.api.types.is_datetime64_any_dtype(df["ADT"]):
        raise InputError(f"ADT must be datetime64 (got {df['ADT'].dtype}); convert dates first")
    for c in NUMERIC_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan
        num = pd.to_numeric(df[c], errors="coerce").astype(float)
        text = df[c].notna() & num.isna()
        for _, row in df[text].head(1).iterrows():
            _err(row, c, row[c], f"{c} must be a number")
        df[c] = num
    for c in IFE_COLUMNS:
        if c not in df.columns:
            df[c] = None
    for c in FLAG_COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    for _, row in df[df["ADT"].isna()].iterrows():
        _err(row, "ADT", None, "assessment without a date")
    for c in NUMERIC_COLUMNS:
        bad = df[df[c] < 0]
        for _, row in bad.head(1).iterrows():
            _err(row, c, row[c], f"{c} must be >= 0 (a negative measurement is impossible)")
    for c in IFE_COLUMNS:
        v = df[c]
        present = v.notna()
        norm = v.where(~present, v.astype(str).str.strip().str.upper())
        empty = present & (norm == "")
        for _, row in df[empty].head(1).iterrows():
            _err(row, c, row[c], "immunofixation record without a result (POSITIVE/NEGATIVE)")
        bad = present & ~norm.isin(_IFE_VALUES) & ~empty
        for _, row in df[bad].head(1).iterrows():
            _err(row, c, row[c], "immunofixation result must be POSITIVE or NEGATIVE")
        df[c] = norm
    calc = df["KAPPA"] / df["LAMBDA"]
    given = df["FLCRATIO"].notna() & calc.notna() & np.isfinite(calc)
    off = given & ~np.isclose(df["FLCRATIO"], calc, rtol=_FLC_RATIO_RTOL, atol=0.01)
    for _, row in df[off].head(1).iterrows():
        _err(
            row,
            "FLCRATIO",
            row["FLCRATIO"],
            f"kappa/lambda ratio inconsistent with KAPPA {row['KAPPA']} / LAMBDA {row['LAMBDA']}"
            f" = {row['KAPPA'] / row['LAMBDA']:.4g}",
        )
    bl = df["ABLFL"].fillna("").astype(str).eq("Y")
    df["_BL"] = bl
    nbl = df.groupby("USUBJID")["_BL"].transform("sum")
    for _, row in df[nbl == 0].head(1).iterrows():
        _err(row, "ABLFL", None, "subject has no baseline assessment (ABLFL = 'Y')")
    for _, row in df[bl & (nbl > 1)].head(1).iterrows():
        _err(row, "ABLFL", "Y", "subject has more than one baseline assessment")
    bdate = df.loc[bl].set_index("USUBJID")["ADT"]
    before = ~bl & (df["ADT"] <= df["USUBJID"].map(bdate))
    for _, row in df[before].head(1).iterrows():
        _err(
            row,
            "ADT",
            row["ADT"],
            f"assessment on or before the baseline assessment ({bdate[row['USUBJID']].date()})",
        )
    dup = df.duplicated(["USUBJID", "ADT"], keep=False)
    for _, row in df[dup].head(1).iterrows():
        _err(row, "ADT", row["ADT"], "two assessments of one subject on the same date")
    for c in FLAG_COLUMNS:
        df[c] = df[c].map(_flag)
    return df.sort_values(["USUBJID", "ADT"], kind="stable").reset_index(drop=True)


def _flag(v: object) -> float:
    """True/'Y'/1 -> 1.0, False/'N'/0 -> 0.0, missing -> NaN."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return np.nan
    if isinstance(v, str):
        u = v.strip().upper()
        if u in ("Y", "YES", "TRUE", "POSITIVE"):
            return 1.0
        if u in ("N", "NO", "FALSE", "NEGATIVE"):
            return 0.0
        if u == "":
            return np.nan
        raise InputError(f"flag value {v!r} is not Y/N")
    return 1.0 if bool(v) else 0.0
