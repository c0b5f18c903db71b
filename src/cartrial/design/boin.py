"""BOIN (Liu & Yuan, JRSS-C 2015;64:507-523) with the BF-BOIN backfill option, and TITE-BOIN.

Decision rules: BOIN 2.7.2 ``get.oc`` and Yuan Y et al., Clin Cancer Res 2016;22:4291-301;
backfill: Zhao, Yuan, Korn & Freidlin, Clin Cancer Res 2024;30:673-679 (BF-BOIN);
TITE-BOIN: Yuan, Lin, Li, Nie & Warren, Clin Cancer Res 2018;24:4921-4930, in the package form
of TITEgBOIN ``R/next_TITE_QuasiBOIN.R``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cartrial.design import table_rules as R
from cartrial.design._table_design import TableDesign, cached_elimination_count
from cartrial.design.backfill_rules import backfill_rows
from cartrial.design.boundaries import (
    BoinBoundaries,
    boin_boundaries,
    deescalate_min,
    escalate_max,
)
from cartrial.design.simulate_tables import DecisionTables
from cartrial.design.state import Decision, TrialState
from cartrial.design.tite_rules import tite_letter
from cartrial.errors import InputError


@dataclass(frozen=True)
class Boin(TableDesign):
    """BOIN: escalate if y/n <= lambda_e, de-escalate if y/n > lambda_d, else stay (Liu & Yuan).

    Options: ``phi1`` / ``phi2`` (default 0.6 / 1.4 x target), ``cutoff`` (``cutoff.eli``),
    ``extrasafe`` / ``offset``, ``cap_per_dose`` (``n.earlystop``), ``max_sample_size``,
    ``backfill`` with ``backfill_cap`` patients per backfilled dose (BF-BOIN ``n.cap``),
    ``bound_mtd`` (``boundMTD``: the selected MTD's isotonic estimate must be <= lambda_d),
    ``backfill_requires_response`` (BF-BOIN: a dose opens to backfill only once a response was
    seen there; needs ``TrialState.responses``).

    Parameters
    ----------
    n_doses : int
        Number of dose levels; doses are indexed 0..n_doses-1 (lowest first).
    target : float
        Target DLT probability phi (0.05-0.6).
    cohort_size : int, default 3
        Patients per escalation cohort.
    cutoff : float, default 0.95
        Overdose elimination: a dose is eliminated when P(p > target | data) > cutoff.
    extrasafe, offset : bool, float
        Stop when the lowest dose is overly toxic with cutoff - offset (BOIN ``extrasafe``).
    cap_per_dose, max_sample_size : int, optional
        Stop once a dose has ``cap_per_dose`` patients / the trial ``max_sample_size``.
    phi1, phi2 : float, optional
        Sub-therapeutic / overly toxic DLT probabilities (default 0.6 / 1.4 x target).
    backfill, backfill_cap : bool, int
        BF-BOIN backfill of cleared lower doses, at most ``backfill_cap`` patients per dose.
    bound_mtd : bool, default False
        The selected MTD's isotonic estimate must not exceed lambda_d.
    selection_prior : float, default 0.05
        Prior pseudo-count used by the isotonic MTD selection (BOIN ``select.mtd``).
    backfill_requires_response : bool, default False
        Open a dose to backfill only after a response there.

    References
    ----------
    Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc
    Ser C 2015;64:507-523.
    Zhao Y, Yuan Y, Korn EL, Freidlin B. Backfilling patients in phase I dose-escalation trials
    using Bayesian optimal interval design (BOIN). Clin Cancer Res 2024;30:673-679.

    Examples
    --------
    For target 0.3, 2 DLTs of 3 exceed lambda_d = 0.358 (Liu & Yuan 2015, Table 1):

    >>> d = Boin(n_doses=3, target=0.3)
    >>> d.decide(TrialState(n=(3, 3, 0), y=(0, 2, 0), current=1)).action
    'de-escalate'
    >>> d.decide(TrialState.empty(3).add_cohort(0, 3, 0)).next_dose
    1
    """

    phi1: float | None = None
    phi2: float | None = None
    backfill: bool = False
    backfill_cap: int = 12
    bound_mtd: bool = False
    selection_prior: float = 0.05
    backfill_requires_response: bool = False
    name = "boin"

    def __post_init__(self) -> None:
        super().__post_init__()
        _ = self.boundaries  # validate target / phi1 / phi2 now
        if self.backfill_cap < 1:
            raise InputError(f"boin: backfill_cap must be >= 1, but was {self.backfill_cap!r}")

    @cached_property
    def boundaries(self) -> BoinBoundaries:
        return boin_boundaries(self.target, self.phi1, self.phi2)

    # -- boundaries per n (Liu & Yuan 2015): integers, exactly as in the published tables --------
    def b_e(self, n: int) -> int:
        """Largest y that escalates at n (y <= floor(lambda_e n))."""
        return escalate_max(n, self.boundaries.lambda_e)

    def b_elim(self, n: int) -> int | None:
        """Smallest y that eliminates at n (None below n = 3)."""
        return cached_elimination_count(n, self.target, self.cutoff)

    def b_d(self, n: int) -> int:
        """Smallest y that de-escalates at n, capped at the elimination count (BOIN 2.7.2)."""
        bd = deescalate_min(n, self.boundaries.lambda_d)
        be = self.b_elim(n)
        return bd if be is None else min(bd, be)

    letter_after_elimination = True  # b_d is capped at the elimination count (BOIN 2.7.2)

    def _table_options(self) -> tuple[tuple[str, object], ...]:
        return (*super()._table_options(), ("phi1", self.phi1), ("phi2", self.phi2))

    def _pooling(self) -> bool:
        return self.backfill

    def rule_text(self, n: int, y: int, letter: str) -> str:
        lam_e, lam_d = self.boundaries.lambda_e, self.boundaries.lambda_d
        if letter == "E":
            return (
                f"BOIN: {y}/{n} DLT, y <= {self.b_e(n)} (y/n <= λe = {lam_e:.4f}): "
                "escalate (Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23)"
            )
        if letter == "D":
            return (
                f"BOIN: {y}/{n} DLT, y >= {self.b_d(n)} (y/n > λd = {lam_d:.4f}): "
                "de-escalate (Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23)"
            )
        return (
            f"BOIN: {y}/{n} DLT, λe < y/n <= λd "
            f"({lam_e:.4f}, {lam_d:.4f}): stay (Liu S, Yuan Y, J R Stat Soc C 2015;64:507-23)"
        )

    # -- BF-BOIN: conflicts between the current dose and lower (backfilled) doses ----------
    def _proposal(
        self, state: TrialState, t: DecisionTables, elim_low: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, str]:
        nd, code, why = super()._proposal(state, t, elim_low)
        if not self.backfill or state.current == 0:
            return nd, code, why
        return nd, code, self._pooled_text(state, int(nd[0]), int(code[0]), why)

    def _pooled_text(self, state: TrialState, nd: int, code: int, base: str) -> str:
        """The reason in words when a lower dose conflicts (the move itself comes from
        :func:`table_rules.propose`)."""
        d = state.current
        lets = [self.letter(state.n[j], state.y[j]) for j in range(d + 1)]
        cur = lets[d]
        bad = {"S", "D"} if cur == "E" else {"D"}
        conflict = [j for j in range(d) if lets[j] in bad]
        if not conflict:
            return base
        b = max(conflict)
        yp, np_ = sum(state.y[b : d + 1]), sum(state.n[b : d + 1])
        pooled = (
            f"{self.rule_text(state.n[d], state.y[d], cur)}; "
            f"conflicts with lower dose {b + 1} "
            f"({state.y[b]}/{state.n[b]}): pooled doses {b + 1}-{d + 1} give {yp}/{np_}"
        )
        if code == R.POOLED:
            return pooled + f" -> highest safe dose {nd + 1} (BF-BOIN)"
        if nd < d:
            return pooled + f" -> de-escalate to dose {nd + 1} (BF-BOIN)"
        if code == R.STAY_RULE:
            return pooled + " -> stay (BF-BOIN)"
        return self._clamp_text(d, code, pooled + " -> escalate (BF-BOIN)")

    def backfill_open(
        self, state: TrialState, next_dose: int, elim: tuple[int, ...]
    ) -> tuple[int, ...]:
        """Doses open to backfill below ``next_dose`` (BF-BOIN): cleared (n > 0), not
        eliminated, under ``backfill_cap``, and safe (y < b_d(n) alone or pooled with the dose
        above); a dose above an unsafe dose is closed too."""
        if not self.backfill:
            return ()
        if self.backfill_requires_response and state.responses is None:
            raise InputError(
                "boin: backfill_requires_response needs per-dose responses in the trial state"
            )
        active = None
        if self.backfill_requires_response:
            active = np.asarray(state.responses)[None, :] > 0
        low = min(elim, default=self.n_doses)
        t = self.tables(2 * max(state.n))
        open_ = backfill_rows(
            t, np.array([next_dose]), state.n_array[None, :], state.y_array[None, :],
            np.array([low]), self.backfill_cap, active,
        )
        return tuple(int(j) for j in np.nonzero(open_[0])[0])

    def _finish(
        self, state: TrialState, elim: tuple[int, ...], action: str, nd: int, why: str, rule: str
    ) -> Decision:
        bf = self.backfill_open(state, nd, elim)
        if bf:
            why += f"; backfill open at dose(s) {', '.join(str(j + 1) for j in bf)}"
        return Decision(action, nd, elim, why, rule, bf)  # type: ignore[arg-type]

    def _selection_options(self) -> dict[str, object]:
        """BOIN's ``boundMTD`` option for :meth:`select` (BOIN ``select.mtd``)."""
        return {"bound_mtd": self.bound_mtd, "phi2": self.phi2, "prior": self.selection_prior}


@dataclass(frozen=True)
class TiteBoin(Boin):
    """TITE-BOIN in the TITEgBOIN package form (Clin Cancer Res 2018;24:4921-30).

    phat = y / (n - c + F/T) with c pending patients at the current dose and F their total
    follow-up (days, capped at the window T); escalate if phat <= lambda_e, de-escalate if
    phat > lambda_d (the BOIN rule, so with nothing pending TITE-BOIN is BOIN); suspend accrual
    when c > ``max_pending_fraction`` x n; elimination uses the full n; at dose 1 with
    phat > lambda_d and patients pending, hold (suspend) instead of deciding.
    The paper's Beta-prior imputation of pending outcomes is not implemented (named "package").

    Parameters
    ----------
    dlt_window : float, default 28.0
        DLT assessment window T in days; pending follow-up is capped at T.
    max_pending_fraction : float, default 0.5
        Suspend accrual when more than this fraction of the current dose's patients is pending.
    **boin_options
        Every parameter of :class:`Boin` (``n_doses``, ``target``, ...).

    References
    ----------
    Yuan Y, Lin R, Li D, Nie L, Warren KE. Time-to-event Bayesian optimal interval design to
    accelerate phase I trials. Clin Cancer Res 2018;24:4921-4930.

    Examples
    --------
    Two of three patients at dose index 1 still pending: accrual is suspended.

    >>> d = TiteBoin(n_doses=3, target=0.3, dlt_window=28)
    >>> s = TrialState(n=(3, 3, 0), y=(0, 0, 0), current=1,
    ...                pending=((1, 14.0), (1, 7.0)), dlt_window=28)
    >>> d.decide(s).action
    'suspend'
    """

    dlt_window: float = 28.0
    max_pending_fraction: float = 0.5
    name = "tite-boin"
    time_to_event = True
    estimator = "package: phat = y / (n - c + F/T)"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.dlt_window > 0:
            raise InputError(f"tite-boin: dlt_window must be > 0 days, but was {self.dlt_window!r}")
        if not 0 < self.max_pending_fraction <= 1:
            raise InputError(
                "tite-boin: max_pending_fraction must be in (0, 1], "
                f"was {self.max_pending_fraction!r}"
            )

    def effective_n(self, state: TrialState, dose: int) -> float:
        """n - c + F/T at one dose (TITEgBOIN)."""
        c, f = self._pending(state, dose)
        return state.n[dose] - c + f / self.dlt_window

    def _pending(self, state: TrialState, dose: int) -> tuple[int, float]:
        state.check_window(self.dlt_window, self.name)
        fu = [min(p.follow_up, self.dlt_window) for p in state.pending if p.dose == dose]
        return len(fu), float(sum(fu))

    def _proposal(
        self, state: TrialState, t: DecisionTables, elim_low: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, str]:
        d = state.current
        n, y = state.n[d], state.y[d]
        c, f = self._pending(state, d)
        if c == 0:  # nothing pending here: BOIN (and BF-BOIN pooling) on completed data
            return super()._proposal(state.completed(), t, elim_low)
        dd = np.array([d])
        lam_e, lam_d = self.boundaries.lambda_e, self.boundaries.lambda_d
        letter, hold, phat, neff = tite_letter(
            dd, np.array([n]), np.array([y]), np.array([c]), np.array([f]), self.dlt_window,
            lam_e, lam_d, self.max_pending_fraction,
        )
        nd, code = R.move(dd, letter, elim_low, self.n_doses)
        code = np.where(hold >= 0, hold, code)
        h = int(hold[0])
        if h == R.SUSPEND_PENDING:
            return nd, code, (
                f"TITE-BOIN: {c} of {n} patients at dose {d + 1} pending > "
                f"{self.max_pending_fraction} x n: suspend accrual until follow-up accrues "
                "(Yuan Y et al., Clin Cancer Res 2018;24:4921-30)"
            )
        txt = (
            f"TITE-BOIN: {y} DLT in {n} at dose {d + 1}, {c} pending with {f:g} days of "
            f"follow-up in all (window T = {self.dlt_window:g} days); phat = y/(n - c + F/T) = "
            f"{y}/{float(neff[0]):.3f} = {float(phat[0]):.3f}"
        )
        if h == R.SUSPEND_HOLD:
            return nd, code, (
                f"{txt} > λd = {lam_d:.4f} at dose 1 with patients pending: hold "
                "accrual until their follow-up completes ("
                "Yuan Y et al., Clin Cancer Res 2018;24:4921-30)"
            )
        let = int(letter[0])
        tail = (
            f" <= λe = {lam_e:.4f}: escalate" if let == 1
            else f" > λd = {lam_d:.4f}: de-escalate" if let == -1 else " in (λe, λd]: stay"
        )
        return nd, code, self._clamp_text(d, int(code[0]), txt + tail)
