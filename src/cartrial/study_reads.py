"""What an engine reads of a domain: only the variables and records it uses (issue #18: memory).

The engines, the ADaM build and the escalation history take a :class:`cartrial.data.Study`
(or, in their examples and tests, a dict of frames). A large domain held encoded is decoded
only for what :meth:`cartrial.data.Study.frame` is asked, so a consumer asks for its variables
and, when it keeps only some records by a coded value (a test code, a category), for those
records: :func:`read_frame`.

The engines match coded values as text is matched everywhere in them: blanks stripped and
upper case (``" temp"`` is ``TEMP``; :func:`cartrial.data.text.upper_stripped`). A study read
from files already holds controlled terms so (:mod:`cartrial.data.normalise`), a study built in
memory may not: :func:`read_frame` reads the variable filtered on first, alone, and asks for the
records of each spelling found of the values wanted, so no record is left out that the engines'
own comparison keeps.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pandas as pd

from cartrial.data.study import Study
from cartrial.data.text import upper_stripped


def _study(study, name: str) -> Study:  # noqa: ANN001
    """A :class:`Study` as given; else (a dict of frames, as in the engines' examples, or any
    object whose ``get(name)`` gives a domain) one holding the domain ``name`` if any."""
    if isinstance(study, Study):
        return study
    df = study.get(name)
    return Study({} if df is None else {name: df})


def _by_column(st: Study, name: str, columns: Sequence[str] | None) -> pd.DataFrame | None:
    """``st.frame(name, columns)`` asked one variable at a time and put together without a
    copy: a read of every record holds one copy of the variables asked, not two meanwhile
    (a large LB's graded-lab variables: ~80 MB at 3,000 patients)."""
    if name not in st:
        return None
    have = st.variables(name)
    names = list(dict.fromkeys(have if columns is None else (c for c in columns if c in have)))
    if len(names) < 2:
        return st.frame(name, names)
    cols = {c: st.frame(name, [c])[c] for c in names}
    index = cols[names[0]].index
    return pd.DataFrame({c: s.array for c, s in cols.items()}, index=index, copy=False)


def read_frame(study, name: str, columns: Sequence[str] | None = None,  # noqa: ANN001
               where: Mapping[str, Collection[str]] | None = None) -> pd.DataFrame | None:
    """The records of domain ``name`` with the variables ``columns`` (those present, in that
    order), only those whose text of each ``where`` variable, stripped and upper-cased, is one
    of the values given.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        The SDTM domains.
    name : str
        Domain code.
    columns : sequence of str, optional
        Variables wanted (all when None); those the domain lacks are left out.
    where : mapping of str to collection of str, optional
        Variable -> the values kept, in upper case without blanks (a missing value never
        matches; a variable the domain lacks matches no record).

    Returns
    -------
    pandas.DataFrame or None
        A frame of its own, records in the domain's order with their index labels; None when
        the study has no such domain.

    Examples
    --------
    >>> vs = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "VSTESTCD": ["TEMP", " temp", "HR"],
    ...                    "VSSTRESN": [38.5, 39.0, 80.0], "VSORRES": ["38.5", "39", "80"]})
    >>> read_frame({"VS": vs}, "VS", ["USUBJID", "VSSTRESN", "VSPOS"],
    ...            where={"VSTESTCD": {"TEMP"}})
      USUBJID  VSSTRESN
    0      S1      38.5
    1      S1      39.0
    >>> read_frame({"VS": vs}, "FA") is None
    True
    """
    st = _study(study, name)
    if not where:
        return _by_column(st, name, columns)
    spelled = {}
    for var, values in where.items():
        # the spellings held, not the column decoded (a large domain's distinct values: its
        # codes are not read); a variable the domain lacks has none: no record matches
        found = st.distinct(name, var)
        if found is None:
            return None
        found = pd.Series(found, dtype=object)
        wanted = set(values)
        hit = upper_stripped(found).isin(wanted).fillna(False).to_numpy(dtype=bool)
        spelled[var] = found[hit].tolist()
    return st.frame(name, columns, where=spelled)


def dated_frame(study, name: str) -> pd.DataFrame | None:  # noqa: ANN001
    """USUBJID and every ``--DTC`` variable of a domain (what a last-contact date reads).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["S1"], "LBTESTCD": ["HGB"], "LBDTC": ["2026-03-01"]})
    >>> list(dated_frame({"LB": lb}, "LB").columns), dated_frame({"LB": lb}, "VS")
    (['USUBJID', 'LBDTC'], None)
    """
    st = _study(study, name)
    if name not in st:
        return None
    return st.frame(name, ["USUBJID", *(v for v in st.variables(name) if v.endswith("DTC"))])


def subject_frame(study, name: str, ids: Collection[str],  # noqa: ANN001
                  columns: Sequence[str] | None = None) -> pd.DataFrame | None:
    """The records of the subjects ``ids`` (USUBJID as text) of a domain, ``columns`` only
    (all when None).

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "AGE": [61, 70, 55]})
    >>> subject_frame({"DM": dm}, "DM", {"S3", "S1"})
      USUBJID  AGE
    0      S1   61
    2      S3   55
    """
    st = _study(study, name)
    found = st.distinct(name, "USUBJID")  # the subjects held, not the column decoded
    if found is None:
        return None
    wanted = set(ids)
    return st.frame(name, columns, where={"USUBJID": [v for v in found if str(v) in wanted]})
