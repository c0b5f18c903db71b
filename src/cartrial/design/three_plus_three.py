"""The 3+3 design (Storer BE, Biometrics 1989;45:925-37), with its variants as explicit options.

0/3 -> escalate; 1/3 -> 3 more at the same dose; 1/6 -> escalate; >= 2 DLTs (of 3 or 6) -> the
dose exceeds the MTD and it and every higher dose are eliminated. Then de-escalate: the MTD is
the highest dose with 6 patients and <= 1/6 DLT, and a lower dose with only 3 patients is
expanded to 6 (``allow_deescalation=True``). If dose 1 exceeds, there is no MTD.
"""

from __future__ import annotations

from dataclasses import dataclass

from cartrial.design.selection import MtdSelection, select_mtd
from cartrial.design.state import Decision, TrialState
from cartrial.errors import InputError


@dataclass(frozen=True)
class ThreePlusThree:
    """Rule-based 3+3.

    Options (the 3+3 variants, made explicit):
    ``allow_deescalation`` -- expand the dose below an exceeding dose to 6 (True, the classic
    rule) or stop at once and take the dose below as MTD only if it already has 6 (False);
    ``expand_top_dose`` -- with 0/3 at the highest dose treat 3 more so the MTD rests on 6
    patients (True) or stop and declare it the MTD (False).
    ``target`` is only used for the per-dose estimate table.
    """

    n_doses: int
    target: float = 1 / 3
    cohort_size: int = 3
    allow_deescalation: bool = True
    expand_top_dose: bool = True
    max_sample_size: int | None = None
    name = "3+3"

    def __post_init__(self) -> None:
        if self.n_doses < 1:
            raise InputError(f"3+3: n_doses must be >= 1, but was {self.n_doses!r}")
        if self.cohort_size != 3:
            raise InputError(f"3+3 treats cohorts of 3, but cohort_size was {self.cohort_size!r}")

    def _check(self, state: TrialState) -> None:
        if state.n_doses != self.n_doses:
            raise InputError(f"3+3: state has {state.n_doses} doses, design has {self.n_doses}")
        for j, nj in enumerate(state.n):
            if nj > 6:
                raise InputError(
                    f"3+3: dose {j + 1} has {nj} patients, but 3+3 treats at most 6 per dose"
                )

    def eliminated(self, state: TrialState) -> tuple[int, ...]:
        """Doses exceeding the MTD (>= 2 DLTs) and all doses above, plus the state's."""
        over = [j for j in range(self.n_doses) if state.y[j] >= 2] + list(state.eliminated)
        return tuple(range(min(over), self.n_doses)) if over else ()

    def decide(self, state: TrialState) -> Decision:
        """Next cohort's dose by the 3+3 rules (Storer 1989); pending patients are
        left out and accrual waits while the current cohort is inside the DLT window."""
        self._check(state)
        full, state = state, state.completed()
        d, n, y = state.current, state.n[state.current], state.y[state.current]
        top = self.n_doses - 1
        elim = self.eliminated(state)
        if 0 in elim:
            return Decision(
                "stop",
                None,
                elim,
                "3+3: dose 1 exceeds the MTD (>= 2 DLTs): stop, no MTD (Storer 1989)",
                "stop: dose 1 exceeds",
            )
        if self.max_sample_size is not None and full.total_n >= self.max_sample_size:
            return Decision(
                "stop",
                None,
                elim,
                f"maximum sample size {self.max_sample_size} reached",
                "stop: max n",
            )
        if d in elim:
            low = min(elim) - 1
            why = f"3+3: dose {d + 1} exceeds the MTD ({y}/{n} DLT, >= 2)"
            if state.n[low] >= 6:
                return Decision(
                    "stop",
                    None,
                    elim,
                    f"{why}; dose {low + 1} already has {state.n[low]} patients with "
                    f"{state.y[low]} DLT: stop, MTD = dose {low + 1} (Storer 1989)",
                    "stop: MTD found",
                )
            if not self.allow_deescalation:
                return Decision(
                    "stop",
                    None,
                    elim,
                    f"{why}; variant without de-escalation: stop (Storer 1989)",
                    "stop: no de-escalation",
                )
            return Decision(
                "de-escalate",
                low,
                elim,
                f"{why}: de-escalate to dose {low + 1} and expand it to 6 (Storer 1989)",
                "de-escalate: expand lower dose",
            )
        if full.pending_count(d):
            return Decision(
                "suspend",
                d,
                elim,
                f"3+3: {full.pending_count(d)} patient(s) at dose {d + 1} still inside the DLT "
                "window: accrual waits for complete follow-up",
                "suspend: follow-up",
            )
        if n == 0:
            return Decision("stay", d, elim, f"3+3: treat 3 patients at dose {d + 1}", "start")
        if n % 3:
            return Decision(
                "stay",
                d,
                elim,
                f"3+3: cohort at dose {d + 1} incomplete ({n} treated): complete it",
                "stay: incomplete cohort",
            )
        blocked = d == top or d + 1 in elim
        if n == 3 and y == 1:
            return Decision(
                "stay",
                d,
                elim,
                f"3+3: 1/3 DLT at dose {d + 1}: treat 3 more at the same dose (Storer 1989)",
                "stay: 1/3",
            )
        # here y == 0 of 3, or y <= 1 of 6
        if not blocked:
            return Decision(
                "escalate",
                d + 1,
                elim,
                f"3+3: {y}/{n} DLT at dose {d + 1}: escalate (Storer 1989)",
                "escalate",
            )
        reason_block = "highest dose" if d == top else f"dose {d + 2} exceeds the MTD"
        if n == 3 and (d != top or self.expand_top_dose):
            return Decision(
                "stay",
                d,
                elim,
                f"3+3: 0/3 DLT at dose {d + 1} ({reason_block}): expand to 6 so the "
                "MTD rests on 6 patients (Storer 1989)",
                "stay: expand to 6",
            )
        return Decision(
            "stop",
            None,
            elim,
            f"3+3: {y}/{n} DLT at dose {d + 1} ({reason_block}): stop, MTD = dose {d + 1} "
            "(Storer 1989)",
            "stop: MTD found",
        )

    def select(self, state: TrialState) -> MtdSelection:
        """MTD = highest non-eliminated dose with >= 6 patients and <= 1 DLT (Storer 1989); with
        ``expand_top_dose=False`` the top dose also qualifies with 0/3. The table carries the
        isotonic estimates of :func:`select_mtd` for reporting."""
        self._check(state)
        state = state.completed()
        elim = self.eliminated(state)
        iso = select_mtd(state.n, state.y, self.target, eliminated=elim)
        ok = [
            j
            for j in range(self.n_doses)
            if j not in elim
            and state.y[j] <= 1
            and (
                state.n[j] >= 6
                or (
                    not self.expand_top_dose
                    and j == self.n_doses - 1
                    and state.n[j] == 3
                    and state.y[j] == 0
                )
            )
        ]
        if 0 in elim or not ok:
            mtd, why = None, "3+3: no dose with <= 1/6 DLT below the doses exceeding the MTD"
        else:
            mtd = max(ok)
            why = (
                f"3+3: dose {mtd + 1} is the highest dose with {state.y[mtd]}/{state.n[mtd]} "
                "DLT below the doses exceeding the MTD (Storer 1989)"
            )
        return MtdSelection(mtd, self.target, iso.table,
                            "3+3 rule (Storer BE, Biometrics 1989;45:925-37)", why)
