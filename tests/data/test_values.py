"""Values that would be lost, misread or cannot be true: one fault planted per test in a copy of
the bundled example study; each finding names domain, USUBJID, --SEQ, variable, value, rule.

Outside references: ICE score items and maximum points (orientation 4, naming 3, following
commands 1, writing 1, attention 1; total 10): Lee DW et al., Biol Blood Marrow Transplant
2019;25:625-638, Table 5. Decimal point in SDTM numeric text: SDTMIG 3.4 section 4.5.1. DTHFL /
DTHDTC: SDTMIG 3.4 DM specification ("Y" when the subject died).
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.data import load_study
from tests.data._planted import copy_of, edit_csv, findings, rows, write_examples


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return write_examples(tmp_path_factory.mktemp("example"))


@pytest.fixture()
def study(example, tmp_path):
    return copy_of(example / "csv", tmp_path / "s")


def _one(f: pd.DataFrame, rule_id: str) -> dict:
    got = rows(f, rule_id)
    assert len(got) == 1, f.to_string()
    return got.iloc[0].to_dict()


def _first(df: pd.DataFrame, mask) -> tuple[int, str, str]:
    i = df.index[mask][0]
    seq_col = next(c for c in df.columns if c.endswith("SEQ"))
    return i, df.at[i, "USUBJID"], df.at[i, seq_col]


def test_decimal_comma_temperature_is_an_error(study) -> None:
    hits = {}

    def plant(vs):
        i, u, seq = _first(vs, (vs["VSTESTCD"] == "TEMP") & (vs["VSORRES"].astype(float) > 38))
        hits.update(u=u, seq=seq, value=vs.at[i, "VSORRES"].replace(".", ","))
        vs.at[i, "VSORRES"] = hits["value"]

    edit_csv(study / "vs.csv", plant)
    r = _one(findings(study), "DECIMAL_COMMA")
    assert (r["domain"], r["usubjid"], r["seq"], r["variable"], r["value"]) == (
        "VS", hits["u"], float(hits["seq"]), "VSORRES", hits["value"])
    assert r["severity"] == "error" and hits["value"].replace(",", ".") in r["rule"]


@pytest.mark.parametrize(("planted", "rule_id"), [("see comment", "RESULT_NOT_NUMBER"),
                                                  ("swap", "RESULT_UNIT_SWAPPED")])
def test_unusable_lab_result_is_an_error(study, planted, rule_id) -> None:
    hits = {}

    def plant(lb):
        i, u, seq = _first(lb, lb["LBTESTCD"] == "NEUT")
        if planted == "swap":
            lb.at[i, "LBORRES"], lb.at[i, "LBORRESU"] = lb.at[i, "LBORRESU"], lb.at[i, "LBORRES"]
        else:
            lb.at[i, "LBORRES"] = planted
        hits.update(u=u, seq=float(seq), value=lb.at[i, "LBORRES"])

    edit_csv(study / "lb.csv", plant)
    r = _one(findings(study), rule_id)
    assert (r["domain"], r["usubjid"], r["seq"], r["variable"], r["value"]) == (
        "LB", hits["u"], hits["seq"], "LBORRES", hits["value"])


def test_standard_result_disagreeing_with_the_collected_one(study) -> None:
    hits = {}

    def plant(pc):
        i, u, seq = _first(pc, pd.to_numeric(pc["PCORRES"], errors="coerce") > 100)
        pc.at[i, "PCSTRESN"] = str(float(pc.at[i, "PCORRES"]) * 10)
        hits.update(u=u, seq=float(seq), value=float(pc.at[i, "PCSTRESN"]))

    edit_csv(study / "pc.csv", plant)
    f = findings(study)
    r = _one(f, "STRESN_MISMATCH")
    assert (r["usubjid"], r["seq"], r["variable"], r["value"]) == (
        hits["u"], hits["seq"], "PCSTRESN", hits["value"])
    c = _one(f, "STRESC_MISMATCH")  # PCSTRESC still holds the collected value
    assert (c["usubjid"], c["seq"], c["variable"]) == (hits["u"], hits["seq"], "PCSTRESC")


@pytest.mark.parametrize("age", ["-61", "610"])
def test_age_outside_the_physical_range(study, age) -> None:
    dm = edit_csv(study / "dm.csv", lambda d: d.__setitem__("AGE", [age] + list(d["AGE"][1:])))
    r = _one(findings(study), "AGE_IMPLAUSIBLE")
    assert (r["domain"], r["usubjid"], r["variable"], r["value"]) == (
        "DM", dm.at[0, "USUBJID"], "AGE", float(age))


def test_death_flag_and_date_must_agree(study) -> None:
    def plant(dm):
        dead = dm.index[dm["DTHFL"] == "Y"]
        dm.at[dead[0], "DTHDTC"] = ""    # flag without a date
        dm.at[dead[1], "DTHFL"] = ""     # date without the flag

    dm = edit_csv(study / "dm.csv", plant)
    f = findings(study)
    dead = dm.index[dm["DTHDTC"] != ""]
    miss = rows(f, "DEATH_DATE_MISSING")
    assert set(miss["domain"]) == {"DM"} and list(miss["usubjid"]) == [
        dm.at[dm.index[(dm["DTHFL"] == "Y") & (dm["DTHDTC"] == "")][0], "USUBJID"]]
    flag = _one(f, "DEATH_FLAG_MISSING")
    assert flag["usubjid"] in set(dm.loc[dead, "USUBJID"]) and flag["variable"] == "DTHFL"


def test_dates_in_the_future(study) -> None:
    hits = {}

    def plant(ae):
        i, u, seq = _first(ae, ae["AESTDTC"].str.len() >= 10)
        ae.at[i, "AESTDTC"] = "2223" + ae.at[i, "AESTDTC"][4:]
        hits.update(u=u, seq=float(seq), value=ae.at[i, "AESTDTC"])

    edit_csv(study / "ae.csv", plant)
    r = _one(findings(study), "DATE_FUTURE")  # after the files' modification time
    assert (r["domain"], r["usubjid"], r["seq"], r["variable"], r["value"]) == (
        "AE", hits["u"], hits["seq"], "AESTDTC", hits["value"])


def test_screening_date_after_the_data_cutoff(study) -> None:
    """A screening vital sign typed 2032 in a transfer with a cut-off of 2025-12-31 (after
    the example's last record)."""
    def plant(vs):
        i = vs.index[vs["VISIT"] == "SCREENING"][0]
        vs.at[i, "VSDTC"] = "2032" + vs.at[i, "VSDTC"][4:]

    vs = edit_csv(study / "vs.csv", plant)
    r = _one(findings(study, as_of=pd.Timestamp("2025-12-31")), "DATE_FUTURE")
    assert r["value"].startswith("2032") and r["variable"] == "VSDTC"
    assert r["seq"] == float(vs.loc[vs["VSDTC"].str.startswith("2032"), "VSSEQ"].iloc[0])


def test_ice_total_contradicting_its_items(study) -> None:
    hits = {}

    def plant(qs):
        i, u, seq = _first(qs, (qs["QSTESTCD"] == "ICE06") & (qs["QSORRES"] == "10"))
        qs.loc[i, ["QSORRES", "QSSTRESC", "QSSTRESN"]] = "7"
        hits.update(u=u, seq=float(seq))

    edit_csv(study / "qs.csv", plant)
    r = _one(findings(study), "ICE_TOTAL_MISMATCH")
    assert (r["usubjid"], r["seq"], r["variable"], r["value"]) == (
        hits["u"], hits["seq"], "QSORRES", "7")
    assert "(10)" in r["rule"]  # the items of that assessment add up to 10 of 10


def test_blanks_and_case_are_normalised_with_a_warning(example, study) -> None:
    """A trailing blank in AEDECOD and a lower-case SEX: read as the term, each a warning."""
    def plant_ae(ae):
        ae.loc[ae["AEDECOD"] == "Cytokine release syndrome", "AEDECOD"] = (
            "Cytokine release syndrome ")

    ae = edit_csv(study / "ae.csv", plant_ae)
    edit_csv(study / "dm.csv", lambda d: d.__setitem__("SEX", d["SEX"].str.lower()))
    f = findings(study)
    assert (f["severity"] == "warning").all(), f.to_string()
    pad = rows(f, "TEXT_PADDED")
    n_crs = int((ae["AEDECOD"] == "Cytokine release syndrome ").sum())
    assert len(pad) == n_crs and set(pad["value"]) == {"Cytokine release syndrome "}
    assert set(pad["variable"]) == {"AEDECOD"} and pad["seq"].notna().all()
    assert len(rows(f, "TERM_CASE")) == 20  # every DM record
    got, clean = load_study(study), load_study(example / "csv")
    pd.testing.assert_series_equal(got["AE"]["AEDECOD"], clean["AE"]["AEDECOD"])
    pd.testing.assert_series_equal(got["DM"]["SEX"], clean["DM"]["SEX"])


def test_micro_sign_units_read_as_u(example, study) -> None:
    """cells/µL (micro sign) and cells/μL (Greek mu) are cells/uL: same standard results."""
    def plant(pc):
        uL = pc["PCORRESU"] == "cells/uL"
        assert uL.sum() > 2
        pc.loc[uL, "PCORRESU"] = ["cells/\u00b5L", "cells/\u03bcL"] * (uL.sum() // 2) + [
            "cells/\u00b5L"] * (uL.sum() % 2)

    edit_csv(study / "pc.csv", plant)
    assert findings(study).empty
    got, clean = load_study(study)["PC"], load_study(example / "csv")["PC"]
    pd.testing.assert_series_equal(got["PCSTRESN"], clean["PCSTRESN"])
    pd.testing.assert_series_equal(got["PCORRESU"], clean["PCORRESU"])
