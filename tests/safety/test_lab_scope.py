"""The safety analysis on lab records of the tests it reads only (issue #18: memory) gives every
result and every refusal it gives on all the records: on a generated trial in several subject
batchings, on messy ones, with an invalid record of an unread test and with a subject whose
records are all of unread tests."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.data import load_study
from cartrial.protocol import load_protocol
from cartrial.safety.analysis import analyse_safety
from cartrial.safety.lab_scope import KnownCodes, LabScope, analysis_lab_scope
from cartrial.safety.sdtm import safety_inputs
from cartrial.safety.sdtm_labs import lab_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from _messy import SEED, make_messy  # noqa: E402

from tests.safety._generated import loaded, outcome, written


def _frames(x, path: str = "") -> dict[str, pd.DataFrame | object]:  # noqa: ANN001
    """Every frame (and other value) of a result, by its path."""
    if dataclasses.is_dataclass(x):
        return {k: v for f in dataclasses.fields(x)
                for k, v in _frames(getattr(x, f.name), f"{path}.{f.name}").items()}
    if isinstance(x, dict):
        return {k: v for key, item in x.items() for k, v in _frames(item, f"{path}[{key}]").items()}
    return {path: x}


def _same(got, want) -> None:  # noqa: ANN001
    a, b = _frames(got), _frames(want)
    assert list(a) == list(b)
    for k in a:
        if isinstance(a[k], pd.DataFrame):
            pd.testing.assert_frame_equal(a[k], b[k], check_exact=True, obj=k)
        else:
            assert a[k] == b[k], k


def _analysis(study, protocol, scoped: bool, batch: int = 250):  # noqa: ANN001, ANN202
    scope = analysis_lab_scope(protocol) if scoped else None
    return analyse_safety(safety_inputs(study, protocol, scope=scope), protocol,
                          keep_labs=False, tables=False, batch_subjects=batch)


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory):
    return loaded(tmp_path_factory.mktemp("scope120"), 5, 120)


def test_unread_tests_left_out_same_analysis(trial) -> None:
    s, protocol = trial
    scope = analysis_lab_scope(protocol)
    every = lab_records(s)
    read = every["PARAMCD"].isin(scope.tests).to_numpy()
    assert 0 < read.sum() < len(every)  # the trial has records of unread tests (cytokines)
    for size in (7, 250):
        got = lab_records(s, scope=scope, batch_subjects=size)
        pd.testing.assert_frame_equal(got, every[read].reset_index(drop=True), check_exact=True)
    want = _analysis(s, protocol, scoped=False)
    for batch in (13, 250):  # several grading batches, one
        _same(_analysis(s, protocol, scoped=True, batch=batch), want)


def _with_lb(study, change):  # noqa: ANN001, ANN202
    """The study with its LB decoded and changed by ``change(lb)``."""
    lb = change(study["LB"].copy())
    return dataclasses.replace(study, domains={**study.domains, "LB": lb})


def _unread(lb: pd.DataFrame, protocol) -> np.ndarray:  # noqa: ANN001
    return ~lb["LBTESTCD"].str.strip().str.upper().isin(analysis_lab_scope(protocol).tests)


def test_invalid_record_of_an_unread_test_refused_as_before(trial) -> None:
    s, protocol = trial

    def negative(lb: pd.DataFrame) -> pd.DataFrame:
        lb.loc[np.flatnonzero(_unread(lb, protocol))[5], "LBSTRESN"] = -1.0
        return lb

    bad = _with_lb(s, negative)
    scope = analysis_lab_scope(protocol)
    pd.testing.assert_frame_equal(lab_records(bad, scope=scope), lab_records(bad),
                                  check_exact=True)  # every record kept
    want = outcome(lambda: _analysis(bad, protocol, scoped=False))
    assert "cannot be < 0" in want
    assert outcome(lambda: _analysis(bad, protocol, scoped=True)) == want


def test_subject_with_unread_tests_only_listed_as_before(trial) -> None:
    s, protocol = trial

    def only_unread(lb: pd.DataFrame) -> pd.DataFrame:
        first = lb["USUBJID"].iloc[0]
        return lb[(lb["USUBJID"] != first) | _unread(lb, protocol)].reset_index(drop=True)

    odd = _with_lb(s, only_unread)
    got, want = _analysis(odd, protocol, scoped=True), _analysis(odd, protocol, scoped=False)
    assert s["LB"]["USUBJID"].iloc[0] in set(want.hematotox["USUBJID"])
    _same(got, want)


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_messy_studies_same_analysis_or_refusal(tmp_path: Path, offset: int) -> None:
    protocol = load_protocol("ct071")
    make_messy(written(tmp_path, 3 + offset, 30), SEED + offset, rate=0.03)
    s = outcome(lambda: load_study(tmp_path))
    if isinstance(s, str):
        pytest.skip(f"the messy study does not load: {s}")
    for batch in (3, 250):
        want = outcome(lambda n=batch: _analysis(s, protocol, scoped=False, batch=n))
        got = outcome(lambda n=batch: _analysis(s, protocol, scoped=True, batch=n))
        if isinstance(want, str):
            assert got == want
        else:
            _same(got, want)


def test_analysis_refuses_records_read_for_fewer_tests(trial) -> None:
    s, protocol = trial
    inputs = safety_inputs(s, protocol, scope=analysis_lab_scope(protocol))
    assert inputs.lab_tests == analysis_lab_scope(protocol).tests
    with pytest.raises(ValueError, match="IGG"):  # the tables read IgG
        analyse_safety(inputs, protocol, keep_labs=False, tables=True)
    with pytest.raises(ValueError, match="keep_labs"):
        analyse_safety(inputs, protocol, keep_labs=True, tables=False)
    wide = dataclasses.replace(inputs, lab_tests=analysis_lab_scope(protocol, tables=True).tests)
    assert len(analyse_safety(wide, protocol, keep_labs=False, tables=True).tables)


def test_scope_reads_the_graders_tests() -> None:
    scope = analysis_lab_scope(load_protocol("ct071"), tables=True)
    assert {"PLAT", "NEUT", "CRP", "FERRITIN", "LDH", "IGG", "WEIGHT"} <= scope.tests
    assert scope.graded <= scope.tests and "CRP" not in scope.graded
    assert not {"IL6", "MPROTEIN", "KAPPAFLC"} & scope.tests
    part = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "PARAMCD": ["PLAT", "IL6", "IL6"],
                         "DAY": 1.0, "AVAL": 1.0, "LLN": np.nan, "ULN": np.nan, "ABLFL": ""})
    two = LabScope(frozenset({"PLAT"}), frozenset({"PLAT"}))
    assert not two.leaves_out(part, np.array([True, False, False]))  # S2 would vanish
    assert two.leaves_out(part.iloc[:2], np.array([True, False]))
    twice = part.iloc[:2].assign(PARAMCD=["PLAT", "IL6"], ABLFL="Y")
    assert two.leaves_out(twice, np.array([True, False]))
    doubled = pd.concat([twice, twice.iloc[[1]]], ignore_index=True)  # two IL6 baselines
    assert not two.leaves_out(doubled, np.array([True, False, False]))


def test_inputs_handed_over_are_freed_once_read(trial, monkeypatch) -> None:
    """The analysis frees the CRS and ICANS input frames once graded when its caller holds no
    reference to the inputs (as cartrial analyze's safety step), and gives the same result."""
    import gc
    import weakref

    import cartrial.safety.analysis as analysis

    s, protocol = trial
    inputs = [safety_inputs(s, protocol, scope=analysis_lab_scope(protocol))]
    refs = [weakref.ref(inputs[0].crs), weakref.ref(inputs[0].icans)]
    seen: list[bool] = []
    lab_results = analysis._lab_results

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        gc.collect()
        seen.extend(r() is None for r in refs)
        return lab_results(*args, **kwargs)

    monkeypatch.setattr(analysis, "_lab_results", spy)
    got = analyse_safety(inputs.pop(), protocol, keep_labs=False, tables=False)
    assert seen == [True, True]
    _same(got, _analysis(s, protocol, scoped=True))


def test_leaves_out_asks_the_distinct_test_codes() -> None:
    """Regression: the graded records found per distinct test code (a missing code is no
    graded test) give the answer the record-wise ``np.isin`` gave."""
    two = LabScope(frozenset({"PLAT", "CRP"}), frozenset({"PLAT"}))
    part = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S2", "S3"],
                         "PARAMCD": np.array(["PLAT", "IL6", None, "PLAT", "IL6"], dtype=object),
                         "DAY": 1.0, "AVAL": 1.0, "LLN": np.nan, "ULN": np.nan, "ABLFL": ""})
    read = np.array([True, False, False, True, True])

    def record_wise(p: pd.DataFrame, r: np.ndarray) -> bool:
        subj, names = pd.factorize(p["USUBJID"])
        kept = r & np.isin(p["PARAMCD"].to_numpy(dtype=object), list(two.graded))
        return not (np.bincount(subj[kept], minlength=len(names)) == 0).any()

    for rows in ([0, 1, 2, 3], [0, 1, 2, 3, 4], [2, 3], [2, 4]):
        p, r = part.iloc[rows].reset_index(drop=True), read[rows]
        assert two.leaves_out(p, r) == record_wise(p, r), rows
    assert two.leaves_out(part.iloc[:4], read[:4])
    assert not two.leaves_out(part, read)  # S3's only record is read but not graded


