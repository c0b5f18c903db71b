"""Patient flow diagram (CONSORT style) as inline SVG: one box per step with its count, and
beside each step a box with the patients who left and why.

Plain SVG text and rectangles (no scripts, no fonts to embed): readable on screen and in print,
and its numbers are text a PDF keeps (Schulz KF et al., CONSORT 2010 statement, BMJ
2010;340:c332, flow diagram).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

BOX_W, BOX_H, SIDE_W, GAP, LINE_H = 300, 46, 330, 30, 15


@dataclass(frozen=True)
class FlowStep:
    """One step: its label and count, the patients who did not reach the next step (with
    reasons: label -> n), and an optional note box (e.g. bridging therapy among them)."""

    label: str
    n: int
    left: dict[str, int] = field(default_factory=dict)
    note: str = ""


def _text(x: float, y: float, s: str, *, bold: bool = False, anchor: str = "middle") -> str:
    w = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" font-size="13"{w}>'
            f"{escape(s)}</text>")


def _analysis_row(sets: Sequence[FlowStep], x0: float, y: float, parent_mid: float
                  ) -> tuple[list[str], float]:
    """Analysis sets drawn side by side under the last step, each listing who is excluded."""
    parts: list[str] = []
    w = BOX_W
    lines = max(len([v for v in s.left.values() if v]) for s in sets) + 1
    h = BOX_H + LINE_H * lines
    top = y + GAP
    for k, s in enumerate(sets):
        x = x0 + k * (w + 40)
        parts.append(f'<line x1="{parent_mid}" y1="{y}" x2="{x + w / 2}" y2="{top}" '
                     'stroke="#000000" stroke-width="1.5" marker-end="url(#arrow)"/>')
        parts.append(f'<rect x="{x}" y="{top}" width="{w}" height="{h}" rx="4" '
                     'fill="#ffffff" stroke="#000000" stroke-width="1.5"/>')
        parts.append(_text(x + w / 2, top + 20, f"{s.label} (n = {s.n})", bold=True))
        n_out = sum(s.left.values())
        parts.append(_text(x + 10, top + 20 + LINE_H + 4, f"Not included (n = {n_out})",
                           anchor="start"))
        for j, (r, v) in enumerate([(r, v) for r, v in s.left.items() if v]):
            parts.append(_text(x + 16, top + 20 + LINE_H * (j + 2) + 4, f"{r}: {v}",
                               anchor="start"))
    return parts, top + h


def flow_svg(steps: Sequence[FlowStep], title: str = "Patient flow",
             analysis: Sequence[FlowStep] = ()) -> str:
    """The flow diagram of ``steps`` as an SVG document (a string).

    Parameters
    ----------
    steps : sequence of FlowStep
        In order (enrolled first); ``left`` of step k are the patients of step k who are not in
        step k + 1.
    title : str
        The accessible title (SVG ``<title>``).
    analysis : sequence of FlowStep
        Analysis sets of the last step's patients (e.g. DLT-evaluable, efficacy-evaluable),
        drawn side by side below it, each with the excluded patients by reason.

    Returns
    -------
    str
        ``<svg ...>...</svg>`` with a ``viewBox`` (scales to the page width).

    Examples
    --------
    >>> svg = flow_svg([FlowStep("Enrolled", 3, {"Withdrew": 1}), FlowStep("Infused", 2)])
    >>> "Enrolled (n = 3)" in svg and "Withdrew: 1" in svg
    True
    """
    x0 = 20
    side_x = x0 + BOX_W + 40
    parts: list[str] = []
    y = 20
    for i, s in enumerate(steps):
        parts.append(f'<rect x="{x0}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" '
                     'fill="#ffffff" stroke="#000000" stroke-width="1.5"/>')
        parts.append(_text(x0 + BOX_W / 2, y + 20, f"{s.label} (n = {s.n})", bold=True))
        if s.note:
            parts.append(_text(x0 + BOX_W / 2, y + 37, s.note))
        bottom = y + BOX_H
        reasons = [f"{k}: {v}" for k, v in s.left.items() if v]
        if i + 1 < len(steps):
            side_h = LINE_H * (len(reasons) + 1) + 10 if reasons else 0
            seg = max(GAP, side_h + 16)
            mid = bottom + seg / 2
            parts.append(f'<line x1="{x0 + BOX_W / 2}" y1="{bottom}" x2="{x0 + BOX_W / 2}" '
                         f'y2="{bottom + seg}" stroke="#000000" stroke-width="1.5" '
                         'marker-end="url(#arrow)"/>')
            if reasons:
                top = mid - side_h / 2
                n_left = sum(v for v in s.left.values())
                parts.append(f'<line x1="{x0 + BOX_W / 2}" y1="{mid}" x2="{side_x}" y2="{mid}" '
                             'stroke="#000000" stroke-width="1" stroke-dasharray="4 3"/>')
                parts.append(f'<rect x="{side_x}" y="{top}" width="{SIDE_W}" height="{side_h}" '
                             'fill="#f2f2f2" stroke="#555555"/>')
                parts.append(_text(side_x + 8, top + 17, f"Did not continue (n = {n_left})",
                                   bold=True, anchor="start"))
                for j, r in enumerate(reasons):
                    parts.append(_text(side_x + 14, top + 17 + LINE_H * (j + 1), r,
                                       anchor="start"))
            y = bottom + seg
        else:
            y = bottom
    if analysis:
        more, y = _analysis_row(analysis, x0, y, x0 + BOX_W / 2)
        parts += more
    height = y + 20
    width = side_x + SIDE_W + 20
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
            f'width="{width}" height="{height:.0f}" font-family="Arial, Helvetica, sans-serif" '
            f'role="img"><title>{escape(title)}</title>'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#000000"/>'
            "</marker></defs>")
    return head + "".join(parts) + "</svg>"


def standalone_svg(svg: str, title: str, caption: Sequence[str]) -> str:
    """``svg`` as a file handed on alone: the figure's title above it and its caption lines
    (population, data cut-off, footnotes) below, as the report's other figure files carry them.

    Parameters
    ----------
    svg : str
        An ``<svg ...>`` document with ``width`` and ``height`` attributes (:func:`flow_svg`).
    title : str
        E.g. "Figure 14.1.1 Patient flow".
    caption : sequence of str
        Lines printed under the drawing.

    Returns
    -------
    str
        A larger SVG document holding the title, the drawing and the caption.

    Examples
    --------
    >>> inner = flow_svg([FlowStep("Enrolled", 2)])
    >>> out = standalone_svg(inner, "Figure 1 Patient flow", ["Population: Enrolled (N = 2)."])
    >>> "Figure 1 Patient flow" in out and "Population: Enrolled (N = 2)." in out
    True
    """
    import re
    import textwrap

    w = float(re.search(r'width="([0-9.]+)"', svg).group(1))
    h = float(re.search(r'height="([0-9.]+)"', svg).group(1))
    # 11-pixel Arial averages under 6.3 pixels a character: wrap inside the drawing's width
    caption = [ln for c in caption for ln in textwrap.wrap(c, int((w - 40) / 6.3))]
    top, line = 34.0, 16.0
    height = top + h + line * len(caption) + 12
    parts = [f'<text x="20" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
             svg.replace("<svg ", f'<svg x="0" y="{top:.0f}" ', 1)]
    parts += [f'<text x="20" y="{top + h + line * (i + 1):.0f}" font-size="11" '
              f'fill="#333333">{escape(c)}</text>' for i, c in enumerate(caption)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {height:.0f}" '
            f'width="{w:.0f}" height="{height:.0f}" font-family="Arial, Helvetica, sans-serif" '
            f'role="img"><title>{escape(title)}</title>' + "".join(parts) + "</svg>")
