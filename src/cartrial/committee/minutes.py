"""Minutes of the committee's decisions: HTML and PDF (matplotlib's PDF backend, no new deps)."""

from __future__ import annotations

import html
import io
import json
import textwrap

from cartrial import __version__
from cartrial.committee.audit import verify_audit
from cartrial.committee.records import list_decisions
from cartrial.committee.store import Store
from cartrial.committee.workspace import Workspace


def minutes_lines(store: Store, w: Workspace) -> list[str]:
    """The minutes as plain lines: trial, every decision with its basis, the audit chain head."""
    rep = verify_audit(store)
    head = store.read_anchor() or {}
    lines = [
        f"{w.protocol.study_id} safety review committee: minutes",
        f"Protocol {w.protocol.study_id} v{w.protocol.version} (sha256 "
        f"{w.protocol_hash[:16]}), design {w.protocol.design.name}, cartrial {__version__}",
        "",
    ]
    for d in list_decisions(store):
        rec = json.loads(d.recommendation)
        lines.append(
            f"Decision {d.id} — meeting {d.meeting_date.isoformat()}, recorded by "
            f"{d.recorded_by} at {d.created_at.isoformat()}"
            + (f" (corrects decision {d.corrects_id})" if d.corrects_id else "")
        )
        lines.append(f"  Attendees: {', '.join(json.loads(d.attendees))}")
        lines.append(
            f"  Design recommendation: {rec.get('action')} -> {rec.get('next_dose')}; "
            f"rule: {rec.get('reason')}"
        )
        lines.append(
            f"  Committee: {'ACCEPTED' if d.accepted else 'OVERRODE'}: {d.action} -> "
            f"{d.next_dose}" + (f"; rationale: {d.rationale}" if d.rationale else "")
        )
        lines.append(
            f"  Data as of {d.as_of}, data sha256 {d.data_hash[:16]}, protocol "
            f"v{d.protocol_version}, cartrial {d.cartrial_version}"
        )
        lines.append("")
    lines.append(
        f"Audit chain: {rep.entries} entries, head {head.get('hash', '')[:16]} "
        f"(entry {head.get('seq', '')}); verification "
        + ("passed" if rep.ok else "FAILED: " + "; ".join(rep.problems))
    )
    return lines


def minutes_html(store: Store, w: Workspace) -> str:
    body = "".join(
        f"<p>{html.escape(line)}</p>" if line else "<hr>" for line in minutes_lines(store, w)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Minutes</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "p{margin:.2em 0}</style></head><body>" + body + "</body></html>"
    )


def minutes_pdf(store: Store, w: Workspace) -> bytes:
    """The same minutes as a PDF (A4 pages of text), without creation timestamps."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    wrapped: list[str] = []
    for line in minutes_lines(store, w):
        wrapped += textwrap.wrap(line, 95, subsequent_indent="    ") or [""]
    per_page = 60
    buf = io.BytesIO()
    with PdfPages(
        buf, metadata={"CreationDate": None, "Creator": f"cartrial {__version__}"}
    ) as pdf:
        for start in range(0, max(len(wrapped), 1), per_page):
            fig = Figure(figsize=(8.27, 11.69))
            for i, line in enumerate(wrapped[start : start + per_page]):
                fig.text(0.06, 0.96 - i * 0.015, line, fontsize=8, family="monospace", va="top")
            pdf.savefig(fig)
    return buf.getvalue()
