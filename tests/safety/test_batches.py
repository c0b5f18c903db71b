"""Laboratory grading in subject batches equals one pass over all records (issue #8 memory)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cartrial import example  # the engine-vs-truth tests fail if the example breaks, never skip
from cartrial.data import load_study
from cartrial.protocol import load_protocol
from cartrial.safety.analysis import analyse_safety
from cartrial.safety.sdtm import safety_inputs
from cartrial.safety.sdtm_labs import lab_records


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    protocol = load_protocol("ct071")
    root = tmp_path_factory.mktemp("batches")
    example.write_example(example.simulate_trial(protocol, seed=5, n_patients=30), root)
    return load_study(root), protocol


def _equal(a: object, b: object, path: str) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=path)
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _equal(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _equal(a[k], b[k], f"{path}[{k}]")
    else:
        assert a == b, path


@pytest.mark.parametrize("size", [1, 4])
def test_batched_safety_analysis_equals_one_pass(study, size) -> None:
    s, protocol = study
    inputs = safety_inputs(s, protocol)
    whole = analyse_safety(inputs, protocol, batch_subjects=10**6)
    assert whole.labs["USUBJID"].nunique() > 4 * size and whole.cytopenias.shape[0] > 0
    _equal(whole, analyse_safety(inputs, protocol, batch_subjects=size), "safety")
    lean = analyse_safety(inputs, protocol, batch_subjects=size, keep_labs=False)
    assert lean.labs.empty and list(lean.labs.columns) == list(whole.labs.columns)
    _equal(dataclasses.replace(whole, labs=whole.labs.iloc[:0]), lean, "safety")


def test_lab_records_keep_lb_order_in_any_batching(study) -> None:
    s, _ = study
    whole = lab_records(s, batch_subjects=10**6)
    shuffled = dataclasses.replace(s, domains={**s.domains,
                                               "LB": s["LB"].sample(frac=1, random_state=2)})
    for size in (1, 3):
        pd.testing.assert_frame_equal(lab_records(s, batch_subjects=size), whole)
        # an LB not sorted by subject: rows still come back in LB order
        pd.testing.assert_frame_equal(lab_records(shuffled, batch_subjects=size),
                                      lab_records(shuffled, batch_subjects=10**6))


def test_shared_long_form_gives_the_same_results(study) -> None:
    """Regression (code against itself): the engine computes ``lab_grades_long`` once per batch
    and hands it to the worst grades, the cytopenia recovery and the DLT lab events; each result
    equals the one the function computes from the graded records alone."""
    from cartrial.safety.ctcae import grade_labs, lab_grades_long, worst_lab_grades
    from cartrial.safety.cytopenia import cytopenia_recovery
    from cartrial.safety.dlt_study import graded_lab_events

    s, protocol = study
    g = grade_labs(safety_inputs(s, protocol).labs)
    long = lab_grades_long(g)
    kept = long.copy()
    pd.testing.assert_frame_equal(worst_lab_grades(g, long=long), worst_lab_grades(g))
    pd.testing.assert_frame_equal(cytopenia_recovery(g, long=long), cytopenia_recovery(g))
    (ev, cov), (ev0, cov0) = graded_lab_events(g, long), graded_lab_events(g)
    pd.testing.assert_frame_equal(ev, ev0)
    assert cov == cov0 and len(ev) and len(cov)
    pd.testing.assert_frame_equal(long, kept)  # read, never changed


def test_placed_equals_in_row_order_and_converts_as_concat() -> None:
    """Regression (the code against ``in_row_order``): batch parts written into whole-length
    columns come back in row order; parts whose dtypes differ (int then float) or are not numpy
    arrays go the general way, converted as a concat converts."""
    from cartrial.data.batches import in_row_order, subject_batches
    from cartrial.safety.sdtm_labs import _placed

    subj = pd.Series(["B", "A", "C", "A", "B", "C", "D"])
    batches = subject_batches(subj, 2)

    def plain(b):
        return pd.DataFrame({"S": subj.to_numpy()[b], "V": b * 1.5})

    def mixed(b):  # ints in the first batch, floats after
        return pd.DataFrame({"S": subj.to_numpy()[b], "V": b if 1 in b else b * 1.5})

    def nullable(b):
        return pd.DataFrame({"S": subj.to_numpy()[b], "V": pd.array(b, dtype="Int64")})

    for part in (plain, mixed, nullable):
        want = in_row_order([part(b) for b in batches], batches)
        pd.testing.assert_frame_equal(_placed(part, batches, len(subj)), want)
    assert _placed(mixed, batches, len(subj))["V"].dtype == float


def test_lab_days_from_distinct_texts_equal_a_parse_of_every_record(study) -> None:
    """Regression (the code against its former way): LBDTC parsed once per distinct text for
    the whole LB and spread to each batch gives the days a parse of every record gives."""
    from cartrial.safety.sdtm_base import _day, infusion_dates

    s, _ = study
    lb, inf = s["LB"], infusion_dates(s)
    lb = lb[lb["LBSTRESN"].notna() & ~lb["LBSPEC"].isin(["URINE", "BONE MARROW"])
            & lb["USUBJID"].isin(inf.index)].reset_index(drop=True)  # what lab_records reads
    want = _day(lb, "LBDTC", inf, domain="LB", seq="LBSEQ")
    got = lab_records(s, batch_subjects=3)
    assert len(got) == len(lb) and len(want)
    np.testing.assert_array_equal(got["DAY"].to_numpy(), want)
