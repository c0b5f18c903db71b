"""What the design forbids a committee decision to do, checked before it is recorded.

A decision that breaks one of these rules is refused unless the committee marks it as an
override of the design's rules with a rationale; it is then recorded with each rule it overrode
(:class:`cartrial.committee.store.DesignException`).
"""

from __future__ import annotations

from datetime import date

from cartrial.committee.workspace import Workspace

MAX_STEP = 1
"""Dose levels above the highest dose tried that the next cohort may receive: one (no
skipping), as in BOIN (Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23, section 2.2: escalate to
the next higher dose) and the CRM with the no-skipping restriction (Goodman SN et al., Stat Med
1995;14:1149-61)."""


def design_objections(w: Workspace, action: str, next_dose: str | None, meeting_date: date,
                      today: date) -> list[tuple[str, str]]:
    """The design rules a proposed decision breaks, as ``(rule, detail)``.

    Parameters
    ----------
    w : Workspace
        The trial the decision is taken on (recommendation, eliminated doses, doses tried).
    action : str
        ``escalate``, ``stay``, ``de-escalate``, ``stop`` or ``suspend``.
    next_dose : str or None
        The dose level the next cohort receives (None: no next cohort).
    meeting_date : date
        The date of the meeting.
    today : date
        Today's date (UTC), for a meeting date in the future.

    Returns
    -------
    list of tuple
        Rules: ``after_stop`` (any next cohort or other action after the design stopped the
        escalation), ``eliminated_dose`` (the design's safety elimination rule), ``skipped_dose``
        (more than :data:`MAX_STEP` level above the highest dose tried), ``meeting_before_cutoff``
        (meeting date before the data cut-off), ``meeting_in_future``. Empty: nothing objected.

    References
    ----------
    Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23 (BOIN: elimination rule and stopping, section
    2.2); Goodman SN, Zahurak ML, Piantadosi S, Stat Med 1995;14:1149-61 (no skipping).

    Examples
    --------
    >>> design_objections(ws, "escalate", "DL4", date(2024, 9, 2), date(2024, 9, 2))
    ... # doctest: +SKIP
    [('skipped_dose', 'DL4 is 3 levels above DL1, the highest dose tried; ...')]
    """
    out: list[tuple[str, str]] = []
    d = w.decision.recommendation.decision
    ids = list(w.protocol.dose_ids)
    if d.action == "stop" or w.decision.phase == "expansion":
        if next_dose or action != "stop":
            out.append(("after_stop", "the design stopped the escalation ("
                        f"{d.reason}); no next cohort may be assigned"
                        + (f", got {action} -> {next_dose}" if next_dose else
                           f", got {action}")))
    if next_dose is not None and next_dose in ids:
        eliminated = [ids[j] for j in d.eliminated]
        if next_dose in eliminated:
            out.append(("eliminated_dose", f"{next_dose} is eliminated by the design's safety "
                        f"rule (eliminated: {', '.join(eliminated)})"))
        out.extend(_skip(w, ids, next_dose))
    if meeting_date < w.as_of:
        out.append(("meeting_before_cutoff", f"meeting date {meeting_date} is before the data "
                    f"cut-off {w.as_of}"))
    if meeting_date > today:
        out.append(("meeting_in_future", f"meeting date {meeting_date} is after today "
                    f"({today})"))
    return out


def _skip(w: Workspace, ids: list[str], next_dose: str) -> list[tuple[str, str]]:
    p = w.decision.patients
    if p.empty:
        start = w.protocol.starting_dose
        if ids.index(next_dose) <= ids.index(start):
            return []
        return [("skipped_dose", f"{next_dose} is above the starting dose {start}, and no "
                 "dose has been tried yet")]
    highest = int(p["DOSE_INDEX"].max())
    what = f"{ids[highest]}, the highest dose tried"
    step = ids.index(next_dose) - highest
    if step <= MAX_STEP:
        return []
    allowed = ids[min(highest + MAX_STEP, len(ids) - 1)]
    return [("skipped_dose", f"{next_dose} is {step} level(s) above {what}; the design allows "
             f"at most {allowed}")]
