"""The efficacy outcome a phase I/II design decides on, in the example trial (scenario ``boin12``).

Each candidate patient has, drawn before the trial from the ``efficacy`` stream, a uniform ``u``
(responds at dose ``d`` when ``u < eff_prob[d]``, the scenario's true response probability by
the protocol's ``design.efficacy`` day), the actual day of the response visit that falls in that
window (``by_day`` +- ``window_days``) and the speed and depth of a response. The disease
trajectory then realises that outcome: a responder reaches VGPR or better with a fast decline (so
the visit shows at least PR), a non-responder stays at SD (never a 50 % reduction); the visit is
held on its drawn day. What the design knows on a date follows the efficacy engine's rule
(``cartrial.conduct.dose_efficacy``): a response is known on the day of the visit that shows it;
a non-response once the window has closed (the day after ``by_day + window_days``).
Scenarios without ``eff_prob`` never call this module, so their data stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.errors import InputError
from cartrial.protocol import Protocol

RESPONDER_TAU_DAYS = (2.0, 5.0)   # decline time constant of a responder (VGPR by the visit)
NON_RESPONDER_FMIN = (0.80, 0.98)  # SD: at most a 20 % reduction


@dataclass(frozen=True)
class PoolEfficacy:
    """Per candidate patient (pool order): response uniform, visit day, depth and decline."""

    u: np.ndarray
    visit_day: np.ndarray   # actual day of the response visit inside the decision window
    deep: np.ndarray        # bool: CR-depth (else VGPR) when responding
    tau: np.ndarray
    fmin: np.ndarray        # VGPR nadir fraction when responding, SD fraction when not
    p_eff: np.ndarray       # true response probability per dose (0-based)
    end_day: int            # by_day + window_days: the window closes after this day


def draw_efficacy(rng: np.random.Generator, size: int, protocol: Protocol,
                  eff_prob: tuple[float, ...]) -> PoolEfficacy:
    """Draw every candidate's efficacy quantities from the scenario's own stream.

    Parameters
    ----------
    rng : numpy.random.Generator
        The ``efficacy`` stream of the example (``example.trial.COMPONENTS``).
    size : int
        Candidate patients in the pool.
    protocol : Protocol
        With ``design.efficacy`` (the outcome's day and window) and the response visit days.
    eff_prob : tuple of float
        True response probability per dose (extended with its last value).

    Returns
    -------
    PoolEfficacy

    Raises
    ------
    InputError
        The protocol names no efficacy outcome, or no response visit lies in its window.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> e = draw_efficacy(np.random.default_rng(1), 4, load_protocol("ct071"), (0.4, 0.8))
    >>> e.end_day, len(e.u)
    (35, 4)
    """
    spec = protocol.design.efficacy
    if spec is None:
        raise InputError("example: a scenario with eff_prob needs the protocol's "
                         "design.efficacy (endpoint, by_day, window_days)")
    lo, hi = spec.by_day - spec.window_days, spec.by_day + spec.window_days
    if spec.by_day not in protocol.schedule.response.days:
        raise InputError(f"example: design.efficacy.by_day {spec.by_day} is not a response "
                         f"visit day of schedule.response ({protocol.schedule.response.days})")
    k = len(protocol.dose_levels)
    p = np.asarray((list(eff_prob) + [eff_prob[-1]] * k)[:k], dtype=float)
    return PoolEfficacy(u=rng.random(size), visit_day=rng.integers(max(lo, 1), hi + 1, size),
                        deep=rng.random(size) < 0.6, tau=rng.uniform(*RESPONDER_TAU_DAYS, size),
                        fmin=rng.uniform(0.02, 0.07, size), p_eff=p, end_day=int(hi))


def responds(eff: PoolEfficacy, pool_index: int, dose: int) -> tuple[bool, int]:
    """(responds, day the outcome is known) of one patient treated at ``dose``: the visit day
    when responding, otherwise the day after the window closes."""
    yes = bool(eff.u[pool_index] < eff.p_eff[dose])
    return yes, int(eff.visit_day[pool_index]) if yes else eff.end_day + 1


def impose_outcomes(dplan: pd.DataFrame, eff: PoolEfficacy | None, pool_index: np.ndarray,
                    dose: np.ndarray) -> pd.DataFrame:
    """The disease plan with each infused patient's outcome realised (unchanged without
    ``eff``).

    Parameters
    ----------
    dplan : pandas.DataFrame
        ``example.disease.plan_disease`` rows of the infused patients.
    eff : PoolEfficacy or None
        The scenario's efficacy draws; None leaves ``dplan`` as it is.
    pool_index, dose : numpy.ndarray
        Pool index and 0-based dose received of each infused patient (``dplan`` order).

    Returns
    -------
    pandas.DataFrame
        Responders: CR-depth or VGPR, decline constant 2-5 days, progression not before day
        90; non-responders: SD (nadir 80-98 % of baseline), progression not before day 60.

    Examples
    --------
    >>> impose_outcomes(pd.DataFrame(), None, np.array([]), np.array([])).empty
    True
    """
    if eff is None:
        return dplan
    d = dplan.copy()
    yes = eff.u[pool_index] < eff.p_eff[dose]
    u0 = d["u0"].to_numpy()
    vgpr = np.where(d["mdtype"].to_numpy() == "URINE",
                    np.minimum(eff.fmin[pool_index], 60 / np.maximum(u0, 1)), eff.fmin[pool_index])
    sd = NON_RESPONDER_FMIN[0] + (NON_RESPONDER_FMIN[1] - NON_RESPONDER_FMIN[0]) * \
        eff.fmin[pool_index] / 0.07
    deep = eff.deep[pool_index]
    d["depth"] = np.where(yes, np.where(deep, 0, 1), 4)
    d["fmin"] = np.where(yes, np.where(deep, 0.0, vgpr), sd)
    d["tau"] = np.where(yes, eff.tau[pool_index], d["tau"].to_numpy())
    d["t_pd"] = np.maximum(d["t_pd"].to_numpy(), np.where(yes, 90.0, 60.0))
    return d


def hold_visits(ap: np.ndarray, anom: np.ndarray, aact: np.ndarray, eff: PoolEfficacy | None,
                pool_index: np.ndarray, by_day: int,
                end_day: np.ndarray) -> tuple[np.ndarray, ...]:
    """The response visits with the decision visit (nominal ``by_day``) of every infused
    patient held on its drawn day, added where the schedule had it missed (no other visit
    changes; unchanged without ``eff``).

    Parameters
    ----------
    ap, anom, aact : numpy.ndarray
        Patient (0-based among the infused), nominal day and actual day of each visit.
    eff : PoolEfficacy or None
        The scenario's efficacy draws.
    pool_index : numpy.ndarray
        Pool index of each infused patient.
    by_day : int
        Nominal day of the decision visit.
    end_day : numpy.ndarray
        Last day followed of each infused patient (no visit after it).

    Returns
    -------
    tuple of numpy.ndarray
        ``(ap, anom, aact)``.

    Examples
    --------
    >>> a = np.array([0])
    >>> hold_visits(a, a, a, None, a, 28, a)[0].tolist()
    [0]
    """
    if eff is None:
        return ap, anom, aact
    day = eff.visit_day[pool_index]
    held = np.flatnonzero(day <= end_day)
    keep = anom != by_day
    ap = np.concatenate([ap[keep], held])
    anom = np.concatenate([anom[keep], np.full(len(held), by_day)])
    aact = np.concatenate([aact[keep], day[held]])
    order = np.lexsort((aact, ap))
    return ap[order], anom[order], aact[order]
