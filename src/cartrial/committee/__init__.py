"""The safety review committee's record: users, decisions, hash-chained audit trail."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.committee.adjudication import adjudication_frame, record_adjudication
    from cartrial.committee.audit import AuditReport, anchor_chain, verify_audit
    from cartrial.committee.chain import load_audit_key, new_audit_key
    from cartrial.committee.meeting import dlt_calendar, new_since
    from cartrial.committee.objections import design_objections
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
    from cartrial.committee.signature import sign_decision
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
    "adjudication_frame",
    "anchor_chain",
    "authenticate",
    "check_password",
    "design_objections",
    "dlt_calendar",
    "get_user",
    "hash_password",
    "list_decisions",
    "load_audit_key",
    "new_audit_key",
    "new_since",
    "open_store",
    "record_adjudication",
    "record_decision",
    "sign_decision",
    "verify_audit",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
