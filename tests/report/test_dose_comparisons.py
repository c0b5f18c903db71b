"""Report table 14.4.4 (survival by dose level) built from the efficacy engine's output.

The statistics are checked against R in tests/efficacy/test_r_reference.py; here the table's
layout: dose levels in protocol order then Overall, the reference level, and footnotes that
state the methods, days_per_month and what was not estimable.
"""

from __future__ import annotations

from cartrial.data import load_study
from cartrial.efficacy.sdtm import efficacy_from_study
from cartrial.protocol import load_protocol
from cartrial.report.dose_comparisons import table_dose_comparisons

from ..efficacy._sdtm_fixture import write


def test_table_layout_and_footnotes(tmp_path):
    proto = load_protocol("ct071")
    res, _, _ = efficacy_from_study(load_study(write(tmp_path / "study")), proto)
    t = table_dose_comparisons(res.tte, res.subjects.set_index("USUBJID")["DOSE"],
                               proto.endpoints, list(proto.dose_ids), "14.4.4")
    assert t is not None and t.number == "14.4.4" and t.source == "ADTTE"
    cols = list(dict.fromkeys(t.cells["column"]))
    assert cols[-1] == "Overall"
    assert cols[:-1] == [d for d in proto.dose_ids if d in cols]
    assert any("Median follow-up (reverse Kaplan-Meier, OS)" in r for r in t.cells["row"])
    assert f"Months = days / {proto.endpoints.days_per_month:g}. NE = not estimable." in (
        t.footnotes
    )
    assert any(f.startswith("Not in the dose-level comparisons: Not infused") for f in t.footnotes)
