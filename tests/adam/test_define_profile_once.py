"""Each dataset profiled once for define.html and define.xml (issue #18). Regression tests of
this code: the metadata given as the profile gathered while writing against the metadata
gathered from the frames themselves, as before."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from cartrial.adam.define_xml import define_xml
from cartrial.adam.metadata import DatasetProfile, define_html
from cartrial.adam.write import write_adam

WHEN = datetime(2025, 6, 1, 12, 30, 5)


def _datasets() -> dict[str, pd.DataFrame]:
    adsl = pd.DataFrame({"STUDYID": ["CT071"] * 3, "USUBJID": ["S1", "S2", "S3"],
                         "AGE": [61, None, 58], "SAFFL": ["Y", "Y", ""],
                         "TRTSDT": pd.to_datetime(["2024-03-01", None, "2024-04-02"])})
    adlb = pd.DataFrame({"STUDYID": ["CT071"] * 2, "USUBJID": ["S1", "S2"],
                         "PARAMCD": ["ALT", "ALT"], "PARAM": ["ALT (U/L)"] * 2,
                         "AVAL": [31.5, None]})
    return {"ADSL": adsl, "ADLB": adlb}


def test_define_files_are_those_of_the_frames(tmp_path):
    ds = _datasets()
    write_adam(ds, tmp_path, study="CT071", version="1", protocol_hash="p", data_hash="d",
               run_date=WHEN)
    html = define_html(ds, study="CT071", version="1", protocol_hash="p", data_hash="d")
    assert (tmp_path / "define.html").read_text(encoding="utf-8") == html
    xml = define_xml(ds, study="CT071", version="1", created=WHEN)
    assert (tmp_path / "define.xml").read_text(encoding="utf-8") == xml


def test_variables_are_worked_out_again_after_a_batch_is_added():
    a, b = (pd.DataFrame({"USUBJID": ["S1"], "AGE": [70.0]}),
            pd.DataFrame({"USUBJID": ["S22"], "AGE": [float("nan")]}))
    prof = DatasetProfile("ADSL")
    prof.add(a)
    first = prof.variables()
    first[0]["LENGTH"] = 99  # a copy: changing it changes nothing kept
    assert prof.variables()[0]["LENGTH"] == 2
    prof.add(b)
    both = DatasetProfile.of(pd.concat([a, b], ignore_index=True), "ADSL")
    assert prof.variables() == both.variables()
    assert [(v["LENGTH"], v["N_MISSING"], v["EXAMPLE"]) for v in prof.variables()] == [
        (3, 0, "S1"), (8, 1, "70.0")]
