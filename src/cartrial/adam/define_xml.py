"""Define-XML 2.1 of the ADaM datasets: datasets, variables, parameter value-level metadata,
codelists, origins and derivation methods, without a stylesheet.

Content (CDISC Define-XML v2.1 specification, 2019, sections 3 and 5):

- one ``ItemGroupDef`` per dataset (ADaMIG 1.3 class: ADSL subject level, ADAE occurrence data
  structure, the others basic data structure), its variables as ``ItemRef`` in column order
  with ``USUBJID`` (and ``PARAMCD``) as keys, and a ``def:leaf`` to its file (``.xpt`` or
  ``.json``);
- one ``ItemDef`` per variable: SAS type and length as in the files (text: longest value in
  bytes, FDA Study Data Technical Conformance Guide section 4.1.5; numbers 8; ADaM dates
  ``integer`` of length 8 with display format ``DATE9.``, SAS numeric dates), its label, and
  its origin (:func:`cartrial.adam.derivations.variable_origin`: Derived, Assigned, or
  Predecessor with the SDTM or ADSL variable);
- a ``MethodDef`` per derived variable with its derivation in words, stated beside the code
  that derives it (the deriving module's ``DEFINE``), referenced by its ``ItemRef``;
- ``def:CommentDef`` per dataset: the first paragraph of its deriving module's docstring;
- value-level metadata of ``AVAL`` per ``PARAMCD`` in every BDS dataset (``def:ValueListDef``,
  a ``def:WhereClauseDef`` ``PARAMCD EQ <code>`` per parameter), each with the parameter's
  unit(s) as found in AVALU and its own method (the module's ``DEFINE_PARAMS`` /
  ``DEFINE_PARAM``);
- codelists: ``PARAMCD`` per BDS dataset (decoded by ``PARAM``), No/Yes for ``*FL`` flags,
  the terms found in the data of every other coded variable (:data:`CODED`, and the SDTM
  variables the data model calls coded: RACE, ETHNIC), and an ``ExternalCodeList`` for a
  variable carried from an external dictionary (COUNTRY: ISO 3166-1 alpha-3).

The XML is deterministic: ``created`` (the run date) is the only time stamp.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from cartrial.adam.batched import BatchedDataset
from cartrial.adam.derivations import (
    dataset_comment,
    param_derivation,
    variable_derivation,
    variable_origin,
)
from cartrial.adam.metadata import DATASETS, DatasetProfile
from cartrial.data import data_model
from cartrial.data import define_odm as odm
from cartrial.data.define_odm import d as _d
from cartrial.data.define_odm import o as _o

_CLASS = {"ADSL": "SUBJECT LEVEL ANALYSIS DATASET", "ADAE": "OCCURRENCE DATA STRUCTURE"}
_STRUCTURE = {"ADSL": "One record per subject", "ADAE": "One record per adverse event"}
#: Coded text variables: a codelist of the terms found in the data (flags ``*FL``: No/Yes).
CODED = frozenset({
    "AGEGR1", "TRT01P", "TRT01A", "DOSEU", "DTHDTF", "EOSSTT", "DCSREAS", "POPCD", "NINFRS",
    "ISS", "RISS", "DTHTIM", "ASTDTF", "AENDTF", "ADTF", "ATOXGR", "ATOXSCL", "ATOXGRSC",
    "ANRIND", "AVALU", "PARCAT1", "PARCAT2", "MDTYPE", "EVNTDESC", "CNSDTDSC", "SRCDOM",
    "SRCVAR", "FRLTU", "ICENSRS", "PPTESTCD", "ATOXDSCL", "ATOXDSCH"})
_CODED_IN = {"ADRS": {"AVALC"}, "ADHTOX": {"AVALC"}}


@functools.cache
def _model_coded() -> frozenset[str]:
    """The SDTM variables the data model calls coded without enforcing terms (DM's RACE,
    ETHNIC): their ADaM copies get a codelist of the terms found too."""
    return frozenset(v for d in data_model().domains.values() for v in d.coded)


def _coded(name: str, columns: list[str]) -> list[str]:
    want = CODED | _CODED_IN.get(name, set()) | _model_coded()
    return [c for c in columns if c in want or c.endswith("FL")]


def add_params(seen: dict, batch: pd.DataFrame) -> None:
    """Add what define.xml needs of one frame or batch to ``seen`` (first kept): PARAMCD ->
    PARAM (str keys), ``("AVALU", code, unit)`` per parameter's unit, and ``(variable,
    term)`` per term of a coded variable.

    Parameters
    ----------
    seen : dict
        Gathered so far (updated in place).
    batch : DataFrame
        A frame or batch of an ADaM dataset.

    Examples
    --------
    >>> seen = {}
    >>> add_params(seen, pd.DataFrame({"PARAMCD": ["ALT"], "PARAM": ["ALT (U/L)"]}))
    >>> seen
    {'ALT': 'ALT (U/L)'}
    """
    if "PARAMCD" in batch.columns:
        cols = [c for c in ("PARAMCD", "PARAM", "AVALU") if c in batch.columns]
        rows = batch[cols].dropna(subset=["PARAMCD"]).drop_duplicates()
        for row in rows.itertuples(index=False):
            seen.setdefault(str(row[0]), str(row[1] if "PARAM" in cols else row[0]))
            if "AVALU" in cols and isinstance(row[-1], str) and row[-1]:
                seen.setdefault(("AVALU", str(row[0]), row[-1]), "")
    for var in _coded("", list(batch.columns)) + (["AVALC"] if "AVALC" in batch else []):
        if not pd.api.types.is_numeric_dtype(batch[var]):
            for term in batch[var].dropna().astype(str).unique():
                if term:
                    seen.setdefault((var, term), "")


def _gather(data: pd.DataFrame | BatchedDataset) -> dict:
    seen: dict = {}
    for part in data.batches() if isinstance(data, BatchedDataset) else [data]:
        add_params(seen, part)
    return seen


def _params(seen: Mapping) -> list[tuple[str, str]]:
    return [(k, v) for k, v in seen.items() if isinstance(k, str)]


def _units(seen: Mapping, code: str) -> list[str]:
    return sorted(k[2] for k in seen if isinstance(k, tuple) and len(k) == 3 and k[1] == code)


def _terms(seen: Mapping, var: str) -> list[str]:
    return sorted(k[1] for k in seen if isinstance(k, tuple) and len(k) == 2 and k[0] == var)


def define_xml(datasets: Mapping[str, pd.DataFrame | BatchedDataset], *, study: str,
               version: str, created: datetime, file_ext: str = "xpt",
               profiles: Mapping[str, DatasetProfile] | None = None,
               params: Mapping[str, Mapping] | None = None) -> str:
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
        What :func:`add_params` gathered of datasets while writing them.

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
    root, mdv = odm.odm_root(study=study, part="ADAM", description=f"{study} analysis datasets",
                             standard=("ADaMIG", "1.3"), version=version, created=created)
    given, known = profiles or {}, params or {}
    profiles = {n: given[n] if n in given else DatasetProfile.of(d, n)
                for n, d in datasets.items()}
    seen = {n: known[n] if n in known else _gather(d) for n, d in datasets.items()}
    bds = {n: _params(seen[n]) for n, p in profiles.items()
           if "PARAMCD" in p.columns and _params(seen[n])}
    levels = [_value_level(n, p) for n, p in bds.items() if "AVAL" in profiles[n].columns]
    mdv.extend([vl for vl, _ in levels] + [wc for _, wcs in levels for wc in wcs])
    for name, prof in profiles.items():
        mdv.append(_item_group(name, prof, name in bds, file_ext))
    items, methods, codelists = _items(profiles, seen, bds)
    mdv.extend(items + codelists + methods)
    mdv.extend(odm.comment(f"COM.{n}", text) for n in profiles if (text := dataset_comment(n)))
    mdv.extend(odm.leaf(f"LF.{n}", f"{n.lower()}.{file_ext}") for n in profiles)
    return odm.to_text(root)


def _items(profiles: Mapping[str, DatasetProfile], seen: Mapping[str, Mapping],
           bds: Mapping[str, list[tuple[str, str]]]
           ) -> tuple[list[ET.Element], list[ET.Element], list[ET.Element]]:
    """(ItemDefs, MethodDefs, CodeLists) of every variable and value-level item."""
    items, methods, lists, flags = [], [], {}, False
    for name, prof in profiles.items():
        coded = set(_coded(name, prof.columns))
        for v in prof.variables():
            var, type_ = str(v["VARIABLE"]), str(v["TYPE"])
            kind, text = variable_origin(name, var) or ("Derived", None)
            cl = None
            if var == "PARAMCD" and name in bds:
                cl = f"CL.{name}.PARAMCD"
                lists[cl] = odm.codelist(cl, f"{name} Parameter Code", bds[name])
            elif var in coded and type_ == "text" and var.endswith("FL"):
                cl, flags = "CL.NY", True
            elif type_ == "text" and (dictionary := _model_dictionary(kind, text)):
                cl = f"CL.{name}.{var}"
                lists[cl] = odm.external_codelist(cl, f"{name} {var}", dictionary)
            elif type_ == "text" and (terms := _model_terms(kind, text)
                                      or (var in coded and _terms(seen[name], var))):
                cl = f"CL.{name}.{var}"
                lists[cl] = odm.codelist(cl, f"{name} {var}", [(t, None) for t in terms])
            vl = f"VL.{name}.AVAL" if var == "AVAL" and name in bds else None
            items.append(odm.item_def(
                oid=f"IT.{name}.{var}", name=var, type_=type_,
                length=8 if type_ == "date" else int(v["LENGTH"]),
                label=str(v["LABEL"]), origin=(kind, None if kind == "Derived" else text),
                codelist=cl, value_list=vl))
            if kind == "Derived":
                methods.append(odm.method(f"MT.{name}.{var}", f"Derivation of {name}.{var}",
                                          text or _fallback(name)))
        if name in bds and "AVAL" in prof.columns:
            for code, param in bds[name]:
                units = _units(seen[name], code)
                label = f"Analysis Value for {param}" + (f" ({', '.join(units)})"
                                                         if units else "")
                items.append(odm.item_def(oid=f"IT.{name}.AVAL.{code}", name="AVAL",
                                          type_="num", length=8, label=label,
                                          origin=("Derived", None)))
                text = (param_derivation(name, code, param)
                        or variable_derivation(name, "AVAL") or _fallback(name))
                methods.append(odm.method(f"MT.{name}.AVAL.{code}",
                                          f"Derivation of {name}.AVAL for {code}", text))
    if flags:
        lists["CL.NY"] = odm.codelist("CL.NY", "No Yes Response", [("N", "No"), ("Y", "Yes")])
    return items, methods, [lists[k] for k in sorted(lists)]


def _model_terms(kind: str, source: str | None) -> list[str]:
    """The data model's controlled terms of the SDTM variable a Predecessor carries."""
    if kind != "Predecessor" or not source or source.startswith("ADSL."):
        return []
    dom, var = source.split(".")
    return [t for t in data_model().domains[dom].terms.get(var, ()) if t]


