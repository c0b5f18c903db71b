"""The records of a dataset a table's analysis data join to the population: those meeting the
dataset's where-clause, with the subject (USUBJID) and the variables the table reads
(:func:`kept`) among the dataset's own (those ADSL does not hold).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import pandas as pd

from cartrial.report.ars_query import select


def joined_records(d: pd.DataFrame, where: str, adsl: Collection[str],
                   columns: Collection[str] | None) -> pd.DataFrame:
    """The records of a dataset joined to the population: those meeting ``where``, with the
    subject (USUBJID) and the dataset's own variables (those ADSL does not hold: ADSL's come
    from ADSL) among ``columns``.

    Parameters
    ----------
    d : pandas.DataFrame
        An ADaM dataset.
    where : str
        Its where-clause ("": every record).
    adsl : collection of str
        The variables of ADSL.
    columns : collection of str or None
        The variables a table reads (:func:`kept`); None: every one.

    Returns
    -------
    pandas.DataFrame
        A new frame (``d`` itself never).

    Examples
    --------
    >>> d = pd.DataFrame({"USUBJID": ["1", "2"], "AGE": [1, 2], "AVAL": [3.0, 4.0]})
    >>> joined_records(d, "AVAL > 3", ["USUBJID", "AGE"], None).to_dict("list")
    {'USUBJID': ['2'], 'AVAL': [4.0]}
    """
    own = kept(["USUBJID", *(c for c in d.columns if c not in adsl)], columns)
    return select(d, where, columns=own) if where else d[own]


def kept(names: Iterable[str], columns: Collection[str] | None) -> list[str]:
    """The variables of ``names`` a table's analysis data keep: those among ``columns``, and
    the subject (USUBJID, the key the datasets are joined on); every one when ``columns`` is
    None.

    Parameters
    ----------
    names : iterable of str
        Variables (of a dataset), in their order.
    columns : collection of str or None
        The variables a table reads; None: not known.

    Returns
    -------
    list of str
        In the order of ``names``.

    Examples
    --------
    >>> kept(["USUBJID", "AGE", "SEX"], {"SEX"}), kept(["AGE", "SEX"], None)
    (['USUBJID', 'SEX'], ['AGE', 'SEX'])
    """
    return [c for c in names if columns is None or c == "USUBJID" or c in columns]

