"""Trial state in, decision out: the one interface every escalation design implements.

A design sees only counts: per-dose patients ``n`` and DLTs ``y`` (backfilled patients included;
their DLTs count, as BF-BOIN, Clin Cancer Res 2024), the current dose, and for time-to-event
designs each pending patient's follow-up inside the DLT window. It returns a :class:`Decision`
whose ``reason`` cites the rule that fired (3+3, BOIN, TITE-BOIN, mTPI-2, i3+3, CRM).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import numpy as np

from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.design.selection import MtdSelection

Action = Literal["escalate", "stay", "de-escalate", "stop", "suspend"]
ACTIONS: tuple[str, ...] = ("escalate", "stay", "de-escalate", "stop", "suspend")


@dataclass(frozen=True)
class PendingPatient:
    """A patient still inside the DLT window without a DLT: dose index (0-based), days followed.

    Parameters
    ----------
    dose : int
        0-based index of the dose the patient received.
    follow_up : float
        Days of DLT follow-up so far (>= 0; capped at the DLT window by the designs).

    Examples
    --------
    >>> PendingPatient(dose=1, follow_up=14.0)
    PendingPatient(dose=1, follow_up=14.0)
    """

    dose: int
    follow_up: float


@dataclass(frozen=True)
class TrialState:
    """Everything a design may look at (frozen; build new states with :meth:`add_cohort`).

    Parameters
    ----------
    n, y : per-dose patients treated and DLTs observed (tuples of int, length = number of doses);
        ``n`` includes pending and backfilled patients, ``y`` every DLT observed so far.
    current : 0-based index of the dose the escalation cohort is at (the last dose assigned).
    pending : patients still in the DLT window without a DLT (TITE designs), as
        :class:`PendingPatient` (dose index, follow-up days); they are included in ``n``.
    dlt_window : DLT assessment window in days (needed when ``pending`` is not empty).
    backfill_n, backfill_y : per-dose patients / DLTs that came from backfill (included in n, y).
    last_cohort : (dose, patients, DLTs) of the most recent escalation cohort, for CRM coherence.
    eliminated : doses eliminated earlier in the trial (elimination is permanent, as BOIN).
    responses : per-dose patients with a response so far (optional; BF-BOIN opens a dose to
        backfill only after activity was seen there when the design asks for it).

    Raises
    ------
    InputError
        When counts are negative, y > n, lengths differ, an index is outside the doses, or
        pending patients come without a positive ``dlt_window``.

    Examples
    --------
    >>> s = TrialState.empty(3).add_cohort(0, 3, 0).add_cohort(1, 3, 1)
    >>> s.n, s.y, s.current, s.last_cohort
    ((3, 3, 0), (0, 1, 0), 1, (1, 3, 1))
    """

    n: tuple[int, ...]
    y: tuple[int, ...]
    current: int = 0
    pending: tuple[PendingPatient, ...] = ()
    dlt_window: float | None = None
    backfill_n: tuple[int, ...] | None = None
    backfill_y: tuple[int, ...] | None = None
    last_cohort: tuple[int, int, int] | None = None
    eliminated: tuple[int, ...] = ()
    responses: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        n = tuple(int(v) for v in self.n)
        y = tuple(int(v) for v in self.y)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "y", y)
        k = len(n)
        if k == 0:
            raise InputError("TrialState needs at least one dose level (n is empty)")
        if len(y) != k:
            raise InputError(f"n and y must have the same length, got {k} and {len(y)}")
        for j, (nj, yj) in enumerate(zip(n, y, strict=True)):
            if nj < 0 or yj < 0 or yj > nj:
                raise InputError(
                    f"dose index {j}: need 0 <= y <= n, but n={nj}, y={yj} (TrialState counts)"
                )
        if not 0 <= int(self.current) < k:
            raise InputError(f"current dose index {self.current!r} is outside 0..{k - 1}")
        object.__setattr__(self, "current", int(self.current))
        pend = tuple(
            p if isinstance(p, PendingPatient) else PendingPatient(int(p[0]), float(p[1]))
            for p in self.pending
        )
        object.__setattr__(self, "pending", pend)
        if pend:
            if self.dlt_window is None or not self.dlt_window > 0:
                raise InputError(
                    f"pending patients need a positive dlt_window, got {self.dlt_window!r}"
                )
            counts = np.bincount([p.dose for p in pend], minlength=k) if pend else np.zeros(k)
            for p in pend:
                if not 0 <= p.dose < k:
                    raise InputError(f"pending patient dose index {p.dose} is outside 0..{k - 1}")
                if not 0 <= p.follow_up:
                    raise InputError(
                        f"pending patient at dose index {p.dose}: follow-up {p.follow_up!r} days "
                        "must be >= 0"
                    )
            for j in range(k):
                if counts[j] > n[j] - y[j]:
                    raise InputError(
                        f"dose index {j}: {int(counts[j])} pending patients but only "
                        f"{n[j] - y[j]} treated without DLT (pending patients are counted in n)"
                    )
        for name in ("backfill_n", "backfill_y", "responses"):
            v = getattr(self, name)
            if v is not None:
                v = tuple(int(x) for x in v)
                if len(v) != k:
                    raise InputError(f"{name} must have {k} entries, got {len(v)}")
                object.__setattr__(self, name, v)
        for name in ("backfill_n", "responses"):
            v = getattr(self, name)
            if v is not None:
                for j in range(k):
                    if not 0 <= v[j] <= n[j]:
                        raise InputError(
                            f"dose index {j}: need 0 <= {name} <= n, got {v[j]}, n {n[j]}"
                        )
        elim = tuple(sorted({int(e) for e in self.eliminated}))
        if any(not 0 <= e < k for e in elim):
            raise InputError(f"eliminated dose indices {elim} must lie in 0..{k - 1}")
        object.__setattr__(self, "eliminated", elim)
        if self.last_cohort is not None:
            d, m, t = (int(v) for v in self.last_cohort)
            if not (0 <= d < k and 0 <= t <= m):
                raise InputError(f"last_cohort {self.last_cohort!r} must be (dose, n, y), y <= n")
            object.__setattr__(self, "last_cohort", (d, m, t))

    # ------------------------------------------------------------------ views
    @property
    def n_doses(self) -> int:
        return len(self.n)

    @property
    def n_array(self) -> np.ndarray:
        return np.asarray(self.n, dtype=np.int64)

    @property
    def y_array(self) -> np.ndarray:
        return np.asarray(self.y, dtype=np.int64)

    @property
    def total_n(self) -> int:
        return int(sum(self.n))

    @property
    def highest_tried(self) -> int | None:
        tried = [j for j, v in enumerate(self.n) if v > 0]
        return max(tried) if tried else None

    def pending_at(self, dose: int) -> tuple[int, float]:
        """(number pending, total follow-up days capped at the window) at one dose (TITE-BOIN)."""
        fu = [min(p.follow_up, float(self.dlt_window or 0)) for p in self.pending if p.dose == dose]
        return len(fu), float(sum(fu))

    def completed(self) -> TrialState:
        """The state with pending patients left out (complete-follow-up designs):
        n minus the patients still inside the DLT window without a DLT."""
        if not self.pending:
            return self
        c = np.bincount([p.dose for p in self.pending], minlength=self.n_doses)
        n = tuple(int(v) for v in np.asarray(self.n) - c)
        bn = (
            None
            if self.backfill_n is None
            else tuple(min(b, m) for b, m in zip(self.backfill_n, n, strict=True))
        )
        by = (
            None
            if self.backfill_y is None
            else tuple(min(b, m) for b, m in zip(self.backfill_y, self.y, strict=True))
        )
        return replace(self, n=n, pending=(), backfill_n=bn, backfill_y=by)

    def pending_count(self, dose: int) -> int:
        return sum(1 for p in self.pending if p.dose == dose)

    def check_window(self, dlt_window: float, design: str) -> None:
        """Refuse pending follow-up measured against another DLT window than the design's."""
        if self.pending and self.dlt_window is not None and self.dlt_window != dlt_window:
            raise InputError(
                f"{design}: the state's DLT window is {self.dlt_window:g} days but the design's "
                f"is {dlt_window:g} days"
            )

    @classmethod
    def empty(cls, n_doses: int, start: int = 0) -> TrialState:
        """A trial before the first patient, at ``start`` (0-based)."""
        return cls(n=(0,) * n_doses, y=(0,) * n_doses, current=start)

    def add_cohort(
        self,
        dose: int,
        n: int,
        y: int,
        *,
        backfill: bool = False,
        eliminated: tuple[int, ...] = (),
    ) -> TrialState:
        """A new state after ``n`` patients with ``y`` DLTs (complete follow-up) at ``dose``.

        Escalation cohorts move ``current`` and set ``last_cohort``; backfill cohorts do neither.
        ``eliminated`` (e.g. from the previous decision) is merged into the permanent set.
        """
        if not 0 <= dose < self.n_doses:
            raise InputError(f"dose index {dose} is outside 0..{self.n_doses - 1}")
        nn = list(self.n)
        yy = list(self.y)
        nn[dose] += int(n)
        yy[dose] += int(y)
        kw: dict[str, object] = {
            "n": tuple(nn),
            "y": tuple(yy),
            "eliminated": tuple(sorted(set(self.eliminated) | set(eliminated))),
        }
        if backfill:
            bn = list(self.backfill_n or (0,) * self.n_doses)
            by = list(self.backfill_y or (0,) * self.n_doses)
            bn[dose] += int(n)
            by[dose] += int(y)
            kw["backfill_n"] = tuple(bn)
            kw["backfill_y"] = tuple(by)
        else:
            kw["current"] = dose
            kw["last_cohort"] = (dose, int(n), int(y))
        return replace(self, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Decision:
    """What a design recommends after looking at a :class:`TrialState`.

    ``next_dose`` is the 0-based dose for the next escalation cohort (None when stopping with no
    dose to give); ``eliminated`` is the full permanent set after this decision; ``reason``
    cites the rule; ``rule`` is a short machine-readable rule id; ``backfill_doses`` lists the
    doses open to backfill (BOIN / TITE-BOIN option).

    Parameters
    ----------
    action : {"escalate", "stay", "de-escalate", "stop", "suspend"}
        The move for the next escalation cohort ("suspend": hold accrual for follow-up).
    next_dose : int or None
        0-based dose index for the next cohort; None when stopping without a dose.
    eliminated : tuple of int
        0-based indices of all eliminated doses (permanent).
    reason : str
        The rule that fired, in words, with its citation.
    rule : str
        Short machine-readable rule id.
    backfill_doses : tuple of int, default ()
        0-based doses open to backfill.

    Raises
    ------
    InputError
        When ``action`` is not one of ``ACTIONS``.

    Examples
    --------
    >>> from cartrial.design import Boin
    >>> d = Boin(n_doses=3, target=0.3).decide(TrialState.empty(3).add_cohort(0, 3, 0))
    >>> d.action, d.next_dose, d.eliminated
    ('escalate', 1, ())
    """

    action: Action
    next_dose: int | None
    eliminated: tuple[int, ...]
    reason: str
    rule: str
    backfill_doses: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise InputError(f"action must be one of {ACTIONS}, got {self.action!r}")
        if self.next_dose is not None and self.next_dose in self.eliminated:
            # The invariant every design must keep (brockk/escalation issues #1, #2).
            raise AssertionError(
                f"design bug: next dose {self.next_dose} is eliminated {self.eliminated}"
            )
        if any(b in self.eliminated for b in self.backfill_doses):
            raise AssertionError("design bug: a backfill dose is eliminated")


@runtime_checkable
class Design(Protocol):
    """Every escalation design: ``decide(state) -> Decision``, ``select(state) -> MtdSelection``.

    Attributes
    ----------
    name : str
        Design id ("boin", "crm", ...).
    n_doses : int
        Number of dose levels (0-based indices).
    target : float
        Target DLT probability.
    cohort_size : int
        Patients per escalation cohort.

    Examples
    --------
    >>> from cartrial.design import Boin
    >>> isinstance(Boin(n_doses=3, target=0.3), Design)
    True
    """

    name: str
    n_doses: int
    target: float
    cohort_size: int

    def decide(self, state: TrialState) -> Decision: ...

    def select(self, state: TrialState) -> MtdSelection: ...


def move(current: int, nxt: int) -> str:
    """The action word of a decision moving from dose ``current`` to ``nxt`` (0-based).

    Parameters
    ----------
    current, nxt : int
        The current dose and the next cohort's dose.

    Returns
    -------
    str
        ``"escalate"``, ``"de-escalate"`` or ``"stay"``.

    Examples
    --------
    >>> move(0, 1), move(2, 1), move(1, 1)
    ('escalate', 'de-escalate', 'stay')
    """
    return "escalate" if nxt > current else "de-escalate" if nxt < current else "stay"