def _model_dictionary(kind: str, source: str | None) -> str | None:
    """The external dictionary of the SDTM variable a Predecessor carries (DM's COUNTRY:
    ISO 3166-1 alpha-3), or None."""
    if kind != "Predecessor" or not source or source.startswith("ADSL."):
        return None
    dom, var = source.split(".")
    return data_model().domains[dom].dictionaries.get(var)


def _fallback(name: str) -> str:
    """The text of a derived variable no module states (a test keeps this from happening)."""
    return f"As derived by cartrial.adam.derive_{name.lower()} (no derivation stated)."


def _value_level(name: str, params: list[tuple[str, str]]
                 ) -> tuple[ET.Element, list[ET.Element]]:
    """``def:ValueListDef`` of AVAL and a ``def:WhereClauseDef`` per parameter (detached: all
    value lists come before all where clauses)."""
    vl = ET.Element(_d("ValueListDef"), {"OID": f"VL.{name}.AVAL"})
    for i, (code, _) in enumerate(params, 1):
        ref = ET.SubElement(vl, _o("ItemRef"), {"ItemOID": f"IT.{name}.AVAL.{code}",
                                                "OrderNumber": str(i), "Mandatory": "No",
                                                "MethodOID": f"MT.{name}.AVAL.{code}"})
        ET.SubElement(ref, _d("WhereClauseRef"), {"WhereClauseOID": f"WC.{name}.{code}"})
    return vl, [odm.where_clause(f"WC.{name}.{code}", f"IT.{name}.PARAMCD", code)
                for code, _ in params]


