"""Every verb that needs a protocol requires --protocol (issue #15 point 3: no silent ct071)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cartrial.cli.main import app

runner = CliRunner()

VERBS = [
    ["decide", "DIR"], ["validate", "DIR"], ["safety", "DIR"], ["efficacy", "DIR"],
    ["kinetics", "DIR"], ["analyze", "DIR", "--out", "OUT"], ["serve", "--data", "DIR"],
    ["example", "ct071", "--out", "OUT"],
]


@pytest.mark.parametrize("args", VERBS, ids=lambda a: a[0])
def test_protocol_is_required(args, tmp_path) -> None:
    args = [str(tmp_path / a) if a in ("DIR", "OUT") else a for a in args]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "Missing option '--protocol'" in res.output


def test_help_says_required() -> None:
    res = runner.invoke(app, ["decide", "--help"])
    assert res.exit_code == 0 and "Required" in res.output
