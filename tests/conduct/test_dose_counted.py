"""Planned vs infused dose (issue #15 point 2): a CAR-T product out of specification infused at
a lower dose level, the SDTM convention validation accepts, and where conduct counts the patient
(protocol ``conduct.count_dose_as``; Devlin, Iasonos & O'Quigley, J R Stat Soc Ser C Appl Stat
2021;70(4):815-34).

Hand-built cases on the minimal study (tests/data/minimal_study.py: 001 infused 0.1 at DL1,
002 infused 0.3 at DL2, 003 never infused); the example trial is the outside reference for
conduct: its conduct simulator counts the out-of-specification patient from the generator's own
assignment (truth/exposure.csv, truth/escalation.csv), never from the SDTM.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.conduct import counted_dose, dlt_status, escalation_history
from cartrial.data import load_study, validate_study, write_study
from cartrial.example import simulate_trial, write_example
from cartrial.example.sdtm import csv_text
from cartrial.protocol import Protocol, load_protocol
from tests.data.minimal_study import minimal_domains

P = load_protocol("ct071")
OOS = "PRODUCT OUT OF SPECIFICATION"


def _received(protocol: Protocol) -> Protocol:
    data = protocol.model_dump(mode="json")
    data["conduct"] = {"count_dose_as": "received"}
    return Protocol.model_validate(data)


def _oos_domains(exadj: str = OOS, actual: str = "DL1", dose: float = 0.1) -> dict:
    """002 assigned DL2 (ARMCD), infused ``dose`` recorded as ``actual`` with EXADJ."""
    dom = minimal_domains()
    dom["DM"].loc[1, ["ARMCD", "ACTARMCD"]] = ["DL2", actual]
    ex = dom["EX"]
    ip = (ex["USUBJID"] == "CT071-001-002") & (ex["EXCAT"] == "INVESTIGATIONAL PRODUCT")
    ex.loc[ip, "EXDOSE"] = dose
    ex["EXADJ"] = ""
    ex.loc[ip, "EXADJ"] = exadj
    return dom


def _mismatch(tmp_path, dom) -> pd.DataFrame:
    write_study(dom, tmp_path / "s")
    f = validate_study(load_study(tmp_path / "s"), P).findings
    return f[f["rule_id"] == "ARM_DOSE_MISMATCH"]


def test_a_documented_out_of_spec_infusion_is_accepted(tmp_path) -> None:
    assert _mismatch(tmp_path, _oos_domains()).empty


def test_a_lower_level_without_exadj_is_a_mismatch(tmp_path) -> None:
    f = _mismatch(tmp_path, _oos_domains(exadj=""))
    assert f["usubjid"].tolist() == ["CT071-001-002"]
    r = f.iloc[0]
    assert (r.variable, r.value) == ("ACTARMCD", "DL1")
    assert "planned arm DL2 differs from the actual arm" in r.rule and OOS in r.rule


def test_exadj_on_a_patient_treated_as_planned_is_a_mismatch(tmp_path) -> None:
    f = _mismatch(tmp_path, _oos_domains(actual="DL2", dose=0.3))
    assert f[["usubjid", "variable", "value"]].values.tolist() == [
        ["CT071-001-002", "EXADJ", OOS]]


def test_actual_arm_must_still_equal_the_dose_given(tmp_path) -> None:
    f = _mismatch(tmp_path, _oos_domains(actual="DL2", dose=0.1))  # EXDOSE 0.1 is DL1
    assert "EXDOSE 0.1 is dose level DL1" in f.iloc[0]["rule"]


@pytest.mark.parametrize(("setting", "counted", "as_"), [("assigned", 1, "assigned"),
                                                         ("received", 0, "received")])
def test_counted_dose_follows_the_protocol(setting, counted, as_) -> None:
    proto = _received(P) if setting == "received" else P
    parts = pd.DataFrame({"DOSE_LEVEL": ["DL1", "DL2", "DL1"],
                          "ASSIGNED_LEVEL": ["DL2", "DL2", "DL1"],
                          "DOSE_ADJ": [OOS, None, None]})
    got = counted_dose(parts, proto)
    assert got["COUNTED_INDEX"].tolist() == [counted, 1, 0]
    assert got["COUNTED_AS"].tolist() == [as_, "assigned", "assigned"]
    assert got["ASSIGNED_INDEX"].tolist() == [1, 1, 0]
    assert got["OUT_OF_SPEC"].tolist() == [True, False, False]


@pytest.mark.parametrize("setting", ["assigned", "received"])
def test_dlt_status_counts_the_patient_where_the_protocol_says(tmp_path, setting) -> None:
    proto = _received(P) if setting == "received" else P
    write_study(_oos_domains(), tmp_path / "s")
    p = dlt_status(load_study(tmp_path / "s"), proto).set_index("USUBJID")
    r = p.loc["CT071-001-002"]
    assert (r["ASSIGNED_INDEX"], r["RECEIVED_DOSE"], r["DOSE_ADJ"]) == (1, 0.1, OOS)
    assert (r["DOSE_LEVEL"], r["DOSE_INDEX"], r["COUNTED_AS"]) == (
        ("DL2", 1, "assigned") if setting == "assigned" else ("DL1", 0, "received"))


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["assigned", "received"])
def test_example_history_honours_the_setting(tmp_path, setting) -> None:
    """The example conducted under each setting: its out-of-specification patient is counted
    where the conduct simulator counted it, and the re-derived history equals its truth."""
    proto = _received(P) if setting == "received" else P
    write_example(simulate_trial(proto, seed=1), tmp_path)
    exp = pd.read_csv(tmp_path / "truth" / "exposure.csv", keep_default_na=False)
    oos = exp[exp["adjustment"] == OOS]
    assert len(oos) == 1
    r = oos.iloc[0]
    assert (r["planned_dose_level"], r["received_dose_level"]) == ("DL2", "DL1")
    assert r["counted_dose_level"] == ("DL2" if setting == "assigned" else "DL1")
    study, conducted = load_study(tmp_path), load_protocol(tmp_path / "protocol.yaml")
    assert conducted.conduct.count_dose_as == setting
    assert validate_study(study, conducted).ok
    p = dlt_status(study, conducted).set_index("USUBJID")
    assert p.loc[r["USUBJID"], "DOSE_LEVEL"] == r["counted_dose_level"]
    truth_text = (tmp_path / "truth" / "escalation.csv").read_text()
    truth = pd.read_csv(tmp_path / "truth" / "escalation.csv", keep_default_na=False)
    h = escalation_history(study, conducted)
    assert csv_text(h[list(truth.columns)]) == truth_text
