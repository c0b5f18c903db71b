"""Define-XML 2.1 of the SDTM datasets a study folder holds (as ``cartrial example`` writes
them): datasets with their SDTMIG class, variables with type, length, label and origin, value-
level metadata of each findings result per test code, codelists and derivation methods.

- Standard: SDTMIG 3.4 (the data model's variable names, ``docs/data-model.md``).
- ``ItemGroupDef`` per domain: class (:data:`CLASSES`; SUPP-- RELATIONSHIP), structure from the
  data model's key, keys as ``KeySequence``, label (the data model's, to its first
  parenthesis, <= 40 characters; the rest as its comment).
- ``ItemDef`` per variable: text length = the longest value in bytes, at least 1, as the XPT
  writer sets it (FDA Study Data Technical Conformance Guide v5.x, section 4.1.5); numbers
  ``integer`` (all values whole) or ``float`` with length 8; ISO 8601 ``--DTC`` variables
  ``datetime`` (no length, Define-XML 2.1 ItemDef); label from the data model.
- Origins (Define-XML 2.1 def:Origin Type) by :func:`sdtm_origin`: ``Collected`` (source
  Investigator, or Vendor for laboratory, kinetics and immunogenicity results), ``Derived``
  (with a method: sequence numbers, study days, USUBJID, DM reference dates and actual arm,
  baseline flags, standardised results), ``Assigned`` (sponsor-defined codes and dictionary
  coding) or ``Protocol`` (study identifier, visits); SUPP-- QVAL from its QORIG.
- Codelists: the data model's controlled terms of each variable present, the terms found of
  the variables it calls coded (DM's RACE, ETHNIC), an ``ExternalCodeList`` for a variable
  from an external dictionary (DM's COUNTRY: ISO 3166-1 alpha-3), and per findings domain
  the test codes present decoded by their test names.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.data import define_odm as odm
from cartrial.data.spec import DomainSpec, data_model
from cartrial.data.write import labels_for, ordered_columns

#: SDTMIG 3.4 observation class of each domain (CDISC SDTM Implementation Guide v3.4, 2021,
#: section 2.1); SUPP-- are RELATIONSHIP.
CLASSES = {"DM": "SPECIAL PURPOSE", "AE": "EVENTS", "MH": "EVENTS", "DS": "EVENTS",
           "CM": "INTERVENTIONS", "EX": "INTERVENTIONS", "PR": "INTERVENTIONS",
           "FA": "FINDINGS ABOUT"}
_VENDOR = {"LB", "PC", "IS"}
_ASSIGNED = {"DOMAIN", "RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QORIG", "QEVAL",
             "SUBJID", "SITEID", "AGEU", "TESTCD", "TEST", "CAT", "SCAT", "OBJ", "EPOCH", "CLAS"}
_DAY = "{dtc} date - DM.RFSTDTC + 1 when on or after RFSTDTC, else {dtc} - RFSTDTC (SDTMIG " \
       "v3.4 section 4.4.4, no day 0)."
_DERIVED = {
    "USUBJID": "STUDYID + '-' + SITEID + '-' + SUBJID.",
    "RFSTDTC": "Date of the CAR-T infusion (EX, EXCAT = INVESTIGATIONAL PRODUCT); missing "
               "when not infused.",
    "RFENDTC": "Date of the subject's last contact when infused, else missing.",
    "RFPENDTC": "Date of the subject's last contact (end of participation).",
    "DTHFL": "'Y' when DTHDTC is not missing.",
    "ACTARMCD": "Protocol dose level of the infused product (EX.EXDOSE; a product out of "
                "specification at the lower level it was given); NOTTRT when not infused.",
    "ACTARM": "Description of ACTARMCD; Not Treated when not infused.",
    "ARMNRS": "MANUFACTURING FAILURE or NOT INFUSED for a subject never infused.",
    "SEQ": "Sequence number 1, 2, ... of the subject's records in the domain.",
    "DY": _DAY.format(dtc="--DTC"), "STDY": _DAY.format(dtc="--STDTC"),
    "ENDY": _DAY.format(dtc="--ENDTC"),
    "BLFL": "'Y' on the subject's last record of the test with a result on or before the "
            "reference start DM.RFSTDTC.",
    "STRESC": "--ORRES in the data model's standard unit of the test (conversions of "
              "cartrial.data.units), as text.", "STRESN": "--STRESC as a number.",
    "STRESU": "The data model's standard unit of the test.",
    "STNRLO": "--ORNRLO in the standard unit.", "STNRHI": "--ORNRHI in the standard unit.",
}
_QORIG = {"CRF": ("Collected", "Investigator"), "ASSIGNED": ("Assigned", "Sponsor"),
          "DERIVED": ("Derived", None), "PROTOCOL": ("Protocol", None)}


def sdtm_origin(domain: str, variable: str, data: pd.DataFrame | None = None
                ) -> tuple[str, str | None, str | None]:
    """(origin type, source, text) of one SDTM variable (rules of the module docstring).

    Parameters
    ----------
    domain : str
        Domain name (``LB``, ``SUPPCM``).
    variable : str
        Variable name.
    data : DataFrame, optional
        The domain's records (SUPP-- QVAL takes its origin from QORIG when it is one value).

    Returns
    -------
    tuple of (str, str or None, str or None)
        Type, ``Source`` (Collected / Assigned) and the derivation (Derived) or description.

    References
    ----------
    CDISC Define-XML v2.1 specification (2019), def:Origin; CDISC SDTMIG v3.4 (2021).

    Examples
    --------
    >>> sdtm_origin("LB", "LBORRES")
    ('Collected', 'Vendor', None)
    >>> sdtm_origin("AE", "AESTDY")[0]
    'Derived'
    """
    suffix = variable[len(domain):] if variable.startswith(domain) and domain != "DM" \
        else variable
    if variable == "STUDYID":
        return "Protocol", None, "The protocol's study identifier."
    if variable in ("VISIT", "VISITNUM"):
        return "Protocol", None, "The protocol's schedule of assessments."
    if variable == "QVAL" and data is not None and "QORIG" in data:
        origins = data["QORIG"].dropna().astype(str).str.upper().unique()
        kind, source = _QORIG.get(origins[0], ("Collected", "Investigator")) \
            if len(origins) == 1 else ("Collected", "Investigator")
        return kind, source, ("See QNAM / QLABEL." if kind == "Derived" else None)
    if (text := _DERIVED.get(variable if domain == "DM" else suffix)) is not None:
        return "Derived", None, text.replace("--", domain)
    if variable in ("ARMCD", "ARM"):
        return "Assigned", "Sponsor", "The dose level assigned at enrolment."
    if suffix in ("DECOD", "BODSYS"):
        return "Assigned", "Sponsor", f"Coded from the reported term of {domain}."
    if variable in _ASSIGNED or suffix in _ASSIGNED:
        return "Assigned", "Sponsor", None
    return "Collected", "Vendor" if domain in _VENDOR else "Investigator", None


def _type_length(s: pd.Series, var: str) -> tuple[str, int]:
    """(type, length) as the XPT writer stores the column (booleans as "Y" / "")."""
    if pd.api.types.is_bool_dtype(s):
        return "text", 1
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        v = s.dropna().to_numpy(dtype=float)
        return ("integer" if np.all(v == np.round(v)) else "num"), 8
    if var.endswith("DTC"):
        return "datetime", 0
    values = pd.unique(s.dropna().astype(str).to_numpy(dtype=object))
    return "text", max([1] + [len(v.encode("utf-8")) for v in values])


def short_label(label: str) -> str:
    """A dataset label for define.xml and XPT: the text before the first parenthesis, cut at a
    word to at most 40 characters (the whole label becomes the dataset's comment).

    Parameters
    ----------
    label : str
        The data model's label.

    Returns
    -------
    str

    Examples
    --------
    >>> short_label("Concomitant, bridging, prior and subsequent medications (CMCAT ...)")
    'Concomitant, bridging, prior and'
    """
    text = label.split(" (")[0].strip()
    return text if len(text) <= 40 else text[:41].rsplit(" ", 1)[0].rstrip(",;")


def _group(name: str, spec: DomainSpec | None, columns: list[str],
           origins: Mapping[str, tuple[str, str | None, str | None]]) -> ET.Element:
    label = spec.label if spec else name
    short = short_label(label)
    key = list(spec.key) if spec else ["USUBJID"]
    cls = "RELATIONSHIP" if name.startswith("SUPP") else CLASSES.get(name, "FINDINGS")
    ig = ET.Element(odm.o("ItemGroupDef"), {
        "OID": f"IG.{name}", "Name": name, "Domain": name,
        "Repeating": "No" if name == "DM" else "Yes", "IsReferenceData": "No",
        "SASDatasetName": name, "Purpose": "Tabulation",
        odm.d("Structure"): "One record per " + ", ".join(key),
        odm.d("StandardOID"): "STD.SDTMIG", odm.d("ArchiveLocationID"): f"LF.{name}"})
    if short != label:
        ig.set(odm.d("CommentOID"), f"COM.{name}")
    odm.describe(ig, short)
    for i, var in enumerate(columns, 1):
        attrs = {"ItemOID": f"IT.{name}.{var}", "OrderNumber": str(i),
                 "Mandatory": "Yes" if spec and var in spec.required else "No"}
        if var in key:
            attrs["KeySequence"] = str(key.index(var) + 1)
        if origins[var][0] == "Derived":
            attrs["MethodOID"] = f"MT.{name}.{var}"
        ET.SubElement(ig, odm.o("ItemRef"), attrs)
    ET.SubElement(ig, odm.d("Class"), {"Name": cls})
    return ig


def _codelists(name: str, df: pd.DataFrame, spec: DomainSpec | None
               ) -> dict[str, ET.Element]:
    """Variable -> CodeList: the data model's terms of each variable present (plus any other
    value found), the terms found of its coded variables, its external dictionaries, and the
    test codes present decoded by their names."""
    out = {}
    coded = {v: () for v in spec.coded} if spec else {}
    for var, terms in [*(spec.terms.items() if spec else []), *coded.items()]:
        if var in df:
            found = set(df[var].dropna().astype(str)) - {""}
            allowed = [t for t in terms if t] + sorted(found - set(terms))
            if not allowed:
                continue
            out[var] = odm.codelist(f"CL.{name}.{var}", f"{name} {var}",
                                    [(t, None) for t in allowed])
    for var, dictionary in (spec.dictionaries.items() if spec else []):
        if var in df:
            out[var] = odm.external_codelist(f"CL.{name}.{var}", f"{name} {var}", dictionary)
    tests = data_model().tests.get(name.removeprefix("SUPP"), {})
    code = f"{name}TESTCD"
    if tests and code in df:
        found = list(dict.fromkeys(df[code].dropna().astype(str)))
        known = [c for c in tests if c in found] + [c for c in found if c not in tests]
        out[code] = odm.codelist(f"CL.{name}.{code}", f"{name} Test Code",
                                 [(c, tests[c].test if c in tests else c) for c in known])
    return out


def _value_level(name: str, df: pd.DataFrame) -> tuple[list[ET.Element], list[ET.Element]]:
    """(ValueListDef, WhereClauseDefs + ItemDefs) of --ORRES per --TESTCD of a findings
    domain: each test's result, its length and its standard unit."""
    res, code = f"{name}ORRES", f"{name}TESTCD"
    tests = data_model().tests.get(name, {})
    if res not in df or code not in df:
        return [], []
    vl = ET.Element(odm.d("ValueListDef"), {"OID": f"VL.{name}.{res}"})
    defs = []
    for i, c in enumerate(dict.fromkeys(df[code].dropna().astype(str)), 1):
        ref = ET.SubElement(vl, odm.o("ItemRef"), {"ItemOID": f"IT.{name}.{res}.{c}",
                                                   "OrderNumber": str(i), "Mandatory": "No"})
        ET.SubElement(ref, odm.d("WhereClauseRef"), {"WhereClauseOID": f"WC.{name}.{c}"})
        defs.append(odm.where_clause(f"WC.{name}.{c}", f"IT.{name}.{code}", c))
        spec = tests.get(c)
        unit = spec.standard_unit() or ", ".join(sorted(set(spec.unit_by_spec.values()))) \
            if spec else ""
        label = f"Result of {spec.test if spec else c}" + (f" (standard unit {unit})"
                                                         if unit else "")
        _, length = _type_length(df.loc[df[code] == c, res].astype(object), res)
        defs.append(odm.item_def(oid=f"IT.{name}.{res}.{c}", name=res, type_="text",
                                 length=length, label=label, origin=sdtm_origin(name, res)[::2],
                                 source=sdtm_origin(name, res)[1]))
    return [vl], defs


