"""The stop rules every escalation design shares, with one label each.

A trial stops when its maximum sample size is reached (every design; BOIN 2.7.2 ``get.oc``
``ncohort`` x ``cohortsize``, dfcrm ``crmsim`` ``n``, Storer BE, Biometrics 1989;45:925-37 for the
3+3's bounded size) and when dose 1 is eliminated (no MTD). The labels below are the
``Decision.rule`` of those stops in every design, so a report or an audit trail can filter on one
value.
"""

from __future__ import annotations

from cartrial.design.state import Decision, move

STOP_MAX_SAMPLE_SIZE = "stop: max sample size"
STOP_DOSE1_ELIMINATED = "stop: dose 1 eliminated"


def reached_max_sample_size(max_sample_size: int | None, total_n: int) -> bool:
    """Whether ``total_n`` patients (pending included) reach the maximum sample size.

    Parameters
    ----------
    max_sample_size : int or None
        The design's maximum (None: no maximum).
    total_n : int
        Patients treated so far, escalation and backfill, pending included.

    Returns
    -------
    bool

    Examples
    --------
    >>> reached_max_sample_size(30, 30), reached_max_sample_size(None, 99)
    (True, False)
    """
    return max_sample_size is not None and total_n >= max_sample_size


def max_sample_size_stop(max_sample_size: int, eliminated: tuple[int, ...],
                         why: str | None = None) -> Decision:
    """The stop at the maximum sample size, as every design returns it.

    Parameters
    ----------
    max_sample_size : int
        The design's maximum sample size.
    eliminated : tuple of int
        Doses eliminated (0-based) at this decision.
    why : str, optional
        What the design would otherwise have done, in words (the phase I/II designs say it);
        by default the reference of the rule.

    Returns
    -------
    Decision
        Action ``stop``, no next dose, rule :data:`STOP_MAX_SAMPLE_SIZE`.

    References
    ----------
    Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR. Clin Cancer Res 2016;22:4291-301 (BOIN: the trial
    runs to its prespecified sample size).

    Examples
    --------
    >>> max_sample_size_stop(30, (4,)).rule
    'stop: max sample size'
    """
    return Decision(
        "stop",
        None,
        eliminated,
        f"maximum sample size {max_sample_size} reached ("
        + (why or "Yuan Y et al., Clin Cancer Res 2016;22:4291-301") + ")",
        STOP_MAX_SAMPLE_SIZE,
    )


def rule_decision(code: int, stops: frozenset[int] | set[int] | tuple[int, ...],
                  rule_ids: dict[int, str] | tuple[str, ...], current: int, next_dose: int,
                  eliminated: tuple[int, ...], why: str, max_sample_size: int | None,
                  total_n: int, move_why: str | None = None) -> Decision:
    """The decision of a phase I/II rule's outcome, in the one order every such design uses.

    The rule's own stop first, then the maximum sample size (:func:`max_sample_size_stop`),
    else the move to ``next_dose`` (escalate, stay or de-escalate: :func:`~.state.move`).

    Parameters
    ----------
    code : int
        The rule's outcome code for this trial (``<design>_rules.RULE_IDS`` index).
    stops : collection of int
        The codes that stop the trial (``<design>_rules.STOPS``).
    rule_ids : mapping of int to str
        Code -> rule id (``Decision.rule``).
    current, next_dose : int
        The dose given now and the one the rule chose (0-based).
    eliminated : tuple of int
        Doses eliminated at this decision (0-based).
    why : str
        The reason in words.
    max_sample_size : int or None
        The design's maximum sample size.
    total_n : int
        Patients treated so far, pending included.
    move_why : str, optional
        The reason for a move when it differs from ``why`` (TITE-BOIN12 names the dose).

    Returns
    -------
    Decision

    Examples
    --------
    >>> ids = {0: "stay", 1: "stop: no admissible dose"}
    >>> rule_decision(0, {1}, ids, 1, 2, (), "utility", 30, 12).action
    'escalate'
    >>> rule_decision(0, {1}, ids, 1, 2, (), "utility", 12, 12).rule
    'stop: max sample size'
    >>> rule_decision(1, {1}, ids, 1, 2, (3,), "none admissible", 30, 12).next_dose is None
    True
    """
    if code in stops:
        return Decision("stop", None, eliminated, why, rule_ids[code])  # type: ignore[arg-type]
    if reached_max_sample_size(max_sample_size, total_n):
        return max_sample_size_stop(max_sample_size, eliminated, why)  # type: ignore[arg-type]
    return Decision(move(current, next_dose), next_dose, eliminated,  # type: ignore[arg-type]
                    why if move_why is None else move_why, rule_ids[code])
