"""The escalation history and `decide --as-of` against the example trial's truth (issue #15).

Outside reference: ``truth/escalation.csv`` is written by the example's conduct simulator
(``cartrial.example.conduct``), which decides from each patient's *true* DLT and the date its
rule is met, never reading the SDTM; ``tests/example/test_trial.py`` checks those decisions
against the design engine, which matches R BOIN / TITEgBOIN (tests/design). The re-derivation
here reads only the written SDTM (DM, SUPPDM, EX, AE, VS, FA, QS, LB, DS, ...) and the
``protocol.yaml`` written beside it, through the safety engine's DLT adjudication at each date.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from cartrial.conduct import decide_study, escalation_history
from cartrial.data import load_study
from cartrial.errors import InputError
from cartrial.example import simulate_trial, write_example
from cartrial.example.sdtm import csv_text
from cartrial.protocol import load_protocol
from tests._scratch import scratch_dir

SCENARIOS = ("default", "toxic-dose", "late-dlt", "ppcl-heavy", "early-progression")
SEEDS = (1, 2)
LONG = pytest.mark.long
# make test: every scenario with seed 1 for the history, two scenarios for decide at every truth
# date; the whole grid (every scenario x both seeds) with CARTRIAL_LONG_TESTS=1 (make test-long)
HISTORY_CASES = [pytest.param(sc, seed, marks=LONG if seed != 1 else ())
                 for sc in SCENARIOS for seed in SEEDS]
DECIDE_CASES = [pytest.param(sc, seed, marks=() if (sc, seed) in
                             (("default", 1), ("late-dlt", 1)) else LONG)
                for sc in SCENARIOS for seed in SEEDS]
ENROLLING = ("stay", "escalate", "de-escalate")


@cache
def example(scenario: str, seed: int):
    """(folder, study, conducted protocol, truth escalation text) of one generated example."""
    out = scratch_dir(prefix=f"cartrial-{scenario}-{seed}-")
    write_example(simulate_trial(load_protocol("ct071"), seed=seed, scenario=scenario), out)
    proto = load_protocol(out / "protocol.yaml")
    return out, load_study(out), proto, (out / "truth" / "escalation.csv").read_text()


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "seed"), HISTORY_CASES)
def test_rederived_history_equals_the_truth(scenario, seed):
    out, study, proto, truth_text = example(scenario, seed)
    truth = pd.read_csv(out / "truth" / "escalation.csv", keep_default_na=False)
    h = escalation_history(study, proto)
    assert csv_text(h[list(truth.columns)]) == truth_text
    assert set(h["basis"]) == {"re-derived from the data"}
    # every enrolling decision is followed by the cohort the data record, at that dose
    enrol = h[h["action"].isin(ENROLLING) & h["recorded_dose"].notna()]
    assert (enrol["recorded_dose"] == enrol["next_dose"]).all()


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "seed"), DECIDE_CASES)
def test_decide_as_of_each_truth_date_gives_the_truth_action(scenario, seed):
    _, study, proto, _ = example(scenario, seed)
    truth = pd.read_csv(example(scenario, seed)[0] / "truth" / "escalation.csv",
                        keep_default_na=False)
    stop_date = truth.loc[truth["action"] == "stop", "date"].iloc[0]
    for r in truth.itertuples(index=False):
        res = decide_study(study, proto, r.date)
        d = res.recommendation.decision
        if r.action in ("stop", "select"):
            assert res.phase == "expansion" and str(res.stopped_on) == stop_date, r
            assert res.status.startswith(f"escalation stopped on {stop_date}")
            if r.action == "select":
                assert res.selected == r.next_dose
        else:
            nxt = proto.dose_ids[d.next_dose] if d.next_dose is not None else ""
            assert (d.action, nxt, d.rule) == (r.action, r.next_dose, r.rule), r


@pytest.mark.slow
def test_fifty_random_dates_never_fail():
    """A year before the first apheresis to a year after the last visit: a decision or a
    clear InputError (exit 2 in the CLI), never anything else."""
    out, study, proto, _ = example("late-dlt", 1)
    pr = pd.to_datetime(study["PR"]["PRSTDTC"].str.slice(0, 10))
    last = pd.to_datetime(study["DS"]["DSSTDTC"].str.slice(0, 10)).max()
    lo, hi = pr.min() - pd.Timedelta(days=365), last + pd.Timedelta(days=365)
    days = np.random.default_rng(15).integers(0, (hi - lo).days + 1, 50)
    phases = set()
    for k in sorted(days):
        when = (lo + pd.Timedelta(days=int(k))).date()
        try:
            res = decide_study(study, proto, when)
        except InputError:  # allowed: exit 2 with a message
            continue
        phases.add(res.phase)
        if when < pr.min().date():
            assert res.status == "no patient treated yet: treat the first cohort at DL1"
    assert phases == {"not started", "escalation", "expansion"}


def test_history_until_a_date_is_the_full_history_cut_there():
    """Regression test (the code against itself): decisions are taken on the data known on
    their own date, so the history as known on a date is the full history's first rows."""
    _, study, proto, _ = example("default", 1)
    full = escalation_history(study, proto)
    cut = full["date"].iloc[2]
    part = escalation_history(study, proto, until=cut)
    pd.testing.assert_frame_equal(part.reset_index(drop=True), full.head(3))
    assert escalation_history(study, proto, until="2000-01-01").empty
