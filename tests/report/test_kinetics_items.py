"""Figures 14.5.1 and 14.5.2 read PC and LB a batch of records at a time (issue #18: memory).

What is read in batches is compared with what is read all at once: the code against itself (a
regression test), on the 20-patient example, on a generated 300-patient trial (LB as
``analyze`` holds it after ADaM, and encoded as loaded), on records shuffled so that a
subject's records are not together, and on messy values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.data import Study, load_study
from cartrial.example import simulate_trial, write_example
from cartrial.kinetics.sdtm import infusions, pc_profiles
from cartrial.protocol import load_protocol
from cartrial.report.held_study import keep_after_adam
from cartrial.report.kinetics_items import _pc_profiles, _try_cytokines

P = load_protocol("ct071")
ALL = 10**9


def _study(root, n: int | None = None) -> Study:
    write_example(simulate_trial(P, n_patients=n), root)
    return load_study(root)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Study:
    return _study(tmp_path_factory.mktemp("ex20"))


@pytest.fixture(scope="module")
def trial300(tmp_path_factory) -> Study:
    return _study(tmp_path_factory.mktemp("tr300"), 300)


def _inf(study: Study) -> pd.DataFrame:
    return infusions(study["EX"], P, study.get("DM"))


def _same(study: Study, rows: int) -> None:
    inf = _inf(study)
    whole = _try_cytokines(study, inf, P, rows=ALL)
    assert len(whole) > 100
    pd.testing.assert_frame_equal(_try_cytokines(study, inf, P, rows=rows), whole)
    prof = pc_profiles(study["PC"], inf)
    got = _pc_profiles(study, inf, rows=rows)
    pd.testing.assert_frame_equal(got, prof)
    assert got.attrs == prof.attrs


@pytest.mark.parametrize("rows", [97, 777])
def test_batches_give_what_all_records_give(example, rows):
    """Regression: the same frames (rows, order, index, dtypes, excluded counts) from
    batches of 97 or 777 records as from every record at once."""
    _same(example, rows)


def test_a_300_patient_trial_encoded_and_as_held_after_adam(trial300):
    """Regression: a generated 300-patient trial, LB and PC as loaded (LB encoded), then LB
    reduced to its cytokine records as ``analyze`` holds it after ADaM."""
    assert trial300.domains.held("LB").__class__.__name__ == "CompactFrame"
    _same(trial300, 5000)
    keep_after_adam(trial300, P)
    _same(trial300, 5000)


def test_records_shuffled(example):
    """Subjects' records not together (LB and PC shuffled): batches still give the frames of
    all records at once, row for row."""
    st = Study({"DM": example["DM"], "EX": example["EX"],
                "LB": example["LB"].sample(frac=1.0, random_state=3),
                "PC": example["PC"].sample(frac=1.0, random_state=4)})
    _same(st, 100)


def test_messy_values(tmp_path):
    """Regression: padded and lower-cased test codes, a record without USUBJID, a PC sample
    not done: batches give what one read gives."""
    st = _study(tmp_path / "m")
    lb, pc = st["LB"].copy(), st["PC"].copy()
    lb.loc[lb.index[::50], "LBTESTCD"] = " il6"
    lb.loc[lb.index[3], "USUBJID"] = None
    pc.loc[pc.index[5], "PCSTAT"] = "NOT DONE"
    _same(Study({"DM": st["DM"], "EX": st["EX"], "LB": lb, "PC": pc}), 50)


def test_no_lb_gives_none(example):
    assert _try_cytokines(Study({"EX": example["EX"]}), _inf(example), P) is None


def test_encoded_lb_messy_test_codes_batches_read_only_cytokine_records(tmp_path, monkeypatch):
    """Regression (issue #18: CPU): with LB held encoded, each batch decodes only the cytokine
    records (as many a batch as the batches of records held) and variables cytokine_records
    keeps (padded, lower-case and missing test codes chosen as it chooses them), and gives
    what one read of every record gives."""
    from cartrial.data.compact import CompactFrame
    from cartrial.kinetics.sdtm import CYTOKINE_LB_VARIABLES

    st = _study(tmp_path / "e")
    lb = st["LB"].copy()
    lb.loc[lb.index[::50], "LBTESTCD"] = " il6"
    lb.loc[lb.index[7::50], "LBTESTCD"] = None
    lb.loc[lb.index[3], "USUBJID"] = None
    messy = Study({"DM": st["DM"], "EX": st["EX"], "PC": st["PC"]})
    messy.domains.hold("LB", lb)
    assert isinstance(messy.domains.held("LB"), CompactFrame)
    read = []
    frame = CompactFrame.frame

    def logged(self, columns=None, rows=None, **kw):
        picked = None if rows is None else np.asarray(rows)
        read.append((None if columns is None else list(columns), None if rows is None else
                     int(picked.sum()) if picked.dtype == bool else len(picked),
                     picked is not None and picked.dtype != bool))
        return frame(self, columns, rows, **kw)

    monkeypatch.setattr(CompactFrame, "frame", logged)
    _same(messy, 97)
    picked = [r for r in read if r[1] is not None]
    assert picked and all(c is not None and set(c) <= set(CYTOKINE_LB_VARIABLES)
                          for c, _, _ in picked)
    cytokine = lb["LBTESTCD"].str.strip().str.upper().isin(P.kinetics.cytokines).sum()
    # the whole read (a mask) and the batches: each the cytokine records only, 97 a batch
    assert sum(n for _, n, _ in picked) == 2 * cytokine
    batches = [n for _, n, positions in picked if positions]
    assert sum(batches) == cytokine and max(batches) == 97
