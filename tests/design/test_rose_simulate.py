"""Escalation + randomised ROSE stage, simulated end to end (design/simulate_rose.py).

The randomised stage's selection is checked against the exact binomial probabilities of
:func:`cartrial.design.rose_rules.exact_oc` (whose own checks are closed-form identities and
the paper's Table 1) within 3 Monte Carlo standard errors: an internal consistency check of the
simulation's wiring, not a comparison with published simulation numbers (the paper's
simulation tables could not be read from this workplace).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.design.rose_rules import exact_oc
from cartrial.design.simulate_rose import simulate_rose, true_obd_of
from cartrial.errors import InputError
from cartrial.protocol import DesignSpec, RandomisedStageSpec, load_protocol

CT071 = load_protocol("ct071")


def _spec(**stage: object) -> object:
    st = RandomisedStageSpec(**{"p_high": 0.6, "margin": 0.15, **stage})  # type: ignore[arg-type]
    return CT071.design.model_copy(update={"randomised_stage": st})


@pytest.mark.parametrize("omega", [None, 0.5])
def test_stage_selection_matches_exact_probabilities(omega: float | None) -> None:
    """No DLT: BOIN escalates to DL2 and selects it in every trial, so each trial randomises
    DL1 vs DL2; the % selecting DL2 and the early-selection % equal the exact probabilities."""
    spec = _spec(doses=("DL1", "DL2"), interim_fraction=omega)
    r = simulate_rose(spec, [0.0, 0.0], [0.45, 0.6], CT071.dose_ids, 20_000, seed=11)
    d = r.stage
    ex = exact_oc(d.n_low, d.n_high, d.boundary, 0.45, 0.6, interim_low=d.interim_low,
                  interim_high=d.interim_high, interim_boundary=d.interim_boundary)
    assert r.per_dose["escalation_pct"].tolist() == [0.0, 100.0]
    se = r.per_dose["selected_pct_se"].iloc[1]
    assert abs(r.per_dose["selected_pct"].iloc[1] - 100 * ex.select_high) < 3 * se
    early_se = 100 * np.sqrt(ex.early_high * (1 - ex.early_high) / r.n_trials)
    assert abs(r.overall["early_selection_pct"] - 100 * ex.early_high) <= 3 * early_se + 1e-9
    assert r.overall["mean_stage_patients"] == pytest.approx(
        ex.mean_low + ex.mean_high, abs=3 * r.overall["mean_patients_se"] + 0.2)
    # 3 at DL1, then DL2 until BOIN's cap of 9 per dose (n.earlystop) stops the escalation
    assert r.overall["mean_escalation_patients"] == 3 + CT071.design.cap_per_dose
    assert r.true_obd == 1  # DL2 responds 0.15 = margin more: the higher dose is the OBD


def test_rule_picks_the_selection_and_the_dose_below() -> None:
    """Three doses, no DLT: BOIN selects dose 3, so the stage randomises doses 2 and 3 only."""
    spec = _spec(rule="selected-and-next-lower", n_per_arm=15, boundary=0.05)
    ids = ["DL1", "DL2", "DL3"]
    r = simulate_rose(spec, [0.0, 0.0, 0.0], [0.3, 0.5, 0.52], ids, 3000, seed=2)
    per = r.per_dose
    assert per["stage_patients"].tolist() == [0.0, 15.0, 15.0]
    assert per["dlt"].tolist() == [0.0, 0.0, 0.0]
    assert per["selected_pct"].iloc[0] == 0.0
    assert per["selected_pct"].sum() == pytest.approx(100.0)
    assert r.true_obd == 1 and r.overall["randomised_pct"] == 100.0


def test_no_stage_when_the_named_higher_dose_was_not_selected() -> None:
    """Escalation that stops at DL1 (DL2 overly toxic) does not randomise DL2: DL1 stands."""
    spec = _spec(doses=("DL1", "DL2"), n_per_arm=10, boundary=0.05)
    r = simulate_rose(spec, [0.05, 0.95], [0.4, 0.6], CT071.dose_ids, 2000, seed=4)
    assert r.overall["randomised_pct"] < 5
    # DLTs at DL2 (true 0.95) come from escalation and the few stage patients
    assert r.per_dose["dlt"].iloc[1] == pytest.approx(
        0.95 * r.per_dose["patients"].iloc[1], rel=0.05)
    stage = r.per_dose["stage_patients"]
    assert stage.iloc[0] == stage.iloc[1] == pytest.approx(10 * r.overall["randomised_pct"] / 100)


def test_boin12_escalation_then_stage() -> None:
    """BOIN12's own simulator runs the escalation (OBD per trial) before the stage."""
    stage = {"rule": "selected-and-next-lower", "p_high": 0.5, "margin": 0.15, "n_per_arm": 12,
             "boundary": 0.05}
    spec = DesignSpec.model_validate({**CT071.design.model_dump(), "name": "boin12",
                                      "target": 0.35, "boin12": {"phi_e": 0.25},
                                      "randomised_stage": stage})
    r = simulate_rose(spec, [0.05, 0.1, 0.2], [0.3, 0.5, 0.55], ["A", "B", "C"], 1000, seed=5)
    assert r.per_dose["selected_pct"].sum() + r.overall["no_selection_pct"] == pytest.approx(100)
    assert r.method.startswith("boin12 escalation")


def test_seeded_and_reproducible() -> None:
    spec = _spec(doses=("DL1", "DL2"), interim_fraction=0.5)
    a = simulate_rose(spec, [0.1, 0.2], [0.4, 0.55], CT071.dose_ids, 1500, seed=9)
    b = simulate_rose(spec, [0.1, 0.2], [0.4, 0.55], CT071.dose_ids, 1500, seed=9)
    pd.testing.assert_frame_equal(a.per_dose, b.per_dose)
    assert a.overall == b.overall


def test_true_obd_definition() -> None:
    """The lowest acceptable dose less than the margin below the best; a dose better by the
    margin or more is the OBD (the paper's scenario H)."""
    assert true_obd_of(np.array([0.1, 0.1]), np.array([0.45, 0.6]), 0.3, 0.15) == 1
    assert true_obd_of(np.array([0.1, 0.1]), np.array([0.5, 0.6]), 0.3, 0.15) == 0
    assert true_obd_of(np.array([0.5, 0.6]), np.array([0.5, 0.6]), 0.3, 0.15) is None


@pytest.mark.parametrize(
    ("tox", "eff", "kw"),
    [([0.1], [0.3, 0.4], {}), ([0.1, 1.2], [0.3, 0.4], {}),
     ([0.1, 0.2], [0.3, 0.4], {"true_obd": 5}), ([0.1, 0.2], [0.3, 0.4], {"n_trials": 0})],
)
def test_bad_input(tox: list, eff: list, kw: dict) -> None:
    spec = _spec(doses=("DL1", "DL2"), n_per_arm=5, boundary=0.05)
    with pytest.raises(InputError):
        simulate_rose(spec, tox, eff, CT071.dose_ids, **{"n_trials": 10, **kw})


def test_design_without_stage_is_refused() -> None:
    with pytest.raises(InputError, match="randomised_stage"):
        simulate_rose(CT071.design, [0.1, 0.2], [0.3, 0.4], CT071.dose_ids, 10)
