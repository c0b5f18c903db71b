"""Escalation + randomised ROSE stage after every phase I/II escalation (design/rose_escalation.py).

Two kinds of check per escalation (BOIN, BOIN12, TITE-BOIN12, U-BOIN, BOIN-ET):

- the escalation part equals the escalation's own simulator alone on the same seed, trial
  for trial (% selecting each dose and mean patients per dose to the last bit). This is a
  REGRESSION test: it compares cartrial with cartrial, and only says that joining the stage
  changed nothing in the escalation;
- the randomised part: the final selection per dose against the ROSE rule's probability of
  selecting the higher dose computed here with SciPy's binomial pmf (Wang S, Yuan Y, Liu S,
  Biometrics 2025;81(4):ujaf124, section 2: select the higher dose when its observed response
  rate exceeds the lower dose's by more than lambda), applied to the escalation's own
  selection frequencies, within 3 Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from cartrial.design.boin12 import Boin12
from cartrial.design.boinet import BoinEt
from cartrial.design.simulate_boin12 import simulate_boin12
from cartrial.design.simulate_boinet import simulate_boinet
from cartrial.design.simulate_oc import simulate_oc
from cartrial.design.simulate_rose import simulate_rose
from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
from cartrial.design.simulate_uboin import simulate_uboin
from cartrial.design.tite_boin12 import tite_boin12_from_spec
from cartrial.design.uboin import uboin_from_spec
from cartrial.errors import InputError
from cartrial.protocol import DesignSpec, RandomisedStageSpec, load_protocol

IDS = ["DL1", "DL2", "DL3"]
TOX = [0.05, 0.12, 0.4]
EFF = [0.3, 0.5, 0.55]
N_ARM, LAMBDA = 14, 0.05  # 14 x 0.05 = 0.7: "more than lambda" = at least 1 more responder
STAGE = RandomisedStageSpec(rule="selected-and-next-lower", p_high=0.5, margin=0.2,
                            n_per_arm=N_ARM, boundary=LAMBDA)
TRIALS, SEED = 2000, 7


def _spec(name: str, **extra: object) -> DesignSpec:
    base = load_protocol("ct071").design.model_dump(mode="json")
    base.update(name=name, max_sample_size=24, cap_per_dose=None, randomised_stage=STAGE,
                **extra)
    return DesignSpec.model_validate(base)


def _p_high(q_low: float, q_high: float) -> float:
    """P(X_h - X_l > n lambda), X ~ Bin(14, q) independent: the ROSE rule with equal arms,
    summed with SciPy's pmf."""
    x = np.arange(N_ARM + 1)
    joint = np.outer(binom.pmf(x, N_ARM, q_low), binom.pmf(x, N_ARM, q_high))
    return float(joint[(x[None, :] - x[:, None]) > N_ARM * LAMBDA].sum())


def _expected_final(esc_pct: np.ndarray) -> np.ndarray:
    """Final % per dose: a selection s >= 1 randomises s - 1 vs s, dose 1 stands alone."""
    k = esc_pct.size
    hi = [0.0] + [_p_high(EFF[s - 1], EFF[s]) for s in range(1, k)]
    out = np.zeros(k)
    out[0] = esc_pct[0]
    for s in range(1, k):
        out[s] += esc_pct[s] * hi[s]
        out[s - 1] += esc_pct[s] * (1 - hi[s])
    return out


def _alone(name: str) -> tuple[object, np.ndarray, np.ndarray]:
    """(escalation as simulate_rose takes it, % selected and mean patients per dose from the
    escalation's own simulator, same seed and trials)."""
    if name == "boin":
        spec = _spec("boin")
        oc = simulate_oc(spec, TOX, TRIALS, SEED)
        return spec, oc.per_dose["pct_selected"].to_numpy(), oc.per_dose["mean_patients"]
    if name == "boin12":
        d = Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=24)
        oc = simulate_boin12(d, TOX, EFF, TRIALS, SEED)
    elif name == "tite-boin12":
        spec = _spec("tite-boin12", target=0.35, boin12={"phi_e": 0.25})
        oc = simulate_tite_boin12(tite_boin12_from_spec(spec, 3), TOX, EFF, 2.0, TRIALS, SEED)
        return spec, oc.per_dose["selected_pct"].to_numpy(), oc.per_dose["patients"]
    elif name == "u-boin":
        spec = _spec("u-boin", uboin={"phi_e": 0.25, "stage1_per_dose": 6})
        oc = simulate_uboin(uboin_from_spec(spec, 3), TOX, EFF, TRIALS, SEED)
        return spec, oc.per_dose["selected_pct"].to_numpy(), oc.per_dose["patients"]
    else:
        d = BoinEt(n_doses=3, target=0.3, delta=0.5, max_sample_size=24)
        frame = simulate_boinet(d, TOX, EFF, TRIALS, SEED).iloc[:3]
        return d, frame["selected_pct"].to_numpy(), frame["patients"]
    return d, oc.per_dose["selected_pct"].to_numpy(), oc.per_dose["patients"]


