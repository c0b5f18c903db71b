"""The committee's record: users, decisions and a hash-chained audit trail (SQLAlchemy).

Append-only by construction: the ORM refuses updates and deletes of decisions and audit
entries, and the database refuses them too (triggers on SQLite and PostgreSQL). A correction is
a new decision that references the one it corrects. Every write appends an audit entry whose
hash covers every column of the entry (see :mod:`cartrial.committee.chain`), so an edited,
inserted or deleted row breaks the chain (:func:`cartrial.committee.audit.verify_audit`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from cartrial.committee.chain import CHAIN_FORMAT, GENESIS, canonical, entry_hash
from cartrial.errors import InputError

ROLES = ("statistician", "member", "viewer", "admin")


class Base(DeclarativeBase):
    pass


class User(Base):
    """A committee user (table ``users``); made by :func:`cartrial.committee.add_user`.

    Attributes
    ----------
    username, full_name : str
        Login name (unique) and the name printed in minutes and signatures.
    role : str
        One of :data:`ROLES`; statisticians and members record decisions.
    password_hash : str
        argon2id hash (:func:`cartrial.committee.hash_password`), never the password.

    Examples
    --------
    >>> User(username="ada", role="member").role in ROLES
    True
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class DecisionRecord(Base):
    """A committee decision (table ``decisions``, append-only); made by
    :func:`cartrial.committee.record_decision`, which documents each field.

    Attributes
    ----------
    meeting_date, as_of : datetime.date
        The meeting and the data cut-off the committee saw.
    accepted, action, next_dose, rationale : bool, str, str or None, str
        The design's recommendation accepted or overridden, what was decided and why.
    recommendation, attendees : str
        JSON of the design's recommendation and of the attendees' names.
    data_hash, protocol_hash : str
        SHA-256 of the data and the protocol shown; ``corrects_id`` the record corrected.

    Examples
    --------
    >>> DecisionRecord(action="escalate", next_dose="DL2", accepted=True).next_dose
    'DL2'
    """

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    meeting_date: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64), nullable=False)
    attendees: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list
    accepted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    next_dose: Mapped[str | None] = mapped_column(String(20), nullable=True)
    rationale: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recommendation: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of the design's
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    data_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    protocol_id: Mapped[str] = mapped_column(String(64), nullable=False)
    protocol_version: Mapped[str] = mapped_column(String(32), nullable=False)
    protocol_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    cartrial_version: Mapped[str] = mapped_column(String(32), nullable=False)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)


class AuditEntry(Base):
    __tablename__ = "audit"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    table_name: Mapped[str] = mapped_column(String(40), nullable=False)
    row_id: Mapped[int] = mapped_column(Integer, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # canonical JSON of the row
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class DltAdjudication(Base):
    """The committee's call on one patient's DLT (confirming or overriding the engine's)."""

    __tablename__ = "dlt_adjudications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64), nullable=False)
    usubjid: Mapped[str] = mapped_column(String(64), nullable=False)
    engine_call: Mapped[str] = mapped_column(String(20), nullable=False)  # yes / no / pending
    dlt: Mapped[str] = mapped_column(String(3), nullable=False)  # the committee's: yes / no
    rationale: Mapped[str] = mapped_column(Text, nullable=False)
    adj_date: Mapped[date] = mapped_column(Date, nullable=False)  # data cut-off it was made on
    data_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class DesignException(Base):
    """A rule of the design that a recorded decision overrode, with the rule's own words."""

    __tablename__ = "design_exceptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), nullable=False)
    rule: Mapped[str] = mapped_column(String(40), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False)


class Signature(Base):
    """An electronic signature of a decision record (21 CFR 11.50: printed name, date and time,
    meaning), linked to the signed record by the SHA-256 of its canonical content (11.70)."""

    __tablename__ = "signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), nullable=False)
    signer: Mapped[str] = mapped_column(String(64), nullable=False)
    printed_name: Mapped[str] = mapped_column(String(200), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC
    meaning: Mapped[str] = mapped_column(String(200), nullable=False)
    record_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class ChainMeta(Base):
    """Facts about the chain: its hash format and whether it is sealed with a key."""

    __tablename__ = "chain_meta"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), nullable=False)