def sdtm_define_xml(domains: Mapping[str, pd.DataFrame], *, study: str, version: str,
                    created: datetime, file_ext: str = "xpt") -> str:
    """The Define-XML 2.1 document of SDTM datasets (rules of the module docstring).

    Parameters
    ----------
    domains : mapping of str to DataFrame
        The SDTM domains by name, as written (:func:`cartrial.data.write_study`).
    study : str
        Study identifier.
    version : str
        cartrial version (``SourceSystemVersion``).
    created : datetime
        ``CreationDateTime`` (reproducible bytes: the caller passes a date of the data).
    file_ext : str
        Extension of the dataset files (``xpt``, ``csv`` or ``json``).

    Returns
    -------
    str
        The XML document.

    References
    ----------
    CDISC Define-XML v2.1 specification (2019); CDISC SDTMIG v3.4 (2021); FDA Study Data
    Technical Conformance Guide (v5.x), section 4.1.5 (character lengths).

    Examples
    --------
    >>> import pandas as pd
    >>> dm = pd.DataFrame({"STUDYID": ["CT071"], "DOMAIN": ["DM"], "USUBJID": ["CT071-1-1"],
    ...                    "SEX": ["F"], "AGE": [61]})
    >>> xml = sdtm_define_xml({"DM": dm}, study="CT071", version="1",
    ...                       created=datetime(2025, 1, 1))
    >>> '<CodeListRef CodeListOID="CL.DM.SEX" />' in xml
    True
    """
    root, mdv = odm.odm_root(study=study, part="SDTM", description=f"{study} tabulation datasets",
                             standard=("SDTMIG", "3.4"), version=version, created=created)
    model = data_model()
    names = sorted(domains)
    frames = {n: domains[n][ordered_columns(n, domains[n])] for n in names}
    origins = {n: {v: sdtm_origin(n, v, f) for v in f.columns} for n, f in frames.items()}
    vlms = {n: _value_level(n, f) for n, f in frames.items()}
    mdv.extend([e for n in names for e in vlms[n][0]]
               + [e for n in names for e in vlms[n][1] if e.tag == odm.d("WhereClauseDef")])
    mdv.extend(_group(n, model.domains.get(n), list(frames[n].columns), origins[n])
               for n in names)
    items, lists, methods = [], [], []
    for n in names:
        f, cls = frames[n], _codelists(n, frames[n], model.domains.get(n))
        lists += list(cls.values())
        for var, label in zip(f.columns, labels_for(n, list(f.columns)), strict=True):
            type_, length = _type_length(f[var], var)
            kind, source, text = origins[n][var]
            items.append(odm.item_def(
                oid=f"IT.{n}.{var}", name=var, type_=type_, length=length, label=label,
                origin=(kind, None if kind == "Derived" else text), source=source,
                codelist=f"CL.{n}.{var}" if var in cls else None,
                value_list=f"VL.{n}.{var}" if vlms[n][0] and var == f"{n}ORRES" else None))
            if kind == "Derived":
                methods.append(odm.method(f"MT.{n}.{var}", f"Derivation of {n}.{var}", text))
        items += [e for e in vlms[n][1] if e.tag == odm.o("ItemDef")]
    mdv.extend(items + lists + methods)
    mdv.extend(odm.comment(f"COM.{n}", model.domains[n].label) for n in names
               if n in model.domains
               and short_label(model.domains[n].label) != model.domains[n].label)
    mdv.extend(odm.leaf(f"LF.{n}", f"{n.lower()}.{file_ext}") for n in names)
    return odm.to_text(root)


