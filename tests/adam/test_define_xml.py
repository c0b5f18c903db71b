"""Define-XML 2.1 of the ADaM datasets (cartrial.adam.define_xml).

Outside reference: the CDISC Define-XML 2.1 XML schema (with the ODM 1.3.2 schema it extends),
tests/adam/data/define-xml-2.1, validated with lxml; provenance in tests/adam/data/PROVENANCE.md.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cartrial.adam.define_xml import define_xml
from tests.adam._analysed import RUN_DATE
from tests.adam._analysed import analysed as _analysed

XSD = Path(__file__).parent / "data" / "define-xml-2.1" / "cdisc-define-2.1" / "define2-1-0.xsd"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(XSD)))  # local files only: no network


@pytest.fixture(scope="module")
def define(tmp_path_factory):
    adam, frames = _analysed(tmp_path_factory)
    return adam, frames, etree.parse(str(adam / "define.xml"))


def test_example_define_xml_is_valid_against_the_define_2_1_schema(define, schema):
    _, _, doc = define
    assert schema.validate(doc), schema.error_log
    root = doc.getroot()
    assert root.get(f"{{{NS['def']}}}Context") == "Other"
    assert root.get("CreationDateTime") == RUN_DATE.isoformat()


def test_schema_refuses_a_broken_document(define, schema):
    """The validator is not vacuous: without the required def:Context the file is invalid."""
    _, _, doc = define
    broken = etree.fromstring(etree.tostring(doc))
    del broken.attrib[f"{{{NS['def']}}}Context"]
    assert not schema.validate(broken)


def test_datasets_and_variables_match_the_files(define):
    adam, frames, doc = define
    for name in frames:
        ig = doc.find(f".//odm:ItemGroupDef[@OID='IG.{name}']", NS)
        assert ig is not None, name
        csv = pd.read_csv(adam / f"{name.lower()}.csv", dtype=str, keep_default_na=False)
        oids = [r.get("ItemOID") for r in ig.findall("odm:ItemRef", NS)]
        assert oids == [f"IT.{name}.{c}" for c in csv.columns]
        leaf = doc.find(f".//def:leaf[@ID='LF.{name}']", NS)
        assert (adam / leaf.get(f"{{{NS['xlink']}}}href")).exists()
        for c in csv.columns:  # text lengths are the longest value in bytes (FDA TCG 4.1.5)
            item = doc.find(f".//odm:ItemDef[@OID='IT.{name}.{c}']", NS)
            if item.get("DataType") == "text":
                longest = max([len(v.encode()) for v in csv[c]] + [1])
                assert int(item.get("Length")) == longest, (name, c)


def test_dataset_json_oids_resolve_in_define_xml(define):
    """Dataset-JSON's itemGroupOID and itemOIDs are the define.xml OIDs (metaDataRef)."""
    import json

    adam, frames, doc = define
    for name in frames:
        dsj = json.loads((adam / f"{name.lower()}.json").read_text())
        assert dsj["metaDataRef"] == "define.xml"
        assert doc.find(f".//odm:ItemGroupDef[@OID='{dsj['itemGroupOID']}']", NS) is not None
        for c in dsj["columns"]:
            assert doc.find(f".//odm:ItemDef[@OID='{c['itemOID']}']", NS) is not None


def test_value_level_metadata_per_parameter(define):
    adam, frames, doc = define
    for name in ("ADLB", "ADRS", "ADTTE"):
        csv = pd.read_csv(adam / f"{name.lower()}.csv", dtype=str, keep_default_na=False)
        vl = doc.find(f".//def:ValueListDef[@OID='VL.{name}.AVAL']", NS)
        codes = [doc.find(f".//def:WhereClauseDef[@OID='{ref.get('WhereClauseOID')}']"
                          "/odm:RangeCheck/odm:CheckValue", NS).text
                 for ref in vl.findall("odm:ItemRef/def:WhereClauseRef", NS)]
        assert codes == list(dict.fromkeys(csv["PARAMCD"]))
        decodes = {i.get("CodedValue"): i.find("odm:Decode/odm:TranslatedText", NS).text
                   for i in doc.findall(f".//odm:CodeList[@OID='CL.{name}.PARAMCD']/"
                                        "odm:CodeListItem", NS)}
        assert decodes == dict(zip(csv["PARAMCD"], csv["PARAM"], strict=True))


