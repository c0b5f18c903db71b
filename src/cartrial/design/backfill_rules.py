"""BF-BOIN's doses open to backfill, per trial (Zhao Y, Yuan Y, Korn EL, Freidlin B, Clin Cancer Res
2024;30:673-9).

Backfill patients go to cleared, safe doses below the next escalation dose while escalation
waits; which doses are open is this rule, over arrays of trial states, for the single-trial
design and the simulators alike.
"""

from __future__ import annotations

import numpy as np

from cartrial.design.simulate_tables import DEESCALATE, DecisionTables


def backfill_rows(
    tables: DecisionTables,
    nd: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    elim_low: np.ndarray,
    cap: int,
    active: np.ndarray | None = None,
) -> np.ndarray:
    """Doses open to backfill below the next escalation dose (BF-BOIN), per trial.

    A dose below ``nd`` is open when it was cleared (n > 0), is not eliminated, has fewer than
    ``cap`` patients, is safe (its own counts, or its counts pooled with the dose above, do not
    de-escalate) and (when ``active`` is given) has shown activity; an unsafe or eliminated dose
    closes itself and every dose above it (Zhao Y, Yuan Y, Korn EL, Freidlin B, Clin Cancer Res
    2024;30:673-9).

    Parameters
    ----------
    tables : DecisionTables
        BOIN's tables (the de-escalation cell includes elimination), long enough for two doses'
        pooled patients.
    nd : (rows,) int
        Next escalation dose.
    n, y : (rows, doses) int
        Patients and DLTs per dose (backfilled included).
    elim_low : (rows,) int
        Lowest eliminated dose.
    cap : int
        Backfill cap per dose (BF-BOIN ``n.cap``).
    active : (rows, doses) bool, optional
        Doses where a response was seen (the option that opens only active doses).

    Returns
    -------
    numpy.ndarray
        (rows, doses) bool.

    Examples
    --------
    >>> from cartrial.design.simulate_tables import decision_tables
    >>> t = decision_tables("boin", 0.3, 24)
    >>> backfill_rows(t, np.array([2]), np.array([[3, 3, 0]]), np.array([[0, 0, 0]]),
    ...               np.array([3]), 12).tolist()
    [[True, True, False]]
    """
    rows, k = n.shape
    j = np.arange(k)[None, :]
    z = np.zeros((rows, 1), dtype=n.dtype)
    n2 = n + np.concatenate([n[:, 1:], z], axis=1)
    y2 = y + np.concatenate([y[:, 1:], z], axis=1)
    safe = (tables.action[n, y] != DEESCALATE) | ((n2 > 0) & (tables.action[n2, y2] != DEESCALATE))
    below = j < nd[:, None]
    ok = below & (j < elim_low[:, None]) & safe
    blocked = np.cumsum(~ok & below, axis=1) > 0
    out = ok & ~blocked & (n > 0) & (n < cap)
    return out if active is None else out & active


__all__ = ["backfill_rows"]
