"""What define.xml needs of a batch (:func:`cartrial.adam.define_xml.add_params`) read off the
codes its writer has already made of the text columns (issue #18: a batch of a large ADLB holds
~90,000 records; ``drop_duplicates`` and ``unique`` over its text cost as much as writing it).

Used by :func:`cartrial.adam.write_xpt.write_batched`; what the codes cannot answer as
``add_params`` would (a column not held as str objects, a missing PARAM, text with a NUL
character, which pandas' hashing cuts: pandas issue #34551) is left to ``add_params`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cartrial.adam.define_xml import _coded, add_params

#: column -> (codes, distinct str values) of an object column: code -1 is a missing value
Distinct = Mapping[str, tuple[np.ndarray, np.ndarray]]


def _usable(batch: pd.DataFrame, c: str, codes: Distinct) -> bool:
    return (c in codes and batch[c].dtype == object
            and "\x00" not in "".join(codes[c][1]))


def add_params_coded(seen: dict, batch: pd.DataFrame, codes: Distinct) -> None:
    """:func:`cartrial.adam.define_xml.add_params` of ``batch`` (the same ``seen``, in the same
    order), from ``codes``: the codes and distinct values of its object columns holding str
    (:func:`cartrial.adam.column_profile.distinct`).

    Parameters
    ----------
    seen : dict
        Gathered so far (updated in place).
    batch : pandas.DataFrame
        A batch of an ADaM dataset.
    codes : mapping of str to (numpy.ndarray, numpy.ndarray)
        Column -> (codes, distinct values) of some of its object columns.

    Examples
    --------
    >>> from cartrial.adam.column_profile import distinct
    >>> b = pd.DataFrame({"PARAMCD": ["ALT", "ALT", "AST"], "PARAM": ["ALT (U/L)"] * 2 +
    ...                   ["AST (U/L)"], "AVALU": ["U/L", "U/L", None]})
    >>> seen = {}
    >>> add_params_coded(seen, b, {c: distinct(b[c].to_numpy()) for c in b.columns})
    >>> seen
    {'ALT': 'ALT (U/L)', ('AVALU', 'ALT', 'U/L'): '', 'AST': 'AST (U/L)', ('AVALU', 'U/L'): ''}
    >>> before = {}
    >>> add_params(before, b)
    >>> list(before.items()) == list(seen.items())
    True
    """
    cols = [c for c in ("PARAMCD", "PARAM", "AVALU") if c in batch.columns]
    terms = _coded("", list(batch.columns)) + (["AVALC"] if "AVALC" in batch else [])
    rest = [c for c in terms if not _usable(batch, c, codes)]
    if cols and not _add_param_rows(seen, batch, cols, codes):
        # the parameters (and ``rest``) as before; each column once (AVALU is both)
        add_params(seen, batch[list(dict.fromkeys(cols + rest))])
    elif rest:
        add_params(seen, batch[list(dict.fromkeys(rest))])
    for var in terms:
        if var not in rest:
            for term in codes[var][1]:
                if term:
                    seen.setdefault((var, term), "")


def _add_param_rows(seen: dict, batch: pd.DataFrame, cols: list[str], codes: Distinct
                    ) -> bool:
    """The PARAMCD/PARAM/AVALU part of ``add_params`` (distinct combinations in order of first
    appearance); False, doing nothing, when the codes cannot answer it."""
    if cols[0] != "PARAMCD" or not all(_usable(batch, c, codes) for c in cols):
        return False
    pc = codes["PARAMCD"][0]
    keep = pc >= 0
    if "PARAM" in cols and (codes["PARAM"][0][keep] < 0).any():
        return False  # a missing PARAM is written as its str(): left to add_params
    key = np.zeros(int(keep.sum()), dtype=np.int64)
    for c in cols:
        key = pd.factorize(key * (len(codes[c][1]) + 1) + codes[c][0][keep] + 1)[0]
    first = np.unique(key, return_index=True)[1]
    rows = np.flatnonzero(keep)[np.sort(first)]
    values = {c: codes[c][1] for c in cols}
    for r in rows:
        code = values["PARAMCD"][pc[r]]
        seen.setdefault(code, values["PARAM"][codes["PARAM"][0][r]] if "PARAM" in cols
                        else code)
        if "AVALU" in cols and (u := codes["AVALU"][0][r]) >= 0 and values["AVALU"][u]:
            seen.setdefault(("AVALU", code, values["AVALU"][u]), "")
    return True
