"""Lock-step state of many dose-escalation trials and one cohort step for each rule-based design.

All trials advance cohort by cohort together: arrays of shape (trials,) and (trials, doses).
The same step function serves the Monte Carlo simulator (DLT counts drawn) and the exact
operating characteristics (every DLT count enumerated with its binomial probability), so the two
cannot disagree on the rules (3+3: Storer BE, Biometrics 1989;45:925-37; BOIN: Liu S, Yuan Y,
J R Stat Soc C 2015;64:507-23; mTPI-2: Guo W et al., Contemp Clin Trials 2017;58:23-33; i3+3:
Liu M et al., J Biopharm Stat 2020;30:294-304).

Status codes: ``ACTIVE`` still enrolling; ``DONE`` stopped at the sample-size limit or the per-dose
cap (``n.earlystop``), MTD chosen by isotonic selection; ``NO_MTD`` stopped early with no MTD
(dose 1 eliminated, or 3+3 dose 1 exceeds the MTD); ``RULE_MTD`` stopped by a rule that names
the MTD itself (3+3), stored in ``sel``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from cartrial.design.simulate_select import NO_MTD, select_rows
from cartrial.design.simulate_tables import DEESCALATE, ESCALATE, DecisionTables

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
    table decision (in place). BOIN ``get.oc`` order: elimination of the dose and all above
    (dose 1 -> stop, no MTD), then the cap check (stop when n >= cap and the decision keeps the
    dose), then the move; never escalate into an eliminated dose (BOIN ``get.oc``)."""
    act = (s.status == ACTIVE).astype(np.int64)
    _, nd, yd = _add_cohort(s, tox, m, act)
    a = act.astype(bool)
    dnew, elim_low, stop_first, cap_stop = table_decide(
        tables, s.d, nd, yd, s.elim_low, s.n.shape[1], cap
    )
    s.elim_low = np.where(a, elim_low, s.elim_low)
    s.status = np.where(a & stop_first, NO_MTD_STOP, np.where(a & cap_stop, DONE, s.status))
    s.d = np.where(a & ~stop_first, dnew, s.d)


def table_decide(
    tables: DecisionTables,
    d: np.ndarray,
    nd: np.ndarray,
    yd: np.ndarray,
    elim_low: np.ndarray,
    n_doses: int,
    cap: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised decision at the current dose ``d`` with ``nd`` patients and ``yd`` DLTs there.

    Returns (next dose, lowest eliminated dose, stop with no MTD, stop at the cap). Elimination of
    the dose and all above (BOIN); dose 1 eliminated (or extrasafe) stops; escalate only below
    the top and below the lowest eliminated dose; de-escalate (or leave an eliminated dose) only
    above dose 1; stop when the next dose equals the current one and n >= cap (BOIN).
    """
    el = tables.eliminate[nd, yd]
    stop_first = (d == 0) & (tables.eliminate_first[nd, yd] | el)
    elim_low = np.where(el, np.minimum(elim_low, d), elim_low)
    dec = tables.action[nd, yd]
    up = (dec == ESCALATE) & (d < n_doses - 1) & (d + 1 < elim_low)
    down = ((dec == DEESCALATE) | el) & (d > 0)
    dnew = d + up - down
    cap_stop = ~stop_first & (dnew == d) & (nd >= cap)
    return dnew, elim_low, stop_first, cap_stop


def step_3p3(s: LockState, tox: np.ndarray, m: int) -> None:
    """One cohort of 3 under the 3+3 rules with de-escalation (Storer 1989):
    0/3 escalate, 1/3 expand, >= 2/3 or >= 2/6 exceeds the MTD, <= 1/6 escalate; at the top dose
    0/3 expands and <= 1/6 names it the MTD; after an exceeding dose, the dose below is expanded to
    6 (MTD if <= 1/6, else it exceeds too) or, if it already has 6, is the MTD; dose 1 exceeding
    stops with no MTD."""
    act = (s.status == ACTIVE).astype(np.int64)
    r, nd, yd = _add_cohort(s, tox, m, act)
    a = act.astype(bool)
    k = s.n.shape[1]
    top = s.d == k - 1
    desc = s.flag == 1
    exceeds = a & (yd >= 2)
    ok6 = a & (nd >= 6) & (yd <= 1)
    # ascending, not exceeding
    esc = a & ~desc & ~exceeds & (((nd == 3) & (yd == 0)) | ok6) & ~top
    top_done = a & ~desc & ok6 & top
    desc_done = a & desc & ok6
    # exceeding: look at the dose below
    below = np.maximum(s.d - 1, 0)
    n_below = s.n[r, below]
    ex_first = exceeds & (s.d == 0)
    ex_stop = exceeds & (s.d > 0) & (n_below >= 6)
    ex_expand = exceeds & (s.d > 0) & (n_below < 6)
    s.sel = np.where(top_done | desc_done, s.d, np.where(ex_stop, below, s.sel))
    s.status = np.where(
        top_done | desc_done | ex_stop, RULE_MTD, np.where(ex_first, NO_MTD_STOP, s.status)
    )
    s.flag = np.where(ex_expand, 1, s.flag)
    s.d = np.where(esc, s.d + 1, np.where(ex_expand, below, s.d))


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

