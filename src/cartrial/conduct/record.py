"""The committee's own record of its decisions, read from the workspace database, with the
design's re-derived recommendation beside each decision and every disagreement flagged.

The database is the one ``cartrial serve`` writes (``cartrial.committee.store``): table
``decisions`` (meeting date, data cut-off ``as_of``, attendees, the design's recommendation at
the time as JSON, the decision taken, ``accepted``, rationale, ``corrects_id``) and, when the
workspace has them, ``signatures`` (printed name, date and time, meaning; 21 CFR 11.50) and
``design_exceptions`` (the design rules an override departed from). Tables are read through
SQLAlchemy reflection, read-only: a column or table this version does not know is ignored, one
it needs and does not find is an ``InputError``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd

from cartrial.data import Study
from cartrial.errors import InputError
from cartrial.protocol import Protocol

BASIS = "committee record"
RECORD_COLUMNS = ["record", "meeting_date", "data_cutoff", "recorded_by", "attendees",
                  "signatures", "recommended_action", "recommended_next_dose",
                  "recommended_rule", "action", "next_dose", "accepted", "rationale",
                  "exceptions", "corrects", "corrected_by"]
_NEEDED = ("id", "meeting_date", "attendees", "accepted", "action", "next_dose", "rationale",
           "recommendation", "as_of", "corrects_id")


def _rows(conn, meta, name: str, order: str) -> list[dict]:  # noqa: ANN001
    from sqlalchemy import Table, select

    t = Table(name, meta, autoload_with=conn)
    return [dict(r) for r in conn.execute(select(t).order_by(t.c[order])).mappings()]


def _read(url: str) -> tuple[list[dict], list[dict], list[dict]]:
    """(decisions, signatures, design exceptions) rows of the database at ``url``."""
    from sqlalchemy import MetaData, create_engine, inspect
    from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

    try:
        engine = create_engine(url, future=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise InputError(f"--db {url!r}: not a database URL ({exc})") from None
    db = engine.url.database
    if engine.dialect.name == "sqlite" and db not in (None, "", ":memory:") and not Path(
            db).is_file():  # never create an empty database by reading
        raise InputError(f"--db {url!r}: no database file {db}")
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if "decisions" not in names:
                raise InputError(f"--db {url!r}: no committee record (table 'decisions' "
                                 "missing; it is written by `cartrial serve`)")
            meta = MetaData()
            dec = _rows(conn, meta, "decisions", "id")
            sig = _rows(conn, meta, "signatures", "id") if "signatures" in names else []
            exc = (_rows(conn, meta, "design_exceptions", "id")
                   if "design_exceptions" in names else [])
    except (OperationalError, DatabaseError) as e:
        raise InputError(f"--db {url!r}: cannot read the committee record: "
                         f"{str(e.orig).splitlines()[0]}") from None
    finally:
        engine.dispose()
    if dec:
        missing = [c for c in _NEEDED if c not in dec[0]]
        if missing:
            raise InputError(f"--db {url!r}: table 'decisions' lacks columns {missing}")
    return dec, sig, exc


def _recommended(r: dict) -> dict:
    try:
        rec = json.loads(r["recommendation"] or "{}")
    except (TypeError, json.JSONDecodeError):
        raise InputError(f"committee record decision {r['id']}: recommendation is not JSON "
                         f"({str(r['recommendation'])[:40]!r})") from None
    return rec if isinstance(rec, dict) else {}


def _attendees(r: dict) -> str:
    try:
        a = json.loads(r["attendees"] or "[]")
    except (TypeError, json.JSONDecodeError):
        return str(r["attendees"])
    return ", ".join(str(x) for x in a) if isinstance(a, list) else str(a)


def _signatures(sig: list[dict]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for s in sig:
        when = s.get("signed_at")
        when = when.strftime("%Y-%m-%d %H:%M UTC") if hasattr(when, "strftime") else str(when)
        name = s.get("printed_name") or s.get("signer") or ""
        out.setdefault(s.get("decision_id"), []).append(
            f"{name} ({s.get('meaning') or 'signed'}, {when})")
    return {k: "; ".join(v) for k, v in out.items()}


def committee_record(url: str) -> pd.DataFrame:
    """Every decision the committee recorded in its workspace database, oldest first.

    Parameters
    ----------
    url : str
        SQLAlchemy URL of the workspace database (``sqlite:///committee.sqlite``).

    Returns
    -------
    pandas.DataFrame
        ``RECORD_COLUMNS``: record id, meeting date, data cut-off, who recorded it, attendees,
        signatures (empty when the database keeps none), the design's recommendation at the
        time (action, next dose, rule), the decision taken, ``accepted`` (False: an override),
        rationale, the design rules an override departed from, the record it corrects and the
        record that corrects it.

    Raises
    ------
    InputError
        The URL cannot be opened, is a SQLite file that does not exist, or holds no
        ``decisions`` table (or one without the columns above).

    Examples
    --------
    >>> committee_record("sqlite:///committee.sqlite")  # doctest: +SKIP
    """
    dec, sig, exc = _read(url)
    signed = _signatures(sig)
    excepted: dict[int, list[str]] = {}
    for e in exc:
        excepted.setdefault(e.get("decision_id"), []).append(str(e.get("rule", "")))
    corrected_by = {r["corrects_id"]: r["id"] for r in dec if r["corrects_id"] is not None}
    rows = []
    for r in dec:
        rec = _recommended(r)
        rows.append({
            "record": int(r["id"]), "meeting_date": _iso(r["meeting_date"]),
            "data_cutoff": _iso(r["as_of"] or r["meeting_date"]),
            "recorded_by": r.get("recorded_by", ""), "attendees": _attendees(r),
            "signatures": signed.get(r["id"], ""),
            "recommended_action": str(rec.get("action") or ""),
            "recommended_next_dose": str(rec.get("next_dose") or ""),
            "recommended_rule": str(rec.get("rule") or ""),
            "action": str(r["action"]), "next_dose": str(r["next_dose"] or ""),
            "accepted": bool(r["accepted"]), "rationale": str(r["rationale"] or ""),
            "exceptions": ", ".join(excepted.get(r["id"], [])),
            "corrects": "" if r["corrects_id"] is None else str(r["corrects_id"]),
            "corrected_by": str(corrected_by.get(r["id"], "")),
        })
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def _iso(v: object) -> str:
    return v.isoformat()[:10] if hasattr(v, "isoformat") else str(v)[:10]


def _flags(r: pd.Series) -> str:
    rec = (r["recommended_action"], r["recommended_next_dose"])
    took = (r["action"], r["next_dose"])
    red = (r["rederived_action"], r["rederived_next_dose"])
    out = []
    if not r["accepted"] or took != rec:
        out.append("override: the decision differs from the recommendation at the time")
    if red != rec:
        out.append("the re-derived recommendation differs from the recommendation at the time")
    if red != took:
        out.append("the decision differs from the re-derived recommendation")
    if r["corrects"]:
        out.append(f"corrects record {r['corrects']}")
    if r["corrected_by"]:
        out.append(f"corrected by record {r['corrected_by']}")
    return "; ".join(out)


def escalation_record(study: Study, protocol: Protocol, url: str, *,
                      until: date | str | None = None) -> pd.DataFrame:
    """The committee's record (:func:`committee_record`) with the design's re-derived
    recommendation at each record's data cut-off beside it and every disagreement flagged.

    Parameters
    ----------
    study : Study
        The study (validated), as now: the re-derivation reads the data known at each cut-off.
    protocol : Protocol
        The protocol the trial is conducted with.
    url : str
        SQLAlchemy URL of the workspace database.
    until : date or str, optional
        Only the records of meetings held on or before this date (a report at a cut-off).

    Returns
    -------
    pandas.DataFrame
        ``RECORD_COLUMNS`` plus ``rederived_action``, ``rederived_next_dose``,
        ``rederived_reason`` (``conduct.decisions_on`` at the record's cut-off), ``flags``
        (every disagreement and correction, "; "-separated; empty when the recommendation at
        the time, the decision and the re-derivation agree) and ``basis``
        (``"committee record"``). Empty (with these columns) when nothing was recorded.

    Raises
    ------
    InputError
        The database cannot be read (:func:`committee_record`) or the data not used.

    Examples
    --------
    >>> escalation_record(study, protocol, "sqlite:///committee.sqlite")  # doctest: +SKIP
    """
    from cartrial.conduct.history import decisions_on

    rec = committee_record(url)
    if until is not None:
        rec = rec[rec["meeting_date"] <= pd.Timestamp(until).date().isoformat()]
        rec = rec.reset_index(drop=True)
    extra = ["rederived_action", "rederived_next_dose", "rederived_reason", "flags", "basis"]
    if rec.empty:
        return pd.DataFrame(columns=RECORD_COLUMNS + extra)
    dates = sorted(set(rec["data_cutoff"]))
    red = decisions_on(study, protocol, dates).set_index("date")
    rec["rederived_action"] = rec["data_cutoff"].map(red["action"])
    rec["rederived_next_dose"] = rec["data_cutoff"].map(red["next_dose"]).fillna("")
    rec["rederived_reason"] = rec["data_cutoff"].map(red["reason"])
    rec["flags"] = rec.apply(_flags, axis=1) if len(rec) else ""
    rec["basis"] = BASIS
    return rec
