"""BOIN-ET (Takeda, Taguri & Morita, Pharm Stat 2018;17:383-395): one trial's decision.

The rule is :func:`cartrial.design.boinet_rules.decide_rows`; :meth:`BoinEt.decide` runs it on a
batch of one and :func:`cartrial.design.simulate_boinet.simulate_boinet` on many trials.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from cartrial.design import boinet_rules as R
from cartrial.design.boin12 import Obd
from cartrial.design.boinet_select import (
    EFFICACY_ESTIMATES,
    NO_OBD,
    OBD_METHODS,
    estimates,
    select_rows,
    utility,
)
from cartrial.design.state import Decision, TrialState
from cartrial.design.stopping import rule_decision
from cartrial.errors import InputError
from cartrial.protocol.model import DesignSpec

REF = "Takeda et al., Pharm Stat 2018"
OBD_WORDS = {
    "max-effprob": "highest response estimate at or below the dose whose DLT estimate is "
    "closest to the target",
    "utility-weighted": "highest utility p_E - w1 p_T - w2 p_T 1[p_T > phi2]",
    "utility-truncated-linear": "highest truncated-linear utility of p_E and p_T",
    "utility-scoring": "highest expected outcome score",
}


@dataclass(frozen=True)
class BoinEt:
    """BOIN-ET with the boinet package's defaults.

    Parameters
    ----------
    n_doses : int
        Dose levels.
    target : float
        phi, the target DLT probability (phi1 = 0.1 phi, phi2 = 1.4 phi unless given).
    delta : float
        Target response probability (delta1 = 0.6 delta unless given).
    cohort_size, max_sample_size : int
        Patients per cohort and in all.
    stop_t, stop_e : float
        Admissibility cut-offs: P(p_T > phi) <= stop_t and P(p_E < delta1) <= stop_e.
    cap_per_dose : int or None
        The trial ends once a dose has this many patients (boinet ``stopping.npts``).
    estimate, obd_method : str
        Response estimate (:data:`~cartrial.design.boinet_select.EFFICACY_ESTIMATES`) and OBD
        rule (:data:`~cartrial.design.boinet_select.OBD_METHODS`).

    References
    ----------
    Takeda K, Taguri M, Morita S. Pharm Stat 2018;17:383-395.

    Examples
    --------
    >>> d = BoinEt(n_doses=3, target=0.3, delta=0.6, max_sample_size=18)
    >>> d.decide(TrialState(n=(3, 0, 0), y=(0, 0, 0), responses=(0, 0, 0))).next_dose
    1
    """

    n_doses: int
    target: float
    delta: float
    cohort_size: int = 3
    max_sample_size: int | None = None
    phi1: float | None = None
    phi2: float | None = None
    delta1: float | None = None
    stop_t: float = 0.95
    stop_e: float = 0.99
    cap_per_dose: int | None = None
    estimate: str = "obs"
    obd_method: str = "max-effprob"
    w1: float = 0.33
    w2: float = 1.09
    psi00: float = 40.0
    psi11: float = 60.0
    name = "boin-et"

    def __post_init__(self) -> None:
        if self.estimate not in EFFICACY_ESTIMATES or self.obd_method not in OBD_METHODS:
            raise InputError(
                f"boin-et: estimate must be one of {EFFICACY_ESTIMATES} and "
                f"obd_method one of {OBD_METHODS}"
            )
        # checked on the settings themselves: the boundaries cannot be computed when unordered
        p1, p2, d1 = self._settings()
        if not (0 < p1 < self.target < p2 < 1 and 0 < d1 < self.delta < 1):
            raise InputError(
                f"boin-et: need 0 < phi1 < target < phi2 < 1 and 0 < delta1 < delta < 1 "
                f"(Takeda K, Taguri M, Morita S, Pharm Stat 2018;17:383-95); got phi1={p1:g}, "
                f"target={self.target:g}, phi2={p2:g}, delta1={d1:g}, delta={self.delta:g}")

    @cached_property
    def boundaries(self) -> R.EtBoundaries:
        p1, p2, d1 = self._settings()
        return R.boundaries(self.target, p1, p2, self.delta, d1)

    def _settings(self) -> tuple[float, float, float]:
        """phi1, phi2 and delta1 with the paper's defaults (0.1 phi, 1.4 phi, 0.6 delta)."""
        return (0.1 * self.target if self.phi1 is None else self.phi1,
                1.4 * self.target if self.phi2 is None else self.phi2,
                0.6 * self.delta if self.delta1 is None else self.delta1)

    @property
    def options(self) -> dict[str, float]:
        b = self.boundaries
        return {
            "w1": self.w1,
            "w2": self.w2,
            "phi2": b.phi2,
            "psi00": self.psi00,
            "psi11": self.psi11,
            "plow": b.phi1,
            "pupp": b.phi2,
            "qlow": b.delta1 / 2,
            "qupp": self.delta,
        }

    def _arrays(self, state: TrialState) -> tuple[np.ndarray, ...]:
        none_yet = state.responses is None and state.total_n == 0  # the start: no patient
        if state.n_doses != self.n_doses or (state.responses is None and not none_yet):
            raise InputError(f"boin-et: need a state with {self.n_doses} doses and responses")
        resp = np.zeros(self.n_doses, np.int64) if none_yet else state.responses
        return state.n_array[None], state.y_array[None], np.asarray(resp, dtype=np.int64)[None]

    def decide(self, state: TrialState) -> Decision:
        """Dose for the next cohort after the one just treated at ``state.current``.

        Complete follow-up (as the paper decides): while a patient at the current dose is
        pending, accrual waits (rule "suspend: follow-up"), unless the completed data make the
        current dose not admissible (then it decides on them). Admissibility is recomputed from
        the data at each decision, as in the boinet package, so ``state.eliminated`` is not used.

        Parameters
        ----------
        state : TrialState
            Patients (pending included), DLTs and ``responses`` (of the complete patients) per
            dose.

        Returns
        -------
        Decision
            ``eliminated`` lists the doses not admissible now (other than the next dose).

        Raises
        ------
        InputError
            Wrong number of doses or no responses.
        """
        d = state.current
        if state.pending_count(d):  # complete follow-up, unless the current dose is out
            n, yt, ye = self._arrays(state.completed())
            adm = R.admissible(n, yt, ye, self.target, self.boundaries.delta1, self.stop_t,
                               self.stop_e)[0]
            if adm[d]:
                return Decision(
                    "suspend", d, tuple(int(j) for j in np.nonzero(~adm)[0]),
                    f"{state.pending_count(d)} patient(s) at dose {d + 1} still being followed: "
                    "BOIN-ET decides on complete follow-up, so accrual waits",
                    "suspend: follow-up")
        state = state.completed()
        n, yt, ye = self._arrays(state)
        if n[0, d] == 0:
            return Decision("stay", d, (), f"no patient at dose {d + 1} yet", "start")
        nxt, rule, adm = R.decide_rows(
            self.boundaries,
            self.target,
            self.stop_t,
            self.stop_e,
            self.cap_per_dose,
            np.array([d]),
            n,
            yt,
            ye,
        )
        nd, code = int(nxt[0]), int(rule[0])
        out = tuple(int(j) for j in np.nonzero(~adm[0])[0] if j != nd or code in R.STOPS)
        b = self.boundaries
        why = (
            f"BOIN-ET ({REF}): dose {d + 1} has {yt[0, d]} DLT and {ye[0, d]} response(s) in "
            f"{n[0, d]} (lambda1 {b.lambda1:g}, lambda2 {b.lambda2:g}, eta1 {b.eta1:g}); "
            f"rule '{R.RULE_IDS[code]}'"
        )
        return rule_decision(code, R.STOPS, R.RULE_IDS, d, nd, out, why, self.max_sample_size,
                             state.total_n, move_why=why + f": dose {nd + 1} next")

    def select(self, state: TrialState) -> Obd:
        """The OBD at the end of the trial, tried doses from dose 1 up.

        Parameters
        ----------
        state : TrialState
            Final counts with ``responses`` (pending patients are left out).

        Returns
        -------
        Obd
            OBD (None: none) and the dose whose DLT estimate is closest to phi (``mtd``), the
            estimates per tried dose (p_tox, p_eff, utility of the OBD rule, admissible) and the
            reason.
        """
        n, yt, ye = self._arrays(state.completed())
        adm = R.admissible(n, yt, ye, self.target, self.boundaries.delta1, self.stop_t, self.stop_e)
        o = int(
            select_rows(n, yt, ye, adm, self.target, self.estimate, self.obd_method, self.options)[
                0
            ]
        )
        m = int((n[0] > 0).sum())
        pt, pe = estimates(n[:, :m], yt[:, :m], ye[:, :m], self.estimate)
        est = pd.DataFrame(
            {
                "dose": np.arange(1, m + 1),
                "n": n[0, :m],
                "dlt": yt[0, :m],
                "responses": ye[0, :m],
                "p_tox": pt[0],
                "p_eff": pe[0],
                "utility": utility(self.obd_method, pt, pe, self.options)[0],
                "admissible": adm[0, :m],
            }
        )
        mtd = int(np.argmin(np.abs(pt[0] - self.target))) if m else 0
        if o == NO_OBD:
            return Obd(None, mtd, est, f"no tried dose is admissible: no OBD ({REF})")
        why = (
            f"OBD dose {o + 1} by {self.obd_method} ({OBD_WORDS[self.obd_method]}) among the "
            "admissible tried doses "
            f"{', '.join(str(j + 1) for j in np.nonzero(adm[0, :m])[0])} (DLT estimate "
            f"{pt[0, o]:.3f}, response estimate {pe[0, o]:.3f}; {REF})"
        )
        return Obd(o, mtd, est, why)


