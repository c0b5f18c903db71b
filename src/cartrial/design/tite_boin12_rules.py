"""TITE-BOIN12's pending-data summaries, fed to the BOIN12 rule written once.

Zhou Y, Lin R, Lee JJ, Li D, Wang L, Li R, Yuan Y. TITE-BOIN12: a Bayesian phase I/II trial
design to find the optimal biological dose with late-onset toxicity and efficacy. Stat Med
2022;41:1918-1931, section 2.2 (approximated likelihood), after Lin R, Yuan Y. Biostatistics
2020;21:807-824 (time-to-event model-assisted designs). For each endpoint (DLT, response) and
dose, with ``y`` observed events, ``m`` completed assessments without the event and ``w_i`` the
follow-up fraction (days followed / assessment window) of each pending patient, the likelihood
is approximated by a binomial with the *effective sample size* ``ESS = y + m + sum(w_i)``
(uniform onset within the window), so ``p_hat = y / ESS`` and the posterior is
Beta(1 + y, 1 + ESS - y). A pending patient's outcome is imputed by its conditional probability
``p_hat (1 - w) / (1 - p_hat w)``; the utility pseudo-responses ``x`` (BOIN12's quasi-binomial
data) use the imputed outcomes and the desirability is Beta(1 + x, 1 + n - x) with ``n`` the
patients treated. With nobody pending every quantity is BOIN12's, and
:func:`decide_tite_rows` hands them to :func:`cartrial.design.boin12_rules.decide_core`, the same
steps BOIN12 takes from its count tables.

Arrays are per row (trial) and per patient slot: ``dose`` (-1 = slot empty), ``status`` (1 event,
0 completed without event, -1 pending) and ``w`` (follow-up fraction of a pending patient).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc

from cartrial.design import boin12_rules as R
from cartrial.design.boin12 import Boin12
from cartrial.design.boundaries import BoinBoundaries
from cartrial.design.utility import UtilityTable

EVENT, NO_EVENT, PENDING = 1, 0, -1


@dataclass(frozen=True)
class Endpoint:
    """One endpoint's summary per row and dose: events ``y``, ``ess``, ``p_hat``, imputed
    event count ``expected`` (observed events + conditional probabilities of the pending) and
    ``pending`` patients."""

    y: np.ndarray
    ess: np.ndarray
    p_hat: np.ndarray
    expected: np.ndarray
    pending: np.ndarray


def summarise(dose: np.ndarray, status: np.ndarray, w: np.ndarray, k: int) -> Endpoint:
    """Per-dose effective sample size, estimate and imputed events of one endpoint.

    Parameters
    ----------
    dose : (rows, slots) int
        Dose of each patient slot (0-based; -1 = empty slot).
    status : (rows, slots) int
        1 event, 0 completed without event, -1 pending.
    w : (rows, slots) float
        Follow-up fraction in [0, 1) of pending patients (ignored otherwise).
    k : int
        Number of doses.

    Returns
    -------
    Endpoint
        (rows, k) arrays. A dose with no effective information (ESS 0) has ``p_hat`` 0.

    Examples
    --------
    >>> e = summarise(np.array([[0, 0, 0]]), np.array([[1, 0, -1]]), np.array([[0, 0, .5]]), 1)
    >>> float(e.ess[0, 0]), round(float(e.p_hat[0, 0]), 4), round(float(e.expected[0, 0]), 4)
    (2.5, 0.4, 1.25)
    """
    at = dose[:, :, None] == np.arange(k)[None, None, :]
    pend = status == PENDING
    wf = np.where(pend, np.clip(w, 0.0, 1.0), 0.0)
    y = (at & (status == EVENT)[:, :, None]).sum(axis=1)
    done = (at & (status >= 0)[:, :, None]).sum(axis=1)
    ess = done + (at * wf[:, :, None]).sum(axis=1)
    p = np.divide(y, ess, out=np.zeros(ess.shape), where=ess > 0)
    pd_ = np.take_along_axis(p, np.maximum(dose, 0), axis=1)
    cond = pd_ * (1 - wf) / np.maximum(1 - pd_ * wf, 1e-300)
    imputed = (at * np.where(pend, cond, 0.0)[:, :, None]).sum(axis=1)
    npend = (at & pend[:, :, None]).sum(axis=1)
    return Endpoint(y, ess, p, y + imputed, npend)


def verdicts(
    d: np.ndarray,
    n: np.ndarray,
    tox: Endpoint,
    eff: Endpoint,
    bounds: BoinBoundaries,
    phi_e: float,
    c_t: float,
    c_e: float,
    min_n: int = 3,
) -> R.Verdicts:
    """BOIN12's verdicts at the current dose from effective sample sizes (Zhou et al. 2022).

    Elimination for toxicity (P(p_T > phi_T) > c_T) and futility (P(p_E < phi_E) > c_E) use
    Beta(1 + y, 1 + ESS - y) once ``min_n`` patients were treated; de-escalation when
    y / ESS > lambda_d, "DLT rate <= lambda_e" when y / ESS <= lambda_e. With complete data
    (ESS = n) these equal BOIN12's table look-ups.
    """
    r = np.arange(d.shape[0])
    nd = n[r, d]
    yt, et = tox.y[r, d], tox.ess[r, d]
    ye, ee = eff.y[r, d], eff.ess[r, d]
    enough = nd >= min_n
    tox_out = enough & (1.0 - betainc(1.0 + yt, 1.0 + et - yt, bounds.target) > c_t)
    futile = enough & (betainc(1.0 + ye, 1.0 + ee - ye, phi_e) > c_e)
    too_toxic = tox_out | (yt > bounds.lambda_d * et + 1e-12)
    low_tox = yt <= bounds.lambda_e * et + 1e-12
    return R.Verdicts(tox_out, futile, too_toxic, low_tox)


def pseudo_responses(n: np.ndarray, tox: Endpoint, eff: Endpoint, u: UtilityTable) -> np.ndarray:
    """BOIN12's quasi-binomial x with pending outcomes imputed (additive utility)."""
    return u.pseudo_responses(n, tox.expected, eff.expected)


