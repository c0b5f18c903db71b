"""ADLB from LB held dictionary-encoded (``adlb_batched``, issue #18 memory) against ADLB
from the frame (``derive_adlb_batches``): the same batches and the same files.

Regression tests: the faster-to-hold path is compared with the path it replaces, on the
example trial (every batch size below) and on an LB with damaged values (NUL characters,
padded and missing text, -0.0, missing results, a record without USUBJID).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from cartrial.adam import BatchedDataset, write_adam
from cartrial.adam.adlb import derive_adlb, derive_adlb_batches
from cartrial.adam.adlb_batched import adlb_batched
from cartrial.protocol import load_protocol
from tests.adam import test_adae_adlb

P = load_protocol("ct071")
example = test_adae_adlb.example  # the example trial's study and ADSL (a module fixture)
KW = {"study": "CT071", "version": "0", "protocol_hash": "p" * 64, "data_hash": "d" * 64,
      "run_date": datetime(2024, 5, 1, 12, 30)}


def _files(adlb, adsl, out) -> dict[str, bytes]:
    write_adam({"ADSL": adsl, "ADLB": adlb}, out, **KW)
    return {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize("subjects", [1, 4, 250])
def test_example_batches_equal_those_from_the_frame(example, subjects, tmp_path):
    study, adsl = example
    lb = study["LB"]
    held = adlb_batched(lb, adsl, P, batch_subjects=subjects)
    want = list(derive_adlb_batches(lb, adsl, P, batch_subjects=subjects))
    for _ in range(2):  # each pass gives the same batches
        got = list(held.batches())
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            pd.testing.assert_frame_equal(g, w, check_exact=True)
    assert len(held) == len(lb)
    frame = BatchedDataset(len(lb), lambda: derive_adlb_batches(lb, adsl, P,
                                                                batch_subjects=subjects))
    assert _files(held, adsl, tmp_path / "held") == _files(frame, adsl, tmp_path / "frame")


def test_damaged_lb_gives_the_same_adlb(example, tmp_path):
    study, adsl = example
    lb = study["LB"].copy()
    rng = np.random.default_rng(7)
    text = pd.StringDtype("python")
    hit = rng.random(len(lb)) < 0.05
    lb["LBSTRESC"] = pd.array(np.where(hit, "a\x00b", lb["LBSTRESC"].astype(object)),
                              dtype=text)
    lb.loc[rng.random(len(lb)) < 0.05, "LBSTRESN"] = np.nan
    lb.loc[lb["LBSTRESN"] == 0, "LBSTRESN"] = -0.0
    lb.loc[rng.random(len(lb)) < 0.02, "LBSTRESU"] = pd.NA
    lb.loc[len(lb) // 2, "USUBJID"] = pd.NA
    held = adlb_batched(lb, adsl, P, batch_subjects=5)
    for g, w in zip(held.batches(), derive_adlb_batches(lb, adsl, P, batch_subjects=5),
                    strict=True):
        pd.testing.assert_frame_equal(g, w, check_exact=True)


def test_adlb_text_columns_hold_one_object_per_value(example):
    """Regression (memory, issue #18): PARAMCD, PARAM, ANRIND and every other text column of
    ADLB are built once per distinct value, so a batch holds one object per value, not one per
    record (what share_repeats did afterwards before)."""
    study, adsl = example
    adlb = next(iter(adlb_batched(study["LB"], adsl, P).batches()))
    for c in adlb.columns:
        if adlb[c].dtype == object:
            assert len({id(v) for v in adlb[c]}) == adlb[c].nunique(dropna=False), c


def test_param_keeps_test_names_with_a_nul_apart():
    """PARAM = LBTEST + " (" + LBSTRESU + ")" (the DEFINE text of ADLB), also for test names
    with a NUL character, which pandas 2 hashes only up to the NUL (pandas issue #34551): the
    values were merged into one PARAM before (by share_repeats)."""
    lb = pd.DataFrame({"STUDYID": "CT071", "USUBJID": "S1", "LBSEQ": [1.0, 2.0, 3.0],
                       "LBTESTCD": ["T1", "T2", "MPROTEIN"], "LBTEST": ["a\x00b", "a\x00b", "M"],
                       "LBSPEC": ["BLOOD", "BLOOD", "URINE"], "LBSTRESU": ["g/L", "U/L", ""],
                       "LBDTC": "2024-03-08", "LBSTRESN": [1.0, 2.0, 3.0],
                       "LBSTRESC": ["1", "2", "3"]})
    adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.Timestamp("2024-03-10"),
                         "TRT01A": "DL1", "TRT01AN": 1})
    out = derive_adlb(lb, adsl, P).sort_values("LBSEQ")
    assert out["PARAM"].tolist() == ["a\x00b (g/L)", "a\x00b (U/L)", "M, urine"]
    assert out["PARAMCD"].tolist() == ["T1", "T2", "UMPROT"]


def test_the_studys_held_lb_gives_the_same_batches(example):
    """ADLB from the study's own encoded LB (``Study.domains.held("LB")``, no second copy)
    against ADLB from the frame (regression test)."""
    from cartrial.data.compact import CompactFrame

    study, adsl = example
    lb = study["LB"]
    held = CompactFrame(lb)
    got = adlb_batched(held, adsl, P, batch_subjects=4)
    assert len(got) == len(lb)
    for g, w in zip(got.batches(), derive_adlb_batches(lb, adsl, P, batch_subjects=4),
                    strict=True):
        pd.testing.assert_frame_equal(g, w, check_exact=True)
