"""``cartrial serve``'s first decisions computed in a forked child (issue #18: first page sooner).

Regression tests of the serving machinery: the pages with the child's decisions are compared
with the pages the server renders computing them itself (the code path before this change),
form tokens and the audit chain's head (which differ between two databases) masked; what the
pages show is checked against outside references in test_meeting.py and test_web.py. No test
times anything or sleeps. The forking runs in a fresh interpreter
(tests/committee/first_build_probe.py), as ``cartrial serve`` forks before any thread starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartrial.committee import add_user, open_store
from cartrial.committee import first_build as fb
from cartrial.committee.first_build import FirstDecisions, ended_on_error
from cartrial.committee.web import create_app
from cartrial.data import write_study
from cartrial.errors import FindingsError
from tests.committee.test_meeting import trial  # noqa: F401 - the minimal study, built once
from tests.data.minimal_study import minimal_domains

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 900.0  # generous: a fresh interpreter building two workspaces


def _probe(sdtm: Path, scenario: str) -> dict:
    res = subprocess.run([sys.executable, "-m", "tests.committee.first_build_probe", str(sdtm),
                          scenario], capture_output=True, text=True, cwd=ROOT, check=False,
                         timeout=LIMIT)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """The CT071 example (20 patients, escalation stopped, expansion under way): the decisions
    re-derive the whole escalation history."""
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    out = tmp_path_factory.mktemp("first-build") / "ex"
    write_example(simulate_trial(load_protocol("ct071"), seed=20240228), out)
    return out


def test_the_pages_are_the_same_with_the_forked_decisions(example) -> None:
    """Regression: every page (overview, patients and each patient's page, history, decision
    form, minutes) the same bytes as computed in the server."""
    out = _probe(example, "taken")
    if not out["forked"]:
        pytest.skip("this machine cannot fork or has one core: the server computes them")
    assert out["why"] == ""                     # the child's decisions were taken
    assert out["collected"]                     # and the child waited for
    child, own = out["pages"]["with child"], out["pages"]["without"]
    assert len(child) > 20 and child.keys() == own.keys()
    assert all(page.startswith("200\n") for page in child.values())
    assert [p for p in child if child[p] != own[p]] == []


def test_recorded_adjudications_are_applied_in_the_child(example) -> None:
    """Regression: with two DLT adjudications recorded before the server starts, the child
    computes the decisions with them applied after the decisions (one child, the escalation
    history derived once); the server computes none itself, and
    every page is the same bytes as a server without children shows on a copy of the
    database (what the adjudicated pages show is checked in test_meeting.py)."""
    out = _probe(example, "adjudicated")
    if not out["forked"]:
        pytest.skip("this machine cannot fork or has one core: the server computes them")
    assert out["why"] == "" and out["collected"]
    assert out["server computed"] == {"with child": 0, "without": 1}
    child, own = out["pages"]["with child"], out["pages"]["without"]
    assert child.keys() == own.keys() and "probe: yes" in child["/history"] + child["/"] + (
        "".join(child.values()))
    assert [p for p in child if child[p] != own[p]] == []


def test_the_adjudicated_decisions_reuse_the_history_of_the_decisions(
        example, monkeypatch) -> None:
    """Regression: after the engine's decisions, the decisions with adjudications applied
    (what the child computes next, and the server without a child) derive the escalation
    history no second time, and equal those computed on the domains alone (the code before:
    the history derived again); that the adjudicated recommendation is BOIN's is checked
    against R's BOIN in test_meeting.py."""
    import pandas as pd

    from cartrial.committee import adjudication
    from cartrial.committee.workspace import decisions
    from cartrial.conduct import history
    from cartrial.data import Study, load_study
    from cartrial.protocol import load_protocol

    protocol, study = load_protocol("ct071"), load_study(example)
    derived = []
    own = history._history
    monkeypatch.setattr(history, "_history", lambda *a: derived.append(1) or own(*a))
    cut, first, _ = decisions(study, protocol)
    p = first.patients.head(2)
    frame = pd.DataFrame({"USUBJID": p["USUBJID"].astype(str),
                          "DLT": ["no" if d == "yes" else "yes" for d in p["DLT"]],
                          "RATIONALE": "regression", "ADJ_DATE": cut.isoformat()})
    derived.clear()
    once = adjudication.decide_adjudicated(study, protocol, cut, frame)
    assert derived == []                        # the history of the decisions, read again
    again = adjudication.decide_adjudicated(Study(domains=study.domains), protocol, cut, frame)
    assert derived == [1]                       # no files: derived from the data again
    assert first.phase == once.phase == "expansion"
    assert (once.phase, once.status, once.stopped_on, once.selected) == (
        again.phase, again.status, again.stopped_on, again.selected)
    assert once.recommendation.decision == again.recommendation.decision
    assert (once.patients["DLT_SOURCE"] == "committee").sum() == 2
    pd.testing.assert_frame_equal(once.patients, again.patients)


def test_a_new_database_reads_no_adjudications(tmp_path) -> None:
    """No database file yet (a new trial): nothing to read, no file created."""
    url = f"sqlite:///{tmp_path / 'committee.sqlite'}"
    assert not fb._may_hold(url) and not (tmp_path / "committee.sqlite").exists()
    assert fb._may_hold("postgresql+psycopg://u@h/db") and not fb._may_hold("sqlite://")
    assert fb.database_url(tmp_path) == url
    (tmp_path / "committee.sqlite").write_bytes(b"")
    assert fb._may_hold(url)


