"""Electronic signatures of decision records, in the manner of 21 CFR Part 11.

A signature shows the signer's printed name, the date and time (UTC) and its meaning
(11.50(a)); it is executed by re-entering the password, the second of the two identification
components, at each signing (11.200(a)(1)); it is linked to the record it signs by the SHA-256
of the record's canonical content, so it cannot be transferred to another record (11.70). It is
stored append-only and audited; a signed decision cannot be edited: a correction is a new
decision that references it, signed in its turn.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from cartrial.committee.chain import canonical
from cartrial.committee.records import CAN_DECIDE, authenticate, write_transaction
from cartrial.committee.store import (
    DecisionRecord,
    Signature,
    Store,
    User,
    _now,
    append_audit,
    row_payload,
)
from cartrial.errors import InputError

MEANING = "approved as a true record of the meeting"


def record_hash(d: DecisionRecord) -> str:
    """SHA-256 of the decision row's canonical content (every column)."""
    return hashlib.sha256(canonical(row_payload(d)).encode()).hexdigest()


def sign_decision(store: Store, user: User, password: str, decision_id: int) -> Signature:
    """Sign a decision record as a true record of the meeting (password re-entered).

    Parameters
    ----------
    store : Store
    user : User
        The signer: a statistician or committee member.
    password : str
        The signer's password, entered again for this signature.
    decision_id : int

    Returns
    -------
    Signature

    Raises
    ------
    PermissionError
        A viewer, or a password that does not match (the signature is not made).
    InputError
        No such decision, or the user signed it already.

    References
    ----------
    21 CFR 11.50 (signature manifestations: printed name, date and time, meaning), 11.70
    (signature/record linking), 11.200(a)(1) (identification code and password; the
    password is asked again here at every signing, not only at the first of a session).

    Examples
    --------
    >>> sign_decision(store, chair, "the chair's password", 3).meaning  # doctest: +SKIP
    'approved as a true record of the meeting'
    """
    if user.role not in CAN_DECIDE:
        raise PermissionError(f"user {user.username!r} ({user.role}) may not sign records")
    if authenticate(store, user.username, password) is None:
        raise PermissionError("the password does not match: the record was not signed")

    def op(s: Session) -> Signature:
        d = s.get(DecisionRecord, decision_id)
        if d is None:
            raise InputError(f"decision {decision_id} does not exist")
        done = s.execute(select(Signature).where(Signature.decision_id == decision_id,
                                                 Signature.signer == user.username)).first()
        if done is not None:
            raise InputError(f"{user.username} signed decision {decision_id} already")
        sig = Signature(decision_id=decision_id, signer=user.username,
                        printed_name=user.full_name or user.username, signed_at=_now(),
                        meaning=MEANING, record_hash=record_hash(d))
        s.add(sig)
        s.flush()
        append_audit(s, actor=user.username, action="sign decision", obj=sig, key=store.key)
        return sig

    return write_transaction(store, op)


def list_signatures(store: Store) -> dict[int, list[Signature]]:
    """Signatures by decision id, oldest first."""
    with Session(store.engine, expire_on_commit=False) as s:
        out: dict[int, list[Signature]] = {}
        for sig in s.execute(select(Signature).order_by(Signature.id)).scalars():
            out.setdefault(sig.decision_id, []).append(sig)
        return out
