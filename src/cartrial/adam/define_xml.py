"""Define-XML 2.1 of the ADaM datasets: datasets, variables, parameter value-level metadata,
codelists, origins and derivation methods, without a stylesheet.

Content (CDISC Define-XML v2.1 specification, 2019, sections 3 and 5):

- one ``ItemGroupDef`` per dataset (ADaMIG 1.3 class: ADSL subject level, ADAE occurrence data
  structure, the others basic data structure), its variables as ``ItemRef`` in column order
  with ``USUBJID`` (and ``PARAMCD``) as keys, and a ``def:leaf`` to its file (``.xpt`` or
  ``.json``);
- one ``ItemDef`` per variable: SAS type and length as in the files (text: longest value in
  bytes; numbers 8; ADaM dates ``integer`` with display format ``DATE9.``), its label, and its
  origin: ``Predecessor`` (with the SDTM domain and variable) for a variable of the SDTM data
  model, carried into the dataset, else ``Derived`` by the dataset's method;
- ``MethodDef`` per dataset: the first paragraph of the ``derive_<dataset>`` docstring, the
  function that derives it; and one per derived variable whose derivation is stated
  (:func:`cartrial.adam.derivations.variable_derivation`), referenced by its ``ItemRef``;
- ``def:CommentDef`` per dataset: the first paragraph of its deriving module's docstring;
- value-level metadata of ``AVAL`` per ``PARAMCD`` in every BDS dataset (``def:ValueListDef``,
  a ``def:WhereClauseDef`` ``PARAMCD EQ <code>`` per parameter);
- codelists: ``PARAMCD`` per BDS dataset (decoded by ``PARAM``) and No/Yes for ``*FL`` flags.

The XML is deterministic: ``created`` (the run date) is the only time stamp.
"""

from __future__ import annotations

import inspect
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from cartrial.adam.batched import BatchedDataset
from cartrial.adam.derivations import dataset_comment, variable_derivation
from cartrial.adam.metadata import DATASETS, DatasetProfile
from cartrial.data import data_model

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ET.register_namespace("", ODM)
ET.register_namespace("def", DEF)
ET.register_namespace("xlink", XLINK)
_CLASS = {"ADSL": "SUBJECT LEVEL ANALYSIS DATASET", "ADAE": "OCCURRENCE DATA STRUCTURE"}
_STRUCTURE = {"ADSL": "One record per subject", "ADAE": "One record per adverse event"}


def _o(tag: str) -> str:
    return f"{{{ODM}}}{tag}"


def _d(tag: str) -> str:
    return f"{{{DEF}}}{tag}"


def _describe(parent: ET.Element, text: str, tag: str = "Description") -> ET.Element:
    el = ET.SubElement(parent, _o(tag))
    t = ET.SubElement(el, _o("TranslatedText"), {_XML_LANG: "en"})
    t.text = text
    return el


def _derivation(name: str) -> str:
    """The first paragraph of the docstring of ``cartrial.adam.derive_<name>``."""
    import cartrial.adam as adam

    func = getattr(adam, f"derive_{name.lower()}", None)
    doc = inspect.getdoc(func) if func is not None else None
    if not doc:
        return f"{name} as derived by cartrial.adam.build_adam."
    return " ".join(doc.split("\n\n")[0].split()) + f" (cartrial.adam.derive_{name.lower()})"


def _predecessor(var: str) -> str | None:
    """``DOMAIN.VAR`` of the SDTM variable an ADaM variable carries (DM first), else None."""
    domains = data_model().domains
    order = ["DM"] + sorted(d for d in domains if d != "DM")
    return next((f"{d}.{var}" for d in order if var in domains[d].variables), None)


