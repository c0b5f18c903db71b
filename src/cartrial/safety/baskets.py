"""Event baskets: named groupings of adverse-event terms defined in the protocol, tabulated.

A basket (``protocol.safety.baskets``: category, name, terms) groups MedDRA preferred terms or
CTCAE terms that are reviewed together, e.g. GPRC5D on-target nail, skin, oral / taste, weight
and cerebellar events, infections by pathogen type, neurotoxicity other than ICANS or second
primary malignancies. No consensus scale exists for most of them: each event keeps its own
CTCAE grade (AE.AETOXGR) and the basket reports, per subject, the worst grade, the first onset
and whether (and when) every event of the basket ended.

Terms match AEDECOD case-insensitively, British -aemia spelled -emia and the MedDRA / CTCAE
aliases of :func:`cartrial.safety.reported_grades.term_key`. Treatment-emergent records only when
the AE frame has TRTEMFL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol as _Protocol

import numpy as np
import pandas as pd

from cartrial.safety._frames import as_float, require_columns
from cartrial.safety.reported_grades import term_key
from cartrial.safety.tables import COLUMNS, count_rows, summary_rows

GPRC5D_CATEGORY = "GPRC5D on-target"   # its table keeps the report's key "gprc5d"


class Basket(_Protocol):
    """What the engine reads of a basket (``cartrial.protocol.model.EventBasket``)."""

    name: str
    category: str
    terms: list[str]


def _label(b: Basket, with_category: bool) -> str:
    return f"{b.category} / {b.name}" if with_category and b.name != b.category else b.name


def basket_events(ae: pd.DataFrame, baskets: Sequence[Basket]) -> pd.DataFrame:
    """The AE records that fall in each basket (a record can be in baskets of several
    categories).

    Parameters
    ----------
    ae : pandas.DataFrame
        USUBJID, AEDECOD, GRADE (1-5); optional START_DAY, END_DAY (days since infusion),
        TRTEMFL, SEQ.
    baskets : sequence of Basket
        The protocol's baskets (category, name, terms).

    Returns
    -------
    pandas.DataFrame
        The matching AE rows with CATEGORY and BASKET added.

    Raises
    ------
    RecordError
        A grade or day that is not a number (naming the record).
    InputError
        Missing columns.

    Examples
    --------
    >>> from types import SimpleNamespace as B
    >>> ae = pd.DataFrame({"USUBJID": ["P1"], "AEDECOD": ["Nail disorder"], "GRADE": [2]})
    >>> basket_events(ae, [B(category="GPRC5D", name="Nail", terms=["nail disorder"])])[
    ...     "BASKET"].tolist()
    ['Nail']
    """
    require_columns(ae, ["USUBJID", "AEDECOD", "GRADE"], where="basket_events")
    a = ae.assign(USUBJID=ae["USUBJID"].astype(str),
                  GRADE=as_float(ae, "GRADE", domain="AE", required=True),
                  START_DAY=as_float(ae, "START_DAY", domain="AE"),
                  END_DAY=as_float(ae, "END_DAY", domain="AE"))
    if "TRTEMFL" in a.columns:
        a = a[a["TRTEMFL"].astype(str).str.strip().str.upper() == "Y"]
    key = term_key(a["AEDECOD"]).to_numpy()
    parts = []
    for b in baskets:
        terms = set(term_key(pd.Series(list(b.terms), dtype=object)))
        parts.append(a[np.isin(key, list(terms))].assign(CATEGORY=b.category, BASKET=b.name))
    if not parts:
        return a.iloc[:0].assign(CATEGORY="", BASKET="")
    return pd.concat(parts, ignore_index=True)


def basket_summary(ae: pd.DataFrame, baskets: Sequence[Basket]) -> pd.DataFrame:
    """Per subject and basket: N_EVENTS, WORST_GRADE, ONSET_DAY (first start), RESOLVED (every
    event of the basket has an end day), RESOLUTION_DAY (last end, when resolved) and
    DAYS_TO_RESOLUTION (RESOLUTION_DAY - ONSET_DAY).

    Parameters
    ----------
    ae : pandas.DataFrame
        As for :func:`basket_events`.
    baskets : sequence of Basket
        The protocol's baskets.

    Returns
    -------
    pandas.DataFrame
        One row per USUBJID x CATEGORY x BASKET with an event.

    Raises
    ------
    RecordError
        A grade or day that is not a number.

    Examples
    --------
    >>> from types import SimpleNamespace as B
    >>> ae = pd.DataFrame({"USUBJID": "P1", "AEDECOD": ["Dysgeusia", "Dry mouth"],
    ...                    "GRADE": [1, 2], "START_DAY": [20.0, 25.0], "END_DAY": [60.0, 90.0]})
    >>> s = basket_summary(ae, [B(category="G", name="Oral", terms=["Dysgeusia", "Dry mouth"])])
    >>> s[["WORST_GRADE", "ONSET_DAY", "DAYS_TO_RESOLUTION"]].iloc[0].tolist()
    [2.0, 20.0, 70.0]
    """
    ev = basket_events(ae, baskets)
    g = ev.groupby(["USUBJID", "CATEGORY", "BASKET"], sort=True)
    out = pd.DataFrame({"N_EVENTS": g.size(), "WORST_GRADE": g["GRADE"].max(),
                        "ONSET_DAY": g["START_DAY"].min(),
                        "RESOLVED": g["END_DAY"].count() == g.size(),
                        "LAST_END_DAY": g["END_DAY"].max()})
    out["RESOLUTION_DAY"] = out["LAST_END_DAY"].where(out["RESOLVED"])
    out["DAYS_TO_RESOLUTION"] = out["RESOLUTION_DAY"] - out["ONSET_DAY"]
    return out.drop(columns="LAST_END_DAY").reset_index()


def _one_basket(summary: pd.DataFrame, subjects: pd.DataFrame, label: str, table: str,
                base: int) -> list[pd.DataFrame]:
    g = summary["WORST_GRADE"].to_numpy()
    rows = [(f"{label}: any grade", 0)] + [(f"{label}: grade {k}", 1) for k in range(1, 6)]
    rows += [(f"{label}: grade >= 3", 1), (f"{label}: resolved (every event ended)", 1)]
    counted = [np.ones(len(g), dtype=bool), *[g == k for k in range(1, 6)], g >= 3,
               summary["RESOLVED"].astype(bool).to_numpy()]  # the patients of each row
    ids = summary["USUBJID"].to_numpy()
    flags = pd.DataFrame({"USUBJID": np.concatenate([ids[m] for m in counted]),
                          "ROW": np.repeat([r for r, _ in rows], [int(m.sum()) for m in counted])})
    counts = count_rows(flags, subjects, table=table, rows=rows)
    counts["ROW_ORDER"] += base
    onset = pd.DataFrame({"USUBJID": ids,
                          "VALUE": np.floor(summary["ONSET_DAY"].astype(float).to_numpy())})
    dur = pd.DataFrame({"USUBJID": ids, "VALUE": summary["DAYS_TO_RESOLUTION"].to_numpy()})
    return [counts,
            summary_rows(onset, subjects, table=table, order=base + len(rows), digits=0,
                         row=f"{label}: days from infusion to first onset"),
            summary_rows(dur, subjects, table=table, order=base + len(rows) + 1, digits=0,
                         row=f"{label}: days from onset to resolution (resolved)")]


def basket_table(ae: pd.DataFrame, subjects: pd.DataFrame, baskets: Sequence[Basket], *,
                 table: str = "Adverse events by basket") -> pd.DataFrame:
    """Each basket by worst grade, resolution, time to onset and to resolution, per dose level.

    Parameters
    ----------
    ae : pandas.DataFrame
        As for :func:`basket_events`.
    subjects : pandas.DataFrame
        USUBJID, DOSE_LEVEL (the safety population: the denominators).
    baskets : sequence of Basket
        The protocol's baskets, in the order they are tabulated; rows are labelled
        "<category> / <name>" when the baskets span several categories.
    table : str
        The TABLE value.

    Returns
    -------
    pandas.DataFrame
        Tidy rows in the layout of :mod:`cartrial.safety.tables`.

    Raises
    ------
    RecordError
        A grade or day that is not a number.

    Examples
    --------
    >>> from types import SimpleNamespace as B
    >>> ae = pd.DataFrame({"USUBJID": ["P1"], "AEDECOD": ["Ataxia"], "GRADE": [3]})
    >>> t = basket_table(ae, pd.DataFrame({"USUBJID": ["P1", "P2"], "DOSE_LEVEL": ["1", "1"]}),
    ...                  [B(category="G", name="Cerebellar", terms=["Ataxia"])])
    >>> t[(t.ROW == "Cerebellar: grade >= 3") & (t.COLUMN == "1")].VALUE.item()
    '1 (50.0%)'
    """
    return basket_summary_table(basket_summary(ae, baskets), subjects, baskets, table=table)


def basket_summary_table(summary: pd.DataFrame, subjects: pd.DataFrame,
                         baskets: Sequence[Basket], *,
                         table: str = "Adverse events by basket") -> pd.DataFrame:
    """:func:`basket_table` from the per-subject summary (the counting rule, once).

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`basket_summary` output, or the same read from ADAE customized queries
        (USUBJID, CATEGORY, BASKET, WORST_GRADE, ONSET_DAY, RESOLVED, DAYS_TO_RESOLUTION).
    subjects, baskets, table
        As :func:`basket_table`.

    Returns
    -------
    pandas.DataFrame
        Tidy rows in the layout of :mod:`cartrial.safety.tables`.

    Examples
    --------
    >>> from types import SimpleNamespace as B
    >>> s = pd.DataFrame({"USUBJID": ["P1"], "CATEGORY": "G", "BASKET": "Nail",
    ...     "WORST_GRADE": [2.0], "ONSET_DAY": [20.0], "RESOLVED": [False],
    ...     "DAYS_TO_RESOLUTION": [None]})
    >>> t = basket_summary_table(s, pd.DataFrame({"USUBJID": ["P1"], "DOSE_LEVEL": ["1"]}),
    ...                          [B(category="G", name="Nail", terms=[])])
    >>> t[(t.ROW == "Nail: grade 2") & (t.COLUMN == "1")].VALUE.item()
    '1 (100.0%)'
    """
    several = len({b.category for b in baskets}) > 1
    out: list[pd.DataFrame] = []
    at = summary.groupby(["CATEGORY", "BASKET"], sort=False).indices  # each basket's records
    none = np.zeros(0, dtype=np.intp)
    for i, b in enumerate(baskets):
        s = summary.take(at.get((b.category, b.name), none))
        out += _one_basket(s, subjects, _label(b, several), table, base=10 * i)
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(_na_typed(out), ignore_index=True)


def _na_typed(parts: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """``parts`` with each column that is empty or missing throughout a part given the type
    the other parts' values share, where that type holds a missing value: the dtypes pandas 2's
    concat gives by leaving such columns out of the choice (deprecated, with a FutureWarning:
    a basket's summary rows without a value have an object N of missing values only)."""
    out = list(parts)
    for c in parts[0].columns:
        na = [p[c].isna().all() for p in parts]
        dtypes = [p[c].dtype for p, n in zip(parts, na, strict=True) if not n]
        if not any(na) or not dtypes or not all(isinstance(d, np.dtype) for d in dtypes):
            continue
        to = np.result_type(*dtypes)
        if to.kind not in "fcmMO":  # cannot hold a missing value: pandas chose with them
            continue
        out = [p.astype({c: to}) if n and p[c].dtype != to else p
               for p, n in zip(out, na, strict=True)]
    return out


def basket_table_key(category: str) -> str:
    """The table key of a basket category: ``baskets_<category>``, GPRC5D on-target ``gprc5d``.

    Parameters
    ----------
    category : str
        The basket category (``protocol.safety.baskets[i].category``).

    Returns
    -------
    str

    Examples
    --------
    >>> basket_table_key("Infections by pathogen")
    'baskets_infections_by_pathogen'
    """
    return "gprc5d" if category == GPRC5D_CATEGORY else "baskets_" + "".join(
        ch if ch.isalnum() else "_" for ch in category.lower()).strip("_")


def basket_tables(ae: pd.DataFrame, subjects: pd.DataFrame,
                  baskets: Sequence[Basket]) -> dict[str, pd.DataFrame]:
    """One :func:`basket_table` per basket category, keyed ``baskets_<category>`` (the
    GPRC5D on-target category keyed ``gprc5d``), in the protocol's order.

    Parameters
    ----------
    ae : pandas.DataFrame
        As for :func:`basket_events`.
    subjects : pandas.DataFrame
        USUBJID, DOSE_LEVEL.
    baskets : sequence of Basket
        The protocol's baskets.

    Returns
    -------
    dict of str to pandas.DataFrame
        Table key -> tidy table (TABLE = the category).

    Examples
    --------
    >>> from types import SimpleNamespace as B
    >>> ae = pd.DataFrame({"USUBJID": ["P1"], "AEDECOD": ["Herpes zoster"], "GRADE": [2]})
    >>> list(basket_tables(ae, pd.DataFrame({"USUBJID": ["P1"], "DOSE_LEVEL": ["1"]}),
    ...                    [B(category="Infections by pathogen", name="Viral",
    ...                       terms=["Herpes zoster"])]))
    ['baskets_infections_by_pathogen']
    """
    out: dict[str, pd.DataFrame] = {}
    for cat in dict.fromkeys(b.category for b in baskets):
        out[basket_table_key(cat)] = basket_table(
            ae, subjects, [b for b in baskets if b.category == cat], table=cat)
    return out
