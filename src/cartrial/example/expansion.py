"""The expansion of the example trial: patients enrolled at one dose after the dose finding.

Patients are enrolled at the dose the escalation (or the randomised stage) selected, or at the
protocol's named expansion dose, until the requested number are infused; those never infused are
replaced. Consents follow the pool's accrual gaps, sped up so that the expansion takes at most
``EXPANSION_MAX_MONTHS``.
"""

from __future__ import annotations

import numpy as np

from cartrial.errors import InputError
from cartrial.example.population import Pool
from cartrial.protocol import Protocol

EXPANSION_MAX_MONTHS = 12.0


def expansion_size(protocol: Protocol, n_patients: int | None, n_before: int,
                   selected: int | None) -> tuple[int, int | None]:
    """(patients, 0-based dose) of the expansion after ``n_before`` infused patients.

    Parameters
    ----------
    protocol : Protocol
        Its ``design.expansion`` (patients, dose "selected" or a dose level id).
    n_patients : int or None
        Patients infused in all (None: the protocol's expansion size).
    n_before : int
        Patients infused before the expansion.
    selected : int or None
        0-based dose selected before the expansion (None: none).

    Returns
    -------
    tuple
        (patients, 0-based dose or None).

    Raises
    ------
    InputError
        The expansion dose is not a dose level id.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> expansion_size(load_protocol("ct071"), None, 9, 1)
    (6, 1)
    """
    exp = protocol.design.expansion
    n_exp = max(n_patients - n_before, 0) if n_patients is not None else (
        exp.patients if exp is not None else 0)
    if exp is not None and exp.dose != "selected":
        if exp.dose not in protocol.dose_ids:
            raise InputError(f"design.expansion.dose {exp.dose!r} is not a dose level id")
        return n_exp, protocol.dose_ids.index(exp.dose)
    return n_exp, selected


def enrol_expansion(arrays: list[np.ndarray], pool: Pool, p: int, n_exp: int, d: int,
                    t0: np.datetime64, rate: float, p_dlt: np.ndarray,
                    detect: np.ndarray) -> list[np.ndarray]:
    """Enrol patients at dose ``d`` until ``n_exp`` are infused (replacing those not infused).

    Parameters
    ----------
    arrays : list of numpy.ndarray
        The enrolment so far (pool index, consent, apheresis, infusion, dose, cohort, DLT, DLT
        date).
    pool : Pool
        Candidate patients; ``p`` the next unused one.
    p, n_exp, d : int
        Next candidate, patients to infuse and their 0-based dose.
    t0 : numpy.datetime64
        Date the expansion opens.
    rate : float
        Patients per month (the protocol's accrual).
    p_dlt, detect : numpy.ndarray
        True DLT probability per dose; day each candidate's DLT rule is met.

    Returns
    -------
    list of numpy.ndarray
        ``arrays`` with the expansion's patients appended (cohort 0).

    Raises
    ------
    InputError
        The pool has too few candidates.
    """
    avail = np.arange(p, pool.size)
    inf_ok = ~pool.not_infused[avail]
    csum = np.cumsum(inf_ok)
    stop = int(np.searchsorted(csum, n_exp)) + 1
    if csum[-1] < n_exp:
        raise InputError("example: patient pool exhausted (internal sizing error)")
    sel = avail[:stop]
    speed = max(1.0, n_exp / EXPANSION_MAX_MONTHS / rate)
    gaps = np.ceil(pool.gap_days[sel] / speed).astype(int)
    ci = t0 + np.cumsum(gaps).astype("timedelta64[D]")
    ai = ci + pool.consent_to_aph[sel].astype("timedelta64[D]")
    ii = ai + pool.aph_to_inf[sel].astype("timedelta64[D]")
    ii = np.where(pool.not_infused[sel], np.datetime64("NaT", "D"), ii)
    has = ~pool.not_infused[sel] & (pool.u_dlt[sel] < p_dlt[d])
    dd = np.where(has, ii + detect[sel].astype("timedelta64[D]"), np.datetime64("NaT", "D"))
    new = [sel, ci, ai, ii, np.full(len(sel), d), np.zeros(len(sel), dtype=int), has, dd]
    return [np.concatenate([a.astype(b.dtype) if len(a) else a, b]) if len(a) else b
            for a, b in zip(arrays, new, strict=True)]
