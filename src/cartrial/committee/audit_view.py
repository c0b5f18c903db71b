"""The audit trail as people read it: who did what, when, what changed, and whether the chain
verifies; as a page and as a CSV export.

Read-only. The "before" of an entry that audits a row (a user, a decision) is the row's previous
audited content, so a change shows as the fields it changed; an event entry (lock, unlock,
disable, enable, re-anchor) shows its own ``before`` / ``after`` when it records them and its
other details. Password hashes are never shown (``(changed)``). The verification status is
:func:`cartrial.committee.audit.verify_audit`, with each problem attached to the entry it names.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cartrial.committee.audit import AuditReport, verify_audit
from cartrial.committee.store import AuditEntry, Store

SECRET_FIELDS = ("password_hash",)
CSV_COLUMNS = ("seq", "timestamp_utc", "actor", "action", "table", "row_id", "before", "after",
               "verification", "prev_hash", "hash")
_ENTRY = re.compile(r"audit entry (\d+)")


@dataclass(frozen=True)
class AuditLine:
    """One audit entry in words: ``before`` / ``after`` as ``field: value`` text."""

    seq: int
    when: str
    actor: str
    action: str
    table: str
    row_id: int
    before: str
    after: str
    verification: str
    prev_hash: str
    hash: str


def _show(fields: dict, keys: list[str]) -> str:
    out = []
    for k in keys:
        v = fields.get(k)
        v = "(changed)" if k in SECRET_FIELDS else v
        out.append(f"{k}: {'' if v is None else v}")
    return "; ".join(out)


def _before_after(e: AuditEntry, previous: dict | None) -> tuple[str, str]:
    try:
        now = json.loads(e.payload)
    except ValueError:
        return "", e.payload
    if not isinstance(now, dict):
        return "", str(now)
    if "before" in now and "after" in now:
        rest = [k for k in sorted(now) if k not in ("before", "after")]
        return str(now["before"]), f"{now['after']}" + (f" ({_show(now, rest)})" if rest else "")
    if previous is None:
        return "", _show({k: v for k, v in now.items() if k not in SECRET_FIELDS},
                         [k for k in sorted(now) if k not in SECRET_FIELDS])
    changed = [k for k in sorted(set(now) | set(previous)) if now.get(k) != previous.get(k)]
    return _show(previous, changed), _show(now, changed)


def audit_lines(store: Store) -> tuple[list[AuditLine], AuditReport]:
    """Every audit entry in order, in words, and the chain's verification.

    Parameters
    ----------
    store : Store

    Returns
    -------
    (list of AuditLine, AuditReport)
        ``verification`` of a line is ``ok`` or the problems that name its entry.

    Examples
    --------
    >>> from cartrial.committee import open_store
    >>> lines, report = audit_lines(open_store("sqlite://"))
    >>> (lines, report.ok)
    ([], True)
    """
    report = verify_audit(store)
    by_seq: dict[int, list[str]] = {}
    for p in report.problems:
        m = _ENTRY.search(p)
        if m:
            by_seq.setdefault(int(m.group(1)), []).append(p)
    with Session(store.engine) as s:
        entries = list(s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
    seen: dict[tuple[str, int], dict] = {}
    lines = []
    for e in entries:
        key = (e.table_name, int(e.row_id))
        before, after = _before_after(e, seen.get(key))
        try:
            payload = json.loads(e.payload)
            if isinstance(payload, dict) and "before" not in payload:
                seen[key] = payload
        except ValueError:
            pass
        lines.append(AuditLine(e.seq, e.created_at.isoformat(sep=" "), e.actor, e.action,
                               e.table_name, int(e.row_id), before, after,
                               "; ".join(by_seq.get(e.seq, [])) or "ok", e.prev_hash, e.hash))
    return lines, report


def audit_csv(store: Store) -> str:
    """The audit trail as CSV (RFC 4180; header :data:`CSV_COLUMNS`), with a last line
    ``# chain: verified`` or ``# chain: NOT verified: <problems>``.

    Parameters
    ----------
    store : Store

    Returns
    -------
    str

    Examples
    --------
    >>> from cartrial.committee import open_store
    >>> audit_csv(open_store("sqlite://")).splitlines()[-1]
    '# chain: verified (0 entries)'
    """
    lines, report = audit_lines(store)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for a in lines:
        w.writerow([a.seq, a.when, a.actor, a.action, a.table, a.row_id, a.before, a.after,
                    a.verification, a.prev_hash, a.hash])
    buf.write(f"# chain: {chain_status(report)}\r\n")
    return buf.getvalue()


def chain_status(report: AuditReport) -> str:
    """One line: ``verified (N entries)`` or ``NOT verified: ...``.

    Parameters
    ----------
    report : AuditReport

    Returns
    -------
    str

    Examples
    --------
    >>> chain_status(AuditReport(True, 3, ()))
    'verified (3 entries)'
    """
    if report.ok:
        return f"verified ({report.entries} entries)"
    return "NOT verified: " + "; ".join(report.problems)
