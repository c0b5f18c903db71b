"""`cartrial kinetics DIR --protocol P [--json]` on a study written to disk.

The verb validates the study first (issue #14 point 4), so the CLI runs on the minimal study that
validates (tests/data/minimal_study.py); the NCA numbers themselves are checked against hand
calculation at the API level (tests/kinetics/test_analysis.py, test_nca.py)."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.data import write_study
from tests.data.minimal_study import minimal_domains
from tests.kinetics._study import kinetics_domains

runner = CliRunner()


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("study")
    write_study(minimal_domains(), d)
    return d


def test_json_output(study_dir) -> None:
    res = runner.invoke(app, ["kinetics", str(study_dir), "--protocol", "ct071", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["protocol"] == "CT071"
    assert out["nca"] and all(math.isfinite(r["CMAX"]) for r in out["nca"] if r["CMAX"] is not None)
    assert out["method"]["nca"]["auc_method"] == "lin-up/log-down"


def test_study_that_does_not_validate_is_refused_first(tmp_path) -> None:
    # the hand-built kinetics study has no MH, DS, VS, ... domains: exit 2 with the findings
    write_study(kinetics_domains(), tmp_path)
    res = runner.invoke(app, ["kinetics", str(tmp_path), "--protocol", "ct071", "--json"])
    assert res.exit_code == 2, res.output
    assert "required domain VS (Vital Signs) is missing" in res.output
    assert "Traceback" not in res.output


def test_tables_and_csv_out(study_dir, tmp_path) -> None:
    res = runner.invoke(app, ["kinetics", "--protocol", "ct071", str(study_dir),
                              "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "CAR-T kinetics by dose level" in res.stdout and "Anti-drug antibodies" in res.stdout
    assert (tmp_path / "out" / "nca.csv").is_file() and (tmp_path / "out" / "pp.csv").is_file()


def test_response_file_and_bad_input_exit_2(study_dir, tmp_path) -> None:
    bor = tmp_path / "bor.csv"
    subjects = minimal_domains()["DM"]["USUBJID"].tolist()
    bor.write_text("USUBJID,BOR\n" + "".join(f"{u},XX\n" for u in subjects))
    res = runner.invoke(app, ["kinetics", "--protocol", "ct071", str(study_dir),
                              "--response", str(bor)])
    assert res.exit_code == 2 and "XX" in res.output
    res = runner.invoke(app, ["kinetics", "--protocol", "ct071", str(tmp_path / "nowhere")])
    assert res.exit_code == 2


def test_derive_takes_crs_and_response_from_the_other_engines(tmp_path) -> None:
    from tests.data.minimal_study import minimal_domains

    write_study(minimal_domains(), tmp_path)
    res = runner.invoke(app, ["kinetics", "--protocol", "ct071", str(tmp_path), "--derive",
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["method"]["crs_grade_source"].startswith("safety engine")
    assert out["method"]["best_response_source"].startswith("efficacy engine")
    assert {r["USUBJID"] for r in out["subjects"]} == {"CT071-001-001", "CT071-001-002"}
