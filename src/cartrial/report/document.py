"""The study report as one self-contained HTML file (inline CSS and SVG, no scripts, no URLs).

The document is assembled from sections of numbered tables (:class:`ReportTable`) and figures
(:class:`ReportFigure`), with a table of contents and a provenance block (cartrial version,
protocol hash, input data hash, run date). The run date is passed in, never read from the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from cartrial.errors import InputError
from cartrial.report.render import table_html_pieces
from cartrial.report.table import ReportTable


@dataclass(frozen=True)
class ReportFigure:
    """A numbered figure: SVG markup (from :func:`figure_bytes`), caption and footnotes.

    ``file`` is set for a figure drawn as SVG text rather than by matplotlib (the patient
    flow): the report writes it to ``figures/<stem>.svg`` with its title and caption.

    Parameters
    ----------
    number : str
        The CSR figure number ("14.2.1").
    title : str
        The figure title (without the number).
    svg : str
        SVG markup.
    footnotes : tuple of str, optional
        Footnotes printed under the figure.
    population : str, optional
        The analysis population.
    slug : str, optional
        HTML anchor id; default "f" + the number with dots as underscores.
    file : tuple of (str, str), optional
        (file stem, SVG text) of a drawing written to ``figures/``.

    Raises
    ------
    InputError
        ``svg`` holds no ``<svg`` element.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from cartrial.report import figure_bytes
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1], [0, 1])
    >>> f = ReportFigure("14.2.1", "Kaplan-Meier plot", figure_bytes(fig, "svg").decode())
    >>> f.caption, f.slug
    ('Figure 14.2.1 Kaplan-Meier plot', 'f14_2_1')
    """

    number: str
    title: str
    svg: str
    footnotes: tuple[str, ...] = ()
    population: str = ""
    slug: str = ""
    file: tuple[str, str] | None = None  # (stem, SVG text) of a drawing written to figures/

    def __post_init__(self) -> None:
        if "<svg" not in self.svg:
            raise InputError(f"figure {self.number}: svg markup expected")
        if not self.slug:
            object.__setattr__(self, "slug", "f" + self.number.replace(".", "_"))

    @property
    def caption(self) -> str:
        return f"Figure {self.number} {self.title}"


@dataclass(frozen=True)
class Section:
    """One section of the report: a title, an optional introduction, and its tables and figures.

    Parameters
    ----------
    title : str
        Section heading.
    items : tuple of ReportTable or ReportFigure
        The section's tables and figures, in order.
    intro : str, optional
        Text printed before the first item.
    slug : str, optional
        HTML anchor id; default "s-" + the title in lower case with dashes.

    Examples
    --------
    >>> Section("Safety analyses", ()).slug
    's-safety-analyses'
    """

    title: str
    items: tuple[ReportTable | ReportFigure, ...]
    intro: str = ""
    slug: str = ""

    def __post_init__(self) -> None:
        if not self.slug:
            object.__setattr__(self, "slug", "s-" + re.sub(r"[^a-z0-9]+", "-",
                                                           self.title.lower()).strip("-"))


@dataclass(frozen=True)
class Provenance:
    """What a reader needs to reproduce the report.

    Parameters
    ----------
    cartrial_version, protocol, protocol_hash : str
        The toolkit version, the protocol name or file, and the protocol's SHA-256.
    data_dir, data_hash : str
        The input data folder and the SHA-256 of its files.
    run_date : datetime.datetime
        When the report was run (UTC).
    data_cutoff : str, optional
        Data cut-off date, ISO 8601.
    extra : tuple of (str, str), optional
        Further (label, value) rows.
    cutoff_given : bool, optional
        The cut-off was asked for (records dated after it are not used) rather than the
        last date in the data.

    Examples
    --------
    >>> from datetime import datetime
    >>> p = Provenance("0.1.0", "ct071", "ab12", "example", "cd34", datetime(2026, 7, 1, 12),
    ...                data_cutoff="2026-06-30")
    >>> p.rows()[-1]
    ('Data cut-off (last date in the data)', '2026-06-30')
    """

    cartrial_version: str
    protocol: str
    protocol_hash: str
    data_dir: str
    data_hash: str
    run_date: datetime
    data_cutoff: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=())
    cutoff_given: bool = False  # the cut-off was asked for (analyze --cutoff)

    def rows(self) -> list[tuple[str, str]]:
        r = [("cartrial version", self.cartrial_version), ("Protocol", self.protocol),
             ("Protocol SHA-256", self.protocol_hash), ("Input data", self.data_dir),
             ("Input data SHA-256", self.data_hash),
             ("Run date (UTC)", self.run_date.strftime("%Y-%m-%d %H:%M:%S"))]
        if self.data_cutoff and self.cutoff_given:
            r.append(("Data cut-off (records dated after it not used)", self.data_cutoff))
        elif self.data_cutoff:
            r.append(("Data cut-off (last date in the data)", self.data_cutoff))
        return r + list(self.extra)


CSS = """
body{font-family:"Segoe UI",Helvetica,Arial,sans-serif;font-size:13px;color:#222;margin:0}
header{background:#16324f;color:#fff;padding:14px 28px;margin-left:285px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:12px;opacity:.9}
nav{position:fixed;top:0;bottom:0;left:0;width:260px;overflow:auto;background:#f4f6f8;
border-right:1px solid #ddd;padding:10px 12px;font-size:12px}nav a{color:#16324f;
text-decoration:none}nav ol{padding-left:16px;margin:2px 0}nav li{margin:2px 0}
main{margin-left:290px;padding:0 28px 40px;max-width:1200px}
h2{border-bottom:2px solid #16324f;padding-bottom:3px;margin-top:34px;color:#16324f}
figure.tlf,figure.fig{margin:18px 0 26px}figcaption{font-weight:600;margin-bottom:6px}
figcaption .num{color:#16324f}.pop{font-weight:400;font-size:12px;color:#555}
.scroll{overflow-x:auto;max-height:640px;overflow-y:auto}
table{border-collapse:collapse;font-size:12px}thead th{border-bottom:1px solid #333;
border-top:2px solid #333;background:#fff;position:sticky;top:0}
th,td{padding:2px 8px;text-align:right;white-space:nowrap}
td.wrap{white-space:normal;text-align:left;min-width:320px;max-width:560px}th.stub{text-align:left;font-weight:400}
thead th.stub{font-weight:600}.ind1{padding-left:22px}.ind2{padding-left:38px}
tbody tr:last-child td,tbody tr:last-child th{border-bottom:2px solid #333}
.foot p{margin:2px 0;font-size:11px;color:#444;max-width:1000px}.src{font-style:italic}
.svg svg{max-width:100%;height:auto}table.prov td{text-align:left}
.partial{border:2px solid #b00020;background:#fdecee;padding:8px 14px;margin:14px 0}
@media print{nav{display:none}main,header{margin-left:0;max-width:none}main{padding:0}
header{background:none;color:#000;padding:0 0 8px;border-bottom:2px solid #000}
.scroll{overflow:visible;max-height:none}thead{display:table-header-group}
thead th{position:static}tr{break-inside:avoid}figcaption{break-after:avoid}
figure.tlf,figure.fig{break-before:page;margin:0}h2{break-before:page;margin-top:0}
h2+figure.tlf,h2+figure.fig,h2+p+figure.tlf,#s-provenance{break-before:avoid}
figure.wide,h2:has(+figure.wide){page:wide}figure.xwide table{font-size:8px}
figure.xwide th,figure.xwide td{padding:1px 4px}thead th{white-space:normal}
th.stub{white-space:normal}figure.table th.stub{min-width:140px}table.prov th{white-space:nowrap}
td.wrap{min-width:0}.svg svg{max-height:230mm}}
@page{size:A4 portrait;margin:16mm 10mm 16mm 10mm;
@bottom-right{content:"Page " counter(page) " of " counter(pages);font-size:9px}}
@page wide{size:A4 landscape}
"""
_PRINT_HEADER = ("@page{{@top-left{{content:\"{study}\";font-size:9px}}"
                 "@top-right{{content:\"Data cut-off {cutoff}\";font-size:9px}}"
                 "@bottom-left{{content:\"Run {run}\";font-size:9px}}}}")


def _css_text(text: str) -> str:
    """Text safe inside a CSS string (quotes, backslashes and angle brackets escaped)."""
    return "".join(c if c.isalnum() or c in " -:.,/()_" else f"\\{ord(c):x} " for c in text)


_DOC = Environment(autoescape=select_autoescape(default=True), trim_blocks=True,
                   lstrip_blocks=True).from_string("""\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="generator" content="cartrial {{ prov.cartrial_version }}">
<title>{{ title }}</title><style>{{ css }}</style></head>
<body>
<nav><strong>Contents</strong><ol>
<li><a href="#s-provenance">Provenance</a></li>
{% for s in sections %}<li><a href="#{{ s.slug }}">{{ s.title }}</a><ol>
{% for it in s.entries %}<li><a href="#{{ it.slug }}">{{ it.caption }}</a></li>
{% endfor %}</ol></li>
{% endfor %}</ol></nav>
<header><h1>{{ title }}</h1><p>{{ subtitle }}</p>
{% if prov.data_cutoff %}<p>Data cut-off: {{ prov.data_cutoff }}</p>{% endif %}</header>
<main>
{% if omitted %}<div class="partial" role="alert"><strong>Incomplete report: these sections
could not be produced</strong> (written with --allow-partial)<ul>
{% for o in omitted %}<li>{{ o }}</li>{% endfor %}</ul></div>{% endif %}
<h2 id="s-provenance">Provenance</h2>
<table class="prov"><tbody>
{% for k, v in prov.rows() %}<tr><th class="stub">{{ k }}</th><td>{{ v }}</td></tr>
{% endfor %}</tbody></table>
{% for s in sections %}
<h2 id="{{ s.slug }}">{{ s.title }}</h2>
{% if s.intro %}<p>{{ s.intro }}</p>{% endif %}
{% for html in s.rendered %}{{ html }}{% endfor %}
{% endfor %}
</main></body></html>
""")

_FIG = Environment(autoescape=select_autoescape(default=True), trim_blocks=True,
                   lstrip_blocks=True).from_string("""\
<figure class="fig" id="{{ f.slug }}">
<figcaption><span class="num">Figure {{ f.number }}</span> {{ f.title }}
{% if f.population %}<div class="pop">Population: {{ f.population }}</div>{% endif %}
</figcaption>
<div class="svg">{{ svg }}</div>
{% if f.footnotes %}<div class="foot">{% for n in f.footnotes %}<p>{{ n }}</p>{% endfor %}</div>
{% endif %}
</figure>""")

_XML_HEAD = re.compile(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)


def figure_to_html(fig: ReportFigure) -> str:
    """The figure as an HTML ``<figure>``: number, title, population, inline SVG, footnotes.

    Parameters
    ----------
    fig : ReportFigure
        The figure.

    Returns
    -------
    str
        The HTML fragment, anchored at ``fig.slug`` (the SVG's XML header removed).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from cartrial.report import figure_bytes
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1], [0, 1])
    >>> f = ReportFigure("14.2.1", "KM plot", figure_bytes(fig, "svg").decode())
    >>> figure_to_html(f).splitlines()[0]
    '<figure class="fig" id="f14_2_1">'
    """
    svg = _XML_HEAD.sub("", fig.svg)
    return _FIG.render(f=fig, svg=Markup(svg))


def render_document(title: str, subtitle: str, sections: list[Section],
                    provenance: Provenance, *, omitted: Sequence[str] = ()) -> str:
    """The whole report as one HTML string; every table and figure is numbered and listed in
    the contents. ``omitted``: sections that could not be produced, listed in a notice at the
    top of the first page. Raises when two items share a number. :func:`write_document`
    writes the same text to a file without holding it whole.

    Parameters
    ----------
    title, subtitle : str
        Report title (its part before ":" is the study in the print header) and subtitle.
    sections : list of Section
        The report's sections, in order.
    provenance : Provenance
        Versions, hashes, run date and data cut-off, printed at the end and in the header.
    omitted : sequence of str, optional
        Sections that could not be produced.

    Returns
    -------
    str
        A self-contained HTML document (no scripts, no external resources).

    Raises
    ------
    InputError
        Two tables or figures share a number.

    Examples
    --------
    >>> import pandas as pd
    >>> from datetime import datetime
    >>> from cartrial.report import table_from_wide
    >>> t = table_from_wide("14.1.1", "Age", "All", pd.DataFrame({"Age": ["62"]}))
    >>> s = Section("Baseline", (t,))
    >>> p = Provenance("0.1.0", "ct071", "ab12", "example", "cd34", datetime(2026, 7, 1))
    >>> render_document("CT071: report", "", [s], p).startswith("<!DOCTYPE html>")
    True
    >>> render_document("CT071: report", "", [s, s], p)
    Traceback (most recent call last):
    cartrial.errors.InputError: two report items are numbered 'Table 14.1.1 Age'
    """
    return "".join(_pieces(title, subtitle, sections, provenance, omitted))


def write_document(path: Path, title: str, subtitle: str, sections: list[Section],
                   provenance: Provenance, *, omitted: Sequence[str] = ()) -> None:
    """Write :func:`render_document`'s text to ``path`` (UTF-8) piece by piece, one table or
    figure rendered at a time (issue #18: memory; the report of a 10,000-patient trial is 22
    MB, held three times over as a whole string). On an error nothing is written at ``path``
    (the pieces go to a file beside it, renamed over ``path`` at the end).

    Parameters
    ----------
    path : pathlib.Path
        The HTML file.
    title, subtitle, sections, provenance, omitted
        As for :func:`render_document`.

    Raises
    ------
    InputError
        Two tables or figures share a number (checked before anything is written).

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> from datetime import datetime
    >>> from cartrial.report import table_from_wide
    >>> t = table_from_wide("14.1.1", "Age", "All", pd.DataFrame({"Age": ["62"]}))
    >>> p = Provenance("0.1.0", "ct071", "ab12", "example", "cd34", datetime(2026, 7, 1))
    >>> f = Path(tempfile.mkdtemp()) / "report.html"
    >>> write_document(f, "CT071: report", "", [Section("Baseline", (t,))], p)
    >>> f.read_text(encoding="utf-8") == render_document("CT071: report", "",
    ...                                                  [Section("Baseline", (t,))], p)
    True
    """
    pieces = _pieces(title, subtitle, sections, provenance, omitted)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", encoding="utf-8") as f:
            for piece in pieces:
                f.write(piece)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)


def _items_html(items: Sequence[ReportTable | ReportFigure]) -> Iterator[Markup]:
    """Each item's HTML and a line break, in pieces rendered as they are asked for."""
    for it in items:
        if isinstance(it, ReportTable):
            yield from map(Markup, table_html_pieces(it))
        else:
            yield Markup(figure_to_html(it))
        yield Markup("\n")


def _pieces(title: str, subtitle: str, sections: list[Section], provenance: Provenance,
            omitted: Sequence[str]) -> Iterator[str]:
    """The document's text in pieces (the template's, each table's and figure's), the items'
    numbers checked first."""
    seen: set[str] = set()
    for it in (it for s in sections for it in s.items):
        if it.slug in seen:
            raise InputError(f"two report items are numbered {it.caption!r}")
        seen.add(it.slug)
    rendered_sections = [{"title": s.title, "slug": s.slug, "intro": s.intro,
                          "entries": s.items, "rendered": _items_html(s.items)}
                         for s in sections]
    header = _PRINT_HEADER.format(study=_css_text(title.split(":")[0]),
                                  cutoff=_css_text(provenance.data_cutoff or "not stated"),
                                  run=_css_text(provenance.run_date.strftime("%Y-%m-%d")))
    return _DOC.generate(title=title, subtitle=subtitle, sections=rendered_sections,
                         prov=provenance, css=Markup(CSS + header), omitted=list(omitted))
