"""The committee's per-patient DLT adjudication: stored, audited, and used by the design.

Each adjudication confirms or overrides the safety engine's DLT call for one escalation patient,
with a required rationale. It is dated by the data cut-off it was made on (``ADJ_DATE``), so that
``cartrial decide --as-of`` on that cut-off or later reproduces the recommendation the committee
saw, and an earlier cut-off does not see it (:mod:`cartrial.conduct.adjudication`).
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from cartrial.committee.adjudication_rows import (
    adjudication_table,
    decide_adjudicated,
)
from cartrial.committee.records import CAN_DECIDE, write_transaction
from cartrial.committee.snapshot import SnapshotStatus
from cartrial.committee.store import DltAdjudication, Store, User, _now, append_audit
from cartrial.committee.workspace import Workspace, next_cohort_paths
from cartrial.errors import InputError

CALLS = ("yes", "no")
_CACHE: dict[tuple[int, tuple[tuple[str, ...], ...]], tuple[Workspace, Workspace]] = {}
_CACHE_LOCK = threading.Lock()


def record_adjudication(store: Store, user: User, w: Workspace, usubjid: str, dlt: str,
                        rationale: str) -> DltAdjudication:
    """Record the committee's DLT call for one escalation patient (audited).

    Parameters
    ----------
    store : Store
    user : User
        A statistician or committee member.
    w : Workspace
        The current validated snapshot (the patient must be one of its escalation patients).
    usubjid : str
    dlt : str
        ``yes`` (a DLT) or ``no`` (not a DLT).
    rationale : str
        Why (required).

    Returns
    -------
    DltAdjudication

    Raises
    ------
    PermissionError
        A viewer.
    InputError
        Unknown patient, a call other than yes/no, or an empty rationale.

    References
    ----------
    US FDA, Guidance for Clinical Trial Sponsors: Establishment and Operation of Clinical Trial
    Data Monitoring Committees, 2006, section 4.3 (the committee's judgement recorded with its
    reasons).

    Examples
    --------
    >>> record_adjudication(store, user, ws, "CT071-001-001", "yes", "grade 4 ...")
    ... # doctest: +SKIP
    """
    if user.role not in CAN_DECIDE:
        raise PermissionError(f"user {user.username!r} ({user.role}) may not adjudicate")
    p = w.decision.patients
    row = p[p["USUBJID"].astype(str) == usubjid]
    if row.empty:
        raise InputError(f"DLT adjudication USUBJID={usubjid!r}: not an escalation patient "
                         f"infused by the data cut-off {w.as_of}")
    if dlt not in CALLS:
        raise InputError(f"DLT adjudication USUBJID={usubjid}: the call must be yes or no, "
                         f"got {dlt!r}")
    if not rationale.strip():
        raise InputError(f"DLT adjudication USUBJID={usubjid}: a rationale is required")
    engine = str(row["ENGINE_DLT"].iloc[0] if "ENGINE_DLT" in row else row["DLT"].iloc[0])

    def op(s: Session) -> DltAdjudication:
        a = DltAdjudication(created_at=_now(), recorded_by=user.username, usubjid=usubjid,
                            engine_call=engine, dlt=dlt, rationale=rationale.strip(),
                            adj_date=w.as_of, data_hash=w.data_hash)
        s.add(a)
        s.flush()
        append_audit(s, actor=user.username, action="adjudicate DLT", obj=a, key=store.key)
        return a

    return write_transaction(store, op)


def list_adjudications(store: Store) -> list[DltAdjudication]:
    """Every adjudication, oldest first (a later one for the same patient supersedes)."""
    with Session(store.engine, expire_on_commit=False) as s:
        return list(s.execute(select(DltAdjudication).order_by(DltAdjudication.id)).scalars())


def adjudication_frame(store: Store) -> pd.DataFrame:
    """The adjudications as ``cartrial.conduct.decide_study`` takes them: ``USUBJID``, ``DLT``,
    ``RATIONALE``, ``ADJ_DATE`` (in recording order).

    Parameters
    ----------
    store : Store
        The open record.

    Returns
    -------
    pandas.DataFrame
        One row per adjudication, oldest first (a later one for a patient supersedes);
        ``ADJ_DATE`` as ISO 8601 text; empty with these columns when there is none.

    Examples
    --------
    >>> from cartrial.committee import open_store
    >>> adjudication_frame(open_store("sqlite://", anchor=None)).columns.tolist()
    ['USUBJID', 'DLT', 'RATIONALE', 'ADJ_DATE']
    """
    return adjudication_rows(list_adjudications(store))


def adjudication_rows(adjudications: list[DltAdjudication]) -> pd.DataFrame:
    """Adjudications as read from the record, as the frame :func:`adjudication_frame` returns.

    Parameters
    ----------
    adjudications : list of DltAdjudication
        Oldest first.

    Returns
    -------
    pandas.DataFrame
        ``USUBJID``, ``DLT``, ``RATIONALE``, ``ADJ_DATE`` (ISO 8601 text), one row each.

    Examples
    --------
    >>> adjudication_rows([]).columns.tolist()
    ['USUBJID', 'DLT', 'RATIONALE', 'ADJ_DATE']
    """
    return adjudication_table((a.usubjid, a.dlt, a.rationale, a.adj_date.isoformat())
                              for a in adjudications)


def adjudicated(w: Workspace, store: Store,
                adjudications: list[DltAdjudication] | None = None) -> Workspace:
    """The workspace with the committee's adjudications applied to the design's input (its
    recommendation, per-dose table and dose-transition paths recomputed; cached per snapshot
    and set of adjudications). ``adjudications``: as already read from ``store`` (default:
    read now).

    Raises
    ------
    InputError
        An adjudication that no longer fits the data (e.g. its patient left the escalation).
    """
    from cartrial.committee.first_build import adjudicated_at_start

    if adjudications is None:
        adjudications = list_adjudications(store)
    if not adjudications:  # the common case: no frame to build on every request
        return w
    frame = adjudication_rows(adjudications)
    key = (id(w), tuple(map(tuple, frame.itertuples(index=False))))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is w:
            return hit[1]
    # at start-up `cartrial serve` computed them in a forked child (committee.first_build)
    result = adjudicated_at_start(w.study_domains, w.as_of, key[1]) or decide_adjudicated(
        w.study, w.protocol, w.as_of, frame)
    result = replace(result, data_hash=w.data_hash)
    out = replace(w, decision=result, paths=next_cohort_paths(w.protocol, result))
    with _CACHE_LOCK:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = (w, out)
    return out


def adjudicated_snapshot(snap: SnapshotStatus, store: Store,
                         adjudications: list[DltAdjudication] | None = None) -> SnapshotStatus:
    """The snapshot with adjudications applied (``adjudications`` as already read from
    ``store``; default: read now); when they no longer fit the data, the engine's picture stays
    and every page says why (no decision can be recorded until resolved)."""
    if snap.ws is None:
        return snap
    try:
        return replace(snap, ws=adjudicated(snap.ws, store, adjudications))
    except InputError as exc:
        return replace(snap, state="invalid", message="The committee's DLT adjudications "
                       f"cannot be applied to this data: {exc}", findings=())
