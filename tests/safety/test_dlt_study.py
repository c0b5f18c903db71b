"""The DLT-only path (``adjudicate_study_dlt``) that trial conduct takes at each decision date.

Outside reference: the example trial's ``truth/dlt.csv`` (each patient's simulated DLT and the
rule it met, written by the generator, never by the safety engine). The equality with
``analyse_safety(...).dlt`` is a regression test: the two paths must not drift apart.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.data import load_study
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol
from cartrial.safety import adjudicate_study_dlt, analyse_safety, safety_inputs
from tests._scratch import scratch_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def toxic(tmp_path_factory: pytest.TempPathFactory):
    protocol = load_protocol("ct071")
    root = tmp_path_factory.mktemp("toxic")
    write_example(simulate_trial(protocol, seed=7, scenario="toxic-dose", n_patients=40), root)
    return protocol, safety_inputs(load_study(root), protocol), root


def test_every_dlt_agrees_with_the_example_truth(toxic) -> None:
    protocol, inputs, root = toxic
    got = adjudicate_study_dlt(inputs, protocol).patients.set_index("USUBJID")
    want = pd.read_csv(root / "truth" / "dlt.csv").set_index("USUBJID")
    assert set(got.index) == set(want.index)
    yes = got["DLT"].eq("yes")
    assert yes.sum() > 0
    assert set(got.index[yes]) == set(want.index[want["dlt"].eq("Y")])
    rules = got.loc[yes, "DLT_RULE"].sort_index()
    assert rules.tolist() == want.loc[rules.index, "rule"].tolist()


def test_equals_the_full_analysis_dlt_result(toxic) -> None:
    """Regression: the DLT-only path and ``analyse_safety`` give the same DLT result, also
    when the laboratory records are graded in several batches."""
    protocol, inputs, _ = toxic
    full = analyse_safety(inputs, protocol).dlt
    for batch in (3, 10_000):
        fast = adjudicate_study_dlt(inputs, protocol, batch_subjects=batch)
        pd.testing.assert_frame_equal(fast.patients, full.patients)
        pd.testing.assert_frame_equal(fast.evaluations, full.evaluations)
        assert (fast.window_days, fast.rules) == (full.window_days, full.rules)


def test_analysis_without_tables_keeps_every_other_result():
    """``analyse_safety(..., tables=False)`` (what ``analyze`` and the workspace run: their
    tables come from ADaM or are not shown) leaves the tables empty and every other result the
    same (a regression test: the code against itself)."""

    out = scratch_dir(prefix="cartrial-notables-")
    proto = load_protocol("ct071")
    write_example(simulate_trial(proto, seed=3), out)
    inputs = safety_inputs(load_study(out), proto)
    whole, bare = analyse_safety(inputs, proto), analyse_safety(inputs, proto, tables=False)
    assert whole.tables and bare.tables == {}
    pd.testing.assert_frame_equal(whole.dlt.patients, bare.dlt.patients)
    pd.testing.assert_frame_equal(whole.syndrome_events, bare.syndrome_events)
    pd.testing.assert_frame_equal(whole.cytopenias, bare.cytopenias)
    assert whole.method == bare.method
