"""Investigator-reported CTCAE grades against the grades derived from the laboratory values.

An AE term reported on the CRF (MedDRA preferred term, e.g. "Anaemia") and a CTCAE laboratory
term derived by :func:`cartrial.safety.ctcae.grade_labs` (e.g. "Anemia") name the same event in
different spellings; :func:`term_key` is the one matching key, and
:func:`compare_reported_grades` lists every subject and term with both grades side by side,
overwriting neither (NCI CTCAE v5.0, 2017: grades of laboratory terms are defined by the values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.text import factorize_text
from cartrial.safety._frames import require_columns

# MedDRA preferred terms that name a CTCAE lab term differently (besides -aemia / -emia)
_TERM_ALIASES = {"WHITE BLOOD CELL COUNT DECREASED": "WHITE BLOOD CELL DECREASED",
                 "CD4 LYMPHOCYTE COUNT DECREASED": "CD4 LYMPHOCYTES DECREASED",
                 "GAMMA-GLUTAMYLTRANSFERASE INCREASED": "GGT INCREASED",
                 "BLOOD CREATININE INCREASED": "CREATININE INCREASED",
                 "INTERNATIONAL NORMALISED RATIO INCREASED": "INR INCREASED",
                 "BLOOD FIBRINOGEN DECREASED": "FIBRINOGEN DECREASED"}


def term_key(terms: pd.Series) -> pd.Series:
    """Matching key for AE / CTCAE terms: upper case, British -aemia spelled -emia, MedDRA
    aliases of CTCAE lab terms (e.g. 'Anaemia' = 'Anemia')."""
    codes, uniq = factorize_text(terms.astype(str).to_numpy(dtype=object))  # once per text
    k = pd.Series(uniq, dtype=object).str.strip().str.upper().str.replace("AEMIA", "EMIA",
                                                                          regex=False)
    return pd.Series(k.replace(_TERM_ALIASES).to_numpy(dtype=object)[codes], index=terms.index,
                     name=terms.name, dtype=object)


def compare_reported_grades(derived_worst: pd.DataFrame, reported: pd.DataFrame) -> pd.DataFrame:
    """Investigator-reported CTCAE grades against derived worst lab grades, side by side.

    Matched on subject and term (case-insensitive, :func:`term_key`: "Anaemia" = "Anemia").

    Parameters
    ----------
    derived_worst : pandas.DataFrame
        :func:`cartrial.safety.worst_lab_grades` output (USUBJID, TERM, WORST_GRADE, WORST_DAY).
    reported : pandas.DataFrame
        Reported AEs: USUBJID, TERM (AEDECOD), GRADE (AETOXGR 1-5); the highest grade per
        subject and term counts.

    Returns
    -------
    pandas.DataFrame
        Nothing is overwritten: every pair as USUBJID, TERM, DERIVED_GRADE, DERIVED_DAY,
        REPORTED_GRADE and STATUS AGREE, DISAGREE, REPORTED_ONLY (AE with no derived grade
        >= 1) or DERIVED_ONLY (derived grade >= 1 with no AE).

    Raises
    ------
    InputError
        ``reported`` without USUBJID, TERM or GRADE.

    References
    ----------
    NCI Common Terminology Criteria for Adverse Events v5.0, 27 Nov 2017.

    Examples
    --------
    >>> derived = pd.DataFrame({"USUBJID": ["A", "B"], "TERM": "Anemia",
    ...                         "WORST_GRADE": [3, 2], "WORST_DAY": [7.0, 9.0]})
    >>> reported = pd.DataFrame({"USUBJID": ["A"], "TERM": ["Anaemia"], "GRADE": [2]})
    >>> compare_reported_grades(derived, reported)[["USUBJID", "REPORTED_GRADE", "STATUS"]]
      USUBJID  REPORTED_GRADE        STATUS
    0       A             2.0      DISAGREE
    1       B             NaN  DERIVED_ONLY
    """
    require_columns(reported, ["USUBJID", "TERM", "GRADE"], where="compare_reported_grades")
    rep = reported.assign(_k=term_key(reported["TERM"]), USUBJID=reported["USUBJID"].astype(str))
    rep = rep.groupby(["USUBJID", "_k"], as_index=False).agg(
        REPORTED_TERM=("TERM", "first"), REPORTED_GRADE=("GRADE", "max"))
    der = derived_worst.assign(_k=term_key(derived_worst["TERM"]))
    der = der[der["WORST_GRADE"] >= 1][["USUBJID", "_k", "TERM", "WORST_GRADE", "WORST_DAY"]]
    m = der.merge(rep, on=["USUBJID", "_k"], how="outer")
    rg = pd.to_numeric(m["REPORTED_GRADE"], errors="coerce")
    status = np.where(m["WORST_GRADE"].isna(), "REPORTED_ONLY",
                      np.where(rg.isna(), "DERIVED_ONLY",
                               np.where(rg == m["WORST_GRADE"], "AGREE", "DISAGREE")))
    m["STATUS"] = status
    m["TERM"] = m["TERM"].fillna(m["REPORTED_TERM"])
    return m.drop(columns=["_k", "REPORTED_TERM"]).rename(
        columns={"WORST_GRADE": "DERIVED_GRADE", "WORST_DAY": "DERIVED_DAY"}
    )[["USUBJID", "TERM", "DERIVED_GRADE", "DERIVED_DAY", "REPORTED_GRADE", "STATUS"]]
