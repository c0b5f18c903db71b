"""Minutes of the committee's decisions: HTML, and PDF printed from it by headless Chromium.

Each decision's minutes hold what the committee decided on, as stored with the decision when it
was recorded (per-dose table, DLT list with the committee's adjudications, the design's
recommendation), the decision and any override with its rationale (and each design rule it
overrode), the attendees, corrections, and the electronic signature block (printed name, date
and time UTC, meaning: 21 CFR 11.50) with a check that each signature still matches its record.
The audit chain's head closes the minutes, so a printed copy anchors the chain.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from cartrial import __version__
from cartrial.committee.audit import verify_audit
from cartrial.committee.records import list_decisions, list_exceptions, list_users
from cartrial.committee.signature import list_signatures, record_hash
from cartrial.committee.store import Store
from cartrial.committee.workspace import Workspace
from cartrial.errors import InputError

_ENV = Environment(loader=FileSystemLoader(str(Path(__file__).with_name("templates"))),
                   autoescape=select_autoescape(["html"]))


def _items(store: Store, decision_id: int | None) -> list[dict[str, Any]]:
    decisions = list_decisions(store)
    names = {u.username: u.full_name or u.username for u in list_users(store)}
    exceptions, signatures = list_exceptions(store), list_signatures(store)
    corrected: dict[int, list[int]] = {}
    for d in decisions:
        if d.corrects_id:
            corrected.setdefault(d.corrects_id, []).append(d.id)
    chosen = [d for d in decisions if decision_id is None or d.id == decision_id]
    if decision_id is not None and not chosen:
        raise InputError(f"decision {decision_id} does not exist")
    return [{"d": d, "rec": json.loads(d.recommendation), "names": names,
             "attendees": [names.get(a, a) + (f" ({a})" if a in names else "")
                           for a in json.loads(d.attendees)],
             "exceptions": exceptions.get(d.id, []), "signatures": signatures.get(d.id, []),
             "corrected_by": corrected.get(d.id, []), "hash": record_hash(d)} for d in chosen]


def minutes_html(store: Store, w: Workspace, decision_id: int | None = None) -> str:
    """The minutes as a self-contained HTML page.

    Parameters
    ----------
    store : Store
    w : Workspace
        The trial (protocol and design named in the heading).
    decision_id : int, optional
        One decision's minutes; None: every decision, oldest first.

    Returns
    -------
    str

    Raises
    ------
    InputError
        ``decision_id`` does not exist.

    References
    ----------
    21 CFR 11.50 (signature manifestations: printed name, date and time, meaning).

    Examples
    --------
    >>> "Electronic signatures" in minutes_html(store, ws)  # doctest: +SKIP
    True
    """
    rep = verify_audit(store)
    head = store.read_anchor() or {}
    audit = (f"Audit chain: {rep.entries} entries, head {str(head.get('hash', ''))[:16]} "
             f"(entry {head.get('seq', '')}); verification "
             + ("passed" if rep.ok else "FAILED: " + "; ".join(rep.problems)))
    return _ENV.get_template("minutes.html").render(
        study=w.protocol.study_id, protocol_version=w.protocol.version,
        protocol_hash=w.protocol_hash, design=w.protocol.design.name, version=__version__,
        items=_items(store, decision_id), audit=audit)


def minutes_pdf(store: Store, w: Workspace, decision_id: int | None = None) -> bytes:
    """The same minutes printed to PDF by headless Chromium (A4).

    Raises
    ------
    InputError
        Chromium is not installed or cannot print; ``decision_id`` does not exist.
    """
    from cartrial.report.pdf import html_to_pdf

    page = minutes_html(store, w, decision_id)
    with tempfile.TemporaryDirectory(prefix="cartrial-minutes-") as tmp:
        src = Path(tmp) / "minutes.html"
        src.write_text(page, encoding="utf-8")
        return html_to_pdf(src, Path(tmp) / "minutes.pdf").read_bytes()