def decide_tite_rows(
    design: Boin12,
    d: np.ndarray,
    dose: np.ndarray,
    tox_status: np.ndarray,
    tox_w: np.ndarray,
    eff_status: np.ndarray,
    eff_w: np.ndarray,
    elim: np.ndarray,
    tie_noise: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The TITE-BOIN12 decision for each row: effective summaries, then BOIN12's steps 1-7.

    Parameters
    ----------
    design : Boin12
        The BOIN12 settings (target, phi_e, utility, n_star, n_explore, c_t, c_e, cap_per_dose).
    d : (rows,) int
        Current dose (0-based), with at least one patient.
    dose, tox_status, tox_w, eff_status, eff_w : (rows, slots) arrays
        Patient slots as described in the module docstring.
    elim : (rows, doses) bool
        Doses eliminated earlier.
    tie_noise : (rows, 3) float, optional
        Random tie-breaking (see :func:`cartrial.design.boin12_rules.decide_rows`).

    Returns
    -------
    next_dose, elim, rule : arrays
        As :func:`cartrial.design.boin12_rules.decide_rows` (rule codes of ``RULE_IDS``).
    """
    g = design
    k = g.n_doses
    n = (dose[:, :, None] == np.arange(k)[None, None, :]).sum(axis=1)
    tox = summarise(dose, tox_status, tox_w, k)
    eff = summarise(dose, eff_status, eff_w, k)
    v = verdicts(d, n, tox, eff, g.boundaries, g.phi_e, g.c_t, g.c_e)
    x = pseudo_responses(n, tox, eff, g.utility)
    return R.decide_core(
        g.n_star,
        g.n_explore,
        g.cap_per_dose,
        d,
        n,
        x,
        elim,
        v,
        g.u_b,
        tie_noise,
    )