def add_params(seen: dict[str, str], batch: pd.DataFrame) -> None:
    """Add the (PARAMCD, PARAM) pairs of one frame or batch to ``seen`` (first kept).

    Parameters
    ----------
    seen : dict of str to str
        PARAMCD -> PARAM gathered so far (updated in place).
    batch : DataFrame
        A frame or batch of a BDS dataset (nothing is added without ``PARAMCD``).

    Examples
    --------
    >>> seen = {}
    >>> add_params(seen, pd.DataFrame({"PARAMCD": ["ALT"], "PARAM": ["ALT (U/L)"]}))
    >>> seen
    {'ALT': 'ALT (U/L)'}
    """
    if "PARAMCD" not in batch.columns:
        return
    cols = ["PARAMCD", "PARAM"] if "PARAM" in batch.columns else ["PARAMCD"]
    for row in batch[cols].dropna(subset=["PARAMCD"]).drop_duplicates().itertuples(index=False):
        seen.setdefault(str(row[0]), str(row[-1]))


def _params(data: pd.DataFrame | BatchedDataset) -> list[tuple[str, str]]:
    """The (PARAMCD, PARAM) pairs of a BDS dataset in order of first appearance."""
    seen: dict[str, str] = {}
    for p in data.batches() if isinstance(data, BatchedDataset) else [data]:
        add_params(seen, p)
    return list(seen.items())


def _item_def(mdv: ET.Element, oid: str, var: str, type_: str, length: int, label: str,
              origin: tuple[str, str | None], codelist: str | None = None,
              value_list: str | None = None) -> None:
    """One ``ItemDef``: text, or numbers as float, or dates as integer with DATE9."""
    dtype = {"text": "text", "num": "float", "date": "integer"}[type_]
    attrs = {"OID": oid, "Name": var, "DataType": dtype, "Length": str(length),
             "SASFieldName": var}
    if type_ == "date":
        attrs[_d("DisplayFormat")] = "DATE9."
    item = ET.SubElement(mdv, _o("ItemDef"), attrs)
    _describe(item, label)
    if codelist:
        ET.SubElement(item, _o("CodeListRef"), {"CodeListOID": codelist})
    kind, source = origin
    org = ET.SubElement(item, _d("Origin"), {"Type": kind})
    if source:
        _describe(org, source)
    if value_list:
        ET.SubElement(item, _d("ValueListRef"), {"ValueListOID": value_list})


def _value_level(name: str, params: list[tuple[str, str]]
                 ) -> tuple[ET.Element, list[ET.Element]]:
    """``def:ValueListDef`` of AVAL and a ``def:WhereClauseDef`` per parameter (detached: all
    value lists come before all where clauses)."""
    vl = ET.Element(_d("ValueListDef"), {"OID": f"VL.{name}.AVAL"})
    for i, (code, _) in enumerate(params, 1):
        ref = ET.SubElement(vl, _o("ItemRef"), {"ItemOID": f"IT.{name}.AVAL.{code}",
                                                "OrderNumber": str(i), "Mandatory": "No",
                                                "MethodOID": f"MT.{name}"})
        ET.SubElement(ref, _d("WhereClauseRef"), {"WhereClauseOID": f"WC.{name}.{code}"})
    wcs = []
    for code, _ in params:
        wcs.append(wc := ET.Element(_d("WhereClauseDef"), {"OID": f"WC.{name}.{code}"}))
        rc = ET.SubElement(wc, _o("RangeCheck"), {"Comparator": "EQ", "SoftHard": "Soft",
                                                  _d("ItemOID"): f"IT.{name}.PARAMCD"})
        ET.SubElement(rc, _o("CheckValue")).text = code
    return vl, wcs


def _root(study: str, version: str, created: datetime) -> tuple[ET.Element, ET.Element]:
    root = ET.Element(_o("ODM"), {
        "FileType": "Snapshot", "FileOID": f"DEFINE.{study}.ADAM", "ODMVersion": "1.3.2",
        "CreationDateTime": created.replace(microsecond=0).isoformat(),
        "SourceSystem": "cartrial", "SourceSystemVersion": version, _d("Context"): "Other"})
    st = ET.SubElement(root, _o("Study"), {"OID": f"STUDY.{study}"})
    gv = ET.SubElement(st, _o("GlobalVariables"))
    for tag, text in (("StudyName", study), ("StudyDescription", f"{study} analysis datasets"),
                      ("ProtocolName", study)):
        ET.SubElement(gv, _o(tag)).text = text
    mdv = ET.SubElement(st, _o("MetaDataVersion"), {
        "OID": f"MDV.{study}.ADAM", "Name": f"{study} ADaM", _d("DefineVersion"): "2.1.0"})
    stds = ET.SubElement(mdv, _d("Standards"))
    ET.SubElement(stds, _d("Standard"), {"OID": "STD.ADAMIG", "Name": "ADaMIG", "Type": "IG",
                                         "Version": "1.3", "Status": "Final"})
    return root, mdv


