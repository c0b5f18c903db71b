"""The committee's recorded DLT adjudications as the design takes them, and the decisions with
them applied, without the web stack or the database layer.

``cartrial serve`` computes the decisions the first page shows in a forked child
(:mod:`cartrial.committee.first_build`). When the committee's database is a SQLite file, the
adjudications it holds are read here with the standard library's ``sqlite3`` before the server
forks (a few milliseconds; the file is opened without creating it and only read: it is left as
it was, no ``-wal`` or ``-shm`` file behind), so that the child computes the decisions with them
applied without first importing SQLAlchemy and the committee's record (about half a second of
its processor time, on the way to the first page). What is read here is only a proposal: the
server reads the adjudications through its record (:mod:`cartrial.committee.adjudication`) and
takes the child's decisions only when it read the very same rows; else it computes them itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from cartrial.conduct import StudyDecision
    from cartrial.data import Study
    from cartrial.protocol import Protocol

#: what is read of ``DltAdjudication`` (:mod:`cartrial.committee.store`), in its order
TABLE, COLUMNS = "dlt_adjudications", ("usubjid", "dlt", "rationale", "adj_date")


def adjudication_table(rows: Iterable[tuple[str, str, str, str]]) -> pd.DataFrame:
    """The adjudications as ``cartrial.conduct.decide_study`` takes them.

    Parameters
    ----------
    rows : iterable of tuple
        ``(USUBJID, DLT, RATIONALE, ADJ_DATE)`` per adjudication, oldest first, ``ADJ_DATE``
        as ISO 8601 text.

    Returns
    -------
    pandas.DataFrame
        Columns ``USUBJID``, ``DLT``, ``RATIONALE``, ``ADJ_DATE``; one row each.

    Examples
    --------
    >>> adjudication_table([("S1", "yes", "grade 4", "2024-03-01")]).iloc[0].tolist()
    ['S1', 'yes', 'grade 4', '2024-03-01']
    """
    import pandas as pd

    from cartrial.conduct.adjudication import ADJUDICATION_COLUMNS

    return pd.DataFrame(list(rows), columns=list(ADJUDICATION_COLUMNS))


def decide_adjudicated(study: Study, protocol: Protocol, as_of: date,
                       frame: pd.DataFrame) -> StudyDecision:
    """The decisions on the study at ``as_of`` with the committee's adjudications applied
    (:func:`cartrial.conduct.decide_study`): one rule for the server and its start-up child.

    ``study`` is the workspace's study as read (``Workspace.study``): the escalation history
    the decisions stand on does not depend on the adjudications (``decide_study`` re-derives it
    from the data), so the history the engine's decisions derived in this process is read from
    :func:`cartrial.conduct.escalation_history`'s cache (keyed by the files read) instead of
    being derived a second time.

    Parameters
    ----------
    study : Study
        The study (``Workspace.study``).
    protocol : Protocol
        The protocol.
    as_of : datetime.date
        The data cut-off.
    frame : pandas.DataFrame
        The adjudications (:func:`adjudication_table`).

    Returns
    -------
    StudyDecision

    Raises
    ------
    InputError
        An adjudication that does not fit the data.

    Examples
    --------
    >>> decide_adjudicated(ws.study, ws.protocol, ws.as_of, frame)  # doctest: +SKIP
    """
    from cartrial.conduct import decide_study

    return decide_study(study, protocol, as_of, adjudications=frame)


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (``sqlite:///path``, as SQLAlchemy reads it), without
    importing SQLAlchemy; None for an in-memory database or another kind of database.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL.

    Returns
    -------
    str or None

    Examples
    --------
    >>> sqlite_file("sqlite:////srv/trial/committee.sqlite")
    '/srv/trial/committee.sqlite'
    >>> sqlite_file("sqlite://") is None, sqlite_file("postgresql://u@h/db") is None
    (True, True)
    """
    from urllib.parse import unquote

    if not url.startswith("sqlite") or "///" not in url:
        return None
    path = unquote(url.split("///", 1)[1].split("?", 1)[0])
    return path if path and path != ":memory:" else None


def read_sqlite(url: str) -> tuple[tuple[str, str, str, str], ...] | None:
    """The adjudications a SQLite committee database holds, oldest first (only read; a file
    that does not exist is not created).

    Parameters
    ----------
    url : str
        The committee database's SQLAlchemy URL.

    Returns
    -------
    tuple of tuple or None
        ``(USUBJID, DLT, RATIONALE, ADJ_DATE)`` per adjudication (``()``: none recorded, or
        no table yet); None when the URL is not a SQLite file that exists or it cannot be read
        (nothing is created or written).

    Examples
    --------
    >>> read_sqlite("sqlite:////no/such/committee.sqlite") is None
    True
    """
    import sqlite3
    from urllib.parse import quote

    path = sqlite_file(url)
    if path is None or not Path(path).is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=rw", uri=True,
                              timeout=1.0)
    except sqlite3.Error:
        return None
    try:
        if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (TABLE,)).fetchone() is None:
            return ()
        found = con.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY id").fetchall()
    except sqlite3.Error:
        return None
    finally:
        con.close()
    if not all(isinstance(v, str) for r in found for v in r):
        return None  # not as the record writes them: the server reads them itself
    return tuple(found)