@pytest.mark.parametrize("name", ["boin", "boin12", "tite-boin12", "u-boin", "boin-et"])
def test_escalation_then_rose_reproduces_both_parts(name: str) -> None:
    design, esc_pct, esc_patients = _alone(name)
    r = simulate_rose(design, TOX, EFF, IDS, TRIALS, SEED, stage=STAGE)
    per = r.per_dose
    # regression: the escalation part is the escalation's simulator alone, trial for trial
    np.testing.assert_allclose(per["escalation_pct"], esc_pct, rtol=0, atol=1e-9)
    np.testing.assert_allclose(per["escalation_patients"], esc_patients, rtol=0, atol=1e-9)
    # the stage: every trial whose escalation selected dose 2 or 3 randomised 14 + 14
    randomised = esc_pct[1:].sum()
    assert r.overall["randomised_pct"] == pytest.approx(randomised)
    assert per["stage_patients"].sum() == pytest.approx(2 * N_ARM * randomised / 100)
    # outside reference: the ROSE rule's exact binomial selection probabilities (SciPy)
    want = _expected_final(esc_pct)
    assert np.all(np.abs(per["selected_pct"] - want) <= 3 * per["selected_pct_se"] + 1e-9)
    assert r.true_obd == 1 and r.method.startswith(f"{name} escalation")


def test_pcs_of_the_stage_alone_equals_scipy_binomial() -> None:
    """A named pair (DL1, DL2) after BOIN-ET: a trial randomises when its escalation selected
    DL2, so P(final DL2) = P(escalation selects DL2) x the ROSE rule's P(select the higher
    dose) under response 0.3 vs 0.5 (scenario H of the paper, margin 0.2), from SciPy."""
    d = BoinEt(n_doses=2, target=0.3, delta=0.5, max_sample_size=24)
    st = STAGE.model_copy(update={"rule": None, "doses": ("DL1", "DL2")})
    r = simulate_rose(d, [0.0, 0.0], [0.3, 0.5], ["DL1", "DL2"], 4000, seed=3, stage=st)
    esc = r.per_dose["escalation_pct"].to_numpy()
    want = esc[1] * _p_high(0.3, 0.5)
    assert abs(r.per_dose["selected_pct"].iloc[1] - want) <= 3 * r.per_dose[
        "selected_pct_se"].iloc[1]


def test_boinet_must_start_at_dose_one() -> None:
    d = BoinEt(n_doses=3, target=0.3, delta=0.5, max_sample_size=24)
    with pytest.raises(InputError, match="starts at dose 1"):
        simulate_rose(d, TOX, EFF, IDS, 10, stage=STAGE, start_dose=1)


def test_design_object_needs_a_stage() -> None:
    d = Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=24)
    with pytest.raises(InputError, match="randomised_stage"):
        simulate_rose(d, TOX, EFF, IDS, 10)


def test_named_pair_must_be_dose_ids_lower_first() -> None:
    d = Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=24)
    st = STAGE.model_copy(update={"rule": None, "doses": ("DL3", "DL2")})
    with pytest.raises(InputError, match="lower dose first"):
        simulate_rose(d, TOX, EFF, IDS, 10, stage=st)


def test_design_objects_and_protocol_blocks_run_the_same_trials() -> None:
    """A TITE-BOIN12 / U-BOIN design object (with the accrual rate given) and the protocol block
    it comes from simulate the same trials (regression)."""
    spec = _spec("tite-boin12", target=0.35, boin12={"phi_e": 0.25})
    a = simulate_rose(spec, TOX, EFF, IDS, 300, 2)
    b = simulate_rose(tite_boin12_from_spec(spec, 3), TOX, EFF, IDS, 300, 2, stage=STAGE,
                      patients_per_month=spec.accrual.patients_per_month)
    assert a.overall == b.overall
    spec = _spec("u-boin", uboin={"phi_e": 0.25, "stage1_per_dose": 6})
    a = simulate_rose(spec, TOX, EFF, IDS, 300, 2)
    b = simulate_rose(uboin_from_spec(spec, 3), TOX, EFF, IDS, 300, 2, stage=STAGE)
    assert a.overall == b.overall
    tite = tite_boin12_from_spec(_spec("tite-boin12", target=0.35, boin12={"phi_e": 0.25}), 3)
    with pytest.raises(InputError, match="patients_per_month"):
        simulate_rose(tite, TOX, EFF, IDS, 10, stage=STAGE)  # an object has no accrual rate


def test_escalation_duration_is_its_simulators() -> None:
    """TITE-BOIN12 and BOIN run in calendar time: the escalation's mean duration is what their
    simulators alone report on the same seed (regression); BOIN12 has none."""
    spec = _spec("tite-boin12", target=0.35, boin12={"phi_e": 0.25})
    alone = simulate_tite_boin12(tite_boin12_from_spec(spec, 3), TOX, EFF, 2.0, 500, 4)
    r = simulate_rose(spec, TOX, EFF, IDS, 500, 4)
    assert r.overall["mean_escalation_days"] == pytest.approx(
        alone.overall["mean_duration_days"], rel=1e-12)
    spec = _spec("boin")
    alone_oc = simulate_oc(spec, TOX, 500, 4)
    r = simulate_rose(spec, TOX, EFF, IDS, 500, 4)
    assert r.overall["mean_escalation_days"] == pytest.approx(
        float(alone_oc.overall["mean_duration_days"].iloc[0]), rel=1e-12)
    d = Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=24)
    assert "mean_escalation_days" not in simulate_rose(d, TOX, EFF, IDS, 50, stage=STAGE).overall
