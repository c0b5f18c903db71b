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
    """Clark name of an ODM element.

    Parameters
    ----------
    tag : str
        Element name.

    Returns
    -------
    str

    Examples
    --------
    >>> o("ItemDef")
    '{http://www.cdisc.org/ns/odm/v1.3}ItemDef'
    """
    return f"{{{ODM}}}{tag}"


def d(tag: str) -> str:
    """Clark name of a def: element or attribute.

    Parameters
    ----------
    tag : str
        Element or attribute name.

    Returns
    -------
    str

    Examples
    --------
    >>> d("Origin")
    '{http://www.cdisc.org/ns/def/v2.1}Origin'
    """
    return f"{{{DEF}}}{tag}"


def describe(parent: ET.Element, text: str, tag: str = "Description") -> ET.Element:
    """Append ``<tag><TranslatedText xml:lang="en">text</TranslatedText></tag>`` to parent.

    Parameters
    ----------
    parent : Element
        Where to append.
    text : str
        The English text.
    tag : str
        ``Description`` or ``Decode``.

    Returns
    -------
    Element
        The appended element.
    """
    el = ET.SubElement(parent, o(tag))
    t = ET.SubElement(el, o("TranslatedText"), {_XML_LANG: "en"})
    t.text = text
    return el


def odm_root(*, study: str, part: str, description: str, standard: tuple[str, str],
             version: str, created: datetime) -> tuple[ET.Element, ET.Element]:
    """(ODM root, its MetaDataVersion) for ``part`` with one standard.

    Parameters
    ----------
    study : str
        Study identifier (``STUDY.<study>``).
    part : str
        ``SDTM`` or ``ADAM`` (file and metadata-version OIDs).
    description : str
        ``StudyDescription``.
    standard : tuple of (str, str)
        Name and version, e.g. ("SDTMIG", "3.4"); its OID is ``STD.<name>``.
    version : str
        cartrial version (``SourceSystemVersion``).
    created : datetime
        ``CreationDateTime``.

    Returns
    -------
    tuple of (Element, Element)
    """
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
    """A detached ``ItemDef``.

    Parameters
    ----------
    oid, name : str
        OID and variable name.
    type_ : str
        A key of :data:`DATA_TYPE` (``date``: ADaM date, ``integer`` with DATE9.).
    length : int
        Length (given for text and numbers only, Define-XML 2.1, ItemDef Length).
    label : str
        Description.
    origin : tuple of (str, str or None)
        ``def:Origin`` Type and description.
    codelist, value_list : str, optional
        OIDs referenced.
    source : str, optional
        ``def:Origin`` Source (Investigator, Vendor, Sponsor, Subject).

    Returns
    -------
    Element
    """
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
    EnumeratedItem (Define-XML 2.1, CodeList: one kind per codelist).

    Parameters
    ----------
    oid, name : str
        OID and name.
    entries : iterable of (str, str or None)
        Coded value and decode.
    data_type : str
        ``text``, ``integer`` or ``float``.

    Returns
    -------
    Element
    """
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


def external_codelist(oid: str, name: str, dictionary: str) -> ET.Element:
    """A detached ``CodeList`` whose values come from an external dictionary
    (``ExternalCodeList``, CDISC Define-XML v2.1 specification, CodeList element; e.g. ISO 3166-1
    alpha-3 for DM's COUNTRY). No version is stated: the data do not record one.

    Parameters
    ----------
    oid, name : str
        OID and name.
    dictionary : str
        The dictionary's name.

    Returns
    -------
    Element

    Examples
    --------
    >>> cl = external_codelist("CL.DM.COUNTRY", "DM COUNTRY", "ISO 3166-1 alpha-3")
    >>> cl.find(o("ExternalCodeList")).get("Dictionary")
    'ISO 3166-1 alpha-3'
    """
    cl = ET.Element(o("CodeList"), {"OID": oid, "Name": name, "DataType": "text"})
    ET.SubElement(cl, o("ExternalCodeList"), {"Dictionary": dictionary})
    return cl


def method(oid: str, name: str, text: str) -> ET.Element:
    """A detached ``MethodDef`` of type Computation with its description.

    Parameters
    ----------
    oid, name, text : str
        OID, name and the derivation in words.

    Returns
    -------
    Element
    """
    m = ET.Element(o("MethodDef"), {"OID": oid, "Name": name, "Type": "Computation"})
    describe(m, text)
    return m


def comment(oid: str, text: str) -> ET.Element:
    """A detached ``def:CommentDef``.

    Parameters
    ----------
    oid, text : str
        OID and comment.

    Returns
    -------
    Element
    """
    c = ET.Element(d("CommentDef"), {"OID": oid})
    describe(c, text)
    return c


def leaf(oid: str, href: str) -> ET.Element:
    """A detached ``def:leaf`` pointing to a dataset file.

    Parameters
    ----------
    oid, href : str
        Leaf ID and relative file name (also its title).

    Returns
    -------
    Element
    """
    lf = ET.Element(d("leaf"), {"ID": oid, f"{{{XLINK}}}href": href})
    ET.SubElement(lf, d("title")).text = href
    return lf


def where_clause(oid: str, item_oid: str, value: str) -> ET.Element:
    """A detached ``def:WhereClauseDef``: the item EQ the value.

    Parameters
    ----------
    oid, item_oid, value : str
        Where-clause OID, the OID of the item compared and the value.

    Returns
    -------
    Element
    """
    wc = ET.Element(d("WhereClauseDef"), {"OID": oid})
    rc = ET.SubElement(wc, o("RangeCheck"), {"Comparator": "EQ", "SoftHard": "Soft",
                                             d("ItemOID"): item_oid})
    ET.SubElement(rc, o("CheckValue")).text = value
    return wc


def to_text(root: ET.Element) -> str:
    """The document as text: UTF-8 declaration, two-space indentation, final newline.

    Parameters
    ----------
    root : Element
        The ODM root (indented in place).

    Returns
    -------
    str

    Examples
    --------
    >>> to_text(ET.Element(o("ODM"))).splitlines()[0]
    '<?xml version="1.0" encoding="UTF-8"?>'
    """
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True).replace(
        "<?xml version='1.0' encoding='utf-8'?>", '<?xml version="1.0" encoding="UTF-8"?>'
    ) + "\n"
