"""Study-structure validation: arm vs protocol and vs the dose given, parts, cohorts.

Hand-built cases on the minimal study (tests/data/minimal_study.py: 001 infused 0.1 at DL1,
002 infused 0.3 at DL2, 003 apheresed, never infused), each one of the faults planted in issue
#14 point 3 or a rule of docs/data-model.md ("Dose level, part and cohort"); the variables are
those of CDISC SDTMIG 3.4 section 5.2 (DM ARMCD / ACTARMCD) and 8.4 (SUPPDM).
"""

from __future__ import annotations

import pandas as pd

from cartrial.data import load_study, validate_study, write_study
from cartrial.data.study_parts import study_parts
from cartrial.protocol import Protocol, load_protocol
from tests.data.minimal_study import minimal_domains

P = load_protocol("ct071")


def _findings(tmp_path, domains, protocol: Protocol = P) -> pd.DataFrame:
    write_study(domains, tmp_path / "s")
    return validate_study(load_study(tmp_path / "s"), protocol).findings


def _rule(f: pd.DataFrame, rule_id: str) -> pd.DataFrame:
    return f[f["rule_id"] == rule_id]


def _set_supp(dom, usubjid: str, qnam: str, value: str) -> None:
    s = dom["SUPPDM"]
    s.loc[(s["USUBJID"] == usubjid) & (s["QNAM"] == qnam), "QVAL"] = value


def test_arm_that_is_no_dose_level_is_named(tmp_path):
    dom = minimal_domains()
    dom["DM"].loc[0, "ACTARMCD"] = "DL3"  # issue #14: passed validation, then failed decide
    f = _rule(_findings(tmp_path, dom), "ARM_NOT_IN_PROTOCOL")
    assert len(f) == 1
    r = f.iloc[0]
    assert (r.domain, r.usubjid, r.variable, r.value, r.severity) == (
        "DM", "CT071-001-001", "ACTARMCD", "DL3", "error")


def test_arm_disagreeing_with_the_dose_given_in_ex(tmp_path):
    dom = minimal_domains()
    dom["DM"].loc[1, "ACTARMCD"] = "DL1"  # infused 0.3 (DL2) but counted at DL1
    f = _rule(_findings(tmp_path, dom), "ARM_DOSE_MISMATCH")
    assert f["usubjid"].tolist() == ["CT071-001-002"]
    assert "EXDOSE 0.3 is dose level DL2" in f.iloc[0]["rule"]


def test_not_treated_arm_with_an_infusion_and_a_dose_arm_without(tmp_path):
    dom = minimal_domains()
    dom["DM"].loc[0, "ACTARMCD"] = "NOTTRT"
    dom["DM"].loc[2, "ACTARMCD"] = "DL2"
    f = _rule(_findings(tmp_path, dom), "ARM_DOSE_MISMATCH")
    assert sorted(f["usubjid"]) == ["CT071-001-001", "CT071-001-003"]


def test_cohort_larger_than_the_protocol_allows(tmp_path):
    dom = minimal_domains(dose=0.3)  # 001 and 002 both at DL2
    _set_supp(dom, "CT071-001-001", "COHORT", "C02")
    data = P.model_dump(mode="json")
    data["design"]["cohort_size"] = 1
    f = _findings(tmp_path, dom, Protocol.model_validate(data))
    big = _rule(f, "COHORT_TOO_LARGE")
    # C02 holds 001 and 002 infused (003 was never infused and does not count)
    assert big["value"].tolist() == ["C02"] and big["usubjid"].tolist() == ["CT071-001-002"]
    assert "2 infused patients" in big.iloc[0]["rule"] and "cohort_size = 1" in big.iloc[0]["rule"]
    assert _rule(f, "COHORT_MIXED").empty


def test_cohort_mixing_dose_levels(tmp_path):
    dom = minimal_domains()
    _set_supp(dom, "CT071-001-001", "COHORT", "C02")  # DL1 and DL2 in one cohort
    f = _rule(_findings(tmp_path, dom), "COHORT_MIXED")
    assert f["value"].tolist() == ["C02"]


def test_parts_unknown_not_in_design_and_missing(tmp_path):
    dom = minimal_domains()
    _set_supp(dom, "CT071-001-001", "PART", "PHASE 2")
    _set_supp(dom, "CT071-001-002", "PART", "BACKFILL")  # ct071: backfill not enabled
    f = _findings(tmp_path, dom)
    assert _rule(f, "PART_UNKNOWN")["usubjid"].tolist() == ["CT071-001-001"]
    assert _rule(f, "PART_NOT_IN_DESIGN")["usubjid"].tolist() == ["CT071-001-002"]
    dom = minimal_domains()
    s = dom["SUPPDM"]
    dom["SUPPDM"] = s[~((s["USUBJID"] == "CT071-001-002") & (s["QNAM"] == "PART"))]
    f = _findings(tmp_path / "b", dom)
    assert _rule(f, "PART_MISSING")["usubjid"].tolist() == ["CT071-001-002"]


def test_no_part_recorded_at_all_is_a_warning_and_reads_as_escalation(tmp_path):
    dom = minimal_domains()
    del dom["SUPPDM"]
    f = _findings(tmp_path, dom)
    assert f["rule_id"].tolist() == ["PART_MISSING"] and f["severity"].tolist() == ["warning"]
    sp = study_parts(load_study(tmp_path / "s"))
    assert set(sp["PART"]) == {"ESCALATION"} and sp["IN_ESCALATION"].all()


def test_study_parts_reads_part_cohort_and_dates(tmp_path):
    dom = minimal_domains()
    _set_supp(dom, "CT071-001-002", "PART", "expansion ")  # case and blanks normalised
    write_study(dom, tmp_path / "s")
    sp = study_parts(load_study(tmp_path / "s")).set_index("USUBJID")
    assert sp.loc["CT071-001-002", "PART"] == "EXPANSION"
    assert not sp.loc["CT071-001-002", "IN_ESCALATION"]
    assert sp.loc["CT071-001-001", "COHORT"] == "C01"
    assert str(sp.loc["CT071-001-001", "INFUSION_DATE"].date()) == "2024-03-05"
    assert pd.isna(sp.loc["CT071-001-003", "INFUSION_DATE"])


def test_a_subject_recorded_twice_in_dm_is_one_finding_not_a_crash(tmp_path):
    """A DM record duplicated (SDTMIG 3.4 section 5.2: one record per subject) is the error
    KEY_DUPLICATE naming the subject; the design rules read its first record (they raised
    pandas' InvalidIndexError before), and the CLI exits 2 without a traceback."""
    from typer.testing import CliRunner

    from cartrial.cli.main import app

    dom = minimal_domains()
    dom["DM"] = pd.concat([dom["DM"], dom["DM"].iloc[[1]]], ignore_index=True)
    f = _findings(tmp_path, dom)
    dup = _rule(f, "KEY_DUPLICATE")
    assert dup[["domain", "usubjid", "variable", "severity"]].values.tolist() == [
        ["DM", "CT071-001-002", "USUBJID", "error"]]
    assert _rule(f, "ARM_NOT_IN_PROTOCOL").empty and _rule(f, "ARM_DOSE_MISMATCH").empty
    r = CliRunner().invoke(app, ["validate", str(tmp_path / "s"), "--protocol", "ct071"])
    assert r.exit_code == 2 and "KEY_DU" in r.output and "Traceback" not in r.output
