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

from cartrial.design.boundaries import elimination_count
from cartrial.design.selection import MtdSelection, select_mtd
from cartrial.design.state import Decision, TrialState
from cartrial.errors import InputError

LETTER_TEXT = {"E": "escalate", "S": "stay", "D": "de-escalate"}


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

    # -- to implement ------------------------------------------------------------------
    def letter(self, n: int, y: int) -> str:  # pragma: no cover - abstract
        """E / S / D at a dose with n patients and y DLTs (complete follow-up)."""
        raise NotImplementedError

    def rule_text(self, n: int, y: int, letter: str) -> str:
        return f"{y}/{n} DLT gives {LETTER_TEXT[letter]}"

    # -- shared rules ------------------------------------------------------------------
    def _check(self, state: TrialState) -> None:
        if state.n_doses != self.n_doses:
            raise InputError(
                f"{self.name}: state has {state.n_doses} doses, design has {self.n_doses}"
            )

    def eliminated(self, state: TrialState) -> tuple[int, ...]:
        """Permanent eliminations: the state's, plus the data's (BOIN), closed upwards."""
        lowest = min(state.eliminated) if state.eliminated else self.n_doses
        for j in range(min(lowest, self.n_doses)):
            n, y = state.n[j], state.y[j]
            u = cached_elimination_count(n, self.target, self.cutoff)
            hit = u is not None and y >= u
            if j == 0 and self.extrasafe:
                u1 = cached_elimination_count(n, self.target, self.cutoff - self.offset)
                hit = hit or (u1 is not None and y >= u1)
            if hit:
                lowest = j
                break
        return tuple(range(lowest, self.n_doses))

    def _proposal(
        self, state: TrialState, elim: tuple[int, ...]
    ) -> tuple[int, str, str] | Decision:
        """(proposed dose, reason, rule id) from the current dose's letter, or a Decision."""
        d = state.current
        n, y = state.n[d], state.y[d]
        let = self.letter(n, y)
        return self._move(state, elim, let, self.rule_text(n, y, let))

    def _move(
        self, state: TrialState, elim: tuple[int, ...], let: str, why: str
    ) -> tuple[int, str, str]:
        d = state.current
        top = self.n_doses - 1
        if let == "E":
            if d == top:
                return d, f"{why}; dose {d + 1} is the highest dose, so stay", "E->S top dose"
            if d + 1 in elim:
                return d, f"{why}; dose {d + 2} is eliminated, so stay", "E->S next eliminated"
            return d + 1, why, "escalate"
        if let == "D":
            if d == 0:
                return d, f"{why}; dose 1 is the lowest dose, so stay", "D->S lowest dose"
            return d - 1, why, "de-escalate"
        return d, why, "stay"

    def decide(self, state: TrialState) -> Decision:
        """Next dose for the next cohort (BOIN 2.7.2 ``get.oc`` rule order).

        Complete-follow-up designs (all but TITE) leave pending patients out of the counts and
        suspend accrual while a patient at the current dose is still inside the DLT window.
        """
        self._check(state)
        full = state
        if state.pending and not self.time_to_event:
            state = state.completed()
        d = state.current
        elim = self.eliminated(state)
        if 0 in elim:
            return Decision(
                "stop",
                None,
                elim,
                "dose 1 is eliminated (P(p > target | data) > cutoff at n >= 3): the trial "
                "stops with no MTD (Yuan Y et al., Clin Cancer Res 2016;22:4291-301)",
                "stop: dose 1 eliminated",
            )
        if self.max_sample_size is not None and full.total_n >= self.max_sample_size:
            return Decision(
                "stop",
                None,
                elim,
                f"maximum sample size {self.max_sample_size} reached ("
                "Yuan Y et al., Clin Cancer Res 2016;22:4291-301)",
                "stop: max sample size",
            )
        if d in elim:
            nd = min(elim) - 1
            return self._finish(
                state,
                elim,
                "de-escalate",
                nd,
                f"dose {d + 1} is eliminated (P(p > {self.target} | data) > {self.cutoff}, "
                "doses above too; "
                f"Yuan Y et al., Clin Cancer Res 2016;22:4291-301): de-escalate to dose {nd + 1}",
                "eliminate",
            )
        if not self.time_to_event and full.pending_count(d):
            return self._suspend(
                state,
                elim,
                f"{full.pending_count(d)} patient(s) at dose {d + 1} still inside the DLT window: "
                f"{self.name} decides on complete follow-up, so accrual waits",
                "suspend: follow-up",
            )
        if state.n[d] == 0:
            return self._finish(
                state,
                elim,
                "stay",
                d,
                f"no patient treated at dose {d + 1} yet: treat the next cohort there",
                "start",
            )
        prop = self._proposal(state, elim)
        if isinstance(prop, Decision):
            return prop
        nd, why, rule = prop
        if nd in elim:  # defensive: never move into an eliminated dose
            nd = min(elim) - 1
            why += f"; dose above {nd + 1} eliminated"
        if self.cap_per_dose is not None and nd == d and state.n[d] >= self.cap_per_dose:
            return Decision(
                "stop",
                None,
                elim,
                f"{why}; {state.n[d]} patients at dose {d + 1} reached the cap of "
                f"{self.cap_per_dose} per dose ("
                "Yuan Y et al., Clin Cancer Res 2016;22:4291-301): stop",
                "stop: cap per dose",
            )
        action = "escalate" if nd > d else "de-escalate" if nd < d else "stay"
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
