"""ADaM structural checks (cartrial.adam.conformance): each rule on a planted fault.

The rules are the ADaM documents' and SAS TS-140's (cited in the module); the planted faults are
built here by hand, and a dataset written by cartrial's own XPT writer is read back through
pyreadstat, the independent reader, to check what the files carry.
"""

import pandas as pd
import pytest
from typer.testing import CliRunner

from cartrial.adam.conformance import AdamFile, check_conformance, check_files
from cartrial.adam.metadata import variable_label
from cartrial.adam.write import write_adam_xpt
from cartrial.cli.main import app
from cartrial.errors import InputError

ADSL_VARS = {"STUDYID": "CT071", "USUBJID": "CT071-001", "SUBJID": "001", "SITEID": "01",
             "AGE": 61.0, "AGEU": "YEARS", "SEX": "M", "RACE": "ASIAN", "ARM": "DL1",
             "ACTARM": "DL1", "TRT01P": "DL1"}


def _file(name, df, labels=None, lengths=None, formats=None, label="A label"):
    labels = labels or {c: c.title() for c in df.columns}
    text = [c for c in df.columns if df[c].dtype == object]
    lengths = lengths or {c: int(df[c].astype(str).str.len().max()) for c in text}
    formats = formats or {c: "" for c in df.columns if c not in text}
    return AdamFile(name, label, df, labels, lengths, formats)


def _adsl(**extra):
    return _file("ADSL", pd.DataFrame([{**ADSL_VARS, **extra}]))


def _bds(**cols):
    base = {"STUDYID": ["CT071"], "USUBJID": ["CT071-001"], "PARAMCD": ["CMAX"],
            "PARAM": ["Maximum concentration"], "AVAL": [1.0]}
    return _file("ADPP", pd.DataFrame({**base, **cols}))


def _rules(findings):
    cols = (findings["rule_id"], findings["domain"], findings["variable"])
    return sorted(set(zip(*cols, strict=True)))


def test_conforming_datasets_have_no_finding():
    assert check_files([_adsl(), _bds()]).empty


def test_names_labels_and_lengths():
    bad = _file("ADSL", pd.DataFrame([{**ADSL_VARS, "lower": "x"}]),
                labels={**{c: "ok" for c in ADSL_VARS}, "lower": "L" * 41},
                lengths={**{c: len(str(v)) for c, v in ADSL_VARS.items() if isinstance(v, str)},
                         "lower": 1, "USUBJID": 200})
    f = _rules(check_files([bad]))
    assert ("AD-NAME", "ADSL", "lower") in f
    assert ("AD-LABEL", "ADSL", "lower") in f
    assert ("AD-LEN", "ADSL", "USUBJID") in f  # declared 200 for a 9-character longest value
    assert not any(r[0] == "AD-LEN" and r[2] == "SEX" for r in f)


def test_required_variables_by_class():
    adsl = _file("ADSL", pd.DataFrame([{k: v for k, v in ADSL_VARS.items() if k != "ACTARM"}]))
    ae = _file("ADAE", pd.DataFrame({"STUDYID": ["CT071"], "USUBJID": ["CT071-001"],
                                     "AEDECOD": ["Pyrexia"]}))
    tte = _file("ADTTE", pd.DataFrame({"STUDYID": ["CT071"], "USUBJID": ["CT071-001"],
                                       "PARAMCD": ["OS"], "PARAM": ["Overall survival"],
                                       "AVAL": [30.0], "CNSR": [1.0]}))
    f = _rules(check_files([adsl, ae, tte]))
    assert ("AD-REQ", "ADSL", "ACTARM") in f
    assert {("AD-REQ", "ADAE", "AETERM"), ("AD-REQ", "ADAE", "AEBODSYS")} <= set(f)
    assert ("AD-REQ", "ADTTE", "STARTDT") in f


def test_bds_needs_aval_or_avalc():
    b = _bds().data.drop(columns="AVAL")
    assert ("AD-REQ", "ADPP", "AVAL") in _rules(check_files([_adsl(), _file("ADPP", b)]))


