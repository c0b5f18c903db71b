"""The decision form's values checked and recorded: attendees among the workspace's users, the
design's objections refused unless the committee overrides them with a rationale."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from cartrial.committee.objections import design_objections
from cartrial.committee.records import list_users, record_decision
from cartrial.committee.store import DecisionRecord, Store, User
from cartrial.committee.workspace import Workspace
from cartrial.errors import InputError

ACTIONS = ("escalate", "stay", "de-escalate", "stop", "suspend")


def decision_basis(w: Workspace) -> dict[str, object]:
    """The design's recommendation with what it was made on, stored with the decision: the
    per-dose table and the DLT list (every DLT, and every patient the committee adjudicated)."""
    rec = dict(w.recommendation_summary())
    doses = w.decision.recommendation.table
    rec["doses"] = json.loads(doses.to_json(orient="records", date_format="iso"))
    p = w.decision.patients
    keep = p["DLT"] == "yes"
    if "DLT_SOURCE" in p:
        keep |= p["DLT_SOURCE"] == "committee"
    cols = [c for c in ("USUBJID", "DOSE_LEVEL", "ENGINE_DLT", "DLT", "DLT_SOURCE", "DLT_TERM",
                        "DLT_ONSET_DAY", "ADJ_RATIONALE") if c in p]
    rec["dlts"] = json.loads(p.loc[keep, cols].to_json(orient="records", date_format="iso"))
    rec["phase"] = w.decision.phase
    return rec


def record_from_form(store: Store, u: User, w: Workspace, accepted: bool, *, action: str,
                     next_dose: str, rationale: str, attendees: list[str], meeting_date: str,
                     corrects_id: int | None, design_override: bool) -> DecisionRecord:
    """Check the decision form's values and record the decision.

    Parameters
    ----------
    store, u, w :
        The database, the user recording and the trial decided on.
    accepted : bool
        True: the design's recommendation is accepted as it is.
    action, next_dose :
        The committee's own decision when not accepted (``next_dose`` blank: none).
    rationale : str
    attendees : list of str
        User names of the workspace's users who attended.
    meeting_date : str
        ``YYYY-MM-DD``.
    corrects_id : int or None
    design_override : bool
        The committee overrides the design rules the decision breaks (needs a rationale).

    Returns
    -------
    DecisionRecord

    Raises
    ------
    InputError
        A bad value, an attendee who is not a user, or a decision the design forbids
        (:func:`cartrial.committee.objections.design_objections`) not marked as an override.
    """
    rec = decision_basis(w)
    if not accepted and action not in ACTIONS:
        raise InputError(f"choose an action among {list(ACTIONS)}")
    if not accepted and next_dose and next_dose not in w.protocol.dose_ids:
        raise InputError(f"next dose must be one of {w.protocol.dose_ids}")
    try:
        when = date.fromisoformat(meeting_date)
    except ValueError:
        raise InputError("meeting date must be a date (YYYY-MM-DD)") from None
    users = {x.username for x in list_users(store)}
    names = [a.strip() for a in attendees if a.strip()]
    unknown = [a for a in names if a not in users]
    if unknown:
        raise InputError(f"attendees must be workspace users; unknown: {', '.join(unknown)}")
    act = str(rec["action"]) if accepted else action
    nxt = rec["next_dose"] if accepted else (next_dose or None)
    objections = design_objections(w, act, nxt, when, datetime.now(UTC).date())
    if objections and not (design_override and not accepted and rationale.strip()):
        raise InputError("the design forbids this decision: " + "; ".join(
            d for _, d in objections) + ". To take it all the same, choose 'Override', tick "
            "'override the design's rules' and give the rationale.")
    return record_decision(
        store, user=u, meeting_date=when, attendees=names, accepted=accepted, action=act,
        next_dose=nxt, rationale=rationale, recommendation=rec, as_of=w.as_of,
        data_hash=w.data_hash, protocol_id=w.protocol.study_id,
        protocol_version=w.protocol.version, protocol_hash=w.protocol_hash,
        corrects_id=corrects_id, exceptions=tuple(objections))