_APPEND_ONLY = (DecisionRecord, AuditEntry, DltAdjudication, DesignException,
                Signature)
_APPEND_ONLY_TABLES = tuple(t.__tablename__ for t in _APPEND_ONLY)


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _ctx: Any, _inst: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, _APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise InputError(f"{type(obj).__tablename__} records are append-only: a correction "
                             "is a new record that references the one it corrects")


_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} "
        "BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t} "
        "BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION cartrial_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS {t}_append_only ON {t}",
        "CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION cartrial_append_only()",
    ],
}


@dataclass(frozen=True)
class Store:
    """An open committee database, the anchor file that pins the head of its audit chain, and
    the audit key (None: plain SHA-256 chain).

    A hash chain alone cannot show that its latest entries were removed; the anchor (the last
    sequence number and hash, rewritten after every write; for SQLite ``<db>.anchor`` beside
    the file) can. Minutes print the same head, so a printed copy anchors it too. Only writes
    and the audited ``cartrial audit anchor`` move the anchor; verifying never does.

    Attributes
    ----------
    engine, anchor, key : sqlalchemy.engine.Engine, pathlib.Path or None, bytes or None
        The database, the anchor file (None: no anchor) and the audit HMAC key.

    Examples
    --------
    >>> open_store("sqlite://", anchor=None).read_anchor() is None
    True
    """

    engine: Engine
    anchor: Path | None
    key: bytes | None = None

    def write_anchor(self) -> None:
        """Pin the chain's current head in the anchor file (atomic, mode 0600)."""
        if self.anchor is None:
            return
        with Session(self.engine) as s:
            last = s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar()
        data = {"seq": 0, "hash": GENESIS} if last is None else {"seq": last.seq,
                                                                  "hash": last.hash}
        tmp = self.anchor.with_suffix(self.anchor.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.anchor)

    def read_anchor(self) -> dict[str, Any] | None:
        """The anchored head ``{"seq", "hash"}``, or None when there is no anchor file."""
        if self.anchor is None or not self.anchor.exists():
            return None
        try:
            head = json.loads(self.anchor.read_text(encoding="utf-8"))
            if isinstance(head, dict) and isinstance(head.get("seq"), int) and isinstance(
                    head.get("hash"), str):
                return head
        except (OSError, ValueError):
            pass
        return {"seq": -1, "hash": "unreadable"}


def _private_sqlite_file(engine: Engine) -> None:
    """Create a new SQLite file with mode 0600 before SQLite writes anything into it (its -wal
    and -shm files take the same mode)."""
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return
    path = Path(db)
    if not path.exists() and path.parent.is_dir():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass


