"""U-BOIN: two-stage utility-based phase I/II dose finding (one trial's decision and its OBD).

Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316. Stage I is BOIN; stage II assigns by the
posterior mean utility of a multinomial-Dirichlet model of the four toxicity x efficacy outcomes.
The rule is :func:`cartrial.design.uboin_rules.decide_rows` (arrays of trials); :meth:`Uboin.decide`
runs it on a batch of one, so a single decision and the simulator cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from cartrial.design import uboin_rules as R
from cartrial.design.state import Decision, TrialState
from cartrial.design.stopping import rule_decision
from cartrial.errors import InputError
from cartrial.protocol.model import DesignSpec

REF = "Zhou, Lee & Yuan, Stat Med 2019"


@dataclass(frozen=True)
class UboinSelection:
    """U-BOIN's optimal biological dose, the admissible set and the reason in words.

    Attributes
    ----------
    obd, estimates, reason : int or None, pandas.DataFrame, str
        0-based OBD (None when no dose is admissible); one row per dose: dose (1-based), n, dlt,
        responses, dlt_and_response, utility (posterior mean), p_overdose (P(p_T > phi_T |
        data)), p_futile (P(p_E < phi_E | data)), eliminated, admissible; the reason in words.

    Examples
    --------
    >>> d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=30)
    >>> sel = d.select(TrialState((6, 6, 6), (0, 1, 3), 2, responses=(1, 3, 4)))
    >>> sel.obd, sel.admissible
    (1, (0, 1, 2))
    """

    obd: int | None
    estimates: pd.DataFrame
    reason: str

    @property
    def admissible(self) -> tuple[int, ...]:
        """0-based admissible doses."""
        return tuple(int(j) for j in np.nonzero(self.estimates["admissible"].to_numpy())[0])


@dataclass(frozen=True)
class Uboin:
    """U-BOIN (Zhou, Lee & Yuan 2019): BOIN in stage I, posterior utility in stage II.

    Parameters
    ----------
    n_doses : int
        Number of dose levels.
    target : float
        phi_T, the highest acceptable DLT probability.
    phi_e : float
        phi_E, the lowest acceptable response probability.
    response_dlt, no_response_no_dlt : float
        Utilities (0-100) of a response with DLT and of neither; a response without DLT scores
        100 and a DLT without response 0. The joint model needs no additivity.
    prior : float
        Dirichlet parameter of each of the four outcome cells (0.25: prior mass of one patient).
    c_t, c_e : float
        Admissibility cut-offs: out when P(p_T > phi_T) > c_T or P(p_E < phi_E) > c_E; c_T is
        also BOIN's overdose-elimination cut-off.
    stage1_per_dose : int
        Stage II starts once a dose has this many patients.
    stage1_target : float or None
        Target of the stage-I BOIN boundaries (None: ``target``).
    cohort_size, max_sample_size, cap_per_dose : int
        Patients per cohort, in all, and at one dose before the trial stops (stage II).

    References
    ----------
    Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316.

    Examples
    --------
    >>> d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=30)
    >>> s = TrialState(n=(3, 0, 0), y=(0, 0, 0), responses=(1, 0, 0))
    >>> d.decide(s).next_dose
    1
    """

    n_doses: int
    target: float
    phi_e: float
    response_dlt: float = 60.0
    no_response_no_dlt: float = 40.0
    prior: float = 0.25
    c_t: float = 0.95
    c_e: float = 0.9
    stage1_per_dose: int = 9
    stage1_target: float | None = None
    cohort_size: int = 3
    max_sample_size: int | None = None
    cap_per_dose: int | None = None
    name = "u-boin"

    def __post_init__(self) -> None:
        _ = self.params.tables  # BOIN checks the stage-I target
        if self.n_doses < 1 or self.cohort_size < 1 or self.stage1_per_dose < 1:
            raise InputError("u-boin: n_doses, cohort_size and stage1_per_dose must be >= 1")
        if not 0 < self.target < 1 or not 0 < self.phi_e < 1:
            raise InputError(
                f"u-boin: target and phi_e must be in (0, 1), got {self.target!r}, {self.phi_e!r}"
            )
        for name in ("response_dlt", "no_response_no_dlt"):
            if not 0 <= getattr(self, name) <= 100:
                raise InputError(f"u-boin: {name} must be in [0, 100], got {getattr(self, name)}")
        for name in ("c_t", "c_e"):
            if not 0.5 < getattr(self, name) < 1:
                raise InputError(f"u-boin: {name} must be in (0.5, 1), got {getattr(self, name)}")
        if not self.prior > 0:
            raise InputError(f"u-boin: the Dirichlet prior must be > 0, got {self.prior!r}")
        for name in ("max_sample_size", "cap_per_dose"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise InputError(f"u-boin: {name} must be >= 1 when given, got {v!r}")

    @cached_property
    def params(self) -> R.UboinParams:
        """The rule's parameters (stage-I tables up to max(max_sample_size, 60) patients)."""
        return R.UboinParams(
            self.target,
            self.phi_e,
            (100.0, float(self.response_dlt), float(self.no_response_no_dlt), 0.0),
            float(self.prior),
            self.c_t,
            self.c_e,
            self.stage1_per_dose,
            self.target if self.stage1_target is None else self.stage1_target,
            self.cap_per_dose,
            max(self.max_sample_size or 0, 60),
        )

    @property
    def settings(self) -> dict[str, object]:
        """The design's parameters by name (outputs state them beside the results)."""
        names = (
            "target",
            "phi_e",
            "response_dlt",
            "no_response_no_dlt",
            "prior",
            "c_t",
            "c_e",
            "stage1_per_dose",
            "cohort_size",
            "max_sample_size",
            "cap_per_dose",
        )
        return {
            "design": "u-boin",
            **{k: getattr(self, k) for k in names},
            "stage1_target": self.params.stage1_target,
        }

    @property
    def additive(self) -> bool:
        """True when the utility depends on the DLT and response margins only."""
        return abs(self.response_dlt + self.no_response_no_dlt - 100) < 1e-9

    def true_utility(self, tox: np.ndarray, eff: np.ndarray, p11: np.ndarray) -> np.ndarray:
        """Expected utility of doses with P(DLT), P(response) and P(both) = ``p11``."""
        tox, eff, p11 = (np.asarray(a, dtype=float) for a in (tox, eff, p11))
        s = self.params.scores
        return s[0] * (eff - p11) + s[1] * p11 + s[2] * (1 - tox - eff + p11)

    def _arrays(self, state: TrialState, both: tuple[int, ...] | None) -> tuple[np.ndarray, ...]:
        if state.n_doses != self.n_doses:
            raise InputError(f"u-boin: state has {state.n_doses} doses, design {self.n_doses}")
        if state.responses is None and state.total_n:
            raise InputError("u-boin: the trial state needs responses per dose (efficacy)")
        n = state.n_array[None, :]
        if n.max() > self.params.n_max:
            raise InputError(
                f"u-boin: more than {self.params.n_max} patients at a dose; give max_sample_size"
            )
        yt = state.y_array[None, :]
        ye = np.asarray(state.responses or (0,) * self.n_doses, dtype=np.int64)[None, :]
        if both is None:
            if not self.additive and state.total_n:
                raise InputError(
                    "u-boin: with response_dlt + no_response_no_dlt != 100 the utility needs "
                    "the patients with both a DLT and a response per dose (dlt_and_response)"
                )
            both = tuple(int(v) for v in np.maximum(yt[0] + ye[0] - n[0], 0))
        yb = np.asarray(both, dtype=np.int64)[None, :]
        bad = (yb.shape != n.shape) | (yb < np.maximum(yt + ye - n, 0)) | (yb > np.minimum(yt, ye))
        if np.any(bad):
            raise InputError(
                f"u-boin: dlt_and_response {list(both)} must have {self.n_doses} entries, each "
                "between max(0, DLT + responses - n) and min(DLT, responses) of its dose"
            )
        return n, yt, ye, yb

    def decide(
        self, state: TrialState, dlt_and_response: tuple[int, ...] | None = None
    ) -> Decision:
        """Dose for the next cohort after the cohort just treated at ``state.current``.

        Parameters
        ----------
        state : TrialState
            Patients, DLTs and ``responses`` per dose (complete follow-up).
        dlt_and_response : tuple of int, optional
            Patients with a DLT and a response per dose; needed unless the utility is additive
            (then the margins decide and any consistent split gives the same decision).

        Returns
        -------
        Decision
            Action, next dose (None when stopping), eliminated doses, the reason in words and
            the rule id (one of ``uboin_rules.RULE_IDS`` or "stop: max sample size").

        Raises
        ------
        InputError
            Wrong number of doses, no responses, inconsistent joint counts, pending patients.
        """
        if state.pending:
            raise InputError("u-boin decides on complete follow-up: the state has pending patients")
        n, yt, ye, yb = self._arrays(state, dlt_and_response)
        d = state.current
        low = min(state.eliminated, default=self.n_doses)
        nxt, elim_low, rule = R.decide_rows(
            self.params, np.array([d]), n, yt, ye, yb, np.array([low])
        )
        code, nd, el = int(rule[0]), int(nxt[0]), int(elim_low[0])
        elim = tuple(range(el, self.n_doses))
        why = self._why(code, d, nd, n, yt, ye, yb, el)
        return rule_decision(code, R.STOPS, R.RULE_IDS, d, nd, elim, why,
                             self.max_sample_size, state.total_n)

    def _why(
        self,
        code: int,
        d: int,
        nd: int,
        n: np.ndarray,
        yt: np.ndarray,
        ye: np.ndarray,
        yb: np.ndarray,
        el: int,
    ) -> str:
        p = self.params
        head = (
            f"U-BOIN ({REF}): dose {d + 1} has {yt[0, d]} DLT and {ye[0, d]} response(s) in "
            f"{n[0, d]}"
        )
        if n.max() < p.stage1_per_dose:
            word = R.RULE_IDS[code].removeprefix("stage I: ")
            return (
                f"{head}; stage I (no dose has {p.stage1_per_dose} patients yet): BOIN at target "
                f"{p.stage1_target:g}: {word}, next dose {nd + 1}"
            )
        ok, mean = R.admissible(p, n, yt, ye, yb, np.array([el]))
        adm = ", ".join(f"dose {j + 1} {mean[0, j]:.1f}" for j in np.nonzero(ok[0])[0]) or "none"
        tail = {
            R.EXPLORE: f"the highest tried dose has a DLT rate <= lambda_e: explore dose {nd + 1}",
            R.ASSIGN: f"highest posterior mean utility: dose {nd + 1}",
            R.STOP_NONE: "no dose is admissible: stop with no OBD",
            R.STOP_CAP: f"{n[0, d]} patients at dose {d + 1} reached the cap of "
            f"{self.cap_per_dose} per dose: stop and select the OBD",
            R.STOP_FIRST: f"P(p_T > {p.stage1_target:g} | data) > {p.c_t} at dose 1: stop, "
            "no dose is safe",
        }[code]
        return (
            f"{head}; stage II: admissible doses (posterior mean utility) {adm} "
            f"[P(p_T > {self.target:g}) <= {self.c_t}, P(p_E < {self.phi_e:g}) <= {self.c_e}]; "
            + tail
        )

    def select(
        self, state: TrialState, dlt_and_response: tuple[int, ...] | None = None
    ) -> UboinSelection:
        """The OBD on complete data: the admissible dose with the highest posterior mean utility.

        Parameters
        ----------
        state : TrialState
            Counts per dose at the end of the trial, with ``responses``.
        dlt_and_response : tuple of int, optional
            As for :meth:`decide`.

        Returns
        -------
        UboinSelection
            OBD (0-based or None), estimates per dose with the admissible set, the reason.

        Raises
        ------
        InputError
            As for :meth:`decide`.
        """
        n, yt, ye, yb = self._arrays(state.completed(), dlt_and_response)
        p = self.params
        low = R.T.eliminate_rows(
            p.tables, n, yt, np.array([min(state.eliminated, default=self.n_doses)])
        )
        ok, _ = R.admissible(p, n, yt, ye, yb, low)
        mean, over, futile = R.posterior(p, n, yt, ye, yb)
        est = pd.DataFrame(
            {
                "dose": np.arange(1, self.n_doses + 1),
                "n": n[0],
                "dlt": yt[0],
                "responses": ye[0],
                "dlt_and_response": yb[0],
                "utility": mean[0],
                "p_overdose": over[0],
                "p_futile": futile[0],
                "eliminated": np.arange(self.n_doses) >= low[0],
                "admissible": ok[0],
            }
        )
        obd = int(R.best(ok, mean)[0])
        if obd == R.NO_OBD:
            return UboinSelection(
                None,
                est,
                f"no tried, non-eliminated dose is admissible "
                f"(P(p_T > {self.target:g}) <= {self.c_t} and P(p_E < "
                f"{self.phi_e:g}) <= {self.c_e}): no OBD ({REF})",
            )
        adm = ", ".join(str(j + 1) for j in np.nonzero(ok[0])[0])
        why = (
            f"OBD dose {obd + 1}: highest posterior mean utility {mean[0, obd]:.1f} among the "
            f"admissible doses {adm} (tried, not eliminated, P(p_T > {self.target:g}) <= "
            f"{self.c_t}, P(p_E < {self.phi_e:g}) <= {self.c_e}; Dirichlet({self.prior:g}) "
            f"prior on the four outcomes) ({REF})"
        )
        return UboinSelection(obd, est, why)


def uboin_from_spec(spec: DesignSpec, n_doses: int) -> Uboin:
    """A :class:`Uboin` from a protocol's design (``name: u-boin`` with its ``uboin`` block).

    Parameters
    ----------
    spec : DesignSpec
        ``target`` is phi_T and ``elimination_cutoff`` c_T; ``uboin`` holds the rest.
    n_doses : int
        Number of dose levels.

    Returns
    -------
    Uboin

    Raises
    ------
    InputError
        The design is not u-boin.
    """
    u = spec.uboin
    if spec.name != "u-boin" or u is None:
        raise InputError(f"the protocol's design is {spec.name!r}, not u-boin")
    return Uboin(
        n_doses=n_doses,
        target=spec.target,
        phi_e=u.phi_e,
        response_dlt=u.response_dlt,
        no_response_no_dlt=u.no_response_no_dlt,
        prior=u.prior,
        c_t=spec.elimination_cutoff,
        c_e=u.futility_cutoff,
        stage1_per_dose=u.stage1_per_dose,
        stage1_target=u.stage1_target,
        cohort_size=spec.cohort_size,
        max_sample_size=spec.max_sample_size,
        cap_per_dose=spec.cap_per_dose,
    )
