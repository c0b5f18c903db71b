"""Verifying the committee's audit chain, and re-anchoring it as an audited act.

``verify_audit`` only reads: it never writes the anchor. ``anchor_chain`` (``cartrial audit
anchor``) is the one way, besides an ordinary write, to move the anchor: it checks the chain,
appends an audit entry saying who re-anchored, when, why and from which head, and then pins
the new head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cartrial.committee.chain import GENESIS, canonical, entry_hash
from cartrial.committee.store import (
    AuditEntry,
    DecisionRecord,
    Store,
    User,
    append_audit,
    row_payload,
)
from cartrial.errors import InputError


@dataclass(frozen=True)
class AuditReport:
    """Result of verifying the audit chain: ok, entries checked, problems and warnings.

    ``problems`` make ``ok`` false (tampering, or a lost anchor); ``warnings`` do not (an
    anchor lagging the chain after a crash between a write and its anchor update).

    Attributes
    ----------
    ok : bool
        No problem found.
    entries : int
        Audit entries checked.
    problems, warnings : tuple of str
        What breaks the chain; what does not but deserves a look.

    Examples
    --------
    >>> from cartrial.committee import open_store, verify_audit
    >>> verify_audit(open_store("sqlite://", anchor=None))
    AuditReport(ok=True, entries=0, problems=(), warnings=())
    """

    ok: bool
    entries: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def _chain_problems(entries: list[AuditEntry], key: bytes | None) -> list[str]:
    problems: list[str] = []
    prev = GENESIS
    for i, e in enumerate(entries, start=1):
        if e.seq != i:
            problems.append(f"audit entry {i} is missing (found seq {e.seq} next)")
        if e.prev_hash != prev:
            problems.append(f"audit entry {e.seq}: link to the previous entry is broken")
        want = entry_hash(key, seq=e.seq, created_at=e.created_at, actor=e.actor,
                          action=e.action, table_name=e.table_name, row_id=e.row_id,
                          payload=e.payload, prev_hash=e.prev_hash)
        if want != e.hash:
            problems.append(f"audit entry {e.seq}: content does not match its hash (edited "
                            "actor, time, action or payload, or forged without the key)")
        prev = e.hash
    return problems


def _row_problems(s: Session, entries: list[AuditEntry]) -> list[str]:
    problems: list[str] = []
    audited = {(e.table_name, e.row_id): e.payload for e in entries}
    for model in (User, DecisionRecord):
        seen = set()
        for r in s.execute(select(model)).scalars():
            k = (model.__tablename__, int(r.id))
            seen.add(k)
            if k not in audited:
                problems.append(f"{k[0]} row {k[1]} was never audited (inserted directly)")
            elif canonical(row_payload(r)) != audited[k]:
                problems.append(f"{k[0]} row {k[1]} differs from its audited content "
                                "(edited directly in the database)")
        for k in audited:
            if k[0] == model.__tablename__ and k not in seen:
                problems.append(f"{k[0]} row {k[1]} is audited but missing (deleted)")
    return problems


def _anchor_findings(store: Store, entries: list[AuditEntry]) -> tuple[list[str], list[str]]:
    if store.anchor is None:
        return [], []
    head = store.read_anchor()
    last_seq = entries[-1].seq if entries else 0
    if head is None:
        if not entries:
            return [], []
        return [f"the anchor file {store.anchor} is missing while the chain has {last_seq} "
                "entries: removal of the latest entries can no longer be ruled out (restore "
                "it from a backup or printed minutes, or re-anchor with `cartrial audit "
                "anchor` after checking the chain against them)"], []
    if head["seq"] < 0:
        return [f"the anchor file {store.anchor} is unreadable"], []
    by_seq = {e.seq: e.hash for e in entries}
    anchored = GENESIS if head["seq"] == 0 else by_seq.get(head["seq"])
    if head["seq"] > last_seq:
        return [f"the chain ends at entry {last_seq} but its anchor records entry "
                f"{head['seq']} (latest entries removed)"], []
    if anchored != head["hash"]:
        return [f"audit entry {head['seq']} differs from the anchored hash "
                "(entries replaced)"], []
    if head["seq"] < last_seq:
        return [], [f"the anchor pins entry {head['seq']} of {last_seq}: entries after it are "
                    "not pinned (a crash between a write and its anchor update); check them "
                    "and run `cartrial audit anchor`"]
    return [], []


def verify_audit(store: Store) -> AuditReport:
    """Recompute the chain and compare every audited row with the database (read-only).

    Parameters
    ----------
    store : Store
        The open database, its anchor file and audit key.

    Returns
    -------
    AuditReport
        Detects an edited audit entry (any column: actor, time, action, table, row, payload,
        link; hash mismatch), a deleted or inserted entry (sequence gap or broken link), an
        edited or deleted user or decision row, rows never audited, the latest entries removed
        (anchor ahead of the chain or different from it) and a missing anchor file. With an
        audit key, a chain recomputed without the key fails every entry.

    Examples
    --------
    >>> from cartrial.committee import open_store
    >>> verify_audit(open_store("sqlite://")).ok
    True
    """
    with Session(store.engine) as s:
        entries = list(s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
        problems = _chain_problems(entries, store.key) + _row_problems(s, entries)
    anchor_problems, warnings = _anchor_findings(store, entries)
    problems += anchor_problems
    return AuditReport(not problems, len(entries), tuple(problems), tuple(warnings))


def anchor_chain(store: Store, *, actor: str, reason: str) -> dict[str, Any]:
    """Re-anchor the chain at its head, as an audited act (``cartrial audit anchor``).

    The chain itself must verify (every problem other than the anchor's own); the act is
    appended to the chain (action ``re-anchor``, payload: the previous anchor and the reason)
    and the anchor then pins that new entry.

    Parameters
    ----------
    store : Store
    actor : str
        Who re-anchors (recorded).
    reason : str
        Why (recorded; required).

    Returns
    -------
    dict
        The new anchor ``{"seq", "hash"}``.

    Raises
    ------
    InputError
        No reason given, no anchor file configured, or the chain has problems.

    Examples
    --------
    >>> from cartrial.committee import open_store
    >>> anchor_chain(open_store("sqlite://"), actor="x", reason="y")
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: this database has no anchor file (give one to open_store)
    """
    from cartrial.committee.records import write_transaction

    if store.anchor is None:
        raise InputError("this database has no anchor file (give one to open_store)")
    if not reason.strip() or not actor.strip():
        raise InputError("re-anchoring needs an actor and a reason (both are recorded)")
    with Session(store.engine) as s:
        entries = list(s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
        problems = _chain_problems(entries, store.key) + _row_problems(s, entries)
    if problems:
        raise InputError("the audit chain does not verify; it is not re-anchored: "
                         + "; ".join(problems))
    before = store.read_anchor()
    payload = {"previous_anchor": before if before is not None else "missing",
               "chain_head": entries[-1].seq if entries else 0, "reason": reason.strip()}

    def op(s: Session) -> None:
        append_audit(s, actor=actor.strip(), action="re-anchor", table="audit",
                     row_id=payload["chain_head"], payload=payload, key=store.key)

    write_transaction(store, op)
    return store.read_anchor() or {}
