"""The safety review committee's record: users, decisions, hash-chained audit trail."""

from cartrial.committee.records import (
    CAN_DECIDE,
    add_user,
    authenticate,
    get_user,
    hash_password,
    list_decisions,
    record_decision,
)
from cartrial.committee.store import (
    ROLES,
    AuditReport,
    DecisionRecord,
    Store,
    User,
    open_store,
    verify_audit,
)

__all__ = [
    "CAN_DECIDE",
    "ROLES",
    "AuditReport",
    "DecisionRecord",
    "Store",
    "User",
    "add_user",
    "authenticate",
    "get_user",
    "hash_password",
    "list_decisions",
    "open_store",
    "record_decision",
    "verify_audit",
]