def write_sdtm_define(domains: Mapping[str, pd.DataFrame], out_dir: str | Path, *,
                      study: str, version: str, created: datetime,
                      file_ext: str = "xpt") -> list[Path]:
    """Write ``define.xml`` (:func:`sdtm_define_xml`) and its HTML view ``define-xml.html``
    (:func:`cartrial.adam.define_view.define_view_html`) into ``out_dir``.

    Parameters
    ----------
    domains, study, version, created, file_ext
        As :func:`sdtm_define_xml` takes them.
    out_dir : str or Path
        The folder holding the SDTM files.

    Returns
    -------
    list of Path
        The two files written.
    """
    from cartrial.adam.define_view import define_view_html

    out = Path(out_dir)
    xml = sdtm_define_xml(domains, study=study, version=version, created=created,
                          file_ext=file_ext)
    (out / "define.xml").write_text(xml, encoding="utf-8")
    (out / "define-xml.html").write_text(define_view_html(xml), encoding="utf-8")
    return [out / "define.xml", out / "define-xml.html"]


def data_date(domains: Mapping[str, pd.DataFrame]) -> datetime:
    """The latest complete date of DM.RFPENDTC and DS.DSSTDTC (midnight), the Unix epoch when
    there is none: a ``created`` stamp that is a function of the data.

    Parameters
    ----------
    domains : mapping of str to DataFrame
        SDTM domains.

    Returns
    -------
    datetime

    Examples
    --------
    >>> data_date({"DM": pd.DataFrame({"RFPENDTC": ["2025-03-01", "2025-04"]})})
    datetime.datetime(2025, 3, 1, 0, 0)
    """
    dates = [pd.to_datetime(domains[d][v].astype(str).str.slice(0, 10), format="%Y-%m-%d",
                            errors="coerce")
             for d, v in (("DM", "RFPENDTC"), ("DS", "DSSTDTC"))
             if d in domains and v in domains[d]]
    last = max((x.max() for x in dates if x.notna().any()), default=None)
    return datetime(1970, 1, 1) if last is None else last.to_pydatetime()
