"""Origins, derivation methods, value-level metadata and codelists of the ADaM define.xml
(cartrial.adam.derivations, the ``DEFINE`` dicts beside each deriving module).

Outside references: the Define-XML 2.1 origin types (CDISC Define-XML v2.1 specification,
2019, def:Origin Type); the ISS thresholds of Greipp et al., J Clin Oncol 2005;23:3412-20
(stage I B2M < 3.5 mg/L and albumin >= 3.5 g/dL, stage III B2M >= 5.5 mg/L); the
CAR-HEMATOTOX risk groups of Rejeski et al., Blood 2021;138:2499-513 (low 0-1, high >= 2); the
PFS event and censoring conventions of FDA's Clinical Trial Endpoints guidance (2018). The
other checks compare a method's words with what the written datasets hold: regression tests of
the text against the code's behaviour.
"""

from __future__ import annotations

import pandas as pd
import pytest
from lxml import etree

from cartrial.adam.define_xml import CODED
from cartrial.adam.derivations import ORIGIN_TYPES, variable_origin
from cartrial.data import data_model
from tests.adam._analysed import analysed as _analysed

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


@pytest.fixture(scope="module")
def define(tmp_path_factory):
    adam, frames = _analysed(tmp_path_factory)
    return adam, frames, etree.parse(str(adam / "define.xml"))


def _text(el) -> str:
    return el.find("odm:Description/odm:TranslatedText", NS).text


def _method(doc, oid: str) -> str:
    return _text(doc.find(f".//odm:MethodDef[@OID='{oid}']", NS))


def _csv(adam, name: str) -> pd.DataFrame:
    return pd.read_csv(adam / f"{name.lower()}.csv", dtype=str, keep_default_na=False)


def test_every_variable_has_an_origin_and_every_derived_one_its_method(define):
    """A variable nothing states fails here: add it to the DEFINE of its deriving module."""
    _, frames, doc = define
    unstated = [(n, c) for n, f in frames.items() for c in f.columns
                if variable_origin(n, c) is None]
    assert unstated == []
    for ig in doc.findall(".//odm:ItemGroupDef", NS):
        name = ig.get("Name")
        for ref in ig.findall("odm:ItemRef", NS):
            item = doc.find(f".//odm:ItemDef[@OID='{ref.get('ItemOID')}']", NS)
            origin = item.find("def:Origin", NS)
            assert origin.get("Type") in ORIGIN_TYPES
            var = item.get("Name")
            if origin.get("Type") == "Derived":
                assert ref.get("MethodOID") == f"MT.{name}.{var}", (name, var)
                text = _method(doc, ref.get("MethodOID"))
                assert len(text) > 5 and "no derivation stated" not in text, (name, var)
            else:  # Assigned and Predecessor say what / where from; no method
                assert ref.get("MethodOID") is None and _text(origin), (name, var)


def test_predecessors_name_existing_variables(define):
    adam, _, doc = define
    adsl = _csv(adam, "ADSL")
    for item in doc.findall(".//odm:ItemDef", NS):
        origin = item.find("def:Origin", NS)
        if origin.get("Type") != "Predecessor":
            continue
        dom, var = _text(origin).split(".")
        if dom == "ADSL":
            assert var in adsl.columns
        else:
            assert var in data_model().domains[dom].variables, (dom, var)


def test_pfs_method_states_what_the_code_does(define):
    """ADTTE PFS: AVAL = ADT - STARTDT + 1 days from apheresis (CT071's time origin); every
    censoring description the data hold is a rule the method states (FDA 2018 conventions:
    new anticancer therapy, missed assessments, last adequate assessment, no assessment)."""
    adam, _, doc = define
    text = _method(doc, "MT.ADTTE.AVAL.PFS")
    assert "ADT - STARTDT + 1" in text and "death, whichever first" in text
    assert "APHDT" in _method(doc, "MT.ADTTE.STARTDT")
    tte, adsl = _csv(adam, "ADTTE"), _csv(adam, "ADSL").set_index("USUBJID")
    pfs = tte[tte["PARAMCD"] == "PFS"]
    start, adt = pd.to_datetime(pfs["STARTDT"]), pd.to_datetime(pfs["ADT"])
    assert ((adt - start).dt.days + 1 == pfs["AVAL"].astype(float)).all()
    assert (start == pd.to_datetime(pfs["USUBJID"].map(adsl["APHDT"]))).all()
    rule = {"Last adequate assessment": "at the last adequate assessment without an event",
            "New anti-myeloma therapy": "new anti-myeloma therapy",
            "No adequate post-baseline assessment": "without an adequate post-baseline",
            "Event after": "missed assessments"}
    cens = pfs[pfs["CNSR"] == "1"]
    assert len(cens) and (pfs["CNSR"] == "0").any()
    for desc in cens["CNSDTDSC"].unique():
        key = next(k for k in rule if desc.startswith(k))
        assert rule[key] in text, desc
    assert set(pfs.loc[pfs["CNSR"] == "0", "EVNTDESC"]) <= {"Disease progression", "Death"}


