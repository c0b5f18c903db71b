"""BOIN ``bound_mtd`` (R BOIN ``boundMTD``) honoured by exact_oc and simulate_oc.

Reference: R BOIN 2.7.2 ``get.oc(boundMTD = TRUE / FALSE)``, 20,000 trials per scenario,
committed with its script in ``data/boin_boundmtd.R`` (provenance in the file). R's numbers are
Monte Carlo: the exact OC must lie within 3 of R's standard errors, the simulated OC within 3
combined standard errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.design.exact_oc import exact_oc
from cartrial.design.simulate_oc import simulate_oc
from cartrial.protocol import DesignSpec

R_OC = pd.read_csv(Path(__file__).parent / "data" / "boin_boundmtd.csv", comment="#")
R_TRIALS = 20_000
SPEC = {"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 30,
        "dlt_window_days": 28}


def _r(scenario: str, bound: bool) -> pd.DataFrame:
    return R_OC[(R_OC.scenario == scenario) & (R_OC.bound_mtd == bound)].sort_values("dose")


@pytest.mark.parametrize("scenario", ["s1", "s2"])
@pytest.mark.parametrize("bound", [False, True])
def test_exact_oc_equals_r_get_oc(scenario, bound):
    ref = _r(scenario, bound)
    oc = exact_oc(dict(SPEC, bound_mtd=bound), ref.p_true.tolist())
    p = ref.pct_selected.to_numpy() / 100
    se = 100 * np.sqrt(np.maximum(p * (1 - p), 1e-4) / R_TRIALS)
    assert np.all(np.abs(oc.per_dose.pct_selected.to_numpy() - ref.pct_selected) <= 3 * se)
    assert oc.settings["bound_mtd"] is bound


@pytest.mark.parametrize("bound", [False, True])
def test_simulate_oc_equals_r_get_oc(bound):
    ref = _r("s1", bound)
    oc = simulate_oc(dict(SPEC, bound_mtd=bound), ref.p_true.tolist(), 6000, seed=3)
    p = ref.pct_selected.to_numpy() / 100
    se_r = 100 * np.sqrt(p * (1 - p) / R_TRIALS)
    se = np.sqrt(se_r**2 + oc.per_dose.se_pct_selected.to_numpy() ** 2)
    assert np.all(np.abs(oc.per_dose.pct_selected.to_numpy() - ref.pct_selected) <= 3 * se + 1e-9)


def test_bound_mtd_changes_the_selection_as_in_r():
    # R: boundMTD moves 8 points of selection from dose 3 (p = 0.42) to dose 1 in s1
    off = exact_oc(SPEC, _r("s1", False).p_true.tolist()).per_dose.pct_selected.to_numpy()
    on = exact_oc(dict(SPEC, bound_mtd=True), _r("s1", True).p_true.tolist())
    assert on.per_dose.pct_selected.iloc[2] < off[2] - 5


def test_bound_mtd_is_a_boin_option():
    with pytest.raises(ValueError, match="bound_mtd"):
        DesignSpec.model_validate(dict(SPEC, name="crm", bound_mtd=True))
