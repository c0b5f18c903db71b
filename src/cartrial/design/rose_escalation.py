"""The escalation before a randomised ROSE stage: each design's own simulator, one block at a time.

:func:`escalation_runner` turns an escalation design -- the protocol's ``design`` block or a
phase I/II design object -- into ``run(rng, size) -> (patients, DLTs, selected dose)`` for one
block of simulated trials. Each design runs through the block function its own simulator uses,
with the same draws in the same order, so the escalation part of
:func:`cartrial.design.simulate_rose.simulate_rose` is trial for trial what the design's
simulator alone gives on the same seed (no second copy of any rule):

- BOIN, 3+3, i3+3, mTPI-2 (with or without backfill), CRM, TITE-BOIN, TITE-CRM: the runner of
  :func:`cartrial.design.simulate_oc.simulate_oc`;
- BOIN12: :func:`cartrial.design.simulate_boin12.boin12_block`;
- TITE-BOIN12: :func:`cartrial.design.simulate_tite_boin12.tite_block` (calendar time, the
  protocol's accrual rate);
- U-BOIN: :func:`cartrial.design.simulate_uboin.uboin_block`;
- BOIN-ET (a protocol's boin-et design or a :class:`~cartrial.design.boinet.BoinEt` object):
  :func:`cartrial.design.simulate_boinet.boinet_block`, which always starts at dose 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cartrial.errors import InputError

Block = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]
Runner = Callable[[np.random.Generator, int], Block]
PHASE1 = ("3+3", "boin", "i3+3", "mtpi2", "crm", "tite-boin", "tite-crm")
PHASE12 = ("boin12", "tite-boin12", "u-boin", "boin-et")
ESCALATIONS = PHASE1 + PHASE12


def escalation_name(design: Any) -> str:
    """The escalation's name (a protocol design's ``name``, or the design object's).

    Examples
    --------
    >>> from cartrial.design.boinet import BoinEt
    >>> escalation_name(BoinEt(n_doses=3, target=0.3, delta=0.6, max_sample_size=18))
    'boin-et'
    """
    from cartrial.design.tite_boin12 import TiteBoin12

    return "tite-boin12" if isinstance(design, TiteBoin12) else str(design.name)


def escalation_runner(
    design: Any,
    p: np.ndarray,
    q: np.ndarray,
    start: int,
    patients_per_month: float | None = None,
) -> Runner:
    """``run(rng, size)``: one block of escalations, (patients (size, k), DLTs (size, k),
    selected dose (size,), 0-based, -1 = none, duration in days (size,) or None for a design
    simulated without calendar time), drawn from ``rng`` as the design's simulator draws them.

    Parameters
    ----------
    design : DesignSpec, Boin12, TiteBoin12, Uboin or BoinEt
        The protocol's design block (any name in :data:`ESCALATIONS`) or a phase I/II design
        object.
    p, q : numpy.ndarray
        True DLT and response probability per dose (DLT and response independent).
    start : int
        0-based starting dose (BOIN-ET starts at dose 1 only).
    patients_per_month : float, optional
        TITE-BOIN12's accrual rate (default: the protocol's ``design.accrual``).

    Returns
    -------
    callable

    Raises
    ------
    InputError
        A design without a simulator here, BOIN-ET not starting at dose 1, a TITE-BOIN12
        object without an accrual rate.

    Examples
    --------
    >>> from cartrial.design.boin12 import Boin12
    >>> run = escalation_runner(Boin12(n_doses=2, target=0.35, phi_e=0.25, max_sample_size=12),
    ...                         np.array([0.0, 0.0]), np.array([0.3, 0.6]), 0)
    >>> n, dlt, sel, days = run(np.random.default_rng(1), 4)
    >>> n.sum(axis=1).tolist(), int(dlt.sum())
    ([12, 12, 12, 12], 0)
    """
    from cartrial.design.boin12 import Boin12, boin12_from_spec
    from cartrial.design.boinet import BoinEt
    from cartrial.design.tite_boin12 import TiteBoin12, tite_boin12_from_spec
    from cartrial.design.uboin import Uboin, uboin_from_spec

    k = p.size
    name = escalation_name(design)
    if name == "boin12":
        return _boin12(design if isinstance(design, Boin12) else boin12_from_spec(design, k),
                       p, q, start)
    if name == "tite-boin12":
        if not isinstance(design, TiteBoin12):
            patients_per_month = patients_per_month or design.accrual.patients_per_month
            design = tite_boin12_from_spec(design, k)
        return _tite(design, p, q, start, patients_per_month)
    if name == "u-boin":
        return _uboin(design if isinstance(design, Uboin) else uboin_from_spec(design, k),
                      p, q, start)
    if name == "boin-et":
        from cartrial.design.boinet import boinet_from_spec

        return _boinet(design if isinstance(design, BoinEt) else boinet_from_spec(design, k),
                       p, q, start)
    if name in PHASE1 and hasattr(design, "model_dump"):
        return _phase1(design, p, start)
    raise InputError(f"escalation + randomised stage is simulated after {ESCALATIONS}, not "
                     f"{name!r}")


def _boin12(d: Any, p: np.ndarray, q: np.ndarray, start: int) -> Runner:
    from cartrial.design.simulate_boin12 import boin12_block

    def run(rng: np.random.Generator, size: int) -> Block:
        n, yt, _, _, obd, _ = boin12_block(d, p, q, q, rng, size, start)
        return n, yt, obd, None

    return run


def _tite(d: Any, p: np.ndarray, q: np.ndarray, start: int, per_month: float | None) -> Runner:
    from cartrial.design.simulate_tite_boin12 import tite_block

    if per_month is None or not per_month > 0:
        raise InputError(f"TITE-BOIN12 escalation needs patients_per_month > 0, got "
                         f"{per_month!r}")

    def run(rng: np.random.Generator, size: int) -> Block:
        n, yt, _, _, obd, _, days = tite_block(d, p, q, q, rng, size, start, float(per_month))
        return n, yt, obd, days

    return run


def _uboin(d: Any, p: np.ndarray, q: np.ndarray, start: int) -> Runner:
    from cartrial.design.simulate_uboin import uboin_block

    def run(rng: np.random.Generator, size: int) -> Block:
        n, yt, _, _, obd, _ = uboin_block(d, p, q, q, rng, size, start)
        return n, yt, obd, None

    return run


def _boinet(d: Any, p: np.ndarray, q: np.ndarray, start: int) -> Runner:
    from cartrial.design.simulate_boinet import boinet_block

    if start != 0:
        raise InputError(f"BOIN-ET's simulator starts at dose 1, got start dose {start + 1}")

    def run(rng: np.random.Generator, size: int) -> Block:
        return (*boinet_block(d, p, q, rng, size), None)

    return run


def _phase1(spec: Any, p: np.ndarray, start: int) -> Runner:
    from cartrial.design.simulate_oc import _runner  # simulate_oc's own runner (as sweep/run.py)
    from cartrial.design.simulate_plan import make_plan

    plan = make_plan(spec, p, start)
    draw, go = _runner(plan, {"dlt_onset": "uniform", "weibull_shape": 2.0})

    def run(rng: np.random.Generator, size: int) -> Block:
        n, y, sel, days = go(*draw([rng], [size]))
        return n, y, sel, days

    return run
