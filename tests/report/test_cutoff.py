"""`cartrial analyze --cutoff DATE` (issue #16 point 7): the report as of a data cut-off,
applied as `decide --as-of` applies it, the cut-off in every header; `--pdf` without Chromium.

The outside reference is the example generator's truth (``sdtm/truth/subjects.csv`` and
``dlt.csv``: who was infused when, at which dose), which the pipeline never reads.
"""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from cartrial.cli.main import app
from tests.report._pipeline import analysed

runner = CliRunner()
CUT = "2024-06-30"


def test_report_as_of_a_cutoff(tmp_path_factory) -> None:
    s = analysed(tmp_path_factory)
    sdtm = s.out.parent / "sdtm"
    out = tmp_path_factory.mktemp("cut")
    r = runner.invoke(app, ["analyze", "--protocol", "ct071", str(sdtm), "--out", str(out),
                            "--cutoff", CUT, "--run-date", "2025-06-01T12:00:00", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout[r.stdout.index("{"):])["data_cutoff"] == CUT
    truth = pd.read_csv(sdtm / "truth" / "subjects.csv").merge(
        pd.read_csv(sdtm / "truth" / "dlt.csv")[["USUBJID", "dose"]], on="USUBJID")
    inf = pd.to_datetime(truth["infusion_dtc"])
    want = truth[inf <= pd.Timestamp(CUT)]
    adsl = pd.read_csv(out / "adam" / "adsl.csv")
    assert sorted(adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"]) == sorted(want["USUBJID"])
    assert pd.to_datetime(adsl["TRTSDT"]).max() <= pd.Timestamp(CUT)
    # the DLT table counts what `decide --as-of` counts on the same date
    d = runner.invoke(app, ["decide", str(sdtm), "--protocol", "ct071", "--as-of", CUT,
                            "--json"])
    doses = {r["DOSE_ID"]: r for r in json.loads(d.stdout)["doses"]}
    for dose, n in want["dose"].value_counts().items():
        assert doses[dose]["TREATED"] == n
    text = (out / "tables" / "table_14_2_3.txt").read_text(encoding="utf-8")
    treated = [ln for ln in text.splitlines() if ln.startswith("Treated")][0].split()
    assert treated[1:-1] == [str(doses[k]["TREATED"]) for k in sorted(doses)
                             if doses[k]["TREATED"]]
    # the cut-off in every header: the HTML's page header and provenance, RTF and DOCX headers
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"Data cut-off {CUT}" in html and "records dated after it not used" in html
    for rtf in (out / "tables").glob("*.rtf"):
        assert f"Data cut-off: {CUT}" in rtf.read_text(encoding="ascii"), rtf.name
    from docx import Document

    doc = Document(str(out / "tables" / "table_14_3_1.docx"))
    assert f"Data cut-off: {CUT}" in doc.sections[0].header.paragraphs[0].text
    assert "Table 14.3.1" in doc.sections[0].header.paragraphs[0].text


def test_bad_cutoff_and_missing_chromium_are_bad_input(tmp_path, monkeypatch) -> None:
    r = runner.invoke(app, ["analyze", "--protocol", "ct071", str(tmp_path),
                            "--out", str(tmp_path / "o"), "--cutoff", "30/06/2024"])
    assert r.exit_code == 2 and "--cutoff must be a date YYYY-MM-DD" in r.output
    monkeypatch.setattr("cartrial.report.pdf.shutil.which", lambda name: None)
    r = runner.invoke(app, ["analyze", "--protocol", "ct071", str(tmp_path),
                            "--out", str(tmp_path / "o"), "--pdf"])
    assert r.exit_code == 2 and "--pdf needs Chromium" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "o").exists()
