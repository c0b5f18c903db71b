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


def _study(study) -> Study:  # noqa: ANN001
    """A :class:`Study` as given, or one over a dict of frames (the engines' examples)."""
    return study if isinstance(study, Study) else Study(dict(study))


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
    st = _study(study)
    if not where:
        return st.frame(name, columns)
    spelled = {}
    for var, values in where.items():
        col = st.frame(name, [var])
        if col is None:
            return None
        if var not in col:  # no record matches: frame() says so with the variable absent
            spelled[var] = ()
            continue
        found = pd.Series(pd.unique(col[var].to_numpy(dtype=object)), dtype=object)
        wanted = set(values)
        hit = upper_stripped(found).isin(wanted).fillna(False).to_numpy(dtype=bool)
        spelled[var] = found[hit].tolist()
    return st.frame(name, columns, where=spelled)
