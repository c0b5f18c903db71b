"""CSR disposition, flow diagram, exposure and death tables: counts on hand-built ADSL rows
(each expected count written by hand from the rows), and the analysed example's report equal
to its ADSL dataset."""

from __future__ import annotations

import pandas as pd
import pytest
from lxml import html as lxml_html

from cartrial.adam.adsl_csr import derive_vars_death_timing, derive_vars_exposure
from cartrial.protocol import load_protocol
from cartrial.report.csr_deaths import table_deaths_timing
from cartrial.report.csr_disposition import figure_flow, flow_steps, table_disposition
from cartrial.report.csr_exposure import listing_low_dose, table_exposure
from tests.report._pipeline import analysed

P = load_protocol("ct071")
T = pd.Timestamp


def _adsl() -> pd.DataFrame:
    """Five enrolled patients: two infused at DL1 (one at a lower dose), one DL2 infused and
    dead on day 31, one manufacturing failure, one withdrawn after lymphodepletion."""
    dl1, dl2 = (f"{d.id} {d.label}" for d in P.dose_levels[:2])
    d1, d2 = P.dose_levels[0].dose, P.dose_levels[1].dose
    rows = [
        # USUBJID, ARMCD, TRT01A, APHDT, LDSTDT, TRTSDT, DOSEA, BRIDGFL, DS reason, death date
        ("S1", "DL1", dl1, T("2024-01-01"), T("2024-01-15"), T("2024-01-20"), d1, "Y", "", None),
        ("S2", "DL1", dl1, T("2024-02-01"), T("2024-02-12"), T("2024-02-17"), d1 / 2, "", "",
         None),
        ("S3", "DL2", dl2, T("2024-03-01"), T("2024-03-10"), T("2024-03-15"), d2, "", "DEATH",
         T("2024-04-15")),
        ("S4", "DL2", "", T("2024-04-01"), pd.NaT, pd.NaT, float("nan"), "", "MANUFACTURING "
         "FAILURE", None),
        ("S5", "DL2", "", T("2024-05-01"), T("2024-05-10"), pd.NaT, float("nan"), "",
         "WITHDRAWAL BY SUBJECT", None),
    ]
    a = pd.DataFrame(rows, columns=["USUBJID", "ARMCD", "TRT01A", "APHDT", "LDSTDT", "TRTSDT",
                                    "DOSEA", "BRIDGFL", "DCSREAS", "DTHDT"])
    a["DTHDT"] = pd.to_datetime(a["DTHDT"])
    a["APHFL"] = "Y"
    a["LDFL"] = a["LDSTDT"].notna().map({True: "Y", False: ""})
    a["SAFFL"] = a["TRTSDT"].notna().map({True: "Y", False: ""})
    a["MFGFFL"] = (a["DCSREAS"] == "MANUFACTURING FAILURE").map({True: "Y", False: ""})
    a["NINFRS"] = a["DCSREAS"].where(a["SAFFL"] != "Y", "")
    a["DLTEVLFL"] = ["Y", "", "Y", "", ""]
    a["EFFFL"] = ["Y", "Y", "", "", ""]
    a["EOSSTT"] = ["ONGOING", "ONGOING", "DISCONTINUED", "DISCONTINUED", "DISCONTINUED"]
    a["DTHFL"] = a["DTHDT"].notna().map({True: "Y", False: ""})
    a["DTHCAUS"] = ["", "", "DEATH DUE TO SEPSIS", "", ""]
    return derive_vars_death_timing(derive_vars_exposure(a, P))


def _cell(table, row: str, col_start: str, nth: int = 0) -> str:
    """The value of the ``nth`` row shown as ``row`` (repeated labels carry invisible marks)."""
    w = table.wide()
    col = [c for c in w.columns if c.startswith(col_start)]
    rows = [r for r in w.index if r.replace("\u200b", "") == row]
    return w.loc[rows[nth], col[0]]


def test_disposition_counts_each_step_and_reason():
    t = table_disposition(_adsl(), P, "14.1.2")
    assert _cell(t, "Leukapheresed", "Overall") == "5 (100.0%)"
    assert _cell(t, "Received lymphodepleting chemotherapy", "Overall") == "4 (80.0%)"
    assert _cell(t, "Infused with the CAR-T product", "DL1") == "2 (100.0%)"
    assert _cell(t, "Leukapheresed, not infused", "DL2") == "2 (66.7%)"
    assert _cell(t, "Manufacturing failure", "DL2") == "1 (33.3%)"
    assert _cell(t, "Received bridging therapy", "DL1") == "1 (50.0%)"
    assert _cell(t, "Died", "Overall") == "1 (20.0%)"


def test_flow_steps_carry_numbers_and_reasons_and_render_as_svg_text():
    steps, analysis = flow_steps(_adsl(), P)
    assert [s.n for s in steps] == [5, 5, 4, 3]
    assert steps[1].left == {"Manufacturing failure": 1}
    assert steps[2].left == {"Withdrawal by subject": 1}
    assert [(s.label, s.n) for s in analysis] == [("DLT-evaluable", 2), ("Efficacy-evaluable", 2)]
    assert analysis[0].left == {"DLT window not completed at the cut-off": 1}
    svg = figure_flow(_adsl(), P, "14.1.1").svg
    for text in ("Leukapheresed (n = 5)", "Lymphodepleted (n = 4)", "Manufacturing failure: 1",
                 "Withdrawal by subject: 1", "bridging therapy: 1"):
        assert text in svg