def test_origins_and_methods(define):
    _, _, doc = define
    usubjid = doc.find(".//odm:ItemDef[@OID='IT.ADLB.USUBJID']/def:Origin", NS)
    assert usubjid.get("Type") == "Predecessor"
    assert usubjid.find("odm:Description/odm:TranslatedText", NS).text == "DM.USUBJID"
    chg = doc.find(".//odm:ItemDef[@OID='IT.ADLB.CHG']/def:Origin", NS)
    assert chg.get("Type") == "Derived"
    def method_text(ds, var):
        ref = doc.find(f".//odm:ItemGroupDef[@OID='IG.{ds}']/odm:ItemRef"
                       f"[@ItemOID='IT.{ds}.{var}']", NS)
        method = doc.find(f".//odm:MethodDef[@OID='{ref.get('MethodOID')}']", NS)
        return method.find("odm:Description/odm:TranslatedText", NS).text

    assert method_text("ADLB", "ANRIND").startswith("LOW when AVAL < ANRLO")
    # a variable with a stated derivation has its own method (Define-XML 2.1, section 5.3.8)
    assert method_text("ADLB", "CHG").startswith("AVAL - BASE")
    assert "ADSL.INFDT" in method_text("ADPC", "AFRLT")
    srcseq = doc.find(".//odm:ItemDef[@OID='IT.ADPC.SRCSEQ']/def:Origin", NS)
    assert srcseq.get("Type") == "Predecessor"  # a copy of PC.PCSEQ: no method
    assert srcseq.find("odm:Description/odm:TranslatedText", NS).text == "PC.PCSEQ"


def test_dataset_comments(define):
    _, _, doc = define
    for name in ("ADSL", "ADPC", "ADPP", "ADCYT"):
        ig = doc.find(f".//odm:ItemGroupDef[@OID='IG.{name}']", NS)
        oid = ig.get(f"{{{NS['def']}}}CommentOID")
        com = doc.find(f".//def:CommentDef[@OID='{oid}']/odm:Description/odm:TranslatedText",
                       NS)
        assert com.text.startswith(name)


def test_same_data_same_bytes(define):
    """Regression test: the document is a function of the data and the run date."""
    _, frames, _ = define
    kw = {"study": "CT071", "version": "t", "created": RUN_DATE}
    small = {"ADSL": frames["ADSL"], "ADTTE": frames["ADTTE"]}
    assert define_xml(small, **kw) == define_xml(small, **kw)


def test_batched_dataset_same_define_xml_and_no_extra_pass(tmp_path):
    """Regression test: define.xml of a BatchedDataset equals that of its frame, and write_adam
    reads the batches once for XPT (the parameters are gathered while writing)."""
    from cartrial.adam import BatchedDataset, write_adam

    parts = [pd.DataFrame({"STUDYID": ["CT071"] * 2, "USUBJID": ["S-1", "S-2"],
                           "PARAMCD": ["ALT", "AST"], "PARAM": ["ALT (U/L)", "AST (U/L)"],
                           "AVAL": [30.0, 25.0]}),
             pd.DataFrame({"STUDYID": ["CT071"], "USUBJID": ["S-3"], "PARAMCD": ["CRP"],
                           "PARAM": ["CRP (mg/L)"], "AVAL": [4.0]})]
    passes = []

    def make():
        passes.append(1)
        return iter(parts)

    kw = {"study": "CT071", "version": "t", "protocol_hash": "p", "data_hash": "d",
          "run_date": RUN_DATE}
    write_adam({"ADLB": BatchedDataset(3, make)}, tmp_path / "b", **kw)
    assert len(passes) == 1
    write_adam({"ADLB": pd.concat(parts, ignore_index=True)}, tmp_path / "w", **kw)
    xml = (tmp_path / "b" / "define.xml").read_bytes()
    assert xml == (tmp_path / "w" / "define.xml").read_bytes()
    assert b"<CheckValue>CRP</CheckValue>" in xml


