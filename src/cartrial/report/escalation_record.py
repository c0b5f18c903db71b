"""Table 14.2.1 from the committee's own record (``cartrial analyze --db URL``).

The rows are the decisions the safety review committee recorded in its workspace database
(:func:`cartrial.conduct.escalation_record`); the design's recommendation re-derived from the
data known at each record's cut-off stands beside each, and every disagreement is flagged.
"""

from __future__ import annotations

import pandas as pd

from cartrial.protocol.model import Protocol
from cartrial.report.table import ReportTable, table_from_wide


def _say(action: object, dose: object) -> str:
    a = str(action or "").upper()
    d = str(dose or "")
    return f"{a} {d}".strip() if a else "-"


#: the table's short words for the flags of ``conduct.escalation_record`` (footnote explains)
SHORT = {"override: the decision differs from the recommendation at the time": "override",
         "the re-derived recommendation differs from the recommendation at the time":
         "not reproduced",
         "the decision differs from the re-derived recommendation": "differs from re-derived"}


def _short(flags: str) -> str:
    return "; ".join(SHORT.get(f, f) for f in flags.split("; ")) if flags else ""


def record_rows(record: pd.DataFrame) -> pd.DataFrame:
    """Lay out the committee's record (``conduct.escalation_record``), one row per record."""
    rows = []
    for r in record.itertuples(index=False):
        why = r.rationale or ""
        if r.exceptions:
            why = f"{why} (design rules overridden: {r.exceptions})".strip()
        flags = _short(r.flags or "")
        rows.append({
            "Record": str(r.record), "Meeting": r.meeting_date, "Cut-off": r.data_cutoff,
            "Attendees": r.attendees + (f"; signed: {r.signatures}" if r.signatures else ""),
            "Recommended then": _say(r.recommended_action, r.recommended_next_dose),
            "Decided": _say(r.action, r.next_dose) + ("" if r.accepted else " (override)"),
            "Rationale": why,
            "Re-derived now": _say(r.rederived_action, r.rederived_next_dose),
            "Flags": ("FLAG: " + flags) if flags else "none",
        })
    return pd.DataFrame(rows, columns=["Record", "Meeting", "Cut-off", "Attendees",
                                       "Recommended then", "Decided", "Rationale",
                                       "Re-derived now", "Flags"])


def table_escalation_record(record: pd.DataFrame, protocol: Protocol,
                            number: str) -> ReportTable:
    """Table 14.2.1 as the committee recorded it, the re-derived recommendation beside it.

    Parameters
    ----------
    record : pandas.DataFrame
        :func:`cartrial.conduct.escalation_record` (``basis`` "committee record").
    protocol : Protocol
        The protocol (design named in a footnote).
    number : str
        Table number ("14.2.1").

    Returns
    -------
    ReportTable
        One row per recorded decision (corrections included, each pointing at the record it
        corrects).

    Examples
    --------
    >>> table_escalation_record(rec, protocol, "14.2.1").title  # doctest: +SKIP
    'Dose-escalation history (committee record)'
    """
    d = protocol.design
    n_flag = int((record["flags"] != "").sum()) if len(record) else 0
    return table_from_wide(number, "Dose-escalation history (committee record)",
                           "Decisions recorded by the safety review committee",
                           record_rows(record), row_label="Record", footnotes=(
        f"Design: {d.name.upper()}, target DLT rate {d.target:.2f}, cohorts of {d.cohort_size}, "
        f"DLT window {d.dlt_window_days} days.",
        "Committee record: each decision as recorded in the workspace database (meeting date, "
        "data cut-off, attendees and signatures, the design's recommendation shown at the "
        "time, the decision taken and its rationale); records are append-only and a correction "
        "is a new record referring to the one it corrects.",
        "Re-derived now: the design's decision on the data known at the record's cut-off, "
        "recomputed from the data now (DLT adjudication by the safety engine).",
        "FLAG marks every disagreement and every correction: override (the decision differs "
        "from the recommendation at the time); not reproduced (the re-derived recommendation "
        "differs from the one at the time: the data or the software changed since the "
        "meeting); differs from re-derived (the decision differs from the re-derived "
        f"recommendation); corrects / corrected by record N. {n_flag} of {len(record)} records "
        "flagged."),
        source="Committee workspace database (decisions, signatures); DM, SUPPDM, EX and the "
               "safety engine's DLT adjudication at each cut-off")