def test_bds_value_texts_match_the_data(define):
    """Regression: CHG, AFRLT, ADURN, AVALM and AGEGR1 as their methods state them."""
    adam, _, doc = define
    lb = _csv(adam, "ADLB")
    post = lb[(lb["ADAYINF"] != "") & (lb["CHG"] != "")]
    assert _method(doc, "MT.ADLB.CHG").startswith("AVAL - BASE for records with ADAYINF > 0")
    assert (post["ADAYINF"].astype(float) > 0).all()
    diff = post["AVAL"].astype(float) - post["BASE"].astype(float)
    assert (diff - post["CHG"].astype(float)).abs().max() < 1e-6
    pc, adsl = _csv(adam, "ADPC"), _csv(adam, "ADSL").set_index("USUBJID")
    assert "ADT - ADSL.INFDT" in _method(doc, "MT.ADPC.AFRLT")
    days = (pd.to_datetime(pc["ADT"]) - pd.to_datetime(pc["USUBJID"].map(adsl["INFDT"]))).dt.days
    assert (days == pc["AFRLT"].astype(float)).all()
    ae = _csv(adam, "ADAE")
    ae = ae[ae["AENDT"] != ""]
    assert "AENDT - ASTDT + 1" in _method(doc, "MT.ADAE.ADURN")
    dur = (pd.to_datetime(ae["AENDT"]) - pd.to_datetime(ae["ASTDT"])).dt.days + 1
    assert (dur == ae["ADURN"].astype(float)).all()
    tte = _csv(adam, "ADTTE")
    assert "AVAL / 30.4375" in _method(doc, "MT.ADTTE.AVALM")
    months = tte["AVAL"].astype(float) / 30.4375  # the CSV holds 10 significant digits
    assert ((months - tte["AVALM"].astype(float)).abs() <= 1e-9 * months.abs() + 1e-12).all()
    age = adsl["AGE"].astype(float)
    assert (adsl["AGEGR1"] == age.map(lambda a: ">=65" if a >= 65 else "<65")).all()


def test_iss_and_hematotox_texts_state_the_published_thresholds(define):
    """ISS (Greipp 2005) thresholds in the method and in the stages the code assigns; the
    CAR-HEMATOTOX risk groups (Rejeski 2021) in the method and in ADHTOX."""
    from cartrial.adam.myeloma import iss_stage

    adam, _, doc = define
    iss = _method(doc, "MT.ADSL.ISS")
    assert all(s in iss for s in ("B2M < 3.5 mg/L", "albumin >= 35 g/L", "B2M >= 5.5 mg/L"))
    assert iss_stage([3.49, 3.5, 5.49, 5.5], [35, 35, 50, 50]).tolist() == ["I", "II", "II",
                                                                           "III"]
    ht = _csv(adam, "ADHTOX")
    ht = ht[(ht["PARAMCD"] == "HTOXSCOR") & (ht["AVAL"] != "")]
    assert "LOW for 0-1, HIGH for >= 2" in _method(doc, "MT.ADHTOX.AVAL.HTOXSCOR")
    assert len(ht) and (ht["AVALC"] == ht["AVAL"].astype(float).map(
        lambda s: "HIGH" if s >= 2 else "LOW")).all()


@pytest.mark.parametrize("name", ["ADLB", "ADPC", "ADPP", "ADCYT", "ADHTOX", "ADRS", "ADTTE",
                                  "ADSYND", "ADAB", "ADEX"])
def test_value_level_metadata_with_units_and_methods(define, name):
    adam, _, doc = define
    data = _csv(adam, name)
    vl = doc.find(f".//def:ValueListDef[@OID='VL.{name}.AVAL']", NS)
    refs = vl.findall("odm:ItemRef", NS)
    assert len(refs) == data["PARAMCD"].nunique()
    for ref in refs:
        code = ref.get("ItemOID").rsplit(".", 1)[1]
        item = doc.find(f".//odm:ItemDef[@OID='{ref.get('ItemOID')}']", NS)
        units = sorted(set(data.loc[data["PARAMCD"] == code, "AVALU"]) - {""}) \
            if "AVALU" in data else []
        if units:
            assert _text(item).endswith(f"({', '.join(units)})"), (name, code)
        text = _method(doc, ref.get("MethodOID"))
        assert "no derivation stated" not in text
    if name in ("ADTTE", "ADRS", "ADHTOX", "ADSYND"):  # parameter-specific, not a template
        texts = {_method(doc, r.get("MethodOID")) for r in refs}
        assert len(texts) == len(refs)


def test_coded_variables_have_codelists_of_their_terms(define):
    adam, frames, doc = define
    for name in frames:
        data = _csv(adam, name)
        for var in data.columns:
            item = doc.find(f".//odm:ItemDef[@OID='IT.{name}.{var}']", NS)
            if item.get("DataType") != "text" or not (var in CODED or var.endswith("FL")):
                continue
            terms = set(data[var]) - {""}
            if not terms:
                continue
            ref = item.find("odm:CodeListRef", NS)
            assert ref is not None, (name, var)
            cl = doc.find(f".//odm:CodeList[@OID='{ref.get('CodeListOID')}']", NS)
            coded = {i.get("CodedValue") for i in cl}
            assert terms <= coded, (name, var, terms - coded)
            if not var.endswith("FL"):
                assert coded == terms, (name, var)


def test_carried_sdtm_variables_keep_the_data_model_terms(define):
    """ADSL.SEX (Predecessor DM.SEX) has the codelist of the data model's terms."""
    _, _, doc = define
    ref = doc.find(".//odm:ItemDef[@OID='IT.ADSL.SEX']/odm:CodeListRef", NS)
    cl = doc.find(f".//odm:CodeList[@OID='{ref.get('CodeListOID')}']", NS)
    assert [i.get("CodedValue") for i in cl] == list(data_model().domains["DM"].terms["SEX"])
