"""ADSL's per-subject dates read a chunk of records at a time (cartrial.adam.record_chunks,
issue #18: memory): LSTALVDT and EFFFL are those of the whole read (regression tests: the
whole read, one chunk, is the reference), on the example trial and on messy dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cartrial.adam.record_chunks as rc
from cartrial.adam._dates import dtc_date, latest_per_subject, start_days
from cartrial.adam.adsl import derive_adsl
from cartrial.adam.adsl_pop import derive_vars_popfl
from cartrial.data import Study, load_study
from cartrial.protocol import load_protocol
from cartrial.study_reads import read_frame

P = load_protocol("ct071")


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from cartrial.example import simulate_trial, write_example

    folder = tmp_path_factory.mktemp("example")
    write_example(simulate_trial(P), folder)
    return load_study(folder)


def test_chunks_are_the_records_read_whole(example, monkeypatch):
    monkeypatch.setattr(rc, "CHUNK_RECORDS", 997)
    assert type(example.domains.held("LB")).__name__ == "CompactFrame"
    for where in (None, {"LBCAT": {"DISEASE ASSESSMENT"}}):
        chunks = list(rc.record_chunks(example, "LB", ["USUBJID", "LBDTC", "LBNONE"], where))
        assert len(chunks) > 1 and max(map(len, chunks)) == 997
        whole = example.frame("LB", ["USUBJID", "LBDTC"], where)
        pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_exact=True)
    assert list(rc.record_chunks(example, "XX", ["USUBJID"])) == []
    ae = list(rc.record_chunks(example, "AE", ["USUBJID", "AESTDTC"]))  # a frame: one chunk
    pd.testing.assert_frame_equal(ae[0], read_frame(example, "AE", ["USUBJID", "AESTDTC"]))


def test_adsl_read_in_chunks_is_adsl_read_whole(example, monkeypatch):
    whole = derive_adsl(example, P)
    monkeypatch.setattr(rc, "CHUNK_RECORDS", 1_000)
    pd.testing.assert_frame_equal(derive_adsl(example, P), whole, check_exact=True)
    decoded = Study({k: example[k] for k in example.domains})  # every domain a frame
    pd.testing.assert_frame_equal(derive_adsl(decoded, P), whole, check_exact=True)


def _efffl_replaced(adsl: pd.DataFrame, lb: pd.DataFrame, rs: pd.DataFrame) -> list:
    """EFFFL as derived before (every assessment's date against TRTSDT, record by record)."""
    da = lb[lb["LBCAT"] == "DISEASE ASSESSMENT"]
    r = rs[rs["RSTESTCD"] == "OVRLRESP"]
    allp = pd.concat([pd.DataFrame({"USUBJID": da["USUBJID"].to_numpy(),
                                    "DT": dtc_date(da["LBDTC"])[0].to_numpy()}),
                      pd.DataFrame({"USUBJID": r["USUBJID"].to_numpy(),
                                    "DT": dtc_date(r["RSDTC"])[0].to_numpy()})],
                     ignore_index=True)
    allp["TRTSDT"] = allp["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
    has = set(allp.loc[allp["DT"] > allp["TRTSDT"], "USUBJID"])
    infused = adsl["TRTSDT"].notna()
    return np.where(infused & adsl["USUBJID"].isin(has), "Y", "").tolist()


@pytest.mark.parametrize("seed", [1, 2])
def test_efffl_is_the_record_by_record_flag(seed, monkeypatch):
    monkeypatch.setattr(rc, "CHUNK_RECORDS", 50)
    rng = np.random.default_rng(seed)
    ids = np.array([f"S{i}" for i in range(12)] + [None], dtype=object)
    dates = np.array(["2024-03-01", "2024-03", "2024", "", None, "2024-02-28T23:59",
                      "2024-03-02", "2024-13-01", "2023-12-31"], dtype=object)
    n = 400
    lb = pd.DataFrame({"USUBJID": ids[rng.integers(len(ids), size=n)],
                       "LBCAT": np.array(["DISEASE ASSESSMENT", "CHEMISTRY", None],
                                         dtype=object)[rng.integers(3, size=n)],
                       "LBDTC": dates[rng.integers(len(dates), size=n)]})
    rs = pd.DataFrame({"USUBJID": ids[rng.integers(len(ids), size=40)],
                       "RSTESTCD": np.array(["OVRLRESP", "ECOG101"])[rng.integers(2, size=40)],
                       "RSDTC": dates[rng.integers(len(dates), size=40)]})
    adsl = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(14)],
                         "TRTSDT": pd.to_datetime(["2024-03-01", None] * 7)})
    study = Study({})
    study.domains.hold("LB", lb.astype(pd.StringDtype("python")))  # encoded, as loaded
    study.domains["RS"] = rs
    got = derive_vars_popfl(adsl, study)["EFFFL"].tolist()
    assert got == _efffl_replaced(adsl, lb, rs)
    assert "Y" in got


def test_latest_per_subject_start_days():
    u = pd.Series(["S2", "S1", "S2", None, "S1"])
    d = pd.Series(["2024-01-05", "2024-02", "2024-03-01T10:00", "2025-01-01", None])
    got = latest_per_subject(u, d, start_days)
    assert got.index.tolist() == ["S1", "S2"]
    assert got.tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
