"""TITE-BOIN's letter at the current dose while patients are pending (Yuan Y, Lin R, Li D, Nie L,
Warren KE, Clin Cancer Res 2018;24:4921-30; TITEgBOIN ``next_TITE_QuasiBOIN``).

The letter replaces the BOIN table's at a dose with patients still inside the DLT window; the
rest of the rule (eliminations, clamping, stops) is :mod:`cartrial.design.table_rules`.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.simulate_tables import DEESCALATE, ESCALATE, STAY
from cartrial.design.table_rules import SUSPEND_HOLD, SUSPEND_PENDING


def tite_letter(
    d: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    c: np.ndarray,
    f: np.ndarray,
    window: float,
    lambda_e: float,
    lambda_d: float,
    max_pending_fraction: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """TITE-BOIN's letter at the current dose with patients pending (TITEgBOIN estimator).

    phat = y / (n - c + F/T) with c patients pending and F their follow-up (days, each capped at
    the window T): escalate if phat <= lambda_e, de-escalate if phat > lambda_d, else stay.
    Accrual is suspended when c > ``max_pending_fraction`` x n, and at dose 1 a de-escalation
    with patients pending holds accrual.

    Parameters
    ----------
    d, n, y, c : (rows,) int
        Current dose, its patients (pending included), DLTs and pending patients.
    f : (rows,) float
        Total follow-up of the pending patients at the current dose (days, capped at ``window``).
    window : float
        DLT window T in days.
    lambda_e, lambda_d : float
        BOIN boundaries.
    max_pending_fraction : float
        Suspension threshold.

    Returns
    -------
    tuple of numpy.ndarray
        (letter, hold rule code or -1, phat, effective n); rows with nothing pending hold never.

    References
    ----------
    Yuan Y, Lin R, Li D, Nie L, Warren KE. Clin Cancer Res 2018;24:4921-30; TITEgBOIN
    ``next_TITE_QuasiBOIN``.

    Examples
    --------
    >>> let, hold, phat, neff = tite_letter(np.array([1]), np.array([3]), np.array([0]),
    ...     np.array([1]), np.array([14.0]), 28.0, 0.236, 0.359, 0.5)
    >>> int(let[0]), int(hold[0]), float(neff[0])
    (1, -1, 2.5)
    """
    neff = n - c + f / window
    phat = np.divide(y, neff, out=np.zeros(neff.shape), where=neff > 0)
    letter = np.where(
        phat <= lambda_e + 1e-12, ESCALATE, np.where(phat > lambda_d + 1e-12, DEESCALATE, STAY)
    )
    hold = np.where(
        c > max_pending_fraction * n,
        SUSPEND_PENDING,
        np.where((letter == DEESCALATE) & (d == 0), SUSPEND_HOLD, -1),
    )
    return letter, np.where(c > 0, hold, -1), phat, neff


__all__ = ["tite_letter"]
