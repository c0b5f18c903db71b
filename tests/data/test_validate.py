"""Validation: each rule fired by a crafted fault, reported exactly once, naming the record."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.data import load_study, validate_study, write_study
from cartrial.protocol import load_protocol
from tests.data.minimal_study import minimal_domains

PROTOCOL = load_protocol("ct071")
S1, S2 = "CT071-001-001", "CT071-001-002"


def _validate(tmp_path, domains) -> pd.DataFrame:
    write_study(domains, tmp_path / "s")
    return validate_study(load_study(tmp_path / "s"), PROTOCOL).findings


def test_minimal_study_is_clean(tmp_path) -> None:
    assert _validate(tmp_path, minimal_domains()).empty


def _set(d, dom, subj, seq, var, value):
    df = d[dom]
    key = "USUBJID" if dom == "DM" else f"{dom}SEQ"
    m = (df["USUBJID"] == subj) & ((df[key] == seq) if dom != "DM" else True)
    assert m.sum() == 1
    if var in df and df[var].dtype != object:
        df[var] = df[var].astype(object)
    df.loc[m, var] = value


# Each fault: (mutator, expected (rule_id, domain, usubjid, seq, variable, value))
FAULTS = {
    "missing domain": (lambda d: d.pop("IS"), ("DOMAIN_MISSING", "IS", None, None, None, None)),
    "missing variable": (
        lambda d: d["AE"].drop(columns="AETOXGR", inplace=True),
        ("VAR_MISSING", "AE", None, None, "AETOXGR", None),
    ),
    "impossible date": (
        lambda d: _set(d, "LB", S1, 2, "LBDTC", "2024-02-30"),
        ("DATE_INVALID", "LB", S1, 2, "LBDTC", "2024-02-30"),
    ),
    "unparseable date": (
        lambda d: _set(d, "CM", S1, 1, "CMSTDTC", "08/03/2024"),
        ("DATE_INVALID", "CM", S1, 1, "CMSTDTC", "08/03/2024"),
    ),
    "unknown test code": (
        lambda d: _set(d, "LB", S1, 4, "LBTESTCD", "IL99"),
        ("TESTCD_UNKNOWN", "LB", S1, 4, "LBTESTCD", "IL99"),
    ),
    "unconvertible unit": (
        lambda d: _set(d, "LB", S1, 1, "LBORRESU", "mg/mL"),
        ("UNIT_UNCONVERTIBLE", "LB", S1, 1, "LBORRESU", "mg/mL"),
    ),
    "duplicate key": (
        lambda d: d.__setitem__("VS", pd.concat([d["VS"], d["VS"].iloc[[1]]])),
        ("KEY_DUPLICATE", "VS", S1, 2, "VSSEQ", 2),
    ),
    "subject absent from DM": (
        lambda d: d.__setitem__(
            "PC", pd.concat([d["PC"], d["PC"].iloc[[0]].assign(USUBJID="CT071-009-001", PCSEQ=1)])
        ),
        ("SUBJECT_NOT_IN_DM", "PC", "CT071-009-001", 1, "USUBJID", "CT071-009-001"),
    ),
    "infusion before apheresis": (
        lambda d: _set(d, "PR", S2, 1, "PRSTDTC", "2024-04-20"),
        ("INFUSION_BEFORE_APHERESIS", "EX", S2, 7, "EXSTDTC", "2024-03-26"),
    ),
    "impossible temperature": (
        lambda d: _set(d, "VS", S1, 1, "VSORRES", "51"),
        ("OUT_OF_RANGE", "VS", S1, 1, "VSSTRESN", 51.0),
    ),
    "dose not in protocol": (
        lambda d: _set(d, "EX", S1, 7, "EXDOSE", 0.2),
        ("DOSE_NOT_IN_PROTOCOL", "EX", S1, 7, "EXDOSE", 0.2),
    ),
    "text in a numeric variable": (
        lambda d: _set(d, "DM", S2, None, "AGE", "fifty"),
        ("NOT_NUMBER", "DM", S2, None, "AGE", "fifty"),
    ),
    "unknown coded value": (
        lambda d: _set(d, "FA", S1, 2, "FAORRES", "HELMET"),
        ("TERM_UNKNOWN", "FA", S1, 2, "FAORRES", "HELMET"),
    ),
    "after death": (
        lambda d: (
            _set(d, "DM", S1, None, "DTHDTC", "2024-03-10"),
            _set(d, "DM", S1, None, "DTHFL", "Y"),
            _set(d, "DS", S1, 1, "DSSTDTC", "2024-03-10"),
            _set(d, "PC", S1, 2, "PCDTC", "2024-03-09"),
            _set(d, "LB", S1, 1, "LBDTC", "2024-03-09"),
            _set(d, "LB", S1, 2, "LBDTC", "2024-03-09"),
        ),
        ("AFTER_DEATH", "PC", S1, 1, "PCDTC", "2024-03-19"),
    ),
    "ICE item out of range": (
        lambda d: _set(d, "QS", S1, 1, "QSORRES", "5"),
        ("OUT_OF_RANGE", "QS", S1, 1, "QSSTRESN", 5.0),
    ),
    "RFSTDTC mismatch": (
        lambda d: _set(d, "DM", S1, None, "RFSTDTC", "2024-03-06"),
        ("RFSTDTC_MISMATCH", "DM", S1, None, "RFSTDTC", "2024-03-06"),
    ),
    "unknown population": (
        lambda d: _set(d, "MH", S2, 1, "MHDECOD", "Lymphoma"),
        ("POPULATION_UNKNOWN", "MH", S2, 1, "MHDECOD", "Lymphoma"),
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_rule_fires_exactly_once_naming_the_record(tmp_path, fault) -> None:
    d = minimal_domains()
    mutate, expected = FAULTS[fault]
    mutate(d)
    f = _validate(tmp_path, d)
    rows = f[f["severity"] == "error"]
    assert len(rows) == 1, rows.to_string()
    got = rows.iloc[0]
    rule_id, domain, usubjid, seq, variable, value = expected
    assert (got.rule_id, got.domain, got.usubjid, got.variable) == (
        rule_id,
        domain,
        usubjid,
        variable,
    )
    if seq is not None:
        assert got.seq == seq
    if value is not None:
        assert got.value == value


def test_a_dozen_faults_each_reported_once_with_exit_code_2(tmp_path) -> None:
    d = minimal_domains()
    chosen = sorted(FAULTS)[:13]
    chosen = [c for c in chosen if c != "missing domain"] + ["missing domain"]
    for c in chosen:
        FAULTS[c][0](d)
    write_study(d, tmp_path / "s")
    res = CliRunner().invoke(
        app, ["validate", str(tmp_path / "s"), "--protocol", "ct071", "--json"]
    )
    assert res.exit_code == 2, res.output
    out = json.loads(res.stdout)
    errors = [f for f in out["findings"] if f["severity"] == "error"]
    got = sorted(f["rule_id"] for f in errors)
    want = sorted(FAULTS[c][1][0] for c in chosen)
    assert got == want
    assert out["errors"] == len(chosen)


def test_cli_clean_study_exits_0(study_dir) -> None:
    res = CliRunner().invoke(app, ["validate", "--protocol", "ct071", str(study_dir)])
    assert res.exit_code == 0, res.output
    assert "valid" in res.stdout


def test_cli_missing_folder_exits_2_without_traceback(tmp_path) -> None:
    res = CliRunner().invoke(app, ["validate", "--protocol", "ct071", str(tmp_path / "missing")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # valid data are dated before their transfer (DATE_FUTURE): up to a year before today
    infusion=st.dates(min_value=date(2020, 1, 1), max_value=date.today() - timedelta(days=400)),
    temp=st.floats(min_value=35.0, max_value=42.0, allow_nan=False).map(lambda v: round(v, 1)),
    unit=st.sampled_from(["g/dL", "g/L"]),
    hgb=st.floats(min_value=6.0, max_value=17.0, allow_nan=False).map(lambda v: round(v, 1)),
    flow=st.floats(min_value=0.5, max_value=15, allow_nan=False).map(lambda v: round(v, 1)),
    dose=st.sampled_from([0.1, 0.3]),
)
def test_generated_valid_data_passes(tmp_path_factory, infusion, temp, unit, hgb, flow, dose):
    tmp = tmp_path_factory.mktemp("v")
    hgb_value = hgb if unit == "g/dL" else hgb * 10
    d = minimal_domains(
        infusion=infusion, temp_c=temp, hgb_unit=unit, hgb_value=hgb_value, o2_flow=flow, dose=dose
    )
    f = _validate(tmp, d)
    assert f.empty, f.to_string()


def test_cli_reports_every_damaged_file_in_one_pass_with_exit_2(study_dir) -> None:
    """A latin-1 CM, a VS cut inside its last record and an empty IS: `cartrial validate`
    names all three files at once (exit 2, no traceback)."""
    cm = (study_dir / "cm.csv").read_text(encoding="utf-8").replace("TOCILIZUMAB", "TOCILIZUMÄB")
    (study_dir / "cm.csv").write_bytes(cm.encode("latin-1"))
    vs = (study_dir / "vs.csv").read_bytes()
    (study_dir / "vs.csv").write_bytes(vs[:-5])
    (study_dir / "is.csv").write_bytes(b"")
    res = CliRunner().invoke(app, ["validate", str(study_dir), "--protocol", "ct071", "--json"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    out = json.loads(res.stdout)
    got = {(f["rule_id"], f["value"]) for f in out["findings"] if f["rule_id"].startswith("FILE")}
    assert got == {("FILE_ENCODING", "cm.csv"), ("FILE_TRUNCATED", "vs.csv"),
                   ("FILE_EMPTY", "is.csv")}


def test_a_rule_that_finds_nothing_gives_a_fresh_empty_frame() -> None:
    """Regression test: the empty findings frame is the one pandas builds for COLUMNS, and a
    caller changing it does not change the next one (it is a copy)."""
    import pandas as pd

    from cartrial.data.report_frame import COLUMNS, finding_frame

    ae = pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [1.0]})
    got = finding_frame("AE", ae, [False], "AESEQ", ae["AESEQ"], "VAR_EMPTY", "x")
    pd.testing.assert_frame_equal(got, pd.DataFrame(columns=COLUMNS))
    got.loc[0] = ["error"] * len(COLUMNS)
    again = finding_frame("AE", ae, [False], "AESEQ", ae["AESEQ"], "VAR_EMPTY", "x")
    assert again.empty
