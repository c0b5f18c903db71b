"""The adjudications read before ``cartrial serve`` forks (``sqlite3``, read only) and the
adjudicated decisions its child computes from them.

The rows are compared with what the committee's record reads through SQLAlchemy (regression:
the server takes the child's decisions only when both agree); the child's adjudicated
recommendation is checked against R's BOIN ``get.boundary`` (validation/data/boin_boundary.csv,
read by tests/committee/test_meeting.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cartrial.committee import add_user, open_store
from cartrial.committee import first_build as fb
from cartrial.committee.adjudication import adjudication_frame, record_adjudication
from cartrial.committee.adjudication_rows import (
    COLUMNS,
    TABLE,
    adjudication_table,
    read_sqlite,
    sqlite_file,
)
from cartrial.committee.store import DltAdjudication
from tests.committee.test_meeting import CUTOFF, r_boin, trial  # noqa: F401 - built once


@pytest.fixture()
def recorded(trial, tmp_path):  # noqa: F811
    """A committee database holding two adjudications of the minimal study's patient
    CT071-001-002 (the later one, a DLT, supersedes)."""
    _, ws = trial
    url = f"sqlite:///{tmp_path / 'committee.sqlite'}"
    store = open_store(url)
    chair = add_user(store, "chair", "password-c", "member")
    record_adjudication(store, chair, ws, "CT071-001-002", "no", "first look: not related")
    record_adjudication(store, chair, ws, "CT071-001-002", "yes", "grade 3 rash, related")
    return url, store


def test_the_rows_are_those_the_record_reads(recorded) -> None:
    """Regression: the same rows, in the same order, as the record's SQLAlchemy read, and the
    same frame."""
    url, store = recorded
    store.engine.dispose()                      # the record closed: its files as it left them
    folder = Path(url.removeprefix("sqlite:///")).parent
    files = {f.name: f.read_bytes() for f in folder.iterdir()}
    rows = read_sqlite(url)
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == files  # nothing written
    frame = adjudication_frame(store)
    assert rows == tuple(map(tuple, frame.itertuples(index=False)))
    assert rows == fb._read(url)
    assert [r[1] for r in rows] == ["no", "yes"] and rows[0][3] == CUTOFF.isoformat()
    assert adjudication_table(rows).equals(frame)


def test_what_is_read_is_the_record_s_table() -> None:
    table = DltAdjudication.__table__
    assert table.name == TABLE and all(c in table.columns for c in (*COLUMNS, "id"))


def test_nothing_is_created_and_other_databases_are_left_to_the_child(tmp_path) -> None:
    path = tmp_path / "committee.sqlite"
    assert read_sqlite(f"sqlite:///{path}") is None and not path.exists()
    assert read_sqlite("sqlite://") is None
    assert read_sqlite("postgresql+psycopg://u@h/db") is None
    assert sqlite_file(f"sqlite:///{path}?timeout=5") == str(path)
    path.write_bytes(b"")                       # an empty file: a database without tables
    assert read_sqlite(f"sqlite:///{path}") == ()
    path.write_bytes(b"not a database" * 100)
    assert read_sqlite(f"sqlite:///{path}") is None


def test_the_child_applies_them_as_r_boin(trial, recorded) -> None:  # noqa: F811
    """What the child computes (in this process): the decisions, then with the adjudications
    applied, read before the fork or by the child itself; one DLT in one patient at DL2
    de-escalates (R BOIN get.boundary: de-escalate at n=1 when y >= 1)."""
    sdtm, ws = trial
    url, _ = recorded
    study, protocol = ws.study, ws.protocol
    first, adj = fb._computed(protocol, study, url, read_sqlite(url))
    assert first[0] == ws.as_of == CUTOFF and adj[:2] == (CUTOFF, read_sqlite(url))
    assert first[1].recommendation.decision.action == "stay"
    assert int(r_boin(1)["deescalate_ge"]) == 1
    d = adj[2].recommendation.decision
    assert (d.action, protocol.dose_ids[d.next_dose]) == ("de-escalate", "DL1")
    again = fb._computed(protocol, study, url, None)[1]   # read by the child (SQLAlchemy)
    assert again[:2] == adj[:2]
    assert again[2].recommendation.decision == d
    assert fb._computed(protocol, study, url, ())[1] is None            # none recorded
    new = f"sqlite:///{Path(sdtm).parent / 'none.sqlite'}"
    assert fb._computed(protocol, study, new, None)[1] is None          # no database yet
    bad = (("CT071-001-009", "yes", "x", CUTOFF.isoformat()),)          # not an escalation
    assert fb._computed(protocol, study, url, bad)[1] is None           # patient: the server
