"""The human-readable view of define.xml, rendered from the XML itself (not from the datasets):
what a reviewer reads is what the Define-XML document states.

For each ``ItemGroupDef``: name, label, class, structure, comment (``def:CommentDef``) and file;
for each of its ``ItemRef``: variable, label, type, length, display format, key, codelist
(linked), origin (with its source or predecessor), and the derivation (the ``MethodDef``
text); the codelists with their decodes; the value-level metadata (where-clauses of each
``def:ValueListDef`` with length and method). Rendered with jinja2,
autoescaped, no scripts, no external URLs, deterministic.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET

from jinja2 import Environment, Template, select_autoescape

from cartrial.errors import InputError

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}
_D = "{http://www.cdisc.org/ns/def/v2.1}"

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#eef}caption{text-align:left;font-weight:600}
.c{color:#555;max-width:70em}code{font-size:90%}</style></head><body>
<h1>{{ title }}</h1>
<p>Define-XML {{ version }}, created {{ created }}; rendered from define.xml.</p>
<h2>Datasets</h2><table><tr><th>Dataset</th><th>Label</th><th>Class</th><th>Structure</th>
<th>File</th></tr>{% for g in groups %}<tr><td><a href="#{{ g.name }}">{{ g.name }}</a></td>
<td>{{ g.label }}</td><td>{{ g.klass }}</td><td>{{ g.structure }}</td><td>{{ g.file }}</td></tr>
{% endfor %}</table>
{% for g in groups %}<h2 id="{{ g.name }}">{{ g.name }}: {{ g.label }}</h2>
{% if g.comment %}<p class="c">{{ g.comment }}</p>{% endif %}
<table><tr><th>#</th><th>Variable</th><th>Label</th><th>Type</th><th>Length</th><th>Format</th>
<th>Key</th><th>Codelist</th><th>Origin</th><th>Derivation</th></tr>
{% for v in g.variables %}<tr>
<td>{{ v.order }}</td>
<td><code>{{ v.name }}</code></td><td>{{ v.label }}</td><td>{{ v.type }}</td><td>{{ v.length }}</td>
<td>{{ v.format }}</td><td>{{ v.key }}</td>
<td>{% if v.codelist %}<a href="#{{ v.codelist }}">{{ v.codelist }}</a>{% endif %}</td>
<td>{{ v.origin }}</td><td class="c">{{ v.method }}</td>
</tr>{% endfor %}</table>{% if g.vlm %}<table><caption>{{ g.name }} value-level metadata
</caption><tr><th>Variable</th><th>Where</th><th>Label</th><th>Length</th>
<th>Derivation</th></tr>{% for w in g.vlm %}<tr>
<td>{{ w.variable }}</td><td><code>{{ w.where }}</code></td><td>{{ w.label }}</td>
<td>{{ w.length }}</td><td class="c">{{ w.method }}</td></tr>
{% endfor %}</table>{% endif %}{% endfor %}
<h2>Codelists</h2>{% for c in codelists %}<table id="{{ c.oid }}">
<caption>{{ c.name }} ({{ c.oid }})</caption>
{% if c.external %}<tr><th>External dictionary</th></tr><tr><td>{{ c.external }}</td></tr>
{% else %}<tr><th>Coded value</th>{% if c.decoded %}<th>Decode</th>{% endif %}</tr>{% endif %}
{% for code, decode in c.entries %}<tr><td><code>{{ code }}</code></td>
{% if c.decoded %}<td>{{ decode }}</td>{% endif %}</tr>{% endfor %}</table>{% endfor %}
</body></html>
"""


@functools.cache
def _page() -> Template:
    """The page template, compiled once per process."""
    return Environment(autoescape=select_autoescape(default=True)).from_string(_TEMPLATE)


def _text(el: ET.Element | None, path: str = "odm:Description/odm:TranslatedText") -> str:
    found = el.find(path, NS) if el is not None else None
    return (found.text or "") if found is not None else ""


def _items(ig: ET.Element, items: dict, methods: dict) -> list[dict]:
    rows = []
    for ref in ig.findall("odm:ItemRef", NS):
        it = items[ref.get("ItemOID")]
        origin = it.find("def:Origin", NS)
        kind = origin.get("Type", "") if origin is not None else ""
        source = _text(origin)
        if origin is not None and origin.get("Source"):
            kind = f"{kind} ({origin.get('Source')})"
        cl = it.find("odm:CodeListRef", NS)
        rows.append({"order": ref.get("OrderNumber", ""), "name": it.get("Name"),
                     "label": _text(it), "type": it.get("DataType"),
                     "length": it.get("Length", ""), "format": it.get(f"{_D}DisplayFormat", ""),
                     "key": ref.get("KeySequence", ""),
                     "origin": f"{kind}: {source}" if source else kind,
                     "method": methods.get(ref.get("MethodOID"), ""),
                     "codelist": cl.get("CodeListOID") if cl is not None else ""})
    return rows


