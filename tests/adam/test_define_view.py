"""define-xml.html, the readable view of define.xml: every codelist's values shown.

External reference: the Define-XML v2.1 structure itself (CDISC XML Technologies Team, 2019):
a CodeList holds CodeListItem elements (a coded value with its Decode), EnumeratedItem
elements (a coded value alone) or an ExternalCodeList (a dictionary's name); the view is
checked against the values of the XML it reads, parsed here independently."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from html import unescape

import pandas as pd

from cartrial.adam.define_view import define_view_html
from cartrial.adam.define_xml import define_xml

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


def _xml() -> str:
    adsl = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S1", "S2"],
                         "TRT01A": ["DL1 0.1 x10^6/kg", "DL2 0.3 x10^6/kg"], "SAFFL": "Y",
                         "RACE": ["ASIAN", "WHITE"], "COUNTRY": ["CHN", "USA"]})
    adcyt = pd.DataFrame({"STUDYID": "CT071", "USUBJID": ["S1", "S1"],
                          "PARAMCD": ["IL6BL", "IL6AUC"],
                          "PARAM": ["IL6 Baseline", "IL6 AUC day 0-28"], "AVAL": [1.0, 2.0]})
    return define_xml({"ADSL": adsl, "ADCYT": adcyt}, study="CT071", version="1",
                      created=datetime(2025, 1, 1))


def _shown(html: str, oid: str) -> list[list[str]]:
    """The rows (cells' text) of the view's table of one codelist."""
    table = re.search(rf'<table id="{re.escape(oid)}">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]  # the header row left out
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows]


def test_every_codelist_shows_the_values_the_xml_holds() -> None:
    xml = _xml()
    html = define_view_html(xml)
    lists = ET.fromstring(xml).iter(f"{ODM}CodeList")
    kinds = set()
    for cl in lists:
        enumerated = cl.findall(f"{ODM}EnumeratedItem")
        items = cl.findall(f"{ODM}CodeListItem")
        if (ext := cl.find(f"{ODM}ExternalCodeList")) is not None:
            assert _shown(html, cl.get("OID")) == [[ext.get("Dictionary")]], cl.get("OID")
            kinds.add("external")
            continue
        want = ([[e.get("CodedValue")] for e in enumerated] if enumerated else
                [[i.get("CodedValue"), i.find(f"{ODM}Decode/{ODM}TranslatedText").text]
                 for i in items])
        assert want, cl.get("OID")
        assert _shown(html, cl.get("OID")) == want, cl.get("OID")
        kinds.add("enumerated" if enumerated else "decoded")
    assert kinds == {"enumerated", "decoded", "external"}  # every kind was checked


def test_an_enumerated_codelist_is_not_an_empty_table() -> None:
    """The view once listed CodeListItems only: ADAE's ATOXSCL, TRT01A and every other
    enumerated codelist showed a header and no value."""
    html = define_view_html(_xml())
    assert _shown(html, "CL.ADSL.TRT01A") == [["DL1 0.1 x10^6/kg"], ["DL2 0.3 x10^6/kg"]]


def test_race_lists_its_terms_and_country_names_its_dictionary() -> None:
    """ADSL's RACE (a Predecessor of DM.RACE, which the data model calls coded) gets the terms
    found; COUNTRY the dictionary DM's COUNTRY is coded to, ISO 3166-1 alpha-3 (SDTMIG 3.4 DM)."""
    html = define_view_html(_xml())
    assert _shown(html, "CL.ADSL.RACE") == [["ASIAN"], ["WHITE"]]
    assert _shown(html, "CL.ADSL.COUNTRY") == [["ISO 3166-1 alpha-3"]]
