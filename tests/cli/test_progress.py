"""Progress on long work when stderr is not a terminal (issue #18 point 4): a line per stage."""

import io

from rich.console import Console
from typer.testing import CliRunner

from cartrial.cli._progress import progress
from cartrial.cli.main import app


def _console() -> Console:
    return Console(file=io.StringIO(), force_terminal=False, width=200)


def test_a_line_per_stage_when_redirected():
    c = _console()
    with progress(c, "analyze", 3) as p:
        for name in ("load", "engines", "write"):
            p.stage(name)
    lines = c.file.getvalue().splitlines()
    assert [ln.split(" (")[0] for ln in lines] == [
        "analyze: load [1/3]", "analyze: engines [2/3]", "analyze: write [3/3]"]


def test_counted_work_reports_each_tenth_once():
    c = _console()
    with progress(c, "simulate", 1000) as p:
        for done in range(0, 1001, 50):
            p.count(done)
    lines = [ln.split(" (")[0] for ln in c.file.getvalue().splitlines()]
    assert lines[0] == "simulate: 0/1000" and lines[-1] == "simulate: 1000/1000"
    assert len(lines) == 11


def test_quiet_is_silent():
    c = _console()
    with progress(c, "analyze", 2, quiet=True) as p:
        p.stage("load")
        p.count(1, 2)
    assert c.file.getvalue() == ""


def test_example_verb_reports_its_stages_on_redirected_stderr(tmp_path):
    r = CliRunner().invoke(app, ["example", "ct071", "--protocol", "ct071", "--out",
                                 str(tmp_path / "ex"), "--patients", "6"])
    assert r.exit_code == 0, r.output
    err = r.stderr if hasattr(r, "stderr") else r.output
    assert "example: simulating the trial [1/2]" in err
    assert "example: writing CSV files [2/2]" in err