def boinet_from_spec(spec: DesignSpec, n_doses: int) -> BoinEt:
    """A :class:`BoinEt` from a protocol's design (``name: boin-et`` with its ``boinet`` block).

    Parameters
    ----------
    spec : DesignSpec
        The protocol design: ``target`` is phi, ``phi1`` / ``phi2`` BOIN-ET's (None: 0.1 and
        1.4 x target), ``elimination_cutoff`` the toxicity admissibility cut-off,
        ``cap_per_dose`` N* and ``max_sample_size`` the trial's size.
    n_doses : int
        Number of dose levels.

    Returns
    -------
    BoinEt

    Raises
    ------
    InputError
        The design is not boin-et.

    References
    ----------
    Takeda K, Taguri M, Morita S. Pharm Stat 2018;17:383-395.

    Examples
    --------
    >>> spec = DesignSpec(name="boin-et", target=0.3, cohort_size=3, max_sample_size=30,
    ...     dlt_window_days=28, boinet={"delta": 0.6},
    ...     efficacy={"endpoint": "PR", "by_day": 28})
    >>> b = boinet_from_spec(spec, 5).boundaries
    >>> b.lambda1, b.lambda2, round(b.eta1, 2)
    (0.14, 0.35, 0.48)
    """
    b = spec.boinet
    if spec.name != "boin-et" or b is None:
        raise InputError(f"the protocol's design is {spec.name!r}, not boin-et")
    return BoinEt(
        n_doses=n_doses, target=spec.target, delta=b.delta, cohort_size=spec.cohort_size,
        max_sample_size=spec.max_sample_size, phi1=spec.phi1, phi2=spec.phi2,
        delta1=b.delta1, stop_t=spec.elimination_cutoff, stop_e=b.futility_cutoff,
        cap_per_dose=spec.cap_per_dose, estimate=b.estimate, obd_method=b.obd_method,
        w1=b.w1, w2=b.w2, psi00=b.no_response_no_dlt, psi11=b.response_dlt,
    )
