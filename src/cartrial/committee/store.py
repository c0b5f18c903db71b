"""The committee's record: users, decisions and a hash-chained audit trail (SQLAlchemy).

Append-only by construction: the ORM refuses updates and deletes of decisions and audit
entries, and the database refuses them too (triggers on SQLite and PostgreSQL). A correction is
a new decision that references the one it corrects. Every write appends an audit entry whose
hash covers the previous entry's hash and the canonical JSON of what was written, so an edited,
inserted or deleted row breaks the chain (``verify_audit``).
"""

from __future__ import annotations

import hashlib
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
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from cartrial.errors import InputError

GENESIS = "0" * 64
ROLES = ("statistician", "member", "viewer")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class DecisionRecord(Base):
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


_APPEND_ONLY = (DecisionRecord, AuditEntry)


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
    """An open committee database and the anchor file that pins the head of its audit chain.

    A hash chain alone cannot show that its latest entries were removed; the anchor (the last
    sequence number and hash, rewritten after every commit; for SQLite ``<db>.anchor`` beside
    the file) can. Minutes print the same head, so a printed copy anchors it too.
    """

    engine: Engine
    anchor: Path | None

    def write_anchor(self) -> None:
        if self.anchor is None:
            return
        with Session(self.engine) as s:
            last = s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar()
        data = {"seq": 0, "hash": GENESIS} if last is None else {"seq": last.seq,
                                                                  "hash": last.hash}
        tmp = self.anchor.with_suffix(self.anchor.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.anchor)

    def read_anchor(self) -> dict[str, Any] | None:
        if self.anchor is None or not self.anchor.exists():
            return None
        return json.loads(self.anchor.read_text(encoding="utf-8"))


def open_store(url: str, anchor: str | Path | None = "auto") -> Store:
    """Open (and create if needed) the committee database at a SQLAlchemy URL.

    SQLite (``sqlite:///path/committee.sqlite``) is the embedded default; PostgreSQL works
    through the same scheme (``postgresql+psycopg://user@host/db``, driver installed separately).
    ``anchor="auto"`` puts the chain anchor beside a SQLite file (none for other databases
    unless a path is given).
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
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        for stmt in _TRIGGERS.get(engine.dialect.name, []):
            for t in ("decisions", "audit"):
                conn.execute(text(stmt.format(t=t)))
    if anchor == "auto":
        db = engine.url.database
        anchor = Path(db + ".anchor") if engine.dialect.name == "sqlite" and db and (
            db != ":memory:") else None
    store = Store(engine, Path(anchor) if anchor is not None else None)
    if store.anchor is not None and not store.anchor.exists():
        store.write_anchor()
    elif store.anchor is not None and verify_audit(store).ok:
        store.write_anchor()  # catch up after a crash between a commit and its anchor write
    return store


def canonical(payload: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys, no spaces, ISO dates) that the hashes are computed over."""
    def conv(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        return v
    return json.dumps({k: conv(v) for k, v in payload.items()}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True)


def entry_hash(prev_hash: str, seq: int, action: str, table: str, row_id: int,
               payload: str) -> str:
    h = hashlib.sha256()
    h.update(f"{prev_hash}|{seq}|{action}|{table}|{row_id}|{payload}".encode())
    return h.hexdigest()


def row_payload(obj: Base) -> dict[str, Any]:
    """The row as a plain mapping (every column), which the audit entry hashes."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def append_audit(session: Session, *, actor: str, action: str, obj: Base) -> AuditEntry:
    """Append the audit entry for ``obj`` (already flushed, so it has its id) to the chain."""
    last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    payload = canonical(row_payload(obj))
    table = obj.__tablename__
    row_id = int(obj.id)
    entry = AuditEntry(seq=seq, created_at=_now(), actor=actor, action=action, table_name=table,
                       row_id=row_id, payload=payload, prev_hash=prev,
                       hash=entry_hash(prev, seq, action, table, row_id, payload))
    session.add(entry)
    return entry


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class AuditReport:
    """Result of verifying the audit chain: ok, entries checked, and every problem found."""

    ok: bool
    entries: int
    problems: tuple[str, ...]


def verify_audit(store: Store) -> AuditReport:
    """Recompute the chain and compare every audited row with the database.

    Detects: an edited audit entry (hash mismatch), a deleted or inserted entry (sequence gap or
    broken link), an edited or deleted user or decision row (its current content differs from
    the audited payload, or it is gone), and rows that were never audited.
    """
    problems: list[str] = []
    with Session(store.engine) as s:
        entries = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        prev = GENESIS
        audited: dict[tuple[str, int], str] = {}
        for i, e in enumerate(entries, start=1):
            if e.seq != i:
                problems.append(f"audit entry {i} is missing (found seq {e.seq} next)")
            if e.prev_hash != prev:
                problems.append(f"audit entry {e.seq}: link to the previous entry is broken")
            want = entry_hash(e.prev_hash, e.seq, e.action, e.table_name, e.row_id, e.payload)
            if want != e.hash:
                problems.append(f"audit entry {e.seq}: content does not match its hash (edited)")
            prev = e.hash
            audited[(e.table_name, e.row_id)] = e.payload
        for model in (User, DecisionRecord):
            rows = s.execute(select(model)).scalars().all()
            seen = set()
            for r in rows:
                key = (model.__tablename__, int(r.id))
                seen.add(key)
                if key not in audited:
                    problems.append(f"{key[0]} row {key[1]} was never audited (inserted directly)")
                elif canonical(row_payload(r)) != audited[key]:
                    problems.append(f"{key[0]} row {key[1]} differs from its audited content "
                                    "(edited directly in the database)")
            for key in audited:
                if key[0] == model.__tablename__ and key not in seen:
                    problems.append(f"{key[0]} row {key[1]} is audited but missing (deleted)")
        head = store.read_anchor()
        if head is not None:
            # The anchor is rewritten just after each commit, so after a crash it may lag the
            # chain; it must never be ahead of it, nor disagree with the entry it names.
            last_seq = entries[-1].seq if entries else 0
            by_seq = {e.seq: e.hash for e in entries}
            anchored = GENESIS if head["seq"] == 0 else by_seq.get(head["seq"])
            if head["seq"] > last_seq:
                problems.append(f"the chain ends at entry {last_seq} but its anchor records entry "
                                f"{head['seq']} (latest entries removed)")
            elif anchored != head["hash"]:
                problems.append(f"audit entry {head['seq']} differs from the anchored hash "
                                "(entries replaced)")
    return AuditReport(not problems, len(entries), tuple(problems))
