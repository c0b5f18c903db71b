"""`cartrial --version`, `--help` and `protocol show|list|check`."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from cartrial import __version__
from cartrial.cli.main import app
from cartrial.protocol import protocol_text

runner = CliRunner()


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"cartrial {__version__}"


def test_help_lists_working_verbs() -> None:
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for verb in ("protocol", "validate"):
        assert verb in res.stdout


def test_protocol_show_json_round_trips() -> None:
    res = runner.invoke(app, ["protocol", "show", "ct071", "--json"])
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out["protocol"]["study_id"] == "CT071"
    assert len(out["sha256"]) == 64
    assert [d["dose"] for d in out["protocol"]["dose_levels"]] == [0.1, 0.3]


def test_protocol_list() -> None:
    res = runner.invoke(app, ["protocol", "list", "--json"])
    assert "ct071" in json.loads(res.stdout)


def test_protocol_check_bad_file_exits_2_with_key_path(tmp_path) -> None:
    d = yaml.safe_load(protocol_text("ct071")[1])
    d["design"]["cohort_size"] = 0
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(d))
    res = runner.invoke(app, ["protocol", "check", str(f)])
    assert res.exit_code == 2
    assert "design.cohort_size: found 0" in res.output
    assert "Traceback" not in res.output


def test_unknown_protocol_exits_2() -> None:
    res = runner.invoke(app, ["protocol", "show", "nope"])
    assert res.exit_code == 2 and "neither a file nor a bundled protocol" in res.output
