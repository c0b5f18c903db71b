"""Define-XML 2.1 of the SDTM the example writes (cartrial.data.define_sdtm).

Outside references: the CDISC Define-XML 2.1 XML schema (tests/adam/data/define-xml-2.1,
provenance in tests/adam/data/PROVENANCE.md) validated with lxml; the XPT files read back by
pyreadstat (ReadStat, an independent reader) for column order and storage widths; character
lengths equal to the longest value (FDA Study Data Technical Conformance Guide v5.x, section
4.1.5); the study day rule of SDTMIG v3.4 section 4.4.4 (no day 0).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from lxml import etree, html

from cartrial.data import data_model
from cartrial.data.define_sdtm import sdtm_origin

XSD = Path(__file__).parent / "data" / "define-xml-2.1" / "cdisc-define-2.1" / "define2-1-0.xsd"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def sdtm(tmp_path_factory):
    """`cartrial example` as XPT: the folder and its define.xml."""
    from typer.testing import CliRunner

    from cartrial.cli.main import app

    out = tmp_path_factory.mktemp("sdtm-xpt")
    res = CliRunner().invoke(app, ["example", "ct071", "--protocol", "ct071", "--out", str(out),
                                   "--format", "xpt", "--json"])
    assert res.exit_code == 0, res.output
    return out, etree.parse(str(out / "define.xml"))


def _text(el) -> str:
    return el.find("odm:Description/odm:TranslatedText", NS).text


def _xpt(path: Path) -> tuple[pd.DataFrame, object]:
    return pyreadstat.read_xport(str(path))


def test_valid_against_the_define_2_1_schema(sdtm):
    _, doc = sdtm
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(doc), schema.error_log
    std = doc.find(".//def:Standard", NS)
    assert (std.get("Name"), std.get("Version")) == ("SDTMIG", "3.4")


def test_every_file_described_in_order_with_xpt_lengths(sdtm):
    """Each .xpt has its ItemGroupDef and leaf; its ItemRefs follow the file's columns; each
    text length is the XPT storage width and the longest value in bytes (FDA TCG 4.1.5)."""
    out, doc = sdtm
    files = sorted(out.glob("*.xpt"))
    groups = doc.findall(".//odm:ItemGroupDef", NS)
    assert [g.get("Name") for g in groups] == [f.stem.upper() for f in files]
    for f, ig in zip(files, groups, strict=True):
        name = ig.get("Name")
        loc = ig.get("{http://www.cdisc.org/ns/def/v2.1}ArchiveLocationID")
        leaf = doc.find(f".//def:leaf[@ID='{loc}']", NS)
        assert leaf.get(f"{{{NS['xlink']}}}href") == f.name
        df, meta = _xpt(f)
        assert [r.get("ItemOID") for r in ig.findall("odm:ItemRef", NS)] == \
            [f"IT.{name}.{c}" for c in meta.column_names]
        for c in meta.column_names:
            item = doc.find(f".//odm:ItemDef[@OID='IT.{name}.{c}']", NS)
            assert _text(item) == meta.column_names_to_labels[c]
            if meta.readstat_variable_types[c] != "string":
                assert item.get("DataType") in ("integer", "float") and item.get("Length") == "8"
                continue
            longest = max([len(str(v).encode()) for v in df[c]] + [1])
            assert meta.variable_storage_width[c] == longest, (name, c)
            if item.get("DataType") == "text":
                assert int(item.get("Length")) == longest, (name, c)
            else:
                assert item.get("DataType") == "datetime" and c.endswith("DTC"), (name, c)


def test_origins_and_derivations_hold_on_the_data(sdtm):
    """Every origin is a Define-XML 2.1 type; each derived variable has its method, and the
    sampled derivations hold on the written records."""
    out, doc = sdtm
    for ig in doc.findall(".//odm:ItemGroupDef", NS):
        for ref in ig.findall("odm:ItemRef", NS):
            item = doc.find(f".//odm:ItemDef[@OID='{ref.get('ItemOID')}']", NS)
            kind = item.find("def:Origin", NS).get("Type")
            assert kind in {"Collected", "Derived", "Assigned", "Protocol"}
            if kind == "Derived":
                m = doc.find(f".//odm:MethodDef[@OID='{ref.get('MethodOID')}']", NS)
                assert len(_text(m)) > 10, ref.get("ItemOID")
    dm, _ = _xpt(out / "dm.xpt")
    assert "STUDYID + '-' + SITEID + '-' + SUBJID" in sdtm_origin("DM", "USUBJID")[2]
    assert (dm["USUBJID"] == dm["STUDYID"] + "-" + dm["SITEID"] + "-" + dm["SUBJID"]).all()
    ae, _ = _xpt(out / "ae.xpt")
    assert sdtm_origin("AE", "AESTDY")[0] == "Derived"
    ref = pd.to_datetime(ae["USUBJID"].map(dm.set_index("USUBJID")["RFSTDTC"]))
    diff = (pd.to_datetime(ae["AESTDTC"].str.slice(0, 10)) - ref).dt.days
    expected = diff.where(diff < 0, diff + 1)
    ok = ae["AESTDTC"].str.len() >= 10
    assert (expected[ok] == ae.loc[ok, "AESTDY"]).all()
    assert (ae.groupby("USUBJID")["AESEQ"].apply(
        lambda s: list(s) == list(range(1, len(s) + 1)))).all()
    ex, _ = _xpt(out / "ex.xpt")
    first = ex[ex["EXCAT"] == "INVESTIGATIONAL PRODUCT"].groupby("USUBJID")["EXSTDTC"].min()
    inf = dm.set_index("USUBJID")["RFSTDTC"].replace("", pd.NA).dropna()
    assert (inf == first.reindex(inf.index).str.slice(0, 10)).all()
    collected = doc.find(".//odm:ItemDef[@OID='IT.LB.LBORRES']/def:Origin", NS)
    assert (collected.get("Type"), collected.get("Source")) == ("Collected", "Vendor")


def test_codelists_hold_every_value_and_decode_test_codes(sdtm):
    out, doc = sdtm
    model = data_model()
    for item in doc.findall(".//odm:ItemDef", NS):
        ref = item.find("odm:CodeListRef", NS)
        if ref is None:
            continue
        name, var = item.get("OID").split(".")[1:3]
        cl = doc.find(f".//odm:CodeList[@OID='{ref.get('CodeListOID')}']", NS)
        if cl.find("odm:ExternalCodeList", NS) is not None:
            continue  # a dictionary's values are not listed (test below)
        coded = {i.get("CodedValue") for i in cl}
        df, _ = _xpt(out / f"{name.lower()}.xpt")
        assert set(df[var]) - {""} <= coded, (name, var)
    sex = doc.find(".//odm:CodeList[@OID='CL.DM.SEX']", NS)
    assert [i.get("CodedValue") for i in sex] == list(model.domains["DM"].terms["SEX"])
    lb, _ = _xpt(out / "lb.xpt")
    decodes = {i.get("CodedValue"): i.find("odm:Decode/odm:TranslatedText", NS).text
               for i in doc.find(".//odm:CodeList[@OID='CL.LB.LBTESTCD']", NS)}
    assert decodes == dict(zip(lb["LBTESTCD"], lb["LBTEST"], strict=False))


def test_demographic_codelists_race_ethnic_country(sdtm):
    """DM's RACE and ETHNIC list the terms found (CDISC Race C74457 and Ethnic Group C66790,
    extended in practice as SDTMIG 3.4 DM assumption 6 describes, so not enforced); COUNTRY
    names its dictionary, ISO 3166-1 alpha-3 (SDTMIG 3.4 DM), as an ExternalCodeList."""
    out, doc = sdtm
    dm, _ = _xpt(out / "dm.xpt")
    for var in ("RACE", "ETHNIC"):
        item = doc.find(f".//odm:ItemDef[@OID='IT.DM.{var}']", NS)
        assert item.find("odm:CodeListRef", NS).get("CodeListOID") == f"CL.DM.{var}"
        cl = doc.find(f".//odm:CodeList[@OID='CL.DM.{var}']", NS)
        assert [i.get("CodedValue") for i in cl] == sorted(set(dm[var]) - {""})
    item = doc.find(".//odm:ItemDef[@OID='IT.DM.COUNTRY']", NS)
    assert item.find("odm:CodeListRef", NS).get("CodeListOID") == "CL.DM.COUNTRY"
    ext = doc.find(".//odm:CodeList[@OID='CL.DM.COUNTRY']/odm:ExternalCodeList", NS)
    assert ext.get("Dictionary") == "ISO 3166-1 alpha-3"
    assert all(len(c) == 3 and c.isupper() for c in dm["COUNTRY"])  # alpha-3 codes indeed


def test_value_level_metadata_per_test_code(sdtm):
    out, doc = sdtm
    lb, _ = _xpt(out / "lb.xpt")
    vl = doc.find(".//def:ValueListDef[@OID='VL.LB.LBORRES']", NS)
    codes = [r.get("ItemOID").rsplit(".", 1)[1] for r in vl.findall("odm:ItemRef", NS)]
    assert codes == list(dict.fromkeys(lb["LBTESTCD"]))
    alb = doc.find(".//odm:ItemDef[@OID='IT.LB.LBORRES.ALB']", NS)
    assert "(standard unit g/L)" in _text(alb)
    longest = max(len(v.encode()) for v in lb.loc[lb["LBTESTCD"] == "ALB", "LBORRES"])
    assert int(alb.get("Length")) == longest


def test_html_view_and_same_bytes(sdtm, tmp_path):
    """The view lists every dataset; the same trial writes the same define.xml (regression)."""
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    out, doc = sdtm
    page = html.parse(str(out / "define-xml.html")).getroot()
    assert page.findtext(".//h1").startswith("CT071 tabulation datasets")
    for ig in doc.findall(".//odm:ItemGroupDef", NS):
        assert page.xpath(f"//h2[@id='{ig.get('Name')}']")
    write_example(simulate_trial(load_protocol("ct071"), seed=20240228), tmp_path, format="xpt")
    assert (tmp_path / "define.xml").read_bytes() == (out / "define.xml").read_bytes()