def _item_group(name: str, prof: DatasetProfile, bds: bool, file_ext: str) -> ET.Element:
    label = DATASETS.get(name, (name, ""))[0]
    structure = _STRUCTURE.get(name, DATASETS.get(name, ("", "One record per row"))[1])
    ig = ET.Element(_o("ItemGroupDef"), {
        "OID": f"IG.{name}", "Name": name, "Repeating": "No" if name == "ADSL" else "Yes",
        "IsReferenceData": "No", "SASDatasetName": name, "Purpose": "Analysis",
        _d("Structure"): structure[:1].upper() + structure[1:],
        _d("StandardOID"): "STD.ADaMIG", _d("ArchiveLocationID"): f"LF.{name}"})
    if dataset_comment(name):
        ig.set(_d("CommentOID"), f"COM.{name}")
    odm.describe(ig, label)
    keys = ["USUBJID"] + (["PARAMCD"] if bds else [])
    for i, var in enumerate(prof.columns, 1):
        attrs = {"ItemOID": f"IT.{name}.{var}", "OrderNumber": str(i),
                 "Mandatory": "Yes" if var in keys or var == "STUDYID" else "No"}
        if var in keys:
            attrs["KeySequence"] = str(keys.index(var) + 1)
        origin = variable_origin(name, var)
        if origin is None or origin[0] == "Derived":
            attrs["MethodOID"] = f"MT.{name}.{var}"
        ET.SubElement(ig, _o("ItemRef"), attrs)
    ET.SubElement(ig, _d("Class"), {"Name": _CLASS.get(name, "BASIC DATA STRUCTURE")})
    return ig
