"""Building blocks of a Define-XML 2.1 document (ODM 1.3.2 with the def: extension), shared by
the SDTM and the ADaM define.xml: namespaces, the ODM root with its study and standard, item
definitions with their origin, codelists, methods, comments, leaves, value-level where clauses
and the serialised text (UTF-8 declaration, two-space indentation, deterministic).

Reference: CDISC Define-XML v2.1 specification (CDISC XML Technologies Team, 2019), sections 3
(document structure) and 5 (element definitions).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ET.register_namespace("", ODM)
ET.register_namespace("def", DEF)
ET.register_namespace("xlink", XLINK)
#: Define-XML DataType of a dataset profile's TYPE (dates of ADaM: SAS numeric dates).
DATA_TYPE = {"text": "text", "num": "float", "date": "integer", "integer": "integer",
             "datetime": "datetime"}


def o(tag: str) -> str:
    """Clark name of an ODM element (``o("ItemDef")``)."""
    return f"{{{ODM}}}{tag}"


def d(tag: str) -> str:
    """Clark name of a def: element or attribute (``d("Origin")``)."""
    return f"{{{DEF}}}{tag}"


def describe(parent: ET.Element, text: str, tag: str = "Description") -> ET.Element:
    """Append ``<tag><TranslatedText xml:lang="en">text</TranslatedText></tag>`` to parent."""
    el = ET.SubElement(parent, o(tag))
    t = ET.SubElement(el, o("TranslatedText"), {_XML_LANG: "en"})
    t.text = text
    return el


def odm_root(*, study: str, part: str, description: str, standard: tuple[str, str],
             version: str, created: datetime) -> tuple[ET.Element, ET.Element]:
    """(ODM root, its MetaDataVersion) for ``part`` (SDTM or ADAM) with one standard
    (name, version), e.g. ("SDTMIG", "3.4")."""
    root = ET.Element(o("ODM"), {
        "FileType": "Snapshot", "FileOID": f"DEFINE.{study}.{part}", "ODMVersion": "1.3.2",
        "CreationDateTime": created.replace(microsecond=0).isoformat(),
        "SourceSystem": "cartrial", "SourceSystemVersion": version, d("Context"): "Other"})
    st = ET.SubElement(root, o("Study"), {"OID": f"STUDY.{study}"})
    gv = ET.SubElement(st, o("GlobalVariables"))
    for tag, text in (("StudyName", study), ("StudyDescription", description),
                      ("ProtocolName", study)):
        ET.SubElement(gv, o(tag)).text = text
    mdv = ET.SubElement(st, o("MetaDataVersion"), {
        "OID": f"MDV.{study}.{part}", "Name": f"{study} {part}", d("DefineVersion"): "2.1.0"})
    stds = ET.SubElement(mdv, d("Standards"))
    name, ver = standard
    ET.SubElement(stds, d("Standard"), {"OID": f"STD.{name}", "Name": name, "Type": "IG",
                                        "Version": ver, "Status": "Final"})
    return root, mdv


def item_def(*, oid: str, name: str, type_: str, length: int, label: str,
             origin: tuple[str, str | None], codelist: str | None = None,
             value_list: str | None = None, source: str | None = None) -> ET.Element:
    """A detached ``ItemDef``: DataType from :data:`DATA_TYPE` (dates of ADaM ``integer``
    with DATE9.), its label, codelist, origin (type, description) and value list."""
    attrs = {"OID": oid, "Name": name, "DataType": DATA_TYPE[type_], "SASFieldName": name}
    if type_ in ("text", "num", "date", "integer"):
        attrs["Length"] = str(length)
    if type_ == "date":
        attrs[d("DisplayFormat")] = "DATE9."
    item = ET.Element(o("ItemDef"), attrs)
    describe(item, label)
    if codelist:
        ET.SubElement(item, o("CodeListRef"), {"CodeListOID": codelist})
    kind, text = origin
    org = ET.SubElement(item, d("Origin"), {"Type": kind} | ({"Source": source} if source
                                                              else {}))
    if text:
        describe(org, text)
    if value_list:
        ET.SubElement(item, d("ValueListRef"), {"ValueListOID": value_list})
    return item


def codelist(oid: str, name: str, entries: Iterable[tuple[str, str | None]],
             data_type: str = "text") -> ET.Element:
    """A detached ``CodeList``: CodeListItem with Decode where a decode is given, else
    EnumeratedItem (Define-XML 2.1 section 5.3.12: one kind per codelist)."""
    cl = ET.Element(o("CodeList"), {"OID": oid, "Name": name, "DataType": data_type})
    entries = list(entries)
    decoded = any(dec for _, dec in entries)
    for i, (code, dec) in enumerate(entries, 1):
        attrs = {"CodedValue": code, "OrderNumber": str(i)}
        if decoded:
            describe(ET.SubElement(cl, o("CodeListItem"), attrs), dec or code, "Decode")
        else:
            ET.SubElement(cl, o("EnumeratedItem"), attrs)
    return cl


def method(oid: str, name: str, text: str) -> ET.Element:
    """A detached ``MethodDef`` of type Computation with its description."""
    m = ET.Element(o("MethodDef"), {"OID": oid, "Name": name, "Type": "Computation"})
    describe(m, text)
    return m


def comment(oid: str, text: str) -> ET.Element:
    """A detached ``def:CommentDef``."""
    c = ET.Element(d("CommentDef"), {"OID": oid})
    describe(c, text)
    return c


def leaf(oid: str, href: str) -> ET.Element:
    """A detached ``def:leaf`` pointing to a dataset file."""
    lf = ET.Element(d("leaf"), {"ID": oid, f"{{{XLINK}}}href": href})
    ET.SubElement(lf, d("title")).text = href
    return lf


def where_clause(oid: str, item_oid: str, value: str) -> ET.Element:
    """A detached ``def:WhereClauseDef``: the item EQ the value."""
    wc = ET.Element(d("WhereClauseDef"), {"OID": oid})
    rc = ET.SubElement(wc, o("RangeCheck"), {"Comparator": "EQ", "SoftHard": "Soft",
                                             d("ItemOID"): item_oid})
    ET.SubElement(rc, o("CheckValue")).text = value
    return wc


def to_text(root: ET.Element) -> str:
    """The document as text: UTF-8 declaration, two-space indentation, final newline."""
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True).replace(
        "<?xml version='1.0' encoding='utf-8'?>", '<?xml version="1.0" encoding="UTF-8"?>'
    ) + "\n"
