"""`cartrial kinetics DIR --protocol P [--json]` on a study written to disk."""

from __future__ import annotations

import json
import math

import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.data import write_study
from tests.kinetics._study import kinetics_domains, uid

runner = CliRunner()


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("study")
    write_study(kinetics_domains(), d)
    return d


def test_json_output(study_dir) -> None:
    res = runner.invoke(app, ["kinetics", str(study_dir), "--protocol", "ct071", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["protocol"] == "CT071"
    row = next(r for r in out["nca"] if r["USUBJID"] == uid("S1") and r["PCTESTCD"] == "CARTRNSG")
    assert_allclose(row["AUCLST"], 1820 + 6125 / math.log(2), rtol=1e-12)
    assert out["method"]["nca"]["auc_method"] == "lin-up/log-down"


def test_tables_and_csv_out(study_dir, tmp_path) -> None:
    res = runner.invoke(app, ["kinetics", "--protocol", "ct071", str(study_dir), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "CAR-T kinetics by dose level" in res.stdout and "Anti-drug antibodies" in res.stdout
    assert (tmp_path / "out" / "nca.csv").is_file() and (tmp_path / "out" / "pp.csv").is_file()


def test_response_file_and_bad_input_exit_2(study_dir, tmp_path) -> None:
    bor = tmp_path / "bor.csv"
    bor.write_text(f"USUBJID,BOR\n{uid('S1')},CR\n{uid('S2')},XX\n")
    res = runner.invoke(app, ["kinetics", "--protocol", "ct071", str(study_dir), "--response", str(bor)])
    assert res.exit_code == 2 and "XX" in res.output
    res = runner.invoke(app, ["kinetics", "--protocol", "ct071", str(tmp_path / "nowhere")])
    assert res.exit_code == 2


def test_derive_takes_crs_and_response_from_the_other_engines(tmp_path) -> None:
    from tests.data.minimal_study import minimal_domains

    write_study(minimal_domains(), tmp_path)
    res = runner.invoke(app, ["kinetics", "--protocol", "ct071", str(tmp_path), "--derive", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["method"]["crs_grade_source"].startswith("safety engine")
    assert out["method"]["best_response_source"].startswith("efficacy engine")
    assert {r["USUBJID"] for r in out["subjects"]} == {"CT071-001-001", "CT071-001-002"}
