"""Shared machinery of the table-driven designs (BOIN, TITE-BOIN, i3+3, mTPI-2).

Each such design reduces to a letter per (n, y) at the current dose -- E (escalate), S (stay),
D (de-escalate) -- plus the Beta(1, 1) overdose elimination of BOIN (Liu S, Yuan Y, J R Stat Soc C
2015;64:507-23), the per-dose cap ``n.earlystop``, no skipping, and the maximum sample size.
The order in which the rules are applied is fixed here once for every design (brockk/escalation
issue #4).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from cartrial.design import table_rules as R
from cartrial.design.boundaries import elimination_count
from cartrial.design.selection import MtdSelection, select_mtd
from cartrial.design.simulate_tables import DecisionTables, decision_tables
from cartrial.design.state import Decision, TrialState, move
from cartrial.design.stopping import max_sample_size_stop
from cartrial.errors import InputError

LETTER_TEXT = {"E": "escalate", "S": "stay", "D": "de-escalate"}
CODE_LETTER = {1: "E", 0: "S", -1: "D"}


@lru_cache(maxsize=256)
def _cached_tables(options: tuple[tuple[str, object], ...], n_max: int) -> DecisionTables:
    kw = dict(options)
    return decision_tables(kw.pop("design"), kw.pop("target"), n_max, **kw)  # type: ignore[arg-type]


@lru_cache(maxsize=8192)
def cached_elimination_count(n: int, target: float, cutoff: float) -> int | None:
    """:func:`elimination_count` memoised (P(p > target | y of n) increases with y, so the
    elimination rule of BOIN is y >= this count)."""
    return elimination_count(n, target, cutoff)


@dataclass(frozen=True)
class TableDesign:
    """Base class: subclasses implement :meth:`letter` (and may refine :meth:`_proposal`)."""

    n_doses: int
    target: float
    cohort_size: int = 3
    cutoff: float = 0.95
    extrasafe: bool = False
    offset: float = 0.05
    cap_per_dose: int | None = None
    max_sample_size: int | None = None
    name = "table"
    time_to_event = False  # complete-follow-up design: waits while the current cohort is pending

    def __post_init__(self) -> None:
        if self.n_doses < 1:
            raise InputError(f"{self.name}: n_doses must be >= 1, but was {self.n_doses!r}")
        if not 0 < self.target < 1:
            raise InputError(f"{self.name}: target must be in (0, 1), but was {self.target!r}")
        if self.cohort_size < 1:
            raise InputError(f"{self.name}: cohort_size must be >= 1, was {self.cohort_size!r}")
        if not 0.5 < self.cutoff < 1:
            raise InputError(
                f"{self.name}: elimination cutoff must be in (0.5, 1), got {self.cutoff}"
            )

    def rule_text(self, n: int, y: int, letter: str) -> str:
        return f"{y}/{n} DLT gives {LETTER_TEXT[letter]}"

    # -- shared rules ------------------------------------------------------------------
    def _check(self, state: TrialState) -> None:
        if state.n_doses != self.n_doses:
            raise InputError(
                f"{self.name}: state has {state.n_doses} doses, design has {self.n_doses}"
            )

    def tables(self, n_max: int) -> DecisionTables:
        """The design's (n, y) decision tables for at least ``n_max`` patients at a dose.

        Parameters
        ----------
        n_max : int
            Largest number of patients the tables must cover (rounded up to a power of two so
            that a growing trial reuses them).

        Returns
        -------
        DecisionTables
            As :func:`~cartrial.design.simulate_tables.decision_tables` builds them for the
            simulator: the single-trial rule reads the same tables.
        """
        return _cached_tables(self._table_options(), max(16, 1 << max(n_max, 1).bit_length()))

    def _table_options(self) -> tuple[tuple[str, object], ...]:
        """Keyword arguments of :func:`decision_tables` (hashable) for this design."""
        return (
            ("design", self.name),
            ("target", self.target),
            ("cutoff", self.cutoff),
            ("extrasafe", self.extrasafe),
            ("offset", self.offset),
        )

    def letter(self, n: int, y: int) -> str:
        """E / S / D at a dose with n patients and y DLTs (complete follow-up), read from the
        design's decision tables (an untried dose escalates)."""
        if n == 0:
            return "E"
        t = self.tables(n)
        code = t.action[n, y] if self.letter_after_elimination else t.letter[n, y]  # type: ignore[index]
        return CODE_LETTER[int(code)]

    letter_after_elimination = False  # BOIN caps its de-escalation count at the elimination count

    def eliminated(self, state: TrialState) -> tuple[int, ...]:
        """Permanent eliminations: the state's, plus the data's (BOIN), closed upwards."""
        low = self._elim_low(state, self.tables(max(state.n)))
        return tuple(range(int(low[0]), self.n_doses))

    def _elim_low(self, state: TrialState, t: DecisionTables) -> np.ndarray:
        before = np.array([min(state.eliminated, default=self.n_doses)])
        return R.eliminate_rows(t, state.n_array[None, :], state.y_array[None, :], before)

    def _proposal(
        self, state: TrialState, t: DecisionTables, elim_low: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, str]:
        """(next dose, rule code, reason) of :func:`table_rules.propose` at the current dose."""
        d = state.current
        nd, rule = R.propose(
            t, np.array([d]), state.n_array[None, :], state.y_array[None, :], elim_low,
            self._pooling(),
        )
        n, y = state.n[d], state.y[d]
        let = self.letter(n, y) if n else "E"
        return nd, rule, self._clamp_text(d, int(rule[0]), self.rule_text(n, y, let))

    def _pooling(self) -> bool:
        return False

    def _clamp_text(self, d: int, code: int, why: str) -> str:
        if code == R.TOP_STAY:
            return f"{why}; dose {d + 1} is the highest dose, so stay"
        if code == R.NEXT_ELIM_STAY:
            return f"{why}; dose {d + 2} is eliminated, so stay"
        if code == R.LOW_STAY:
            return f"{why}; dose 1 is the lowest dose, so stay"
        return why

    def decide(self, state: TrialState) -> Decision:
        """Next dose for the next cohort: :func:`table_rules.decide_core` on a batch of one.

        Complete-follow-up designs (all but TITE) leave pending patients out of the counts and
        suspend accrual while a patient at the current dose is still inside the DLT window.

        Parameters
        ----------
        state : TrialState
            Counts per dose, the current dose, pending patients.

        Returns
        -------
        Decision
            Action, next dose, eliminated doses, the reason in words and the rule id (one of
            :data:`table_rules.RULE_IDS`).

        Raises
        ------
        InputError
            The state has another number of doses than the design.

        References
        ----------
        Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR. Clin Cancer Res 2016;22:4291-301 (BOIN 2.7.2
        ``get.oc`` rule order).

        Examples
        --------
        >>> from cartrial.design.boin import Boin
        >>> Boin(n_doses=3, target=0.3).decide(TrialState((3, 0, 0), (0, 0, 0))).rule
        'escalate'
        """
        self._check(state)
        full = state
        if state.pending and not self.time_to_event:
            state = state.completed()
        d = state.current
        t = self.tables(max(sum(state.n), 1))
        low = self._elim_low(state, t)
        nd, code, why = self._proposal(state, t, low)
        waiting = None if self.time_to_event else np.array([full.pending_count(d) > 0])
        at_max = np.array(
            [self.max_sample_size is not None and full.total_n >= self.max_sample_size]
        )
        nxt, rule = R.decide_core(
            np.array([d]), np.array([state.n[d]]), low, (nd, code), self.cap_per_dose,
            waiting=waiting, at_max=at_max,
        )
        elim = tuple(range(int(low[0]), self.n_doses))
        return self._decision(state, full, elim, int(nxt[0]), int(rule[0]), why)

    def _decision(
        self, state: TrialState, full: TrialState, elim: tuple[int, ...], nd: int, code: int,
        why: str,
    ) -> Decision:
        """The :class:`Decision` of rule ``code`` with its reason in words."""
        d = state.current
        rule = R.RULE_IDS[code]
        if code == R.STOP_FIRST:
            return Decision(
                "stop", None, elim,
                "dose 1 is eliminated (P(p > target | data) > cutoff at n >= 3): the trial "
                "stops with no MTD (Yuan Y et al., Clin Cancer Res 2016;22:4291-301)",
                rule,
            )
        if code == R.STOP_MAX_N:
            return max_sample_size_stop(self.max_sample_size, elim)  # type: ignore[arg-type]
        if code == R.ELIMINATE:
            return self._finish(
                state, elim, "de-escalate", nd,
                f"dose {d + 1} is eliminated (P(p > {self.target} | data) > {self.cutoff}, "
                "doses above too; "
                f"Yuan Y et al., Clin Cancer Res 2016;22:4291-301): de-escalate to dose {nd + 1}",
                rule,
            )
        if code == R.SUSPEND_FOLLOW_UP:
            return self._suspend(
                state, elim,
                f"{full.pending_count(d)} patient(s) at dose {d + 1} still inside the DLT window: "
                f"{self.name} decides on complete follow-up, so accrual waits",
                rule,
            )
        if code == R.START:
            return self._finish(
                state, elim, "stay", d,
                f"no patient treated at dose {d + 1} yet: treat the next cohort there", rule,
            )
        if code in R.SUSPENDS:
            return self._suspend(state, elim, why, rule)
        if code == R.STOP_CAP:
            return Decision(
                "stop", None, elim,
                f"{why}; {state.n[d]} patients at dose {d + 1} reached the cap of "
                f"{self.cap_per_dose} per dose ("
                "Yuan Y et al., Clin Cancer Res 2016;22:4291-301): stop",
                rule,
            )
        action = move(d, nd)
        return self._finish(state, elim, action, nd, why, rule)

    def _finish(
        self, state: TrialState, elim: tuple[int, ...], action: str, nd: int, why: str, rule: str
    ) -> Decision:
        return Decision(action, nd, elim, why, rule)  # type: ignore[arg-type]

    def backfill_open(
        self, state: TrialState, next_dose: int, elim: tuple[int, ...]
    ) -> tuple[int, ...]:
        """Doses open to backfill (none unless the design has the option)."""
        return ()

    def _suspend(self, state: TrialState, elim: tuple[int, ...], why: str, rule: str) -> Decision:
        d = state.current
        bf = self.backfill_open(state, d, elim)
        if bf:
            why += f"; backfill open at dose(s) {', '.join(str(j + 1) for j in bf)}"
        return Decision("suspend", d, elim, why, rule, bf)

    def select(self, state: TrialState) -> MtdSelection:
        """MTD by isotonic regression (BOIN ``select.mtd``), eliminated doses excluded; pending
        patients are left out."""
        self._check(state)
        # eliminations as decided during conduct (TITE: on the full n, as TITEgBOIN), estimates on
        # completed patients only
        elim = self.eliminated(state if self.time_to_event else state.completed())
        state = state.completed()
        return select_mtd(
            state.n,
            state.y,
            self.target,
            eliminated=elim,
            cutoff=self.cutoff,
            extrasafe=self.extrasafe,
            offset=self.offset,
            **self._selection_options(),
        )

    def _selection_options(self) -> dict[str, object]:
        """Design-specific options of :func:`select_mtd` (none for the table designs)."""
        return {}
