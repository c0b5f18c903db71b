"""Sentinel staggering (protocol ``design.accrual.stagger_days``): within a cohort, the patients
after the first are infused no earlier than N days after it. Honoured by the TITE simulator
(enrolment dates of simulated trials), the example's conduct (its infusion dates) and
``decide`` (status "sentinel: next infusion not before DATE").

The rule is checked on dates the code under test did not choose: the simulator's and the
generator's own infusion days, against the protocol's N counted by hand on the calendar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.conduct import decide_study
from cartrial.data.study_parts import study_parts
from cartrial.design.simulate_plan import make_plan
from cartrial.design.simulate_tite import run_tite, tite_draws
from tests.conduct.test_history import example

SCEN = [0.1, 0.25, 0.4, 0.55]


@pytest.mark.parametrize("stagger", [0, 10])
def test_tite_simulator_staggers_each_cohort(stagger) -> None:
    spec = {"name": "tite-boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 18,
            "dlt_window_days": 28,
            "accrual": {"patients_per_month": 60, "stagger_days": stagger}}
    plan = make_plan(spec, SCEN)
    out: dict = {}
    run_tite(plan, *tite_draws(plan, np.random.default_rng(3), 300), entries=out)
    entry = out["entry"][:, :18].reshape(300, 6, 3)  # 6 cohorts of 3 slots
    used = np.isfinite(entry)
    with np.errstate(invalid="ignore"):  # unused slots: inf - inf
        gap = entry[:, :, 1:] - entry[:, :, :1]
    assert (gap[used[:, :, 1:]] >= stagger - 1e-9).all()
    if stagger:  # fast accrual: the sentinel wait is what sets the second infusion
        assert np.isclose(gap[:, :, 0][used[:, :, 1]], stagger).mean() > 0.9


@pytest.mark.slow
def test_example_and_decide_honour_the_sentinel_wait() -> None:
    _, study, proto, _ = example("default", 1)
    n = proto.design.accrual.stagger_days
    assert n == 7
    sp = study_parts(study)
    esc = sp[sp["IN_ESCALATION"] & sp["INFUSION_DATE"].notna()]
    firsts = []
    for _, g in esc.groupby("COHORT"):
        d = g["INFUSION_DATE"].sort_values()
        assert ((d.iloc[1:] - d.iloc[0]).dt.days >= n).all()
        firsts.append(d.iloc[0])
    first = min(firsts[1:])  # a later cohort's sentinel patient
    during = decide_study(study, proto, (first + pd.Timedelta(days=3)).date())
    release = (first + pd.Timedelta(days=n)).date()
    assert during.status == f"sentinel: next infusion not before {release}"
    after = decide_study(study, proto, (first + pd.Timedelta(days=n)).date())
    assert not after.status.startswith("sentinel")
