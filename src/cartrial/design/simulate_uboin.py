"""Monte Carlo operating characteristics of U-BOIN (lock-step numpy over trials).

Every trial of a block of :data:`~cartrial.design.simulate_rules.BLOCK` draws its uniforms from
that block's child of ``SeedSequence(seed)``, so results do not depend on the batch size. Each
cohort applies :func:`cartrial.design.uboin_rules.decide_rows` -- the rule of
:meth:`cartrial.design.uboin.Uboin.decide` -- and the OBD is
:func:`cartrial.design.uboin_rules.select_rows` (Zhou, Lee & Yuan, Stat Med 2019;38:5299-316).
DLT and response of a patient are drawn from the Gumbel model (Thall & Cook, Biometrics
2004;60:684-693) with association ``gumbel_psi`` (0 = independent); U-BOIN's utility of the joint
outcome may be non-additive, so the association can change its decisions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cartrial.design import uboin_rules as R
from cartrial.design.oc_result import Boin12Oc
from cartrial.design.simulate_boin12 import (
    _se_mean,
    _Sums,
    check_scenario,
    gumbel_conditionals,
    outcome_uniforms,
)
from cartrial.design.simulate_rules import BLOCK
from cartrial.design.uboin import Uboin
from cartrial.errors import InputError

UboinOc = Boin12Oc
"""U-BOIN's name for :class:`~cartrial.design.oc_result.Boin12Oc`, the one result record of the
phase I/II designs (kept for the public API; ``overall`` adds ``no_obd_pct``)."""


def true_obd_of(design: Uboin, tox: np.ndarray, eff: np.ndarray, psi: float = 0.0) -> int | None:
    """Dose with the highest true utility among doses with tox <= phi_T and eff >= phi_E.

    Examples
    --------
    >>> d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=30)
    >>> true_obd_of(d, np.array([0.05, 0.15, 0.4]), np.array([0.1, 0.4, 0.6]))
    1
    """
    u = design.true_utility(tox, eff, joint_both(tox, eff, psi))
    ok = (tox <= design.target + 1e-12) & (eff >= design.phi_e - 1e-12)
    return int(np.argmax(np.where(ok, u, -np.inf))) if ok.any() else None


def joint_both(p: np.ndarray, q: np.ndarray, psi: float) -> np.ndarray:
    """P(DLT and response) per dose under the Gumbel model (Thall & Cook 2004).

    Parameters
    ----------
    p, q : numpy.ndarray
        P(DLT) and P(response) per dose.
    psi : float
        Association (0 = independent).

    Returns
    -------
    numpy.ndarray
        P(DLT and response) per dose.

    Examples
    --------
    >>> joint_both(np.array([0.2]), np.array([0.5]), 0.0).tolist()
    [0.1]
    """
    return p * gumbel_conditionals(p, q, psi)[0]


def run_trials(
    design: Uboin,
    p: np.ndarray,
    q_dlt: np.ndarray,
    q_no_dlt: np.ndarray,
    ut: np.ndarray,
    ue: np.ndarray,
    start: int,
) -> tuple[np.ndarray, ...]:
    """Advance trials through all cohorts: (n, dlt, responses, both, obd, early stop).

    ``ut`` / ``ue`` are (trials, cohorts, cohort size) uniforms for DLT and response; the last
    cohort is cut to the maximum sample size.
    """
    rows, ncoh, m = ut.shape
    k = design.n_doses
    par = design.params
    n = np.zeros((rows, k), dtype=np.int64)
    yt, ye, yb = n.copy(), n.copy(), n.copy()
    low = np.full(rows, k, dtype=np.int64)
    d = np.full(rows, start, dtype=np.int64)
    active = np.ones(rows, dtype=bool)
    early = np.zeros(rows, dtype=bool)
    left = int(design.max_sample_size or 0)
    for c in range(ncoh):
        a = np.nonzero(active)[0]
        size = min(m, left - c * m)
        if a.size == 0 or size <= 0:
            break
        da = d[a]
        n[a, da] += size
        tox = ut[a, c, :size] < p[da][:, None]
        eff = ue[a, c, :size] < np.where(tox, q_dlt[da][:, None], q_no_dlt[da][:, None])
        yt[a, da] += tox.sum(axis=1)
        ye[a, da] += eff.sum(axis=1)
        yb[a, da] += (tox & eff).sum(axis=1)
        nxt, low[a], rule = R.decide_rows(par, da, n[a], yt[a], ye[a], yb[a], low[a])
        d[a] = nxt
        early[a] = np.isin(rule, R.EARLY_STOPS)
        active[a[np.isin(rule, R.STOPS)]] = False
    obd = R.select_rows(par, n, yt, ye, yb, low)
    return n, yt, ye, yb, np.where(early, R.NO_OBD, obd), early


def uboin_block(
    design: Uboin, p: np.ndarray, q_dlt: np.ndarray, q_no_dlt: np.ndarray,
    rng: np.random.Generator, size: int, start: int,
) -> tuple[np.ndarray, ...]:
    """One block of ``size`` trials drawn from ``rng`` (DLT, then response uniforms):
    :func:`run_trials`'s result. The one draw order of :func:`simulate_uboin` and of the
    escalation before a ROSE stage."""
    ut, ue = outcome_uniforms(design, rng, size)
    return run_trials(design, p, q_dlt, q_no_dlt, ut, ue, start)


def simulate_uboin(
    design: Uboin,
    true_tox: Any,
    true_eff: Any,
    n_trials: int = 10_000,
    seed: int = 0,
    *,
    start_dose: int = 0,
    gumbel_psi: float = 0.0,
) -> UboinOc:
    """Operating characteristics of ``design`` by ``n_trials`` simulated trials.

    Parameters
    ----------
    design : Uboin
        The design (``max_sample_size`` required).
    true_tox, true_eff : sequence of float
        True DLT and response probability per dose.
    n_trials, seed : int
        Number of trials; seed of ``numpy.random.SeedSequence`` (blocks of 1024 trials).
    start_dose : int
        0-based starting dose.
    gumbel_psi : float
        Association of DLT and response in the Gumbel model; 0 = independent.

    Returns
    -------
    UboinOc

    Raises
    ------
    InputError
        Probabilities of the wrong length or outside [0, 1]; no maximum sample size; a bad
        start dose.

    References
    ----------
    Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316. Thall PF, Cook JD. Biometrics
    2004;60:684-693 (Gumbel model).

    Examples
    --------
    >>> d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=24, stage1_per_dose=6)
    >>> oc = simulate_uboin(d, [0.05, 0.15, 0.5], [0.1, 0.4, 0.6], n_trials=200, seed=1)
    >>> oc.true_obd
    1
    """
    p, q = check_scenario(design, true_tox, true_eff, n_trials, seed)
    if not 0 <= int(start_dose) < design.n_doses:
        raise InputError(f"start_dose {start_dose} (0-based) is outside 0..{design.n_doses - 1}")
    psi = float(gumbel_psi)
    q1, q0 = gumbel_conditionals(p, q, psi)
    n_trials = int(n_trials)
    acc = _Sums(design.n_doses)
    for b, kid in enumerate(np.random.SeedSequence(int(seed)).spawn(math.ceil(n_trials / BLOCK))):
        size = min(BLOCK, n_trials - b * BLOCK)
        acc.add(*uboin_block(design, p, q1, q0, np.random.default_rng(kid), size,
                             int(start_dose)))
    return _result(design, p, q, psi, acc, n_trials, int(seed), int(start_dose))


def _result(
    design: Uboin,
    p: np.ndarray,
    q: np.ndarray,
    psi: float,
    acc: _Sums,
    n_trials: int,
    seed: int,
    start: int,
) -> UboinOc:
    k = design.n_doses
    tobd = true_obd_of(design, p, q, psi)
    frac = acc.sel[:k] / n_trials
    per = pd.DataFrame(
        {
            "dose": np.arange(1, k + 1),
            "true_tox": p,
            "true_eff": q,
            "true_utility": design.true_utility(p, q, joint_both(p, q, psi)),
            "selected_pct": 100 * frac,
            "selected_pct_se": 100 * np.sqrt(frac * (1 - frac) / n_trials),
            "patients": acc.n / n_trials,
            "patients_se": _se_mean(acc.n, acc.n2, n_trials),
            "dlt": acc.yt / n_trials,
            "responses": acc.ye / n_trials,
            "dlt_and_response": acc.yb / n_trials,
        }
    )
    se = _se_mean(acc.tot, acc.tot2, n_trials)
    overall: dict[str, float] = {}
    for key, f in (
        ("obd_selected_pct", 0.0 if tobd is None else float(frac[tobd])),
        ("early_stop_pct", acc.early / n_trials),
        ("no_obd_pct", float(acc.sel[k]) / n_trials),
    ):
        overall[key] = 100 * f
        overall[key + "_se"] = 100 * math.sqrt(f * (1 - f) / n_trials)
    for i, key in enumerate(("mean_patients", "mean_dlt", "mean_responses")):
        overall[key] = float(acc.tot[i] / n_trials)
        overall[key + "_se"] = float(se[i])
    settings = {**design.settings, "gumbel_psi": psi, "start_dose": start + 1}
    method = (
        f"Monte Carlo, {n_trials} trials, lock-step numpy, SeedSequence({seed}) blocks of "
        f"{BLOCK}; DLT and response " + ("independent" if psi == 0 else f"Gumbel psi {psi:g}")
    )
    return Boin12Oc(tobd, per, overall, n_trials, seed, method, settings)