def define_xml(datasets: Mapping[str, pd.DataFrame | BatchedDataset], *, study: str,
               version: str, created: datetime, file_ext: str = "xpt",
               profiles: Mapping[str, DatasetProfile] | None = None,
               params: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The Define-XML 2.1 document of the ADaM datasets (rules of the module docstring).

    Parameters
    ----------
    datasets : mapping of str to DataFrame or BatchedDataset
        The ADaM datasets by name, as :func:`cartrial.adam.write_adam` writes them.
    study : str
        Study identifier (Study OID ``STUDY.<study>``).
    version : str
        cartrial version (``SourceSystemVersion``).
    created : datetime
        ``CreationDateTime`` (the run date: reproducible bytes).
    file_ext : str
        Extension of the dataset files the ``def:leaf`` elements point to (``xpt`` or
        ``json``).
    profiles : mapping of str to DatasetProfile, optional
        Profiles already gathered while writing (else gathered here: one pass per dataset).
    params : mapping of str to mapping, optional
        PARAMCD -> PARAM of datasets already gathered while writing (:func:`add_params`).

    Returns
    -------
    str
        The XML document (UTF-8 declaration, two-space indentation).

    Raises
    ------
    InputError
        A variable without a label (:func:`cartrial.adam.metadata.variable_label`).

    References
    ----------
    CDISC Define-XML v2.1 specification (CDISC XML Technologies Team, 2019); CDISC ADaMIG
    v1.3 (2021), section 3 (dataset classes).

    Examples
    --------
    >>> from datetime import datetime
    >>> import pandas as pd
    >>> adsl = pd.DataFrame({"STUDYID": ["CT071"], "USUBJID": ["CT071-001"], "SAFFL": ["Y"]})
    >>> xml = define_xml({"ADSL": adsl}, study="CT071", version="1", created=datetime(2025, 1, 1))
    >>> 'def:DefineVersion="2.1.0"' in xml
    True
    """
    root, mdv = _root(study, version, created)
    given = profiles or {}
    profiles = {n: given[n] if n in given else DatasetProfile.of(d, n)
                for n, d in datasets.items()}
    known = params or {}
    params = {n: list(known[n].items()) if n in known else _params(d)
              for n, d in datasets.items() if "PARAMCD" in profiles[n].columns}
    levels = [_value_level(n, p) for n, p in params.items() if "AVAL" in profiles[n].columns
              and p]
    mdv.extend([vl for vl, _ in levels] + [wc for _, wcs in levels for wc in wcs])
    for name, prof in profiles.items():
        _item_group(mdv, name, prof, name in params, file_ext)
    flags: set[str] = set()
    for name, prof in profiles.items():
        for v in prof.variables():
            var = str(v["VARIABLE"])
            pred = _predecessor(var)
            origin = ("Predecessor", pred) if pred else ("Derived", None)
            codelist = (f"CL.{name}.PARAMCD" if var == "PARAMCD" and params.get(name)
                        else "CL.NY" if var.endswith("FL") and v["TYPE"] == "text" else None)
            if codelist == "CL.NY":
                flags.add(var)
            vl = f"VL.{name}.AVAL" if var == "AVAL" and params.get(name) else None
            _item_def(mdv, f"IT.{name}.{var}", var, str(v["TYPE"]), int(v["LENGTH"]),
                      str(v["LABEL"]), origin, codelist, vl)
        if params.get(name) and "AVAL" in prof.columns:
            for code, param in params[name]:
                _item_def(mdv, f"IT.{name}.AVAL.{code}", "AVAL", "num", 8,
                          f"Analysis Value for {param}", ("Derived", None))
    _codelists(mdv, params, bool(flags))
    for name, prof in profiles.items():
        _describe(ET.SubElement(mdv, _o("MethodDef"), {
            "OID": f"MT.{name}", "Name": f"Derivation of {name}", "Type": "Computation"}),
            _derivation(name))
        for var in prof.columns:
            if _predecessor(var) is None and (text := variable_derivation(name, var)):
                _describe(ET.SubElement(mdv, _o("MethodDef"), {
                    "OID": f"MT.{name}.{var}", "Name": f"Derivation of {name}.{var}",
                    "Type": "Computation"}), text)
    for name in profiles:
        if text := dataset_comment(name):
            _describe(ET.SubElement(mdv, _d("CommentDef"), {"OID": f"COM.{name}"}), text)
    for name in profiles:
        leaf = ET.SubElement(mdv, _d("leaf"), {"ID": f"LF.{name}",
                                               f"{{{XLINK}}}href": f"{name.lower()}.{file_ext}"})
        ET.SubElement(leaf, _d("title")).text = f"{name.lower()}.{file_ext}"
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True).replace(
        "<?xml version='1.0' encoding='utf-8'?>", '<?xml version="1.0" encoding="UTF-8"?>'
    ) + "\n"


def _item_group(mdv: ET.Element, name: str, prof: DatasetProfile, bds: bool,
                file_ext: str) -> None:
    label = DATASETS.get(name, (name, ""))[0]
    structure = _STRUCTURE.get(name, DATASETS.get(name, ("", "One record per row"))[1])
    ig = ET.SubElement(mdv, _o("ItemGroupDef"), {
        "OID": f"IG.{name}", "Name": name, "Repeating": "No" if name == "ADSL" else "Yes",
        "IsReferenceData": "No", "SASDatasetName": name, "Purpose": "Analysis",
        _d("Structure"): structure[:1].upper() + structure[1:],
        _d("StandardOID"): "STD.ADAMIG", _d("ArchiveLocationID"): f"LF.{name}"})
    if dataset_comment(name):
        ig.set(_d("CommentOID"), f"COM.{name}")
    _describe(ig, label)
    keys = ["USUBJID"] + (["PARAMCD"] if bds else [])
    for i, var in enumerate(prof.columns, 1):
        attrs = {"ItemOID": f"IT.{name}.{var}", "OrderNumber": str(i),
                 "Mandatory": "Yes" if var in keys or var == "STUDYID" else "No"}
        if var in keys:
            attrs["KeySequence"] = str(keys.index(var) + 1)
        if _predecessor(var) is None:
            attrs["MethodOID"] = (f"MT.{name}.{var}" if variable_derivation(name, var)
                                  else f"MT.{name}")
        ET.SubElement(ig, _o("ItemRef"), attrs)
    ET.SubElement(ig, _d("Class"), {"Name": _CLASS.get(name, "BASIC DATA STRUCTURE")})


def _codelists(mdv: ET.Element, params: Mapping[str, list[tuple[str, str]]],
               flags: bool) -> None:
    for name, pars in params.items():
        if not pars:
            continue
        cl = ET.SubElement(mdv, _o("CodeList"), {"OID": f"CL.{name}.PARAMCD",
                                                  "Name": f"{name} Parameter Code",
                                                  "DataType": "text"})
        for i, (code, param) in enumerate(pars, 1):
            item = ET.SubElement(cl, _o("CodeListItem"), {"CodedValue": code,
                                                           "OrderNumber": str(i)})
            _describe(item, param, "Decode")
    if flags:
        cl = ET.SubElement(mdv, _o("CodeList"), {"OID": "CL.NY", "Name": "No Yes Response",
                                                  "DataType": "text"})
        for i, (code, decode) in enumerate((("N", "No"), ("Y", "Yes")), 1):
            _describe(ET.SubElement(cl, _o("CodeListItem"), {"CodedValue": code,
                                                              "OrderNumber": str(i)}),
                      decode, "Decode")
