"""The committee's own record (``conduct.committee_record`` / ``escalation_record``) and Table
14.2.1 built from it (``cartrial analyze --db``).

Outside reference: the example trial's ``truth/escalation.csv`` (decisions of the example's
conduct simulator, from each patient's true DLTs, never from the SDTM). A committee database is
built through the committee's own API (``open_store``, ``add_user``, ``record_decision``)
holding the truth decisions as the committee would have recorded them, plus one override and
one correction; the re-derived recommendation beside each record must equal the truth, and the
flags must mark exactly the disagreements put in.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from cartrial.committee.records import add_user, record_decision
from cartrial.committee.store import open_store
from cartrial.conduct import committee_record, escalation_record
from cartrial.errors import InputError
from cartrial.report.escalation_record import table_escalation_record
from cartrial.report.sections import table_escalation
from tests.conduct.test_history import example

pytestmark = pytest.mark.slow


def _record(store, user, row, **kw):
    args = dict(user=user, meeting_date=date.fromisoformat(row["date"]),
                attendees=["Ann Chair", "Bob Member"], accepted=True, action=row["action"],
                next_dose=row["next_dose"] or None, rationale="",
                recommendation={"action": row["action"], "next_dose": row["next_dose"] or None,
                                "rule": row["rule"]},
                as_of=date.fromisoformat(row["date"]), data_hash="a" * 64,
                protocol_id="CT071", protocol_version="1.0", protocol_hash="b" * 64)
    args.update(kw)
    return record_decision(store, **args)


@cache
def committee_db() -> tuple[str, pd.DataFrame]:
    """(URL, truth rows recorded): every truth decision but the selection, one of them
    overridden (stay at DL1 instead of escalating) and then corrected to the recommendation."""
    out = example("default", 1)[0]
    truth = pd.read_csv(out / "truth" / "escalation.csv", keep_default_na=False)
    truth = truth[truth["action"] != "select"].reset_index(drop=True)
    path = Path(out).parent / f"{Path(out).name}-committee.sqlite"
    url = f"sqlite:///{path}"
    store = open_store(url)
    ann = add_user(store, "ann", "sturdy-pass-1", "statistician", full_name="Ann Chair")
    for i, row in truth.iterrows():
        if i == 1:  # the design says escalate: the committee stays, then corrects it
            first = _record(store, ann, row, accepted=False, action="stay", next_dose="DL1",
                            rationale="await a late cytopenia")
            _record(store, ann, row, corrects_id=first.id,
                    rationale="correction: the escalation was taken as recommended")
        else:
            _record(store, ann, row)
    store.engine.dispose()
    return url, truth


def test_the_record_reads_every_decision_oldest_first() -> None:
    url, truth = committee_db()
    rec = committee_record(url)
    assert len(rec) == len(truth) + 1
    assert rec["record"].tolist() == list(range(1, len(truth) + 2))
    assert rec["meeting_date"].tolist()[:3] == [truth["date"][0], truth["date"][1],
                                                truth["date"][1]]
    assert rec["attendees"].iloc[0] == "Ann Chair, Bob Member"
    assert rec.loc[1, ["accepted", "action", "next_dose", "rationale", "corrected_by"]].tolist() \
        == [False, "stay", "DL1", "await a late cytopenia", "3"]
    assert rec.loc[2, "corrects"] == "2"
    assert (rec["signatures"] == "").all()  # this database keeps no signatures table


def test_rederived_beside_each_record_equals_the_truth_and_flags_the_disagreements() -> None:
    url, truth = committee_db()
    _, study, proto, _ = example("default", 1)
    rec = escalation_record(study, proto, url)
    want = truth.set_index("date")
    assert rec["rederived_action"].tolist() == want.loc[rec["data_cutoff"], "action"].tolist()
    assert rec["rederived_next_dose"].tolist() == \
        want.loc[rec["data_cutoff"], "next_dose"].tolist()
    flagged = rec.loc[rec["flags"] != "", "record"].tolist()
    assert flagged == [2, 3]
    assert rec.loc[1, "flags"] == (
        "override: the decision differs from the recommendation at the time; the decision "
        "differs from the re-derived recommendation; corrected by record 3")
    assert rec.loc[2, "flags"] == "corrects record 2"
    assert set(rec["basis"]) == {"committee record"}
    # a report at a cut-off shows only the meetings held by then
    early = escalation_record(study, proto, url, until=truth["date"][1])
    assert early["record"].tolist() == [1, 2, 3]


def test_table_14_2_1_is_the_committee_record() -> None:
    url, _ = committee_db()
    _, study, proto, _ = example("default", 1)
    rec = escalation_record(study, proto, url)
    t = table_escalation(rec, proto, "14.2.1")
    assert t.title == "Dose-escalation history (committee record)"
    cells = t.cells.pivot(index="row", columns="column", values="value")
    assert cells.loc["2", "Decided"] == "STAY DL1 (override)"
    assert cells.loc["2", "Recommended then"] == "ESCALATE DL2"
    assert cells.loc["2", "Re-derived now"] == "ESCALATE DL2"
    assert cells.loc["2", "Flags"] == ("FLAG: override; differs from re-derived; corrected by "
                                       "record 3")
    assert cells.loc["3", "Flags"] == "FLAG: corrects record 2"
    assert cells.loc["1", "Flags"] == "none"
    assert "2 of 6 records flagged." in " ".join(t.footnotes)
    assert table_escalation_record(rec, proto, "14.2.1").title == t.title


def test_signatures_are_read_when_the_database_keeps_them(tmp_path) -> None:
    url, _ = committee_db()
    db = Path(url.removeprefix("sqlite:///"))
    copy = tmp_path / "signed.sqlite"
    copy.write_bytes(db.read_bytes())
    con = sqlite3.connect(copy)
    # the workspace's own table (committee.store.Signature) when the database already has it
    con.execute("CREATE TABLE IF NOT EXISTS signatures (id INTEGER PRIMARY KEY, "
                "decision_id INTEGER, signer TEXT, printed_name TEXT, signed_at DATETIME, "
                "meaning TEXT, record_hash TEXT)")
    con.execute("INSERT INTO signatures VALUES (1, 1, 'ann', 'Ann Chair', "
                "'2023-05-27 10:00:00.000000', 'approved as chair', 'x')")
    con.commit()
    con.close()
    rec = committee_record(f"sqlite:///{copy}")
    assert rec.loc[0, "signatures"] == "Ann Chair (approved as chair, 2023-05-27 10:00 UTC)"
    assert rec.loc[1, "signatures"] == ""


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/absent.sqlite", "nonsense://x",
                                 "sqlite:///{tmp}/empty.sqlite"])
def test_a_database_without_a_record_is_a_clear_error(tmp_path, url) -> None:
    sqlite3.connect(tmp_path / "empty.sqlite").close()
    url = url.format(tmp=tmp_path)
    with pytest.raises(InputError, match="--db"):
        committee_record(url)
    assert not (tmp_path / "absent.sqlite").exists()  # reading never creates a database
