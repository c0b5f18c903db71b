"""BOIN12: utility-based phase I/II dose finding (decision for one trial, OBD at the end).

Lin R, Zhou Y, Yan F, Li D, Yuan Y. BOIN12: Bayesian optimal interval phase I/II trial design
for utility-based dose finding in immunotherapy and targeted therapies. JCO Precis Oncol
2020;4:1393-1402. The rule itself is :func:`cartrial.design.boin12_rules.decide_rows` (arrays of
trials); :meth:`Boin12.decide` runs it on a batch of one, so a single decision and the simulator
cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from cartrial.design import boin12_rules as R
from cartrial.design.boin12_select import NO_OBD, select_obd_rows
from cartrial.design.boundaries import BoinBoundaries, boin_boundaries
from cartrial.design.state import Decision, TrialState
from cartrial.design.stopping import rule_decision
from cartrial.design.utility import UtilityTable
from cartrial.errors import InputError
from cartrial.protocol.model import DesignSpec

REF = "Lin et al., JCO Precis Oncol 2020"


@dataclass(frozen=True)
class Obd:
    """BOIN12's optimal biological dose and the estimates behind it.

    Attributes
    ----------
    obd, mtd, estimates, reason : int or None, int, pandas.DataFrame, str
        0-based OBD (None if no dose qualifies), MTD; per dose: dose (1-based), n, dlt, responses,
        p_tox (isotonic), p_eff (unimodal), utility (NaN when out), eliminated, admissible; reason.

    Examples
    --------
    >>> Boin12(n_doses=2, target=0.35, phi_e=0.25).select(TrialState((6, 6), (0, 1), 1,
    ...     responses=(1, 4))).obd
    1
    """

    obd: int | None
    mtd: int
    estimates: pd.DataFrame
    reason: str


@dataclass(frozen=True)
class Boin12:
    """BOIN12 (Lin et al. 2020): escalate by BOIN boundaries, choose by desirability.

    Parameters
    ----------
    n_doses : int
        Number of dose levels.
    target : float
        phi_T, the highest acceptable DLT probability (BOIN target of lambda_e / lambda_d).
    phi_e : float
        Lowest acceptable response probability.
    utility : UtilityTable
        Outcome scores (default 100 / 60 / 40 / 0).
    cohort_size, max_sample_size : int
        Patients per cohort and in all.
    n_star : int
        N*: with at least N* patients at the dose and a DLT rate above lambda_e, do not escalate.
    n_explore : int or None
        Dose-exploration count (9): escalate to an untried next dose from a dose with at least
        this many patients unless de-escalating; None switches the rule off.
    c_t, c_e : float
        Elimination cut-offs for toxicity (0.95) and futility (0.9).
    cap_per_dose : int or None
        Stop once this many patients were treated at the current dose.

    References
    ----------
    Lin R, Zhou Y, Yan F, Li D, Yuan Y. JCO Precis Oncol 2020;4:1393-1402.

    Examples
    --------
    >>> d = Boin12(n_doses=5, target=0.35, phi_e=0.25, max_sample_size=30)
    >>> s = TrialState(n=(3, 0, 0, 0, 0), y=(0, 0, 0, 0, 0), responses=(1, 0, 0, 0, 0))
    >>> d.decide(s).next_dose
    1
    """

    n_doses: int
    target: float
    phi_e: float
    utility: UtilityTable = field(default_factory=UtilityTable)
    cohort_size: int = 3
    max_sample_size: int | None = None
    n_star: int = 6
    n_explore: int | None = 9
    c_t: float = 0.95
    c_e: float = 0.9
    cap_per_dose: int | None = None
    name = "boin12"

    def __post_init__(self) -> None:
        _ = self.boundaries
        if self.n_doses < 1 or self.cohort_size < 1 or self.n_star < 1:
            raise InputError("boin12: n_doses, cohort_size and n_star must be >= 1")
        if not 0 < self.phi_e < 1:
            raise InputError(f"boin12: phi_e must be in (0, 1), got {self.phi_e!r}")
        for name in ("c_t", "c_e"):
            if not 0.5 < getattr(self, name) < 1:
                raise InputError(f"boin12: {name} must be in (0.5, 1), got {getattr(self, name)}")
        for name in ("max_sample_size", "cap_per_dose", "n_explore"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise InputError(f"boin12: {name} must be >= 1 when given, got {v!r}")

    @cached_property
    def boundaries(self) -> BoinBoundaries:
        return boin_boundaries(self.target)

    @cached_property
    def u_b(self) -> float:
        return self.utility.benchmark(self.target, self.phi_e)[1]

    def tables(self, n_max: int) -> R.Boin12Tables:
        """Boundaries for 0..max(n_max, max_sample_size, 60) patients at a dose (cached).

        Parameters
        ----------
        n_max : int
            Most patients that can be treated at one dose.

        Returns
        -------
        Boin12Tables
            Escalation, de-escalation and elimination counts by n, and u_b.
        """
        return self._tables(max(int(n_max), self.max_sample_size or 0, 60))

    def _tables(self, n_max: int) -> R.Boin12Tables:
        cache = self.__dict__.setdefault("_table_cache", {})
        if n_max not in cache:
            cache[n_max] = R.build_tables(
                n_max, self.boundaries, self.phi_e, self.c_t, self.c_e, self.u_b
            )
        return cache[n_max]

    # ------------------------------------------------------------------ one trial
    def _arrays(self, state: TrialState) -> tuple[np.ndarray, ...]:
        if state.n_doses != self.n_doses:
            raise InputError(f"boin12: state has {state.n_doses} doses, design {self.n_doses}")
        if state.responses is None and state.total_n:
            raise InputError("boin12: the trial state needs responses per dose (efficacy)")
        n = state.n_array[None, :]
        yt = state.y_array[None, :]
        ye = np.asarray(state.responses or (0,) * self.n_doses, dtype=np.int64)[None, :]
        return n, yt, ye

    def eliminated(self, state: TrialState) -> tuple[int, ...]:
        """Doses out: the state's, DLT elimination (dose and above), futility (dose alone).

        Parameters
        ----------
        state : TrialState
            Counts per dose, with ``responses``.

        Returns
        -------
        tuple of int
            0-based eliminated doses, sorted.

        Raises
        ------
        InputError
            The state has another number of doses or no responses.
        """
        n, yt, ye = self._arrays(state)
        t = self.tables(int(n.max()))
        out = np.zeros(self.n_doses, dtype=bool)
        out[list(state.eliminated)] = True
        for j in range(self.n_doses):
            if yt[0, j] >= t.eliminate_tox[n[0, j]]:
                out[j:] = True
            if ye[0, j] <= t.eliminate_eff[n[0, j]]:
                out[j] = True
        return tuple(int(j) for j in np.nonzero(out)[0])

    def decide(self, state: TrialState) -> Decision:
        """Dose for the next cohort after the cohort just treated at ``state.current``.

        Complete follow-up: while a patient at the current dose is pending, accrual waits,
        unless the completed data already eliminate the current dose (then it decides on them).

        Parameters
        ----------
        state : TrialState
            Patients, DLTs and ``responses`` per dose; ``current`` is the dose just given.

        Returns
        -------
        Decision
            Action, next dose (None when stopping), eliminated doses, the reason in words and
            the rule id (one of ``boin12_rules.RULE_IDS``, "start", "suspend: follow-up" or
            "stop: max sample size").

        Raises
        ------
        InputError
            The state has another number of doses or no responses.
        """
        d = state.current
        elim = self.eliminated(state.completed())
        if state.pending_count(d) and d not in elim:  # an eliminated dose is left at once
            return Decision(
                "suspend",
                d,
                elim,
                f"{state.pending_count(d)} patient(s) at dose "
                f"{d + 1} still being followed: BOIN12 decides on complete "
                "follow-up, so accrual waits",
                "suspend: follow-up",
            )
        state = state.completed()
        n, yt, ye = self._arrays(state)
        elim_all = self.eliminated(state)
        if state.n[d] == 0:
            if d in elim_all:
                raise InputError(f"boin12: current dose {d + 1} is eliminated and untreated")
            return Decision(
                "stay",
                d,
                elim_all,
                f"no patient treated at dose {d + 1} yet: treat the next cohort there",
                "start",
            )
        prior = np.zeros((1, self.n_doses), dtype=bool)
        prior[0, [j for j in elim_all if j != d]] = True
        prior[0, list(state.eliminated)] = True
        x = self.utility.pseudo_responses(n, yt, ye)
        t = self.tables(int(n.max()))
        nxt, elim, rule = R.decide_rows(
            t, self.n_star, self.n_explore, self.cap_per_dose, np.array([d]), n, yt, ye, x, prior
        )
        elim_t = tuple(int(j) for j in np.nonzero(elim[0])[0])
        code, nd = int(rule[0]), int(nxt[0])
        why = self._why(code, d, nd, n[0], yt[0], ye[0], x[0], elim[0], t)
        return rule_decision(code, R.STOPS, R.RULE_IDS, d, nd, elim_t, why,
                             self.max_sample_size, state.total_n)

    def _why(
        self,
        code: int,
        d: int,
        nd: int,
        n: np.ndarray,
        yt: np.ndarray,
        ye: np.ndarray,
        x: np.ndarray,
        elim: np.ndarray,
        t: R.Boin12Tables,
    ) -> str:
        b = self.boundaries
        head = (
            f"BOIN12 ({REF}): dose {d + 1} has {yt[d]} DLT and {ye[d]} response(s) in "
            f"{n[d]}; DLT rate {yt[d] / n[d]:.3f} (lambda_e {b.lambda_e:.4f}, lambda_d "
            f"{b.lambda_d:.4f})"
        )
        score = R.desirability(n, x, t.u_b)
        cands = ", ".join(
            f"dose {j + 1} {score[j]:.3f}"
            for j in sorted({max(d - 1, 0), d, nd, min(d + 1, self.n_doses - 1)})
            if not elim[j]
        )
        tails = {
            R.RDS_UP: f"; desirability P(utility > {t.u_b:g}) {cands}: escalate to dose {nd + 1}",
            R.RDS_STAY: f"; desirability P(utility > {t.u_b:g}) {cands}: stay at dose {d + 1}",
            R.RDS_DOWN: f"; desirability P(utility > {t.u_b:g}) {cands}: de-escalate to dose "
            f"{nd + 1}",
            R.TOX_DOWN: f" >= lambda_d: de-escalate to dose {nd + 1}",
            R.TOX_STAY: " >= lambda_d, but no lower dose is open: stay",
            R.EXPLORE: f"; {n[d]} >= {self.n_explore} patients and dose {nd + 1} untried: "
            "escalate to explore it",
            R.STOP_TOX_FIRST: f"; P(p_T > {self.target} | data) > {self.c_t} at dose 1: stop, "
            "no dose is safe",
            R.STOP_ALL: "; every dose that could be given next is eliminated (toxicity or "
            "futility): stop early with no OBD",
            R.STOP_CAP: f"; {n[d]} patients at dose {d + 1} reached the cap of "
            f"{self.cap_per_dose} per dose: stop and select the OBD",
        }
        if (
            code in (R.RDS_UP, R.RDS_STAY, R.RDS_DOWN)
            and n[d] >= self.n_star
            and yt[d] > t.escalate[n[d]]
        ):
            head += f"; n >= N* = {self.n_star} and DLT rate > lambda_e, so no escalation"
        return head + tails[code]

    # ------------------------------------------------------------------ end of trial
    def select(self, state: TrialState) -> Obd:
        """The OBD on complete data (:mod:`cartrial.design.boin12_select`).

        Parameters
        ----------
        state : TrialState
            Counts per dose at the end of the trial, with ``responses``.

        Returns
        -------
        Obd
            OBD and MTD (0-based), estimates per dose with the admissible set, the reason.

        Raises
        ------
        InputError
            The state has another number of doses or no responses.
        """
        state = state.completed()
        n, yt, ye = self._arrays(state)
        elim = np.zeros((1, self.n_doses), dtype=bool)
        elim[0, list(self.eliminated(state))] = True
        obd, mtd, pt, pe, u = select_obd_rows(n, yt, ye, elim, self.target, self.utility)
        ok = ~elim[0] & (n[0] > 0)
        est = pd.DataFrame(
            {
                "dose": np.arange(1, self.n_doses + 1),
                "n": n[0],
                "dlt": yt[0],
                "responses": ye[0],
                "p_tox": pt[0],
                "p_eff": pe[0],
                "utility": np.where(ok, u[0], np.nan),
                "eliminated": elim[0],
                "admissible": ok & (np.arange(self.n_doses) <= mtd[0]),
            }
        )
        m = int(mtd[0])
        if int(obd[0]) == NO_OBD:
            return Obd(
                None,
                m,
                est,
                f"no dose at or below the MTD (dose {m + 1}) is tried and "
                f"not eliminated: no OBD ({REF})",
            )
        o = int(obd[0])
        why = (
            f"OBD dose {o + 1}: highest estimated utility {u[0, o]:.1f} among the tried, "
            f"non-eliminated doses at or below the MTD, dose {m + 1} (isotonic DLT estimate "
            f"{pt[0, m]:.3f} closest to {self.target}); response estimate {pe[0, o]:.3f}, "
            f"DLT estimate {pt[0, o]:.3f} at dose {o + 1} ({REF})"
        )
        return Obd(o, m, est, why)


def boin12_from_spec(spec: DesignSpec, n_doses: int) -> Boin12:
    """A :class:`Boin12` from a protocol's design (``name: boin12`` or ``tite-boin12`` with its
    ``boin12`` block).

    Parameters
    ----------
    spec : DesignSpec
        The protocol design: ``target`` is phi_T, ``elimination_cutoff`` c_T.
    n_doses : int
        Number of dose levels.

    Returns
    -------
    Boin12

    Raises
    ------
    InputError
        The design is not boin12.
    """
    b = spec.boin12
    if spec.name not in ("boin12", "tite-boin12") or b is None:
        raise InputError(f"the protocol's design is {spec.name!r}, not boin12")
    return Boin12(
        n_doses=n_doses,
        target=spec.target,
        phi_e=b.phi_e,
        utility=UtilityTable(response_dlt=b.response_dlt, no_response_no_dlt=b.no_response_no_dlt),
        cohort_size=spec.cohort_size,
        max_sample_size=spec.max_sample_size,
        n_star=b.n_star,
        n_explore=b.n_explore,
        c_t=spec.elimination_cutoff,
        c_e=b.futility_cutoff,
        cap_per_dose=spec.cap_per_dose,
    )
