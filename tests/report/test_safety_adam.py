"""The report's safety tables (14.1.4, 14.2.3, 14.3.x) are computed from the ADaM datasets:
rebuilt here from the ADaM CSV files ``cartrial analyze`` wrote, with no safety-engine result
at all, they equal the tables the report displays, character for character (the rendered text
of each table: title, cells, footnotes and source). The numbers themselves are checked against
a script that knows nothing of cartrial in tests/report/test_ars_recompute.py; this module is
a regression test of the code path (tables from ADaM, not from the engine's frames)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cartrial.protocol import load_protocol
from cartrial.report.csr import csr_summary_items
from cartrial.report.render import table_to_text
from cartrial.report.safety_adam import adam_safety_tables, dlt_patients, safety_population
from cartrial.report.section_items import dlt_item, safety_table_items
from tests.report._pipeline import analysed

# the analysis method record the footnotes name (what SafetyAnalysis.method holds for ct071):
# criteria and their versions, the protocol's windows; no data
METHOD = {"ctcae_version": "5.0", "crs_criteria": "ASTCT 2019", "icans_criteria": "ASTCT 2019",
          "treatment_emergent_until_day": 365, "prolonged_cytopenia_day": 28,
          "icaht_censoring": "first of progression (RS PD), subsequent anti-myeloma therapy "
                             "(CM) and death"}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return analysed(tmp_path_factory).out


@pytest.fixture(scope="module")
def adam(out) -> dict[str, pd.DataFrame]:
    """The ADaM datasets as a reviewer reads them: the CSV files alone."""
    return {p.stem.upper(): pd.read_csv(p, keep_default_na=False, na_values=[""],
                                        low_memory=False)
            for p in sorted((out / "adam").glob("*.csv"))}


def _shown(out: Path, number: str) -> str:
    return (out / "tables" / f"table_{number.replace('.', '_')}.txt").read_text(
        encoding="utf-8")


def test_safety_tables_from_adam_files_equal_the_report(adam, out):
    protocol = load_protocol("ct071")
    tables = adam_safety_tables(adam, protocol)
    items = safety_table_items(adam["ADSL"], tables, METHOD, protocol)
    numbers = [t.number for t in items]
    assert {"14.3.1", "14.3.1.1", "14.3.2", "14.3.3", "14.3.4", "14.3.5", "14.3.6",
            "14.3.6.1", "14.3.7", "14.3.7.1", "14.3.8", "14.3.9", "14.3.9.1", "14.3.10",
            "14.3.11", "14.3.12"} <= set(numbers)
    for t in items:
        assert table_to_text(t) == _shown(out, t.number), t.number
    dlt = dlt_item(adam["ADSL"], tables, METHOD, protocol)
    assert table_to_text(dlt) == _shown(out, "14.2.3")


def test_exposure_table_from_adsl_and_adex(adam, out):
    protocol = load_protocol("ct071")
    t = next(i for i in csr_summary_items(adam["ADSL"], protocol, adam["ADEX"])
             if getattr(i, "number", "") == "14.1.4" and hasattr(i, "cells"))
    assert table_to_text(t) == _shown(out, "14.1.4")


def test_source_lines_name_the_datasets_read(out):
    for number, source in (("14.3.2", "ADAE (patients by worst grade), ADSYND (episodes)"),
                           ("14.3.3", "ADAE (patients by worst grade), ADSYND (episodes)"),
                           ("14.3.4", "ADHTOX"), ("14.3.10", "ADAE, ADSL")):
        text = _shown(out, number)
        assert f"Source: {source}" in text, (number, text[-300:])
        assert "safety engine" not in text.split("Source:")[-1]


def test_grade_zero_syndrome_record_is_no_event():
    """A CRS record the derived ASTCT grade puts at 0 (ATOXGRN 0) counts in no row, as the
    safety engine leaves it out (cartrial.safety.grade_source.primary_ae)."""
    protocol = load_protocol("ct071")
    adsl = pd.DataFrame({"USUBJID": ["A", "B"], "SAFFL": "Y", "TRT01A": "DL1 0.1 x10^6/kg",
                         "TRT01P": "DL1 0.1 x10^6/kg", "DLTEVLFL": "Y", "DLTFL": "",
                         "DLTPNDFL": "", "DLTCRIT": "", "DTHFL": "", "DTHADY": float("nan"),
                         "DTHCAUS": "", "IECSCRFL": ""})
    adae = pd.DataFrame({"USUBJID": ["A", "B"], "TRTEMFL": "Y", "ATOXGRN": [0, 2],
                         "AEBODSYS": "Immune system disorders",
                         "AEDECOD": "Cytokine release syndrome", "CRSFL": "Y", "ICANSFL": "",
                         "IECHSFL": ""})
    adsynd = pd.DataFrame({"USUBJID": ["B"] * 5, "PARCAT1": "CRS", "EPISODE": 1,
                           "PARAMCD": ["CRSONDY", "CRSDURDY", "CRSMAXGR", "CRSTOCI", "CRSSTER"],
                           "AVAL": [2.0, 3.0, 2.0, 1.0, 0.0]})
    adhtox = pd.DataFrame(columns=["USUBJID", "PARCAT1", "PARCAT2", "PARAMCD", "AVAL",
                                   "ICAHTCFL", "HTOXRISK"])
    cq = {c: "" for zz in ("01", "02", "03", "04") for c in (f"CQ{zz}NAM", f"AOCC{zz}FL",
                                                             f"CQ{zz}RSFL")}
    cq |= {c: float("nan") for zz in ("01", "02", "03", "04")
           for c in (f"CQ{zz}ONDY", f"CQ{zz}RSDY")}
    t = adam_safety_tables({"ADSL": adsl, "ADAE": adae.assign(**cq), "ADSYND": adsynd,
                            "ADHTOX": adhtox}, protocol)
    crs = t["crs"].set_index(["ROW", "COLUMN"])["VALUE"]
    assert crs["CRS: any grade", "Overall"] == "1 (50.0%)"
    assert crs["CRS: grade 2", "Overall"] == "1 (50.0%)"
    assert crs["Tocilizumab", "Overall"] == "1 (50.0%)"
    teae = t["teae"].query("STATISTIC == 'any grade'").set_index(["ROW", "COLUMN"])["VALUE"]
    assert teae["Any TEAE", "Overall"] == "1 (50.0%)"


def test_dlt_counted_at_the_protocol_level():
    """count_dose_as "assigned" (ct071): the DLT columns are TRT01P; the other tables TRT01A."""
    protocol = load_protocol("ct071")
    assert protocol.conduct.count_dose_as == "assigned"
    adsl = pd.DataFrame({"USUBJID": ["A"], "SAFFL": "Y", "TRT01P": "DL2 0.3 x10^6/kg",
                         "TRT01A": "DL1 0.1 x10^6/kg", "DLTEVLFL": "Y", "DLTFL": "",
                         "DLTPNDFL": "", "DLTCRIT": ""})
    assert dlt_patients(adsl, protocol)["DOSE_LEVEL"].tolist() == ["DL2"]
    assert safety_population(adsl)["DOSE_LEVEL"].tolist() == ["DL1"]


def test_unknown_dlt_criterion_is_refused():
    from cartrial.errors import InputError

    adsl = pd.DataFrame({"USUBJID": ["A"], "SAFFL": "Y", "TRT01P": "DL1 0.1 x10^6/kg",
                         "TRT01A": "DL1 0.1 x10^6/kg", "DLTEVLFL": "Y", "DLTFL": "Y",
                         "DLTPNDFL": "", "DLTCRIT": "Grade 9 anything"})
    with pytest.raises(InputError, match="DLTCRIT 'Grade 9 anything'"):
        dlt_patients(adsl, load_protocol("ct071"))


def test_derived_episode_without_ae_record_is_named():
    """A CRS episode derived from the observations that no AE record reports: ADAE cannot count
    it in the grade rows (the safety engine adds such an event to its own AE frame), so Table
    14.3.2 names the patient instead of leaving it out silently."""
    adae = pd.DataFrame({"USUBJID": ["A"], "TRTEMFL": "Y", "ATOXGRN": [2],
                         "AEBODSYS": "Immune system disorders",
                         "AEDECOD": "Cytokine release syndrome", "CRSFL": "Y", "ICANSFL": ""})
    adsynd = pd.DataFrame({"USUBJID": ["A", "B"], "PARCAT1": "CRS", "EPISODE": 1,
                           "PARAMCD": "CRSMAXGR", "AVAL": [2.0, 1.0]})
    from cartrial.report.safety_adam import uncounted_episodes
    from cartrial.report.section_items import _syndrome_items

    un = uncounted_episodes(adae, adsynd)
    assert un.values.tolist() == [["B", "CRS"]]
    empty = pd.DataFrame({"ROW": ["CRS: any grade"], "ROW_LEVEL": 0, "ROW_ORDER": 0,
                          "COLUMN": "Overall", "STATISTIC": "n (%)", "VALUE": "1 (50.0%)"})
    crs, icans = _syndrome_items({"crs": empty, "icans": empty, "uncounted_episodes": un},
                                 {"Overall": 2}, "crit", "primary")
    assert any("Not in the grade rows: 1 patient(s) with a CRS episode" in f and "(B)" in f
               for f in crs.footnotes)
    assert not any("Not in the grade rows" in f for f in icans.footnotes)


def test_adae_read_through_its_named_variables(adam):
    """Regression (issue #18: memory): the AE, syndrome and basket tables copy only the ADAE
    variables they read (not all of ADAE's records' variables); ADAE reduced to those
    variables (and the IEC-HS ones) gives the same tables as the whole ADAE."""
    from cartrial.adam.adae_baskets import basket_queries
    from cartrial.report.safety_adam import _query_variables

    proto = load_protocol("ct071")
    zz = basket_queries(proto.safety.baskets)
    keep = ["USUBJID", "TRTEMFL", "ATOXGRN", "AEBODSYS", "AEDECOD", "CRSFL", "ICANSFL",
            "IECHSFL", "ASTDY", "AESER", *(v for b in proto.safety.baskets
                                           for v in _query_variables(zz[b.name]))]
    cut = {**adam, "ADAE": adam["ADAE"][[c for c in adam["ADAE"] if c in keep]]}
    assert len(cut["ADAE"].columns) < len(adam["ADAE"].columns)
    full, got = adam_safety_tables(adam, proto), adam_safety_tables(cut, proto)
    assert list(got) == list(full)
    for k in full:
        pd.testing.assert_frame_equal(got[k], full[k], obj=k)
