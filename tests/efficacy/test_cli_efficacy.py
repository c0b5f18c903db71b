"""`cartrial efficacy DIR --protocol P [--json] [--out]` over the hand-built SDTM study."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cartrial.cli.main import app

from ._sdtm_fixture import _lb, lb_rows, write

runner = CliRunner()


def _valid(path):
    # the verb validates first (issue #14 point 4): the CLI runs on the minimal study that
    # validates; the response numbers of the hand-built study are checked at the API level
    # (tests/efficacy/test_sdtm.py, test_endpoints.py)
    from cartrial.data import write_study
    from tests.data.minimal_study import minimal_domains

    write_study(minimal_domains(), path)
    return path


def test_json_output(tmp_path):
    d = _valid(tmp_path / "study")
    res = runner.invoke(app, ["efficacy", str(d), "--protocol", "ct071", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["criteria"] == "IMWG 2016"
    orr = [r for r in out["rates"] if r["group"] == "Overall" and r["endpoint"] == "ORR"][0]
    assert 0 <= orr["n"] <= orr["N"]
    pfs = [r for r in out["time_to_event"] if r["group"] == "Overall" and r["endpoint"] == "PFS"]
    assert "log-log" in pfs[0]["method"]


def test_text_output_and_out_folder(tmp_path):
    d = _valid(tmp_path / "study")
    res = runner.invoke(app, ["efficacy", "--protocol", "ct071", str(d),
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "IMWG 2016" in res.stdout and "log-log transform" in res.stdout
    assert (tmp_path / "out" / "rates.csv").exists()
    assert (tmp_path / "out" / "tte.csv").exists()


def test_study_that_does_not_validate_is_refused_first(tmp_path):
    # the hand-built efficacy study lacks AE, VS, FA, ...: exit 2 listing the findings
    rows = lb_rows() + [_lb("P1", 99, "IMFIX", "URINE", "2024-03-01", None, "")]
    d = write(tmp_path / "study", lb=rows)
    res = runner.invoke(app, ["efficacy", "--protocol", "ct071", str(d)])
    assert res.exit_code == 2
    assert "is missing" in res.output and "Traceback" not in res.output
