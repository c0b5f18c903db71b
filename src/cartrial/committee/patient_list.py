"""The patient list a page at a time: filters, sort order and paging done by the server.

A 1,000-patient trial's list is sent 100 rows at a time with the total count, links to every
page and the filters and sort order kept in the query string (a medical monitor can bookmark
or share a view); the whole list, filtered and sorted the same way, is one CSV download. Pure
functions over :func:`cartrial.committee.patient_view.patient_subjects` (no web).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

import pandas as pd

from cartrial.errors import InputError

ROWS_PER_PAGE = 100
#: sort key in the query string -> (column of the patient list, heading shown)
COLUMNS = {"patient": ("USUBJID", "Patient"), "dose": ("DOSE", "Dose level"),
           "part": ("PART", "Study part"), "cohort": ("COHORT", "Cohort"),
           "infusion": ("INFUSION", "CAR-T infusion"), "status": ("STATUS", "Status")}
INFUSED = {"": "infused or not", "yes": "infused", "no": "not infused"}
MAX_TEXT = 100


@dataclass(frozen=True)
class ListQuery:
    """What the reader asked for: ``page`` (from 1), ``q`` (text in the patient's id),
    ``dose`` and ``part`` (exact labels), ``infused`` (``""``, ``yes`` or ``no``), ``sort`` (a
    :data:`COLUMNS` key; ``""``: enrolment order) and ``order`` (``asc`` or ``desc``)."""

    page: int = 1
    q: str = ""
    dose: str = ""
    part: str = ""
    infused: str = ""
    sort: str = ""
    order: str = "asc"

    def link(self, **change: object) -> str:
        """The list's address with ``change`` applied (only values that differ from the
        defaults are written, so the plain list is ``/patients``).

        Parameters
        ----------
        **change
            Fields to change (e.g. ``page=2``).

        Returns
        -------
        str
            ``/patients`` with its query string.

        Examples
        --------
        >>> ListQuery(dose="DL2 (0.3 x10^6/kg)").link(page=2)
        '/patients?page=2&dose=DL2+%280.3+x10%5E6%2Fkg%29'
        """
        return "/patients" + _query_string(self, change)

    def csv_link(self) -> str:
        """The CSV download of the whole list with the same filters and order (no page)."""
        return "/patients.csv" + _query_string(self, {"page": 1})


def _query_string(query: ListQuery, change: Mapping[str, object]) -> str:
    default = asdict(ListQuery())
    values = asdict(query) | dict(change)
    kept = {k: v for k, v in values.items() if v != default[k]}
    return "?" + urlencode(kept) if kept else ""


def parse_query(params: Mapping[str, str]) -> ListQuery:
    """The list query from the page address, refusing what it cannot mean.

    Parameters
    ----------
    params : mapping
        The query string's values (``page``, ``q``, ``dose``, ``part``, ``infused``,
        ``sort``, ``order``; others are not read).

    Returns
    -------
    ListQuery

    Raises
    ------
    InputError
        A page that is not a whole number from 1, an unknown sort column, order or infusion
        filter, or a text longer than 100 characters (the message names parameter and value).

    Examples
    --------
    >>> parse_query({"page": "3", "sort": "infusion", "order": "desc"}).page
    3
    >>> parse_query({"page": "0"})
    Traceback (most recent call last):
    cartrial.errors.InputError: patient list: page='0' must be a whole number from 1
    """
    page = params.get("page", "1") or "1"
    if not (page.isascii() and page.isdigit() and len(page) <= 9 and int(page) >= 1):
        raise InputError(f"patient list: page={page!r} must be a whole number from 1")
    rules = {"sort": ("", *COLUMNS), "order": ("asc", "desc"), "infused": tuple(INFUSED)}
    for name, allowed in rules.items():
        if params.get(name, allowed[0]) not in allowed:
            raise InputError(f"patient list: {name}={params[name]!r} must be one of "
                             + ", ".join(repr(a) for a in allowed))
    for name in ("q", "dose", "part"):
        if len(params.get(name, "")) > MAX_TEXT:
            raise InputError(f"patient list: {name} is longer than {MAX_TEXT} characters")
    return ListQuery(int(page), params.get("q", "").strip(), params.get("dose", ""),
                     params.get("part", ""), params.get("infused", ""),
                     params.get("sort", ""), params.get("order", "asc"))


def select(rows: pd.DataFrame, query: ListQuery) -> pd.DataFrame:
    """The patients that match the query's filters, in its order (every page together).

    Parameters
    ----------
    rows : pandas.DataFrame
        :func:`~cartrial.committee.patient_view.patient_subjects` (enrolment order).
    query : ListQuery

    Returns
    -------
    pandas.DataFrame
        The matching rows; sorted stably by the chosen column (ties stay in enrolment order).

    Examples
    --------
    >>> rows = pd.DataFrame({"USUBJID": ["A-2", "A-1"], "DOSE": ["DL1", "DL1"], "PART": "x",
    ...                      "COHORT": "", "INFUSION": ["2024-02-01", ""],
    ...                      "STATUS": ["Infused", "Not infused: withdrawal"]})
    >>> select(rows, ListQuery(sort="patient"))["USUBJID"].tolist()
    ['A-1', 'A-2']
    >>> select(rows, ListQuery(infused="no"))["USUBJID"].tolist()
    ['A-1']
    """
    keep = pd.Series(True, index=rows.index)
    if query.q:
        keep &= rows["USUBJID"].str.contains(query.q, case=False, regex=False)
    for name, column in (("dose", "DOSE"), ("part", "PART")):
        if getattr(query, name):
            keep &= rows[column] == getattr(query, name)
    if query.infused:
        keep &= rows["STATUS"].str.startswith("Infused") == (query.infused == "yes")
    out = rows[keep]
    if query.sort:
        out = out.sort_values(COLUMNS[query.sort][0], ascending=query.order == "asc",
                              kind="stable")
    return out


@dataclass(frozen=True)
class ListPage:
    """One page of the list: its ``rows`` (records), ``total`` patients enrolled, ``matching``
    the filters, this ``page`` of ``pages``, the row numbers ``first`` to ``last`` shown, the
    ``query`` and the filter choices (``doses``, ``parts``: every label in the study)."""

    rows: list[dict[str, str]]
    total: int
    matching: int
    page: int
    pages: int
    first: int
    last: int
    query: ListQuery
    doses: tuple[str, ...]
    parts: tuple[str, ...]


def list_page(rows: pd.DataFrame, query: ListQuery, per_page: int | None = None) -> ListPage:
    """The page of the list the query asks for.

    Parameters
    ----------
    rows : pandas.DataFrame
        :func:`~cartrial.committee.patient_view.patient_subjects`.
    query : ListQuery
    per_page : int, optional
        Rows on a page (default :data:`ROWS_PER_PAGE`).

    Returns
    -------
    ListPage

    Raises
    ------
    InputError
        The page is after the last one (the message says how many there are).

    Examples
    --------
    >>> rows = pd.DataFrame({"USUBJID": [f"P{i:03d}" for i in range(250)], "DOSE": "DL1",
    ...                      "PART": "Dose escalation", "COHORT": "", "INFUSION": "",
    ...                      "STATUS": "Infused"})
    >>> p = list_page(rows, ListQuery(page=3))
    >>> (p.pages, p.first, p.last, p.rows[0]["USUBJID"])
    (3, 201, 250, 'P200')
    """
    per_page = per_page or ROWS_PER_PAGE
    chosen = select(rows, query)
    pages = max(1, -(-len(chosen) // per_page))
    if query.page > pages:
        raise InputError(f"patient list: page={query.page} is after the last page ({pages}) "
                         f"of the {len(chosen)} patient(s) that match")
    start = (query.page - 1) * per_page
    shown = chosen.iloc[start:start + per_page]
    return ListPage(shown.to_dict("records"), len(rows), len(chosen), query.page, pages,
                    start + 1 if len(shown) else 0, start + len(shown), query,
                    tuple(dict.fromkeys(rows["DOSE"])), tuple(sorted(set(rows["PART"]))))


def list_csv(rows: pd.DataFrame) -> str:
    """The list as CSV (RFC 4180) with the headings the page shows.

    Parameters
    ----------
    rows : pandas.DataFrame
        The rows to write (e.g. :func:`select`'s).

    Returns
    -------
    str

    Examples
    --------
    >>> text = list_csv(pd.DataFrame({"USUBJID": ["P1"], "DOSE": ["DL1"], "PART": ["Sentinel"],
    ...                               "COHORT": [""], "INFUSION": [""], "STATUS": ["Infused"]}))
    >>> text.splitlines()
    ['Patient,Dose level,Study part,Cohort,CAR-T infusion,Status', 'P1,DL1,Sentinel,,,Infused']
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([heading for _, heading in COLUMNS.values()])
    w.writerows(rows[[column for column, _ in COLUMNS.values()]].itertuples(index=False))
    return buf.getvalue()
