"""Lock-step state of many dose-escalation trials and one cohort step for each rule-based design.

All trials advance cohort by cohort together: arrays of shape (trials,) and (trials, doses).
The same step function serves the 3+3 Monte Carlo simulator (DLT counts drawn) and the exact
operating characteristics' lock-step programme (every DLT count enumerated with its binomial
probability), so the two cannot disagree on the rules; the table designs' Monte Carlo loop
(:mod:`cartrial.design.simulate_compiled`) looks up the decisions of the same rule (3+3:
Storer BE, Biometrics 1989;45:925-37; BOIN: Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23;
mTPI-2: Guo W et al., Contemp Clin Trials 2017;58:23-33; i3+3: Liu M et al., J Biopharm Stat
2020;30:294-304).

Status codes: ``ACTIVE`` still enrolling; ``DONE`` stopped at the sample-size limit or the per-dose
cap (``n.earlystop``), MTD chosen by isotonic selection; ``NO_MTD`` stopped early with no MTD
(dose 1 eliminated, or 3+3 dose 1 exceeds the MTD); ``RULE_MTD`` stopped by a rule that names
the MTD itself (3+3), stored in ``sel``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from cartrial.design import three_plus_three_rules as R3
from cartrial.design.rule_table import compile_rule
from cartrial.design.simulate_select import NO_MTD, select_rows
from cartrial.design.simulate_tables import DecisionTables
from cartrial.design.table_rules import STOP_CAP, STOP_FIRST, table_step
from cartrial.design.three_plus_three_rules import decide_3p3

ACTIVE, DONE, NO_MTD_STOP, RULE_MTD = 0, 1, 2, 3


@dataclass
class LockState:
    """Per-trial state: current dose, status, rule MTD, 3+3 de-escalation flag, lowest
    eliminated dose (``n_doses`` = none), cohorts treated, per-dose patients and DLTs."""

    d: np.ndarray
    status: np.ndarray
    sel: np.ndarray
    flag: np.ndarray
    elim_low: np.ndarray
    ncoh: np.ndarray
    n: np.ndarray
    y: np.ndarray

    @classmethod
    def start(
        cls, rows: int, n_doses: int, start_dose: int = 0, dtype: Any = np.int64
    ) -> LockState:
        z = np.zeros(rows, dtype=dtype)
        return cls(
            d=z + start_dose,
            status=z.copy(),
            sel=z + NO_MTD,
            flag=z.copy(),
            elim_low=z + n_doses,
            ncoh=z.copy(),
            n=np.zeros((rows, n_doses), dtype=dtype),
            y=np.zeros((rows, n_doses), dtype=dtype),
        )

    @property
    def rows(self) -> int:
        return int(self.d.shape[0])

    def take(self, idx: np.ndarray) -> LockState:
        return LockState(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @classmethod
    def concat(cls, parts: list[LockState]) -> LockState:
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def as_matrix(self) -> np.ndarray:
        """All columns side by side (int16) — the key for merging identical states."""
        cols = [self.d, self.status, self.sel, self.flag, self.elim_low, self.ncoh]
        return np.column_stack([np.column_stack(cols), self.n, self.y]).astype(np.int16)

    @classmethod
    def from_matrix(cls, m: np.ndarray, n_doses: int) -> LockState:
        m = m.astype(np.int64)
        return cls(
            d=m[:, 0].copy(),
            status=m[:, 1].copy(),
            sel=m[:, 2].copy(),
            flag=m[:, 3].copy(),
            elim_low=m[:, 4].copy(),
            ncoh=m[:, 5].copy(),
            n=m[:, 6 : 6 + n_doses].copy(),
            y=m[:, 6 + n_doses :].copy(),
        )


def _add_cohort(s: LockState, tox: np.ndarray, m: int, act: np.ndarray) -> tuple[np.ndarray, ...]:
    r = np.arange(s.rows)
    s.n[r, s.d] += m * act
    s.y[r, s.d] += tox * act
    s.ncoh += act
    return r, s.n[r, s.d], s.y[r, s.d]


def step_table(s: LockState, tox: np.ndarray, m: int, tables: DecisionTables, cap: int) -> None:
    """One cohort of ``m`` patients with ``tox`` DLTs at each active trial's current dose, then the
    rule of the table designs (:func:`cartrial.design.table_rules.table_step`, in place): dose 1
    eliminated stops with no MTD, the cap stops with the MTD selected, otherwise the move."""
    act = (s.status == ACTIVE).astype(np.int64)
    _add_cohort(s, tox, m, act)
    a = act.astype(bool)
    dnew, elim_low, rule = table_step(tables, s.d, s.n, s.y, s.elim_low, cap)
    s.elim_low = np.where(a, elim_low, s.elim_low)
    s.status = np.where(
        a & (rule == STOP_FIRST), NO_MTD_STOP, np.where(a & (rule == STOP_CAP), DONE, s.status)
    )
    s.d = np.where(a, dnew, s.d)


def table_decide(
    tables: DecisionTables,
    d: np.ndarray,
    nd: np.ndarray,
    yd: np.ndarray,
    elim_low: np.ndarray,
    n_doses: int,
    cap: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~cartrial.design.table_rules.table_step` from the counts at the current dose only,
    looked up in the compiled rule (:func:`~cartrial.design.rule_table.compile_rule`) as the
    Monte Carlo and exact OC do.

    Returns (next dose, lowest eliminated dose, stop with no MTD, stop at the cap); the other
    doses' data are summarised by ``elim_low`` (no dose below ``d`` eliminated; the lock-step
    simulator checks every dose when it is visited).
    """
    rule = compile_rule(tables, n_doses, cap)
    dnew, code, el = rule.decide(d, d + 1 >= elim_low, nd * rule.width + yd)
    low = np.where(el, np.minimum(elim_low, d), elim_low)
    return dnew, low, code == STOP_FIRST, code == STOP_CAP


