"""Monte Carlo operating characteristics of BOIN-ET (lock-step numpy over trials).

Blocks of :data:`~cartrial.design.simulate_rules.BLOCK` trials, each drawing from its child of
``SeedSequence(seed)``; DLT and response are independent (BOIN-ET's decisions and OBD depend on
the per-dose margins only). Takeda K, Taguri M, Morita S. Pharm Stat 2018;17:383-395.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cartrial.design import boinet_rules as R
from cartrial.design.boinet import BoinEt
from cartrial.design.boinet_select import NO_OBD, select_rows
from cartrial.design.simulate_boin12 import check_scenario
from cartrial.design.simulate_rules import BLOCK


def run_trials(
    design: BoinEt,
    p: np.ndarray,
    q: np.ndarray,
    ut: np.ndarray,
    ue: np.ndarray,
    ties: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patients and DLTs per dose and OBD (``NO_OBD``: early stop or none) per trial, from dose 1.

    ``ut`` / ``ue``: (trials, cohorts, cohort size) uniforms; ``ties``: (trials, cohorts, 3)
    uniforms for random tie-breaking (None: lowest dose).
    """
    rows, ncoh, m = ut.shape
    k = design.n_doses
    n = np.zeros((rows, k), dtype=np.int64)
    yt, ye = n.copy(), n.copy()
    d = np.zeros(rows, dtype=np.int64)
    active = np.ones(rows, bool)
    early = np.zeros(rows, bool)
    for c in range(ncoh):
        a = np.nonzero(active)[0]
        if a.size == 0:
            break
        da = d[a]
        n[a, da] += m
        yt[a, da] += (ut[a, c] < p[da][:, None]).sum(axis=1)
        ye[a, da] += (ue[a, c] < q[da][:, None]).sum(axis=1)
        nxt, rule, _ = R.decide_rows(
            design.boundaries,
            design.target,
            design.stop_t,
            design.stop_e,
            design.cap_per_dose,
            da,
            n[a],
            yt[a],
            ye[a],
            None if ties is None else ties[a, c],
        )
        d[a] = nxt
        early[a] = rule == R.STOP_NONE
        active[a[np.isin(rule, R.STOPS)]] = False
    adm = R.admissible(
        n, yt, ye, design.target, design.boundaries.delta1, design.stop_t, design.stop_e
    )
    obd = select_rows(
        n, yt, ye, adm, design.target, design.estimate, design.obd_method, design.options
    )
    return n, yt, np.where(early, NO_OBD, obd)


def boinet_block(
    design: BoinEt, p: np.ndarray, q: np.ndarray, rng: np.random.Generator, size: int,
    random_ties: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One block of ``size`` trials drawn from ``rng`` (DLT, then response uniforms, then tie
    uniforms): :func:`run_trials`'s (patients, DLTs, OBD). The one draw order of
    :func:`simulate_boinet` and of the escalation before a ROSE stage."""
    m = design.cohort_size
    ncoh = int(design.max_sample_size or 0) // m
    ut, ue = rng.random((size, ncoh, m)), rng.random((size, ncoh, m))
    ties = rng.random((size, ncoh, 3)) if random_ties else None
    return run_trials(design, p, q, ut, ue, ties)


def simulate_boinet(
    design: BoinEt,
    true_tox: Any,
    true_eff: Any,
    n_trials: int = 10_000,
    seed: int = 0,
    *,
    random_ties: bool = False,
) -> pd.DataFrame:
    """% selected as OBD and mean patients per dose, and % with no OBD, by simulation.

    Parameters
    ----------
    design : BoinEt
        The design (``max_sample_size`` required).
    true_tox, true_eff : sequence of float
        True DLT and response probabilities per dose.
    n_trials, seed : int
        Number of trials and ``SeedSequence`` seed.
    random_ties : bool
        Break ties of the efficacy-guided move at random, as the boinet package does.

    Returns
    -------
    pandas.DataFrame
        One row per dose (dose, true_tox, true_eff, selected_pct, selected_pct_se, patients,
        patients_se) and a last row ``dose = 0`` for trials with no OBD (selected_pct).

    Raises
    ------
    InputError
        Probabilities of the wrong length or outside [0, 1]; no maximum sample size.

    Examples
    --------
    >>> d = BoinEt(n_doses=3, target=0.3, delta=0.6, max_sample_size=18)
    >>> oc = simulate_boinet(d, [0.05, 0.1, 0.4], [0.3, 0.6, 0.6], n_trials=200, seed=1)
    >>> round(float(oc["selected_pct"].sum()), 6)
    100.0
    """
    p, q = check_scenario(design, true_tox, true_eff, n_trials, seed)
    k = design.n_doses
    sel, s_n, s_n2 = np.zeros(k + 1), np.zeros(k), np.zeros(k)
    kids = np.random.SeedSequence(int(seed)).spawn(math.ceil(int(n_trials) / BLOCK))
    for b, kid in enumerate(kids):
        size = min(BLOCK, int(n_trials) - b * BLOCK)
        n, _, obd = boinet_block(design, p, q, np.random.default_rng(kid), size, random_ties)
        sel += np.bincount(np.where(obd < 0, k, obd), minlength=k + 1)
        s_n += n.sum(0)
        s_n2 += (n.astype(float) ** 2).sum(0)
    nt = int(n_trials)
    frac = sel / nt
    mean = s_n / nt
    se = np.sqrt(np.maximum(s_n2 / nt - mean**2, 0) / max(nt - 1, 1))
    out = pd.DataFrame(
        {
            "dose": [*range(1, k + 1), 0],
            "true_tox": [*p, np.nan],
            "true_eff": [*q, np.nan],
            "selected_pct": 100 * frac,
            "selected_pct_se": 100 * np.sqrt(frac * (1 - frac) / nt),
            "patients": [*mean, np.nan],
            "patients_se": [*se, np.nan],
        }
    )
    return out
