"""Table 14.2.1 from the committee's workspace database: `cartrial analyze --db URL`.

The database is built through the committee's own API (``open_store``, ``add_user``,
``record_decision``) with the example trial's truth decisions (``truth/escalation.csv``, written
by the example's conduct simulator, never by the report) and one override; the report's table
must be that record, with the override flagged against the design's re-derived recommendation.
"""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.committee.records import add_user
from cartrial.committee.store import open_store
from tests.conduct.test_record import _record
from tests.report._pipeline import analysed

runner = CliRunner()


def test_a_database_that_cannot_be_read_stops_analyze(tmp_path_factory) -> None:
    sdtm = analysed(tmp_path_factory).out.parent / "sdtm"
    missing = tmp_path_factory.mktemp("db") / "absent.sqlite"
    r = runner.invoke(app, ["analyze", str(sdtm), "--protocol", "ct071", "--out",
                            str(tmp_path_factory.mktemp("o")), "--db", f"sqlite:///{missing}"])
    assert r.exit_code == 2 and "no database file" in r.output
    assert not missing.exists()


def test_table_14_2_1_is_the_committee_record(tmp_path_factory) -> None:
    sdtm = analysed(tmp_path_factory).out.parent / "sdtm"
    truth = pd.read_csv(sdtm / "truth" / "escalation.csv", keep_default_na=False)
    truth = truth[truth["action"] != "select"].reset_index(drop=True)
    db = tmp_path_factory.mktemp("db") / "committee.sqlite"
    store = open_store(f"sqlite:///{db}")
    ann = add_user(store, "ann", "sturdy-pass-1", "statistician", full_name="Ann Chair")
    for i, row in truth.iterrows():
        if i == 1:
            _record(store, ann, row, accepted=False, action="stay",
                    next_dose=truth["current_dose"][1], rationale="await a late cytopenia")
        else:
            _record(store, ann, row)
    store.engine.dispose()
    out = tmp_path_factory.mktemp("rec")
    r = runner.invoke(app, ["analyze", str(sdtm), "--protocol", "ct071", "--out", str(out),
                            "--db", f"sqlite:///{db}", "--run-date", "2025-06-01T12:00:00",
                            "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout[r.stdout.index("{"):])["omitted"] == []
    text = " ".join((out / "tables" / "table_14_2_1.txt").read_text(encoding="utf-8").split())
    assert "Dose-escalation history (committee record)" in text
    assert "(override)" in text and "await a late cytopenia" in text
    assert text.count("FLAG: override; differs from re-derived") == 1
    assert f"1 of {len(truth)} records flagged" in text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Dose-escalation history (committee record)" in html