def test_html_view_is_rendered_from_the_xml(define):
    """define-xml.html, read with lxml's HTML parser, shows for every ItemGroupDef of the XML
    its variables in ItemRef order, and each variable's MethodDef text as its derivation."""
    from lxml import html

    adam, _, doc = define
    page = html.parse(str(adam / "define-xml.html")).getroot()
    methods = {m.get("OID"): m.find("odm:Description/odm:TranslatedText", NS).text
               for m in doc.findall(".//odm:MethodDef", NS)}
    for ig in doc.findall(".//odm:ItemGroupDef", NS):
        name = ig.get("Name")
        table = page.xpath(f"//h2[@id='{name}']/following-sibling::table[1]")[0]
        rows = [[td.text_content() for td in tr.findall("td")] for tr in table.findall("tr")[1:]]
        refs = ig.findall("odm:ItemRef", NS)
        assert [r[1] for r in rows] == [ref.get("ItemOID").split(".")[-1] for ref in refs]
        assert [r[9] for r in rows] == [methods.get(ref.get("MethodOID"), "") for ref in refs]
    assert not page.xpath("//script") and "http" not in (adam / "define-xml.html").read_text()


def test_html_view_value_level_rows_follow_their_where_clauses(define):
    """Each value-level row of define-xml.html shows the where-clause its WhereClauseRef
    names, resolved here with lxml's XPath (the view resolves it through a table of OIDs)."""
    from lxml import html

    adam, _, doc = define
    page = html.parse(str(adam / "define-xml.html")).getroot()
    mdv = doc.find(".//odm:MetaDataVersion", NS)
    checked = 0
    for vl in mdv.findall("def:ValueListDef", NS):
        name = vl.get("OID").split(".")[1]
        table = page.xpath(f"//h2[@id='{name}']/following-sibling::table[2]")[0]
        rows = [[td.text_content() for td in tr.findall("td")] for tr in table.findall("tr")[1:]]
        want = []
        for ref in vl.findall("odm:ItemRef", NS):
            oid = ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")
            rc = mdv.xpath(f"def:WhereClauseDef[@OID='{oid}']/odm:RangeCheck", namespaces=NS)[0]
            item = rc.get("{http://www.cdisc.org/ns/def/v2.1}ItemOID")
            var = mdv.xpath(f"odm:ItemDef[@OID='{item}']/@Name", namespaces=NS)[0]
            values = ", ".join(c.text for c in rc.findall("odm:CheckValue", NS))
            want.append(f"{var} {rc.get('Comparator')} {values}")
        assert [r[1] for r in rows] == want
        checked += len(want)
    assert checked > 10


def test_xpt_widths_equal_define_lengths_and_longest_values(define, tmp_path):
    """FDA Study Data Technical Conformance Guide v5.x section 4.1.5: character lengths are
    the longest value; the XPT files written from the example's ADaM, read back by pyreadstat
    (an independent reader), store each text column at exactly that width, and define.xml
    states the same length."""
    import pyreadstat

    from cartrial.adam import write_adam

    _, frames, _ = define
    write_adam(frames, tmp_path, study="CT071", version="t", protocol_hash="p",
               data_hash="d", run_date=RUN_DATE)
    doc = etree.parse(str(tmp_path / "define.xml"))
    for name in frames:
        df, meta = pyreadstat.read_xport(str(tmp_path / f"{name.lower()}.xpt"))
        for c in meta.column_names:
            if meta.readstat_variable_types[c] != "string":
                continue
            longest = max([len(str(v).encode()) for v in df[c]] + [1])
            item = doc.find(f".//odm:ItemDef[@OID='IT.{name}.{c}']", NS)
            assert meta.variable_storage_width[c] == longest == int(item.get("Length")), \
                (name, c)
