"""Regression test (issue #18): the safety inputs built once and cut per date equal the rebuild.

``conduct.known_on`` replaces ``safety_inputs(snapshot(study, date))`` at each decision date of
the escalation history by masks over inputs built once. This is a regression test - it compares
the code with its previous path, not with an outside reference (the history itself is checked
against the example's truth in ``test_history.py`` and ``test_history_boin12.py``): every input
frame (values, dtypes, columns, row order) at dates spread over each trial, and every decision
of the history, equal the rebuild's on the example trial, its BOIN12 scenario and seeded random
trials of other scenarios.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cartrial.conduct import from_study as fs
from cartrial.conduct import history as h
from cartrial.conduct.known_on import KnownOn, known_on
from cartrial.data import Study, load_study, snapshot
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol
from cartrial.safety.sdtm import safety_inputs
from tests._scratch import scratch_dir

CASES = [("default", 1), ("boin12", 1), ("late-dlt", 3), ("toxic-dose", 4)]
FRAMES = ("subjects", "crs", "icans", "labs", "ae")


@cache
def trial(scenario: str, seed: int):
    """(escalation-only study, conducted protocol) of one generated example, read from disk."""
    out = scratch_dir(prefix=f"cartrial-known-{scenario}-{seed}-")
    write_example(simulate_trial(load_protocol("ct071"), seed=seed, scenario=scenario), out)
    proto = load_protocol(out / "protocol.yaml")
    return KnownOn(load_study(out), proto).study, proto


def _dates(esc: pd.DataFrame, seed: int) -> list[pd.Timestamp]:
    """Seeded infusion days (and the day after) and seeded dates over the trial."""
    inf = esc["INFUSION_DATE"].dropna()
    rng = np.random.default_rng(seed)
    span = (inf.max() - inf.min()).days + 90
    days = {inf.min() + pd.Timedelta(days=int(d)) for d in rng.integers(0, span, 10)}
    for d in rng.choice(inf.to_numpy(), 5, replace=False):
        days |= {pd.Timestamp(d), pd.Timestamp(d) + pd.Timedelta(days=1)}
    return sorted(days)


def _assert_same_inputs(new, old, when) -> None:
    for f in FRAMES:
        assert_frame_equal(getattr(new, f), getattr(old, f), obj=f"{f} on {when.date()}")
    assert new.notes == old.notes


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "seed"), CASES)
def test_inputs_cut_per_date_equal_the_rebuild(scenario, seed):
    study, proto = trial(scenario, seed)
    esc = fs.escalation_subjects(study)
    k = KnownOn(study, proto)
    assert k.usable
    treated = set(esc.loc[esc["INFUSION_DATE"].notna(), "USUBJID"])
    _assert_same_inputs(k.inputs(treated, None),
                        safety_inputs(fs._subset(study, treated), proto), pd.Timestamp("today"))
    checked = 0
    for when in _dates(esc, seed):
        ids = set(esc.loc[esc["INFUSION_DATE"] <= when, "USUBJID"])
        if ids:
            old = safety_inputs(snapshot(fs._subset(study, ids), when), proto)
            _assert_same_inputs(k.inputs(ids, when), old, when)
            checked += 1
    assert checked >= 12


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "seed"), CASES)
def test_every_decision_of_the_history_is_unchanged(scenario, seed):
    study, proto = trial(scenario, seed)
    before = h._history(study, proto)  # no known_on block: every date rebuilt as before
    k = KnownOn(study, proto)
    with known_on(k, cutting=True):
        after = h._history(k.study, proto)
    assert_frame_equal(after, before)
    assert len(after) >= 4


def test_a_baseline_flag_recorded_after_the_cut_off_rebuilds_the_lab_frame():
    """A baseline flag (LBBLFL) on a record after the cut-off moves the derived baseline: the
    frame is rebuilt from the study as known then, never cut."""
    study, proto = trial("default", 1)
    lb = study["LB"].copy()
    esc = fs.escalation_subjects(study)
    first = esc.sort_values("INFUSION_DATE").iloc[0]
    when = first["INFUSION_DATE"] + pd.Timedelta(days=5)
    late = np.flatnonzero(((lb["USUBJID"] == first["USUBJID"])
                           & (pd.to_datetime(lb["LBDTC"].str[:10]) > when)).to_numpy())[:1]
    lb.loc[:, "LBBLFL"] = lb["LBBLFL"].astype(object)
    lb.loc[late, "LBBLFL"] = "Y"
    moved = Study({**study.domains, "LB": lb}, file_hashes=study.file_hashes)
    ids = set(esc.loc[esc["INFUSION_DATE"] <= when, "USUBJID"])
    new = KnownOn(moved, proto).inputs(ids, when)
    _assert_same_inputs(new, safety_inputs(snapshot(fs._subset(moved, ids), when), proto), when)


def test_a_study_the_engines_refuse_takes_the_old_path():
    study, proto = trial("default", 1)
    ae = study["AE"].copy()
    ae.loc[len(ae) - 1, "AETOXGR"] = "9"  # the last AE: refused by the whole-study build only
    bad = Study({**study.domains, "AE": ae})
    k = KnownOn(bad, proto)
    assert k.full is None and k.inputs({"x"}, pd.Timestamp("2024-01-01")) is None