def test_param_and_paramcd_one_to_one_and_valid_code():
    b = _file("ADPP", pd.DataFrame({
        "STUDYID": "CT071", "USUBJID": "CT071-001", "PARAMCD": ["CMAX", "CMAX", "AUC_0-28"],
        "PARAM": ["Cmax CAR+ cells", "Cmax transgene", "AUC"], "AVAL": [1.0, 2.0, 3.0]}))
    f = check_files([_adsl(), b])
    assert set(f["value"]) >= {"CMAX", "AUC_0-28"}
    assert set(f["rule_id"]) == {"AD-PARAM"}


def test_one_adsl_record_per_subject_and_subjects_in_adsl():
    adsl = _file("ADSL", pd.DataFrame([ADSL_VARS, ADSL_VARS]))
    other = _bds(USUBJID=["CT071-999"])
    f = check_files([adsl, other])
    assert ("AD-ADSL", "ADSL", "USUBJID") in _rules(f)
    assert f.loc[f["rule_id"] == "AD-SUBJ", "usubjid"].tolist() == ["CT071-999"]
    assert "AD-REQ" in set(check_files([other])["rule_id"])  # no ADSL at all


def test_dates_numeric_with_a_date_format():
    b = _bds(ADT=[21000.0], ASTDTM=[1.8e9])
    b = AdamFile(b.name, b.label, b.data, {**b.labels, "ADT": "Analysis Date",
                                           "ASTDTM": "Start"}, b.lengths,
                 {**b.formats, "ADT": "BEST12", "ASTDTM": "DATETIME20"})
    f = _rules(check_files([_adsl(), b]))
    assert ("AD-DATE", "ADPP", "ADT") in f
    assert ("AD-DATE", "ADPP", "ASTDTM") not in f


def test_written_xpt_read_back_by_pyreadstat(tmp_path):
    """The writer's files carry names, labels, lengths and DATE9. formats that conform."""
    adsl = pd.DataFrame([{**ADSL_VARS, "TRTSDT": pd.Timestamp("2024-01-05")}])
    labels = {c: variable_label(c) if c not in ("ARM", "ACTARM") else c.title()
              for c in adsl.columns}
    write_adam_xpt(adsl, tmp_path / "adsl.xpt", "ADSL", "Subject-Level Analysis Dataset", labels)
    assert check_conformance(tmp_path).empty
    r = CliRunner().invoke(app, ["check-conformance", str(tmp_path), "--json"])
    assert r.exit_code == 0 and '"errors": 0' in r.output


def test_bad_folder_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="no ADaM dataset"):
        check_conformance(tmp_path)
    r = CliRunner().invoke(app, ["check-conformance", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "not a folder" in r.output


def test_findings_exit_1_and_name_dataset_and_variable(tmp_path):
    adsl = pd.DataFrame([{k: v for k, v in ADSL_VARS.items() if k != "ARM"}])
    labels = {c: c.title() for c in adsl.columns}
    write_adam_xpt(adsl, tmp_path / "adsl.xpt", "ADSL", "Subject-Level Analysis Dataset", labels)
    r = CliRunner().invoke(app, ["check-conformance", str(tmp_path), "--json"])
    assert r.exit_code == 1
    assert '"rule_id": "AD-REQ"' in r.output and '"variable": "ARM"' in r.output


def test_example_adam_output_has_no_conformance_finding(tmp_path_factory):
    """The analysed example's ADaM folder (XPT v5 files) passes every structural check: ADSL
    carries ARM and ACTARM, the kinetics datasets ADPC / ADPP / ADCYT have one PARAMCD per
    PARAM, character lengths are the longest values."""
    from tests.report._pipeline import analysed

    run = analysed(tmp_path_factory)
    folder = run.out / "adam"
    assert {"adsl.xpt", "adpc.xpt", "adpp.xpt", "adcyt.xpt"} <= {p.name for p in
                                                                  folder.glob("*.xpt")}
    assert not (folder / "adck.xpt").exists()
    findings = check_conformance(folder)
    assert findings.empty, findings.to_string()
