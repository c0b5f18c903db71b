"""Subject-level inputs of the kinetics engine: the investigator-reported CRS grade from AE (a
fallback for the safety engine's derived grade) and the check of a caller-supplied subject frame.
Importable from :mod:`cartrial.kinetics.sdtm` as well.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.text import upper_stripped
from cartrial.errors import RecordError
from cartrial.kinetics._groups import first_bad, require_columns

CRS_TERM = "CYTOKINE RELEASE SYNDROME"


def crs_grades_from_ae(ae: pd.DataFrame | None, inf: pd.DataFrame) -> pd.DataFrame:
    """Maximum investigator-reported CRS grade per infused subject (0 without a CRS record).

    A fallback for the safety engine's ASTCT-derived grade.

    Parameters
    ----------
    ae : pandas.DataFrame or None
        SDTM AE (USUBJID, AEDECOD, AETOXGR 1-5, AESEQ); None or empty gives grade 0 for all.
    inf : pandas.DataFrame
        :func:`infusions` (USUBJID per infused subject).

    Returns
    -------
    pandas.DataFrame
        USUBJID and CRSGR (int 0-5), one row per infused subject.

    Raises
    ------
    RecordError
        When a CRS record's AETOXGR is not 1-5 (names the AESEQ).

    Examples
    --------
    >>> inf = pd.DataFrame({"USUBJID": ["01", "02"]})
    >>> ae = pd.DataFrame({"USUBJID": "01", "AESEQ": [1, 2], "AETOXGR": ["1", "2"],
    ...                    "AEDECOD": "Cytokine release syndrome"})
    >>> crs_grades_from_ae(ae, inf)["CRSGR"].tolist()
    [2, 0]
    """
    grade = pd.Series(0.0, index=inf["USUBJID"].to_numpy())
    if ae is not None and len(ae):
        require_columns(ae, ["USUBJID", "AEDECOD", "AETOXGR"], where="AE")
        is_crs = upper_stripped(ae["AEDECOD"]).eq(CRS_TERM).fillna(False).to_numpy(bool)
        crs = ae[is_crs].reset_index(drop=True)
        g = pd.to_numeric(crs["AETOXGR"], errors="coerce")
        first_bad(
            crs,
            ~g.isin([1, 2, 3, 4, 5]).to_numpy(),
            domain="AE",
            variable="AETOXGR",
            seq_col="AESEQ",
            rule="CRS grade must be 1-5",
        )
        mx = g.groupby(crs["USUBJID"].astype(str)).max()
        mx = mx[mx.index.isin(grade.index)]
        grade.loc[mx.index] = mx.to_numpy(dtype=float)
    return pd.DataFrame({"USUBJID": grade.index, "CRSGR": grade.to_numpy().astype(int)})


def subject_frame(frame: pd.DataFrame | None, column: str, *, name: str) -> pd.DataFrame | None:
    """Validate a caller-supplied subject-level frame (USUBJID + ``column``), one row each."""
    if frame is None:
        return None
    require_columns(frame, ["USUBJID", column], where=name)
    dup = frame["USUBJID"].duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise RecordError(
            domain=name,
            usubjid=str(frame["USUBJID"].iloc[i]),
            variable="USUBJID",
            value=frame["USUBJID"].iloc[i],
            rule="one row per subject expected",
        )
    return frame[["USUBJID", column]].assign(USUBJID=frame["USUBJID"].astype(str))
