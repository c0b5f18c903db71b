"""CRM ``preset: dfcrm`` and the switches it sets, against R dfcrm.

Reference: dfcrm 0.2-2.1 ``crmsim`` (restrict = TRUE, no safety stop, no overdose control),
committed with its script in ``data/dfcrm_reference.R`` (provenance in the file):
``dfcrm_trials.csv`` holds single simulated trials (dose and DLT of every patient), replayed here
decision by decision (deterministic: every next dose and the final MTD must be equal);
``dfcrm_oc.csv`` holds 2,000-trial operating characteristics (Monte Carlo: within 3 combined SE).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.design.factory import design_from_spec
from cartrial.design.simulate_oc import simulate_oc
from cartrial.design.state import TrialState
from cartrial.protocol import DesignSpec

DATA = Path(__file__).parent / "data"
TRIALS = pd.read_csv(DATA / "dfcrm_trials.csv", comment="#")
OC = pd.read_csv(DATA / "dfcrm_oc.csv", comment="#")
with open(DATA / "dfcrm_trials.csv") as fh:
    PRIOR = [float(v) for v in fh.readline().split("= ")[2].split(";")[0].split()]


def _spec(cohort: int, n: int, **crm) -> DesignSpec:
    return DesignSpec.model_validate(
        {"name": "crm", "target": 0.25, "cohort_size": cohort, "max_sample_size": n,
         "dlt_window_days": 28, "crm": {"preset": "dfcrm", "skeleton": PRIOR, **crm}})


def test_preset_sets_dfcrm_defaults_and_explicit_fields_win():
    c = _spec(3, 18).crm
    assert (c.safety_stop_probability, c.overdose_control, c.no_skipping, c.coherence) == (
        None, False, True, True)
    assert c.prior_sd == pytest.approx(np.sqrt(1.34))
    assert _spec(3, 18, safety_stop_probability=0.9).crm.safety_stop_probability == 0.9
    with pytest.raises(ValueError, match="no default skeleton"):
        DesignSpec.model_validate({"name": "crm", "target": 0.25, "cohort_size": 3,
                                   "max_sample_size": 18, "dlt_window_days": 28,
                                   "crm": {"preset": "dfcrm"}})


@pytest.mark.parametrize("trial_id", sorted(TRIALS.id.unique()))
def test_replays_dfcrm_crmsim_decision_by_decision(trial_id):
    t = TRIALS[TRIALS.id == trial_id]
    m = int(t.mcohort.iloc[0])
    design = design_from_spec(_spec(m, len(t)), len(PRIOR))
    levels = t.level.to_numpy() - 1
    tox = t.tox.to_numpy()
    state = TrialState(n=(0,) * len(PRIOR), y=(0,) * len(PRIOR))
    for start in range(0, len(t), m):
        dose = int(levels[start])
        if start:
            dec = design.decide(state)
            assert dec.next_dose == dose, (trial_id, start, dec.reason)
        state = state.add_cohort(dose, m, int(tox[start : start + m].sum()))
    assert design.select(state).mtd == int(t.final_mtd.iloc[0]) - 1


@pytest.mark.parametrize("scenario", ["toxic", "mid"])
def test_simulated_oc_match_dfcrm_crmsim(scenario):
    ref = OC[OC.scenario == scenario].sort_values("dose")
    spec = _spec(3, 18).model_dump()
    oc = simulate_oc(spec, ref.p_true.tolist(), 4000, seed=5)
    p = ref.pct_selected.to_numpy() / 100
    se = np.sqrt(100**2 * p * (1 - p) / 2000 + oc.per_dose.se_pct_selected.to_numpy() ** 2)
    assert np.all(np.abs(oc.per_dose.pct_selected.to_numpy() - ref.pct_selected) <= 3 * se + 0.1)
    assert oc.overall.pct_early_stop[0] == 0  # dfcrm never stops early


def test_switches_change_the_simulator_as_documented():
    # toxic scenario: cartrial's defaults stop most trials early; dfcrm's never stop
    ref = OC[OC.scenario == "toxic"].sort_values("dose")
    spec = _spec(3, 18).model_dump()
    spec["crm"] |= {"preset": None, "safety_stop_probability": 0.9, "overdose_control": True}
    guarded = simulate_oc(spec, ref.p_true.tolist(), 1000, seed=5)
    assert guarded.overall.pct_early_stop[0] > 20
    free = _spec(3, 18, no_skipping=False, coherence=False).model_dump()
    oc = simulate_oc(free, [0.01, 0.02, 0.03, 0.05, 0.25], 500, seed=1)
    assert oc.per_dose.mean_patients.iloc[4] > 3  # skips straight up to the top dose
