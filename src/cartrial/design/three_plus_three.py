"""The 3+3 design (Storer BE, Biometrics 1989;45:925-37), with its variants as explicit options.

0/3 -> escalate; 1/3 -> 3 more at the same dose; 1/6 -> escalate; >= 2 DLTs (of 3 or 6) -> the
dose exceeds the MTD and it and every higher dose are eliminated. Then de-escalate: the MTD is
the highest dose with 6 patients and <= 1/6 DLT, and a lower dose with only 3 patients is
expanded to 6 (``allow_deescalation=True``). If dose 1 exceeds, there is no MTD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartrial.design import three_plus_three_rules as R
from cartrial.design.selection import MtdSelection, select_mtd
from cartrial.design.state import Decision, TrialState, move
from cartrial.design.stopping import max_sample_size_stop, reached_max_sample_size
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

    Parameters
    ----------
    n_doses : int
        Number of dose levels (0-based indices, lowest first).
    target : float, default 1/3
        Only for the per-dose estimate table of :meth:`select`.
    cohort_size : int, default 3
        Must be 3.
    allow_deescalation, expand_top_dose : bool, default True
        The variants above.
    max_sample_size : int, optional
        Stop once this many patients were treated.

    Raises
    ------
    InputError
        When ``n_doses`` < 1 or ``cohort_size`` is not 3.

    References
    ----------
    Storer BE. Design and analysis of phase I clinical trials. Biometrics 1989;45:925-937.

    Examples
    --------
    1/3 -> 3 more at the dose; 1/6 -> escalate; 2/3 at the next dose -> stop (it exceeds the MTD):

    >>> d = ThreePlusThree(n_doses=3)
    >>> s = TrialState.empty(3).add_cohort(0, 3, 1)
    >>> d.decide(s).action
    'stay'
    >>> d.decide(s.add_cohort(0, 3, 0)).action
    'escalate'
    >>> r = d.decide(s.add_cohort(0, 3, 0).add_cohort(1, 3, 2))
    >>> r.action, r.eliminated
    ('stop', (1, 2))
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
        before = np.array([min(state.eliminated, default=self.n_doses)])
        low = int(R.exceeding_low(state.y_array[None, :], before)[0])
        return tuple(range(low, self.n_doses))

    def decide(self, state: TrialState) -> Decision:
        """Next cohort's dose by the 3+3 rules: :func:`three_plus_three_rules.decide_3p3` on a
        batch of one; pending patients are left out and accrual waits while the current cohort
        is inside the DLT window.

        Parameters
        ----------
        state : TrialState
            Counts per dose and the current dose.

        Returns
        -------
        Decision
            The rule id is one of :data:`three_plus_three_rules.RULE_IDS`.

        Raises
        ------
        InputError
            Another number of doses, or more than 6 patients at a dose.

        References
        ----------
        Storer BE. Biometrics 1989;45:925-37.

        Examples
        --------
        >>> ThreePlusThree(n_doses=3).decide(TrialState((3, 0, 0), (1, 0, 0))).rule
        'stay: 1/3'
        """
        self._check(state)
        full, state = state, state.completed()
        d = state.current
        nxt, low, rule, mtd = R.decide_3p3(
            np.array([d]),
            state.n_array[None, :],
            state.y_array[None, :],
            np.array([min(state.eliminated, default=self.n_doses)]),
            allow_deescalation=self.allow_deescalation,
            expand_top_dose=self.expand_top_dose,
            waiting=np.array([full.pending_count(d) > 0]),
            at_max=np.array([reached_max_sample_size(self.max_sample_size, full.total_n)]),
        )
        elim = tuple(range(int(low[0]), self.n_doses))
        code, nd = int(rule[0]), int(nxt[0])
        if code == R.STOP_MAX_N:
            return max_sample_size_stop(self.max_sample_size, elim)  # type: ignore[arg-type]
        why = self._why(state, full, code, nd, int(low[0]))
        action = (
            "stop" if code in R.STOPS else "suspend" if code == R.SUSPEND
            else move(d, nd)
        )
        return Decision(
            action, None if action == "stop" else nd, elim, why, R.RULE_IDS[code]  # type: ignore[arg-type]
        )

    def _why(self, state: TrialState, full: TrialState, code: int, nd: int, low: int) -> str:
        """The reason of rule ``code`` in words."""
        d, n, y = state.current, state.n[state.current], state.y[state.current]
        top = self.n_doses - 1
        exceeds = f"3+3: dose {d + 1} exceeds the MTD ({y}/{n} DLT, >= 2)"
        block = "highest dose" if d == top else f"dose {d + 2} exceeds the MTD"
        texts = {
            R.STOP_FIRST: "3+3: dose 1 exceeds the MTD (>= 2 DLTs): stop, no MTD (Storer 1989)",
            R.DOWN_EXPAND: f"{exceeds}: de-escalate to dose {nd + 1} and expand it to 6 "
            "(Storer 1989)",
            R.STOP_NO_DEESCALATION: f"{exceeds}; variant without de-escalation: stop (Storer "
            "1989)",
            R.SUSPEND: f"3+3: {full.pending_count(d)} patient(s) at dose {d + 1} still inside the "
            "DLT window: accrual waits for complete follow-up",
            R.START: f"3+3: treat 3 patients at dose {d + 1}",
            R.STAY_INCOMPLETE: f"3+3: cohort at dose {d + 1} incomplete ({n} treated): complete "
            "it",
            R.STAY_1_3: f"3+3: 1/3 DLT at dose {d + 1}: treat 3 more at the same dose (Storer "
            "1989)",
            R.UP: f"3+3: {y}/{n} DLT at dose {d + 1}: escalate (Storer 1989)",
            R.STAY_EXPAND: f"3+3: 0/3 DLT at dose {d + 1} ({block}): expand to 6 so the "
            "MTD rests on 6 patients (Storer 1989)",
        }
        if code in texts:
            return texts[code]
        if d >= low:  # stop: MTD found below an exceeding dose
            m = low - 1
            return (
                f"{exceeds}; dose {m + 1} already has {state.n[m]} patients with "
                f"{state.y[m]} DLT: stop, MTD = dose {m + 1} (Storer 1989)"
            )
        return (
            f"3+3: {y}/{n} DLT at dose {d + 1} ({block}): stop, MTD = dose {d + 1} "
            "(Storer 1989)"
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
