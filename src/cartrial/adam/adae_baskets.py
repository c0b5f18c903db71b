"""ADAE customized queries: the protocol's event baskets (``safety.baskets``) as OCCDS
customized-query variables, with each subject's first onset and resolution per basket.

One customized query per basket category, numbered zz = 01, 02, ... in the protocol's order
of categories (:func:`basket_queries`); within a category a term is in one basket (the
protocol checks it), so ``CQzzNAM`` holds the basket's name. Terms match AEDECOD as the safety
engine matches them (case-insensitive, British -aemia spelled -emia, the MedDRA / CTCAE
aliases of :func:`cartrial.safety.reported_grades.term_key`). Over the subject's
treatment-emergent records of the basket: ``AOCCzzFL`` flags the first (earliest ASTDT, then
AESEQ), ``CQzzONDY`` is the first onset in days from the infusion (ASTDT - TRTSDT, infusion
day = day 0), ``CQzzRSFL`` says every one of them has ended (AENDT present) and ``CQzzRSDY``
is then the days from that onset to the end of the last of them (AENDT - TRTSDT + 1 - CQzzONDY:
an end date covers its whole day).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.adam._dates import yn
from cartrial.safety.reported_grades import term_key

#: Customized queries the metadata describe (zz = 01 ... 09).
MAX_QUERIES = 9


def _define() -> dict[str, str]:
    out = {}
    for i in range(1, MAX_QUERIES + 1):
        zz = f"{i:02d}"
        out |= {
            f"CQ{zz}NAM": f"Derived: the name of the protocol's event basket (safety.baskets) "
                          f"of basket category {zz} (categories numbered in the protocol's "
                          "order) whose terms hold AEDECOD (case-insensitive; -aemia = -emia; "
                          "MedDRA / CTCAE aliases); missing when no basket of it holds AEDECOD.",
            f"AOCC{zz}FL": f"Derived: 'Y' on the subject's first treatment-emergent record "
                           f"(TRTEMFL = 'Y') with this CQ{zz}NAM, by ASTDT then AESEQ.",
            f"CQ{zz}ONDY": f"Derived: on the subject's treatment-emergent records with this "
                           f"CQ{zz}NAM, the earliest ASTDT - TRTSDT in days (infusion day = 0).",
            f"CQ{zz}RSFL": f"Derived: on the subject's treatment-emergent records with this "
                           f"CQ{zz}NAM, 'Y' when every one of them has an AENDT.",
            f"CQ{zz}RSDY": f"Derived: when CQ{zz}RSFL = 'Y', the latest AENDT - TRTSDT + 1 over "
                           f"those records minus CQ{zz}ONDY (days from first onset to "
                           f"resolution); else missing.",
        }
    return out


#: Origin and derivation of each variable this module derives (cartrial.adam.derivations).
DEFINE = _define()


def basket_queries(baskets: Sequence) -> dict[str, str]:
    """The customized-query number (``"01"``, ...) of each basket name, by category order.

    Parameters
    ----------
    baskets : sequence
        The protocol's baskets (``category``, ``name``, ``terms``), in the protocol's order.

    Returns
    -------
    dict of str to str
        Basket name -> zz of its category (categories numbered in order of first appearance).

    Raises
    ------
    ValueError
        More than :data:`MAX_QUERIES` categories.

    Examples
    --------
    >>> from types import SimpleNamespace as B
    >>> basket_queries([B(category="G", name="Nail", terms=[]), B(category="I", name="Viral",
    ...                 terms=[]), B(category="G", name="Skin", terms=[])])
    {'Nail': '01', 'Viral': '02', 'Skin': '01'}
    """
    cats = list(dict.fromkeys(b.category for b in baskets))
    if len(cats) > MAX_QUERIES:
        raise ValueError(f"safety.baskets: {len(cats)} categories; ADAE holds at most "
                         f"{MAX_QUERIES} customized queries")
    return {b.name: f"{cats.index(b.category) + 1:02d}" for b in baskets}


def derive_vars_cq(adae: pd.DataFrame, baskets: Sequence) -> pd.DataFrame:
    """CQzzNAM, AOCCzzFL, CQzzONDY, CQzzRSFL and CQzzRSDY for every basket category.

    Parameters
    ----------
    adae : pandas.DataFrame
        ADAE records with USUBJID, AESEQ, AEDECOD, TRTEMFL, ASTDT, AENDT and TRTSDT.
    baskets : sequence
        The protocol's baskets (``category``, ``name``, ``terms``).

    Returns
    -------
    pandas.DataFrame
        ``adae`` with five variables per category (none when there are no baskets).

    References
    ----------
    CDISC ADaM Occurrence Data Structure (OCCDS) v1.1, 2021 (customized queries CQzzNAM and
    first-occurrence flags AOCCzzFL).

    Examples
    --------
    >>> from types import SimpleNamespace as B
    >>> d = pd.to_datetime
    >>> adae = pd.DataFrame({"USUBJID": "S1", "AESEQ": [1, 2], "AEDECOD": ["Dysgeusia",
    ...     "Dry mouth"], "TRTEMFL": "Y", "ASTDT": d(["2024-01-21", "2024-01-26"]),
    ...     "AENDT": d(["2024-03-01", "2024-03-31"]), "TRTSDT": d("2024-01-01")})
    >>> out = derive_vars_cq(adae, [B(category="G", name="Oral", terms=["dysgeusia",
    ...                                                                "Dry mouth"])])
    >>> out[["CQ01NAM", "AOCC01FL", "CQ01ONDY", "CQ01RSFL", "CQ01RSDY"]].astype(str).values
    array([['Oral', 'Y', '20.0', 'Y', '71.0'],
           ['Oral', '', '20.0', 'Y', '71.0']], dtype=object)
    """
    out = adae.copy()
    key = term_key(out["AEDECOD"]).to_numpy()
    te = (out["TRTEMFL"] == "Y").to_numpy()
    start = (out["ASTDT"] - out["TRTSDT"]).dt.days.astype(float)
    end = (out["AENDT"] - out["TRTSDT"]).dt.days.astype(float) + 1.0
    zz_of = basket_queries(baskets)
    for zz in dict.fromkeys(zz_of.values()):
        name = np.full(len(out), "", dtype=object)
        for b in (b for b in baskets if zz_of[b.name] == zz):
            terms = set(term_key(pd.Series(list(b.terms), dtype=object)))
            name[np.isin(key, list(terms))] = b.name
        out[f"CQ{zz}NAM"] = name
        _subject_basket(out, zz, te & (name != ""), start, end)
    return out


def _subject_basket(out: pd.DataFrame, zz: str, te: np.ndarray, start: pd.Series,
                    end: pd.Series) -> None:
    """The per-subject, per-basket variables of query zz on the treatment-emergent records."""
    sub = pd.DataFrame({"USUBJID": out["USUBJID"], "NAM": out[f"CQ{zz}NAM"], "ST": start,
                        "EN": end, "ASTDT": out["ASTDT"], "AESEQ": out["AESEQ"]})[te]
    g = sub.groupby(["USUBJID", "NAM"])
    onset = g["ST"].transform("min")
    resolved = g["EN"].transform("count") == g["EN"].transform("size")
    first = sub.sort_values(["ASTDT", "AESEQ"], kind="stable").groupby(["USUBJID", "NAM"]).head(1)
    out[f"AOCC{zz}FL"] = yn(out.index.isin(first.index))
    out[f"CQ{zz}ONDY"] = onset.reindex(out.index)
    out[f"CQ{zz}RSFL"] = yn(resolved.reindex(out.index, fill_value=False))
    out[f"CQ{zz}RSDY"] = (g["EN"].transform("max") - onset).where(resolved).reindex(out.index)