def step_3p3(s: LockState, tox: np.ndarray, m: int) -> None:
    """One cohort of 3 under the classic 3+3 rules (in place): the rule of
    :func:`~cartrial.design.three_plus_three_rules.decide_3p3` (Storer 1989); a stop that names
    the MTD stores it in ``sel`` (status ``RULE_MTD``), dose 1 exceeding stops with no MTD, and
    ``flag`` records that the trial is expanding a dose below an exceeding one."""
    act = (s.status == ACTIVE).astype(np.int64)
    _add_cohort(s, tox, m, act)
    a = act.astype(bool)
    k = s.n.shape[1]
    nxt, _, rule, mtd = decide_3p3(s.d, s.n, s.y, np.full(s.rows, k))
    named = a & (rule == R3.STOP_MTD)
    s.sel = np.where(named, mtd, s.sel)
    first = a & (rule == R3.STOP_FIRST)
    s.status = np.where(named, RULE_MTD, np.where(first, NO_MTD_STOP, s.status))
    s.flag = np.where(a & (rule == R3.DOWN_EXPAND), 1, s.flag)
    s.d = np.where(a, nxt, s.d)


def finish_3p3(s: LockState) -> None:
    """Sample-size limit reached with a 3+3 still running: the MTD is the highest dose with at
    least 6 patients and at most 1 DLT below every dose with >= 2 DLTs (none if there is none)."""
    a = s.status == ACTIVE
    k = s.n.shape[1]
    bad = s.y >= 2
    first_bad = np.where(bad.any(axis=1), np.argmax(bad, axis=1), k)
    ok = (s.n >= 6) & (s.y <= 1) & (np.arange(k)[None, :] < first_bad[:, None])
    last_ok = np.where(ok.any(axis=1), k - 1 - np.argmax(ok[:, ::-1], axis=1), NO_MTD)
    s.sel = np.where(a, last_ok, s.sel)
    s.status = np.where(a, RULE_MTD, s.status)


def final_selection(
    s: LockState, target: float, bound: float | None = None, prior: float = 0.05
) -> np.ndarray:
    """0-based MTD per trial (``NO_MTD`` = none): the rule's MTD, none after an early stop,
    otherwise isotonic selection over tried, non-eliminated doses (BOIN ``select.mtd``)."""
    k = s.n.shape[1]
    adm = (s.n > 0) & (np.arange(k)[None, :] < s.elim_low[:, None])
    iso = select_rows(s.n, s.y, adm, target, bound, prior)
    return np.where(s.status == RULE_MTD, s.sel, np.where(s.status == NO_MTD_STOP, NO_MTD, iso))


def completed_selection(tables: DecisionTables, n: np.ndarray, y: np.ndarray, elim_low: np.ndarray,
                    status: np.ndarray, target: float, bound: float | None = None,
                    prior: float = 0.05) -> np.ndarray:
    """MTD per trial once everyone has completed follow-up (BOIN ``select.mtd``).

    Doses from the lowest eliminated one up (eliminated during conduct, ``elim_low``, or by the
    final counts) are not admissible; a trial with dose 1 eliminated or stopped early has none
    (-1).
    """
    k = n.shape[1]
    el = tables.eliminate[n, y]
    el[:, 0] |= tables.eliminate_first[n[:, 0], y[:, 0]]
    first = np.where(el.any(axis=1), np.argmax(el, axis=1), k)
    low = np.minimum(elim_low, first)
    adm = (n > 0) & (np.arange(k)[None, :] < low[:, None])
    sel = select_rows(n, y, adm, target, bound, prior)
    return np.where((low == 0) | (status == NO_MTD_STOP), -1, sel)