def test_a_child_that_dies_leaves_the_decisions_to_the_server(trial) -> None:  # noqa: F811
    sdtm, _ = trial
    out = _probe(sdtm, "killed")
    if not out["forked"]:
        pytest.skip("this machine cannot fork or has one core: the server computes them")
    assert out["why"].startswith("no result from the child")
    assert out["collected"]
    child, own = out["pages"]["with child"], out["pages"]["without"]
    assert [p for p in child if child[p] != own[p]] == []


def test_without_fork_the_data_read_first_are_validated_not_read_again(
        trial, tmp_path, monkeypatch) -> None:  # noqa: F811
    sdtm, _ = trial
    monkeypatch.setattr(fb, "can_fork", lambda: False)
    first = FirstDecisions.start("ct071", sdtm)
    assert first is not None and first.pid is None
    monkeypatch.setattr("cartrial.committee.workspace.load_study",
                        lambda *a: pytest.fail("read again"))
    url = f"sqlite:///{tmp_path / 'committee.sqlite'}"
    app = create_app("ct071", sdtm, url, settle_seconds=0, first=first)
    snap = app.state.watcher.status(whole=False)
    assert snap.ws is not None and snap.ws.study is first.study
    assert first.why == "no child"              # computed by the server itself
    assert first.take(first.study, first.protocol) is None


def test_what_was_read_from_another_folder_is_not_used(
        trial, tmp_path, monkeypatch) -> None:  # noqa: F811
    sdtm, _ = trial
    monkeypatch.setattr(fb, "can_fork", lambda: False)
    first = FirstDecisions.start("ct071", sdtm)
    other = tmp_path / "other"
    write_study(minimal_domains(), other)
    app = create_app("ct071", other, f"sqlite:///{tmp_path / 'c.sqlite'}", settle_seconds=0,
                     first=first)
    snap = app.state.watcher.status(whole=False)
    assert snap.ws is not None and snap.ws.study is not first.study
    assert snap.ws.study.path == other


def test_a_folder_that_cannot_be_read_is_left_to_the_server(tmp_path) -> None:
    assert FirstDecisions.start("ct071", tmp_path / "missing") is None
    assert FirstDecisions.start("no-such-protocol", tmp_path) is None


def test_decisions_made_on_other_data_are_not_taken(trial, monkeypatch) -> None:  # noqa: F811
    sdtm, ws = trial
    monkeypatch.setattr(fb, "can_fork", lambda: False)
    first = FirstDecisions.start("ct071", sdtm)
    assert first.take(ws.study, first.protocol) is None  # another read of the folder
    assert first.why == "made on other data"


def test_bad_data_end_the_child_and_exit_2(tmp_path, monkeypatch) -> None:
    domains = minimal_domains()
    domains["AE"].loc[0, "AESTDTC"] = "2024-02-30"
    write_study(domains, tmp_path / "sdtm")
    stopped: list[int] = []
    monkeypatch.setattr(fb, "can_fork", lambda: False)
    monkeypatch.setattr(FirstDecisions, "stop", lambda self: stopped.append(1))
    first = FirstDecisions.start("ct071", tmp_path / "sdtm")
    with pytest.raises(FindingsError, match="AESTDTC"), ended_on_error(first):
        create_app("ct071", tmp_path / "sdtm", first=first)
    assert stopped == [1]
    from cartrial.cli.main import app as cli

    add_user(open_store(f"sqlite:///{tmp_path / 'sdtm' / 'committee.sqlite'}"), "v",
             "password-v", "viewer")
    r = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path / "sdtm"), "--protocol",
                                 "ct071", "--port", "1"])
    assert r.exit_code == 2 and "AESTDTC" in r.output and "Traceback" not in r.output
    assert stopped == [1, 1]                    # the serve verb ended its child too


_AT_FORK = """
import json, sys
import cartrial.cli.main, cartrial.cli.committee
from cartrial.committee.first_build import FirstDecisions
job = FirstDecisions.start("ct071", sys.argv[1])
print(json.dumps(sorted(sys.modules)))
job.stop()
"""

#: what the server does beside the child, not before it: the web stack and the validation
AFTER_THE_FORK = ("fastapi", "sqlalchemy", "uvicorn", "jinja2", "argon2",
                  "cartrial.data.validate", "cartrial.committee.web")


def test_the_web_stack_and_the_validation_are_imported_after_the_fork(
        trial) -> None:  # noqa: F811
    """What ``cartrial serve`` has imported when it forks (everything before the fork is on
    the way to the first page twice: the server's and the child's)."""
    sdtm, _ = trial
    res = subprocess.run([sys.executable, "-c", _AT_FORK, str(sdtm)], capture_output=True,
                         text=True, check=False, timeout=LIMIT)
    assert res.returncode == 0, res.stderr
    modules = set(json.loads(res.stdout.strip().splitlines()[-1]))
    assert "pandas" in modules and "cartrial.data.load" in modules   # the data were read
    assert sorted(m for m in AFTER_THE_FORK if m in modules) == []
