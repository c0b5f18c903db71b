"""The safety review committee's record: users, decisions, hash-chained audit trail."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.committee.audit import AuditReport, anchor_chain, verify_audit
    from cartrial.committee.chain import load_audit_key, new_audit_key
    from cartrial.committee.records import (
        CAN_DECIDE,
        add_user,
        authenticate,
        check_password,
        get_user,
        hash_password,
        list_decisions,
        record_decision,
    )
    from cartrial.committee.store import (
        ROLES,
        DecisionRecord,
        Store,
        User,
        open_store,
    )

__all__ = [
    "CAN_DECIDE",
    "ROLES",
    "AuditReport",
    "DecisionRecord",
    "Store",
    "User",
    "add_user",
    "anchor_chain",
    "authenticate",
    "check_password",
    "get_user",
    "hash_password",
    "list_decisions",
    "load_audit_key",
    "new_audit_key",
    "open_store",
    "record_decision",
    "verify_audit",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