def open_store(url: str, anchor: str | Path | None = "auto", *,
               key: bytes | None = None) -> Store:
    """Open (and create if needed) the committee database at a SQLAlchemy URL.

    SQLite (``sqlite:///path/committee.sqlite``) is the embedded default, created with mode
    0600; PostgreSQL works through the same scheme (``postgresql+psycopg://user@host/db``,
    driver installed separately). ``anchor="auto"`` puts the chain anchor beside a SQLite file
    (none for other databases unless a path is given). ``key``: the audit HMAC key
    (:func:`cartrial.committee.chain.load_audit_key`).

    Parameters
    ----------
    url : str
        SQLAlchemy URL; ``"sqlite://"`` is an in-memory database.
    anchor, key : str, pathlib.Path or None; bytes, optional
        The anchor file, ``"auto"`` or None (no anchor); the audit HMAC key (None: plain chain).

    Returns
    -------
    Store
        The open store (tables and append-only triggers created).

    Raises
    ------
    InputError
        The URL cannot be opened, or the database holds an audit chain this version cannot
        extend (format 1, or keyed differently from ``key``).

    Examples
    --------
    >>> store = open_store("sqlite://", anchor=None)
    >>> store.engine.dialect.name, store.anchor, store.key
    ('sqlite', None, None)
    """
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # a malformed URL is bad input
        raise InputError(f"cannot open database {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")   # survives a kill mid-write
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()
        _private_sqlite_file(engine)
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as conn:
            for stmt in _TRIGGERS.get(engine.dialect.name, []):
                for t in _APPEND_ONLY_TABLES:
                    conn.execute(text(stmt.format(t=t)))
    except (OperationalError, DatabaseError) as exc:  # missing folder, no permission, not a db
        raise InputError(f"cannot open database {url!r}: {str(exc.orig).splitlines()[0]}"
                         ) from None
    _check_chain_format(engine, url, key)
    if anchor == "auto":
        db = engine.url.database
        anchor = Path(db + ".anchor") if engine.dialect.name == "sqlite" and db and (
            db != ":memory:") else None
    store = Store(engine, Path(anchor) if anchor is not None else None, key)
    if store.anchor is not None and not store.anchor.exists() and _chain_empty(engine):
        store.write_anchor()  # a new chain is anchored at genesis; a lost anchor is not redone
    return store


def _chain_empty(engine: Engine) -> bool:
    with Session(engine) as s:
        return s.execute(select(AuditEntry.seq).limit(1)).first() is None


def _check_chain_format(engine: Engine, url: str, key: bytes | None) -> None:
    """Record the format of a new chain; refuse one this version cannot extend."""
    try:
        with Session(engine) as s, s.begin():
            meta = {m.name: m.value for m in s.execute(select(ChainMeta)).scalars()}
            empty = s.execute(select(AuditEntry.seq).limit(1)).first() is None
            if not meta and empty:
                s.add(ChainMeta(name="format", value=str(CHAIN_FORMAT)))
                s.add(ChainMeta(name="keyed", value="yes" if key else "no"))
                return
    except IntegrityError:  # another process created the same new database just now
        with Session(engine) as s:
            meta = {m.name: m.value for m in s.execute(select(ChainMeta)).scalars()}
    if meta.get("format") != str(CHAIN_FORMAT):
        raise InputError(
            f"{url}: the audit chain is in format {meta.get('format', '1')} (written by an "
            f"earlier cartrial; its hashes do not cover actor and timestamp). This version "
            f"writes format {CHAIN_FORMAT} and does not extend it: verify and archive that "
            "database and its .anchor file with the cartrial that wrote them, then start a new "
            "database for the next meetings")
    if (meta.get("keyed") == "yes") != (key is not None):
        how = ("was sealed with an audit key: set CARTRIAL_AUDIT_KEY_FILE (or pass --key-file)"
               if key is None else "was started without an audit key: unset "
               "CARTRIAL_AUDIT_KEY / CARTRIAL_AUDIT_KEY_FILE, or start a new database")
        raise InputError(f"{url}: the audit chain {how}")


def row_payload(obj: Base) -> dict[str, Any]:
    """The row as a plain mapping (every column), which the audit entry hashes."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def append_audit(session: Session, *, actor: str, action: str, obj: Base | None = None,
                 table: str | None = None, row_id: int = 0,
                 payload: dict[str, Any] | None = None, key: bytes | None = None) -> AuditEntry:
    """Append an audit entry to the chain: for ``obj`` (already flushed, so it has its id), or
    for an event without a row (``table``, ``row_id``, ``payload``, e.g. re-anchoring)."""
    last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    if obj is not None:
        text_payload, table, row_id = canonical(row_payload(obj)), obj.__tablename__, int(obj.id)
    else:
        text_payload = canonical(payload or {})
    fields = dict(seq=seq, created_at=_now(), actor=actor, action=action, table_name=str(table),
                  row_id=int(row_id), payload=text_payload, prev_hash=prev)
    entry = AuditEntry(**fields, hash=entry_hash(key, **fields))
    session.add(entry)
    return entry


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