def test_exposure_shows_an_infusion_below_the_planned_dose():
    a = _adsl()
    assert a["DOSELFL"].tolist() == ["", "Y", "", "", ""]
    t = table_exposure(a, None, P, "14.1.4")
    assert _cell(t, "Infused below the planned dose", "DL1") == "1 (50.0%)"
    assert _cell(t, "Infused at the planned dose", "DL1") == "1 (50.0%)"
    dl1 = P.dose_levels[0]
    assert _cell(t, f"Planned dose ({dl1.unit})", "DL1") == f"{dl1.dose:g}"
    # vein-to-vein: S1 19 days, S2 16 days
    assert _cell(t, "Min\u2013max", "DL1", 1) == "16\u201319"
    assert _cell(t, "Min\u2013max", "DL1", 0) == "0.05\u20130.10"
    listing = listing_low_dose(a, "16.2.6")
    assert listing.wide()["Infused / planned (%)"].tolist() == ["50.0"]
    assert listing_low_dose(a.assign(DOSELFL=""), "16.2.6") is None


@pytest.mark.parametrize(("day", "timing"), [(0, "DAY 0-30"), (30, "DAY 0-30"),
                                             (31, "DAY 31-90"), (90, "DAY 31-90"),
                                             (91, "AFTER DAY 90")])
def test_death_timing_boundaries(day, timing):
    a = pd.DataFrame({"TRTSDT": [T("2024-01-01")], "DTHDT": [T("2024-01-01") + pd.Timedelta(
        days=day)], "DTHFL": ["Y"]})
    assert derive_vars_death_timing(a)["DTHTIM"].tolist() == [timing]


def test_deaths_by_cause_and_timing_include_deaths_before_infusion():
    a = _adsl()
    a.loc[3, ["DTHFL", "DTHDT", "DTHCAUS"]] = ["Y", T("2024-04-20"), "DEATH DUE TO DISEASE "
                                               "PROGRESSION"]
    t = table_deaths_timing(derive_vars_death_timing(a), "14.3.6.1")
    w = t.wide()
    assert w.loc["All deaths"].tolist() == ["1", "0", "1", "0", "2"]
    assert w.loc["Sepsis", "Day 31\u201390"] == "1"
    assert w.loc["Disease progression", "Before infusion"] == "1"


def _html_table(doc, slug: str) -> dict[str, list[str]]:
    fig = doc.get_element_by_id(slug)
    out = {}
    for tr in fig.iter("tr"):
        cells = [c.text_content().strip() for c in tr if c.tag in ("th", "td")]
        if cells and tr.getparent().tag == "tbody":
            out[cells[0]] = cells[1:]
    return out


def test_report_counts_equal_adsl(tmp_path_factory):
    """The analysed example: Tables 14.1.2-14.1.4 and Figure 14.1.1 in report.html count what
    the written ADSL dataset flags."""
    s = analysed(tmp_path_factory)
    adsl = pd.read_csv(s.out / "adam" / "adsl.csv", keep_default_na=False, dtype=str)
    doc = lxml_html.fromstring(s.report.read_text(encoding="utf-8"))
    n = len(adsl)

    def y(col):
        return int((adsl[col] == "Y").sum())

    disp = _html_table(doc, "t14_1_2")
    for row, col in (("Leukapheresed", "APHFL"), ("Received bridging therapy", "BRIDGFL"),
                     ("Received lymphodepleting chemotherapy", "LDFL"),
                     ("Infused with the CAR-T product", "SAFFL"), ("DLT-evaluable", "DLTEVLFL"),
                     ("Efficacy-evaluable", "EFFFL"), ("Died", "DTHFL")):
        assert disp[row][-1].split(" ")[0] == str(y(col)), row
    base = _html_table(doc, "t14_1_3")
    inf = adsl[adsl["SAFFL"] == "Y"]
    for row, col in (("Triple-class exposed", "TCEXPFL"), ("Penta-drug refractory", "PENREFFL"),
                     ("Prior BCMA-directed therapy", "BCMAFL"), ("Extramedullary disease",
                                                                 "EMDFL")):
        assert base[row][-1].split(" ")[0] == str(int((inf[col] == "Y").sum())), row
    expo = _html_table(doc, "t14_1_4")
    assert expo["Manufacturing failure"][-1].split(" ")[0] == str(y("MFGFFL"))
    svg = doc.get_element_by_id("f14_1_1").text_content()
    assert f"Enrolled (informed consent) (n = {n})" in svg
    assert f"Lymphodepleted (n = {y('LDFL')})" in svg
    deaths = _html_table(doc, "t14_3_6_1")
    assert deaths["All deaths"][-1] == str(y("DTHFL"))
