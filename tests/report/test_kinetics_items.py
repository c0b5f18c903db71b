"""Figure 14.5.2's values read a batch of subjects at a time (issue #18: memory).

The values read in batches are compared with those read all at once: the code against itself
(a regression test), on the 20-patient example, on a generated 300-patient trial, on the
example's LB with its records' order shuffled and on messy input values.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.data import Study, load_study
from cartrial.example import simulate_trial, write_example
from cartrial.kinetics.sdtm import infusions
from cartrial.protocol import load_protocol
from cartrial.report.held_study import keep_after_adam
from cartrial.report.kinetics_items import _try_cytokines

P = load_protocol("ct071")


def _study(root, n: int | None = None) -> Study:
    write_example(simulate_trial(P, n_patients=n), root)
    return load_study(root)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Study:
    return _study(tmp_path_factory.mktemp("ex20"))


@pytest.fixture(scope="module")
def trial300(tmp_path_factory) -> Study:
    return _study(tmp_path_factory.mktemp("tr300"), 300)


def _both(study: Study, batch: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    inf = infusions(study["EX"], P, study.get("DM"))
    return (_try_cytokines(study, inf, P, batch_subjects=10**9),
            _try_cytokines(study, inf, P, batch_subjects=batch))


@pytest.mark.parametrize("batch", [1, 7])
def test_batches_give_the_records_read_at_once(example, batch):
    """Regression: the same frame (rows, order, index, dtypes) from batches of 1 or 7
    subjects as from every record at once; the example's LB holds each subject's records
    together."""
    whole, batched = _both(example, batch)
    assert len(whole) > 100
    pd.testing.assert_frame_equal(batched, whole)


def test_batches_on_a_300_patient_trial_as_held_after_adam(trial300):
    """Regression: a generated 300-patient trial, LB reduced to its cytokine records as
    ``analyze`` holds it after ADaM (``keep_after_adam``), in batches of 40 subjects."""
    keep_after_adam(trial300, P)
    whole, batched = _both(trial300, 40)
    assert whole["GROUP"].nunique() > 1
    pd.testing.assert_frame_equal(batched, whole)


def test_subjects_interleaved_give_the_same_values(example):
    """LB with its records shuffled (a subject's records not together): the same rows, so the
    same medians and quartiles the figure draws; only ties within a cytokine, dose level and
    nominal day may come in another order."""
    lb = example["LB"].sample(frac=1.0, random_state=3)
    st = Study({**{k: example[k] for k in ("DM", "EX")}, "LB": lb})
    whole, batched = _both(st, 3)
    key = ["CYTOKINE", "GROUP", "NOMDAY", "VALUE"]
    pd.testing.assert_frame_equal(batched.sort_values(key).reset_index(drop=True),
                                  whole.sort_values(key).reset_index(drop=True))


def test_messy_values_in_batches(tmp_path):
    """Regression: padded, lower-cased and unknown codes and a record without USUBJID (which
    no infusion places in time): batches give what one read gives."""
    st = _study(tmp_path / "m")
    lb = st["LB"].copy()
    lb.loc[lb.index[::50], "LBTESTCD"] = " il6"
    lb.loc[lb.index[3], "USUBJID"] = None
    st = Study({**{k: st[k] for k in ("DM", "EX")}, "LB": lb})
    whole, batched = _both(st, 2)
    pd.testing.assert_frame_equal(batched, whole)


def test_no_lb_gives_none(example):
    inf = infusions(example["EX"], P, example.get("DM"))
    assert _try_cytokines(Study({"EX": example["EX"]}), inf, P) is None