def test_leaves_out_with_known_codes_equals_reading_the_frame() -> None:
    """Regression (the codes the caller knows against those read from the frame): subjects as
    codes of the whole column (subjects absent from the part included), test codes with their
    distinct texts (code -1: empty), baseline flags; the same answer for every part."""
    two = LabScope(frozenset({"PLAT", "CRP"}), frozenset({"PLAT"}))
    tests = np.array(["IL6", "PLAT", "CRP"], dtype=object)
    tcodes = np.array([1, 0, -1, 1, 0, 2, 1, 1])
    subj = np.array([4, 4, 7, 7, 9, 9, 9, 9])  # codes of a whole column: 0-3 absent here
    flags = np.array(["Y", "", "", "Y", "Y", "", "Y", ""], dtype=object)
    part = pd.DataFrame({"USUBJID": np.array(["S4", "S7", "S9"], dtype=object)[
        np.searchsorted([4, 7, 9], subj)], "PARAMCD": np.append(tests, "")[tcodes],
        "DAY": 1.0, "AVAL": 1.0, "LLN": np.nan, "ULN": np.nan, "ABLFL": flags})
    for read in ([1, 0, 0, 1, 0, 1, 1, 0], [1, 0, 1, 1, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1],
                 [0, 1, 0, 1, 0, 1, 1, 0], [1, 1, 0, 1, 1, 0, 0, 0]):
        r = np.array(read, dtype=bool)
        for rows in ([0, 1, 2, 3, 4, 5, 6, 7], [2, 3], [4, 5, 6, 7], [0, 1]):
            p = part.iloc[rows].reset_index(drop=True)
            known = KnownCodes(subj[rows], (tcodes[rows], tests), flags[rows] == "Y")
            assert two.leaves_out(p, r[rows], known=known) == two.leaves_out(p, r[rows]), (
                read, rows)
