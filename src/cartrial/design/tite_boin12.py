"""TITE-BOIN12: BOIN12 with late-onset toxicity and efficacy (decision with pending patients).

Zhou Y, Lin R, Lee JJ, Li D, Wang L, Li R, Yuan Y. TITE-BOIN12: a Bayesian phase I/II trial
design to find the optimal biological dose with late-onset toxicity and efficacy. Stat Med
2022;41:1918-1931. Accrual continues while outcomes are pending: each endpoint has its own
assessment window; pending outcomes enter through the approximated likelihood
(:mod:`cartrial.design.tite_boin12_rules`) and the BOIN12 rule itself is
:func:`cartrial.design.boin12_rules.decide_core`, shared with BOIN12 and with
:func:`cartrial.design.simulate_tite_boin12.simulate_tite_boin12`. Accrual is suspended while
more than ``max_pending`` (one half) of the patients at the current dose have a pending DLT or a
pending response assessment. The OBD is selected on complete data as in BOIN12.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cartrial.design import boin12_rules as R
from cartrial.design import tite_boin12_rules as T
from cartrial.design.boin12 import Boin12, Obd, boin12_from_spec
from cartrial.design.state import Decision, TrialState
from cartrial.design.stopping import rule_decision
from cartrial.errors import InputError
from cartrial.protocol.model import DesignSpec

REF = "Zhou et al., Stat Med 2022"


@dataclass(frozen=True)
class TitePatient:
    """One treated patient as known at the decision: dose (0-based), each endpoint's outcome
    (True / False, None = pending) and days followed for it; ``subject`` names the record in
    errors.

    Parameters
    ----------
    dose : int
        0-based dose index.
    dlt, response : bool or None
        Outcome of the DLT / efficacy endpoint; None while still pending.
    dlt_follow_up, eff_follow_up : float
        Days followed for the DLT / efficacy endpoint.
    subject : str, default ""
        Subject identifier used in error messages.

    Examples
    --------
    >>> TitePatient(dose=0, dlt=None, dlt_follow_up=14.0, response=None, eff_follow_up=14.0)
    TitePatient(dose=0, dlt=None, dlt_follow_up=14.0, response=None, eff_follow_up=14.0, subject='')
    """

    dose: int
    dlt: bool | None
    dlt_follow_up: float
    response: bool | None
    eff_follow_up: float
    subject: str = ""


@dataclass(frozen=True)
class TiteBoin12:
    """TITE-BOIN12 (Zhou et al. 2022) on top of a :class:`~cartrial.design.boin12.Boin12`.

    Parameters
    ----------
    boin12 : Boin12
        Targets, utility, N*, exploration, cut-offs, cap and sample size.
    tox_window, eff_window : float
        DLT and response assessment windows (days).
    max_pending : float
        Suspend accrual when the fraction of patients at the current dose with a pending DLT or
        a pending response assessment exceeds this (0.5, the paper's rule).

    References
    ----------
    Zhou Y, Lin R, Lee JJ, et al. Stat Med 2022;41:1918-1931, section 2.2.

    Examples
    --------
    >>> g = TiteBoin12(Boin12(n_doses=3, target=0.35, phi_e=0.25), 28.0, 84.0)
    >>> pts = [TitePatient(0, False, 28, True, 84), TitePatient(0, False, 28, None, 60),
    ...        TitePatient(0, None, 14, None, 14)]
    >>> g.decide(pts, current=0).action
    'suspend'
    """

    boin12: Boin12
    tox_window: float
    eff_window: float
    max_pending: float = 0.5
    name = "tite-boin12"

    def __post_init__(self) -> None:
        for nm in ("tox_window", "eff_window"):
            if not getattr(self, nm) > 0:
                raise InputError(f"tite-boin12: {nm} must be > 0 days, got {getattr(self, nm)!r}")
        if not 0 < self.max_pending < 1:
            raise InputError(f"tite-boin12: max_pending must be in (0, 1), got {self.max_pending}")

    def slots(self, patients: Sequence[TitePatient]) -> tuple[np.ndarray, ...]:
        """Patients as one row of slots: dose, DLT status / fraction, response status / fraction.

        Parameters
        ----------
        patients : sequence of TitePatient

        Returns
        -------
        tuple of (1, patients) arrays
            dose, tox_status, tox_w, eff_status, eff_w (status 1 / 0 / -1 pending).

        Raises
        ------
        InputError
            A dose outside the design, negative follow-up, or an outcome still pending after
            the whole window (it must then be True or False).
        """
        rows = [self._slot(i, p) for i, p in enumerate(patients)]
        if not rows:
            return tuple(np.zeros((1, 0), dtype=t) for t in (int, int, float, int, float))
        cols = list(zip(*rows, strict=True))
        kinds = (int, int, float, int, float)
        return tuple(np.asarray(c, dtype=t)[None, :] for c, t in zip(cols, kinds, strict=True))

    def _slot(self, i: int, p: TitePatient) -> tuple[int, int, float, int, float]:
        who = f"patient {p.subject or i + 1}"
        if not 0 <= p.dose < self.boin12.n_doses:
            raise InputError(f"tite-boin12: {who}: dose index {p.dose} is outside the design")
        out = [p.dose]
        for what, val, fu, win in (
            ("DLT", p.dlt, p.dlt_follow_up, self.tox_window),
            ("response", p.response, p.eff_follow_up, self.eff_window),
        ):
            if not fu >= 0:
                raise InputError(f"tite-boin12: {who}: {what} follow-up {fu!r} days is negative")
            if val is None and fu >= win:
                raise InputError(
                    f"tite-boin12: {who}: {what} pending after {fu:g} days, but the {what} "
                    f"window is {win:g} days: record the outcome (True / False)"
                )
            status = T.PENDING if val is None else int(bool(val))
            out += [status, fu / win if val is None else 0.0]
        return tuple(out)  # type: ignore[return-value]

    def decide(
        self, patients: Sequence[TitePatient], current: int, eliminated: Sequence[int] = ()
    ) -> Decision:
        """Dose for the next cohort given everything known now, pending outcomes included.

        Parameters
        ----------
        patients : sequence of TitePatient
            Every treated patient with what is known of each endpoint now.
        current : int
            0-based dose of the most recent cohort.
        eliminated : sequence of int
            Doses eliminated earlier in the trial (permanent).

        Returns
        -------
        Decision
            "suspend" (rule "suspend: pending") while too many outcomes at ``current`` are
            pending; otherwise BOIN12's action on effective data (rule ids of
            ``boin12_rules.RULE_IDS``, "start" or "stop: max sample size").

        Raises
        ------
        InputError
            Bad patient records (see :meth:`slots`), or ``current`` outside the design.
        """
        g = self.boin12
        if not 0 <= current < g.n_doses:
            raise InputError(f"tite-boin12: current dose index {current} is outside the design")
        dose, ts, tw, es, ew = self.slots(patients)
        k = g.n_doses
        n = (dose[:, :, None] == np.arange(k)[None, None, :]).sum(axis=1)
        tox, eff = T.summarise(dose, ts, tw, k), T.summarise(dose, es, ew, k)
        out = self._data_eliminations(n, tox, eff)
        out[list(eliminated)] = True
        nd = int(n[0, current])
        if nd == 0:
            if out[current]:
                raise InputError(
                    f"tite-boin12: current dose {current + 1} is eliminated, untreated"
                )
            return Decision(
                "stay",
                current,
                tuple(int(j) for j in np.nonzero(out)[0]),
                f"no patient at dose {current + 1} yet: treat the next cohort there",
                "start",
            )
        prior = out[None, :].copy()
        prior[0, current] = current in set(eliminated)
        elim_t = tuple(int(j) for j in np.nonzero(prior[0])[0])
        head = self._summary(current, n[0], tox, eff)
        mt, me = int(tox.pending[0, current]), int(eff.pending[0, current])
        if max(mt, me) > self.max_pending * nd:
            return Decision(
                "suspend",
                current,
                elim_t,
                f"{head}; more than {self.max_pending:g} of the {nd} patients have a pending "
                f"outcome: suspend accrual until enough outcomes are known ({REF})",
                "suspend: pending",
            )
        nxt, elim, rule = T.decide_tite_rows(g, np.array([current]), dose, ts, tw, es, ew, prior)
        code, to = int(rule[0]), int(nxt[0])
        elim_t = tuple(int(j) for j in np.nonzero(elim[0])[0])
        why = self._why(current, n, tox, eff, elim[0], head, code)
        return rule_decision(code, R.STOPS, R.RULE_IDS, current, to, elim_t, why,
                             g.max_sample_size, len(patients), move_why=f"{why}: dose {to + 1}")

    def select(self, patients: Sequence[TitePatient], eliminated: Sequence[int] = ()) -> Obd:
        """The OBD at the end of the trial, once every outcome is known (BOIN12's selection).

        Parameters
        ----------
        patients : sequence of TitePatient
            Every treated patient, no outcome pending.
        eliminated : sequence of int
            Doses eliminated during the trial.

        Returns
        -------
        Obd
            As :meth:`cartrial.design.boin12.Boin12.select`.

        Raises
        ------
        InputError
            An outcome is still pending (naming the patient), or a bad record.
        """
        dose, ts, _, es, _ = self.slots(patients)
        for i, p in enumerate(patients):
            if ts[0, i] == T.PENDING or es[0, i] == T.PENDING:
                raise InputError(
                    f"tite-boin12: patient {p.subject or i + 1} has a pending outcome: the OBD "
                    f"is selected once every outcome is known ({REF})"
                )
        k = self.boin12.n_doses
        at = dose[0][:, None] == np.arange(k)[None, :]
        state = TrialState(
            n=tuple(at.sum(axis=0)),
            y=tuple((at & (ts[0] == 1)[:, None]).sum(axis=0)),
            responses=tuple((at & (es[0] == 1)[:, None]).sum(axis=0)),
            eliminated=tuple(eliminated),
        )
        return self.boin12.select(state)

    def _data_eliminations(self, n: np.ndarray, tox: T.Endpoint, eff: T.Endpoint) -> np.ndarray:
        """Every dose's eliminations on effective data, as BOIN12's single decision reads them."""
        g, k = self.boin12, self.boin12.n_doses
        out = np.zeros(k, dtype=bool)
        for j in range(k):
            v = T.verdicts(np.array([j]), n, tox, eff, g.boundaries, g.phi_e, g.c_t, g.c_e)
            out[j:] |= bool(v.tox_out[0])
            out[j] |= bool(v.futile[0])
        return out

    def _why(
        self,
        d: int,
        n: np.ndarray,
        tox: T.Endpoint,
        eff: T.Endpoint,
        elim: np.ndarray,
        head: str,
        code: int,
    ) -> str:
        g = self.boin12
        score = R.desirability(n[0], T.pseudo_responses(n, tox, eff, g.utility)[0], g.u_b)
        near = [j for j in (d - 1, d, d + 1) if 0 <= j < g.n_doses and not elim[j]]
        cands = ", ".join(f"dose {j + 1} {score[j]:.3f}" for j in near)
        return (
            f"{head}; desirability P(utility > {g.u_b:g}) with pending outcomes imputed: {cands}; "
            f"BOIN12 rule on these effective data: {R.RULE_IDS[code]}"
        )

    def _summary(self, d: int, n: np.ndarray, tox: T.Endpoint, eff: T.Endpoint) -> str:
        b = self.boin12.boundaries
        return (
            f"TITE-BOIN12 ({REF}): dose {d + 1} has {n[d]} patient(s); DLT {tox.y[0, d]} of "
            f"effective {tox.ess[0, d]:.2f} (rate {tox.p_hat[0, d]:.3f}, lambda_e "
            f"{b.lambda_e:.4f}, lambda_d {b.lambda_d:.4f}; {tox.pending[0, d]} pending), "
            f"response {eff.y[0, d]} of effective {eff.ess[0, d]:.2f} ({eff.pending[0, d]} "
            "pending)"
        )


def tite_boin12_from_spec(spec: DesignSpec, n_doses: int) -> TiteBoin12:
    """A :class:`TiteBoin12` from a protocol's design (``name: tite-boin12``).

    The DLT window is ``dlt_window_days``, the response window ``efficacy.by_day +
    efficacy.window_days``, the suspension fraction ``accrual.max_pending_fraction``; the rest is
    the ``boin12`` block (:func:`cartrial.design.boin12.boin12_from_spec`).

    Parameters
    ----------
    spec : DesignSpec
        The protocol design.
    n_doses : int
        Number of dose levels.

    Returns
    -------
    TiteBoin12

    Raises
    ------
    InputError
        The design is not tite-boin12 or names no efficacy outcome.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> d = load_protocol("ct071").design.model_dump()
    >>> d.update(name="tite-boin12", boin12={"phi_e": 0.25}, cap_per_dose=None)
    >>> tite_boin12_from_spec(DesignSpec.model_validate(d), 2).eff_window
    35.0
    """
    if spec.name != "tite-boin12" or spec.efficacy is None:
        raise InputError(f"the protocol's design is {spec.name!r} (needs tite-boin12 with "
                         "design.efficacy)")
    e = spec.efficacy
    return TiteBoin12(boin12_from_spec(spec, n_doses), float(spec.dlt_window_days),
                      float(e.by_day + e.window_days), spec.accrual.max_pending_fraction)