def _values(name: str, mdv: ET.Element, items: dict, methods: dict, wheres: dict
            ) -> list[dict]:
    out = []
    for vl in mdv.findall("def:ValueListDef", NS):
        if not vl.get("OID", "").startswith(f"VL.{name}."):
            continue
        for ref in vl.findall("odm:ItemRef", NS):
            oid = ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")
            wc = wheres.get(oid)
            rc = wc.find("odm:RangeCheck", NS)
            var = items[rc.get(f"{_D}ItemOID")].get("Name")
            vals = ", ".join(c.text or "" for c in rc.findall("odm:CheckValue", NS))
            it = items[ref.get("ItemOID")]
            out.append({"variable": it.get("Name"), "label": _text(it),
                        "where": f"{var} {rc.get('Comparator')} {vals}",
                        "length": it.get("Length", ""),
                        "method": methods.get(ref.get("MethodOID"), "")})
    return out


def define_view_html(xml: str) -> str:
    """The HTML view of a Define-XML 2.1 document, read from the XML alone.

    Parameters
    ----------
    xml : str
        The define.xml text (as :func:`cartrial.adam.define_xml.define_xml` writes it).

    Returns
    -------
    str
        One self-contained HTML page.

    Raises
    ------
    InputError
        When the text is not XML or holds no ``MetaDataVersion``.

    References
    ----------
    CDISC Define-XML v2.1 specification (CDISC XML Technologies Team, 2019), section 5.

    Examples
    --------
    >>> from datetime import datetime
    >>> import pandas as pd
    >>> from cartrial.adam.define_xml import define_xml
    >>> adsl = pd.DataFrame({"STUDYID": ["CT071"], "USUBJID": ["CT071-001"], "SAFFL": ["Y"]})
    >>> xml = define_xml({"ADSL": adsl}, study="CT071", version="1", created=datetime(2025, 1, 1))
    >>> "<code>SAFFL</code>" in define_view_html(xml)
    True
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise InputError(f"define.xml is not well-formed XML: {e}") from e
    mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
    if mdv is None:
        raise InputError("define.xml: no Study/MetaDataVersion element")
    items = {i.get("OID"): i for i in mdv.findall("odm:ItemDef", NS)}
    methods = {m.get("OID"): _text(m) for m in mdv.findall("odm:MethodDef", NS)}
    comments = {c.get("OID"): _text(c) for c in mdv.findall("def:CommentDef", NS)}
    leaves = {lf.get("ID"): lf.get(f"{{{NS['xlink']}}}href") for lf in mdv.findall("def:leaf", NS)}
    wheres: dict[str, ET.Element] = {}  # OID -> the first where-clause of that OID
    for wc in mdv.findall("def:WhereClauseDef", NS):
        wheres.setdefault(wc.get("OID"), wc)
    groups = []
    for ig in mdv.findall("odm:ItemGroupDef", NS):
        cls = ig.find("def:Class", NS)
        groups.append({"name": ig.get("Name"), "label": _text(ig),
                       "klass": cls.get("Name") if cls is not None else "",
                       "structure": ig.get(f"{_D}Structure", ""),
                       "comment": comments.get(ig.get(f"{_D}CommentOID"), ""),
                       "file": leaves.get(ig.get(f"{_D}ArchiveLocationID"), ""),
                       "variables": _items(ig, items, methods),
                       "vlm": _values(ig.get("Name"), mdv, items, methods, wheres)})
    codelists = [_codelist(cl) for cl in mdv.findall("odm:CodeList", NS)]
    study = root.find("odm:Study/odm:GlobalVariables/odm:StudyDescription", NS)
    return _page().render(
        title=f"{study.text if study is not None else ''}: define.xml",
        version=mdv.get(f"{_D}DefineVersion", ""), created=root.get("CreationDateTime", ""),
        groups=groups, codelists=codelists)


def _codelist(cl: ET.Element) -> dict:
    """A CodeList's values in document order: its CodeListItems (coded value and decode) or
    its EnumeratedItems (a coded value alone; in the CDISC Define-XML v2.1 specification a
    CodeList holds one kind or the other), or the name of its ExternalCodeList's
    dictionary. The view once showed CodeListItems only, so every enumerated codelist
    (ATOXSCL, TRT01A, ...) was an empty table."""
    kinds = {f"{{{NS['odm']}}}CodeListItem", f"{{{NS['odm']}}}EnumeratedItem"}
    entries = [(i.get("CodedValue"), _text(i, "odm:Decode/odm:TranslatedText"))
               for i in cl if i.tag in kinds]
    external = cl.find("odm:ExternalCodeList", NS)
    return {"oid": cl.get("OID"), "name": cl.get("Name"), "entries": entries,
            "decoded": cl.find("odm:CodeListItem", NS) is not None,
            "external": external.get("Dictionary", "") if external is not None else ""}
