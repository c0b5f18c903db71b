"""The randomised ROSE stage of the example trial (scenario ``rose``, issue #20).

After the escalation has selected its dose, patients are randomised between the two doses of
the protocol's ``design.randomised_stage`` (named there, or picked by its rule from the
escalation's selection) in the order of the protocol's seeded permuted-block list
(:func:`cartrial.design.rose_spec.randomisation_list`). Each enrolled patient takes the next
position of the list at consent; a position whose arm already has its planned number of infused
patients is passed over. A patient never infused keeps the arm (``DM.ARMCD``) but does not
count, and the stage enrols until each arm has its planned number infused (or the patients
requested run out: the stage is then unfinished). Consent dates follow the pool's accrual gaps
from the escalation's selection date; the stage draws nothing of its own (the list is the
protocol's, every patient quantity the pool's). Each patient's response is the ``efficacy``
stream's draw at the dose received (:mod:`cartrial.example.boin12_efficacy`), so the stage's
truth (``truth/rose.csv``, ``truth/rose_arms.csv``) is known before any engine reads the SDTM.
Once every outcome is known (and the committee met, ``COMMITTEE_LAG_DAYS`` later) the ROSE rule
selects the higher dose when its response rate exceeds the lower dose's by more than lambda
(Wang S, Yuan Y, Liu S, Biometrics 2025;81(4):ujaf124); an expansion, when the protocol has
one, then enrols at the stage's selected dose. The example conducts one-stage ROSE designs only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.conduct.history import COMMITTEE_LAG_DAYS
from cartrial.errors import InputError
from cartrial.example.boin12_efficacy import PoolEfficacy
from cartrial.example.population import Pool
from cartrial.protocol import Protocol

NAT = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class Stage:
    """The patients enrolled in the randomised stage (enrolment order) and its selection.

    Attributes
    ----------
    pool_index, consent, apheresis, infusion : numpy.ndarray
        Pool index and dates of each enrolled patient (infusion NaT when never infused).
    dose, arm, position : numpy.ndarray
        0-based dose randomised to, "low" / "high" and the 1-based position in the list.
    responds, known_day : numpy.ndarray
        Responds (bool; False when not infused) and the day after infusion the outcome is
        known (the response visit, else the day after the efficacy window closes).
    dlt, dlt_date : numpy.ndarray
        True DLT and the date its rule is met (NaT without).
    doses, planned : tuple of int
        0-based (lower, higher) dose and planned infused patients per arm.
    boundary : float
        lambda of the ROSE rule.
    selected : int or None
        0-based dose selected (None while an arm is short of its planned patients).
    end : numpy.datetime64
        Date of the selection (last outcome known plus the committee lag), or of the last
        infusion when unfinished.
    """

    pool_index: np.ndarray
    consent: np.ndarray
    apheresis: np.ndarray
    infusion: np.ndarray
    dose: np.ndarray
    arm: np.ndarray
    position: np.ndarray
    responds: np.ndarray
    known_day: np.ndarray
    dlt: np.ndarray
    dlt_date: np.ndarray
    doses: tuple[int, int]
    planned: tuple[int, int]
    boundary: float
    selected: int | None
    end: np.datetime64

    def arrays(self) -> list[np.ndarray]:
        """The conduct's enrolment columns (pool index, consent, apheresis, infusion, dose,
        cohort 0, DLT, DLT date) of the stage's patients."""
        return [self.pool_index, self.consent, self.apheresis, self.infusion, self.dose,
                np.zeros(len(self.dose), dtype=int), self.dlt, self.dlt_date]


def stage_dose_indices(protocol: Protocol, selected: int | None) -> tuple[int, int] | None:
    """0-based (lower, higher) doses of the stage; None when the rule cannot pick them or when
    the escalation selected below the higher dose (as :mod:`cartrial.design.simulate_rose`: a
    dose found too toxic is not randomised).

    Parameters
    ----------
    protocol : Protocol
        With ``design.randomised_stage``.
    selected : int or None
        0-based dose the escalation selected.

    Returns
    -------
    tuple of int or None

    Examples
    --------
    >>> from cartrial.example.trial import conducted_protocol
    >>> from cartrial.protocol import load_protocol
    >>> p = conducted_protocol(load_protocol("ct071"), "rose")
    >>> stage_dose_indices(p, 1), stage_dose_indices(p, 0)
    ((0, 1), None)
    """
    from cartrial.conduct.rose_state import stage_doses

    ids = protocol.dose_ids
    low, high = stage_doses(protocol, None if selected is None else ids[selected])
    if low is None or selected is None or selected < ids.index(high):
        return None  # as design.simulate_rose: a dose the escalation found too toxic is not
    return ids.index(low), ids.index(high)  # randomised


def _positions(spec, planned: tuple[int, int]) -> list[str]:  # noqa: ANN001
    """The protocol's list, long enough for every patient a pool can give (prefix-stable:
    further blocks follow the same seeded generator)."""
    from cartrial.design.rose_spec import randomisation_list

    return randomisation_list(spec, 4 * planned[0] + 20, 4 * planned[1] + 20)


def enrol_stage(protocol: Protocol, pool: Pool, eff: PoolEfficacy | None, first: int,
                t0: np.datetime64, selected: int | None, n_max: int | None,
                p_dlt: np.ndarray, detect: np.ndarray) -> Stage | None:
    """Enrol the randomised stage from pool candidate ``first`` on, consents from ``t0``.

    Parameters
    ----------
    protocol : Protocol
        The protocol as conducted, with ``design.randomised_stage`` (one-stage).
    pool : Pool
        Candidate patients.
    eff : PoolEfficacy or None
        The candidates' efficacy draws (the stage decides on response).
    first : int
        Next unused pool candidate.
    t0 : numpy.datetime64
        The escalation's selection date.
    selected : int or None
        0-based dose the escalation selected.
    n_max : int or None
        Most patients to infuse in the stage (None: as planned).
    p_dlt, detect : numpy.ndarray
        True DLT probability per dose; day each candidate's DLT rule is met.

    Returns
    -------
    Stage or None
        None without a stage, or when its doses are unknown (no dose selected).

    Raises
    ------
    InputError
        No efficacy draws, or a two-stage design (not conducted by the example).

    Examples
    --------
    >>> stage = enrol_stage(protocol, pool, eff, 14, t_sel, 1, None, p_dlt, detect)
    ... # doctest: +SKIP
    >>> stage.planned, stage.selected  # doctest: +SKIP
    ((12, 12), 1)
    """
    from cartrial.design.rose_rules import select_high
    from cartrial.design.rose_spec import stage_design

    spec = protocol.design.randomised_stage
    doses = None if spec is None else stage_dose_indices(protocol, selected)
    if doses is None:
        return None
    if eff is None or spec.interim_fraction is not None:
        raise InputError("example: the randomised stage needs a scenario with eff_prob (e.g. "
                         "rose) and a one-stage design (no interim_fraction)")
    design = stage_design(spec)
    planned = (design.n_low, design.n_high)
    cap = sum(planned) if n_max is None else min(n_max, sum(planned))
    got = {"low": 0, "high": 0}
    rows: list[tuple[int, int, str]] = []  # (pool index, position, arm)
    p = first
    for pos, arm in enumerate(_positions(spec, planned), start=1):
        if sum(got.values()) >= cap:
            break
        if got[arm] >= planned[arm == "high"]:
            continue
        if p >= pool.size:
            raise InputError("example: patient pool exhausted (internal sizing error)")
        rows.append((p, pos, arm))
        got[arm] += int(not pool.not_infused[p])
        p += 1
    return _stage(rows, pool, eff, t0, doses, planned, design.boundary, p_dlt, detect,
                  select_high)


def _stage(rows, pool, eff, t0, doses, planned, boundary, p_dlt, detect, select_high
           ) -> Stage:  # noqa: ANN001
    """The stage's dates, outcomes and selection from its enrolled (pool, position, arm)."""
    sel = np.array([r[0] for r in rows], dtype=int)
    arm = np.array([r[2] for r in rows], dtype=object)
    dose = np.where(arm == "high", doses[1], doses[0]).astype(int)
    ci = t0 + np.cumsum(np.ceil(pool.gap_days[sel]).astype(int)).astype("timedelta64[D]")
    ai = ci + pool.consent_to_aph[sel].astype("timedelta64[D]")
    ii = np.where(pool.not_infused[sel], NAT, ai + pool.aph_to_inf[sel].astype("timedelta64[D]"))
    infused = ~np.isnat(ii)
    yes = infused & (eff.u[sel] < eff.p_eff[dose])
    day = np.where(yes, eff.visit_day[sel], eff.end_day + 1)
    has = infused & (pool.u_dlt[sel] < p_dlt[dose])
    dd = np.where(has, ii + detect[sel].astype("timedelta64[D]"), NAT)
    n = [int((infused & (arm == a)).sum()) for a in ("low", "high")]
    x = [int((yes & (arm == a)).sum()) for a in ("low", "high")]
    chosen, end = None, (ii[infused].max() if infused.any() else t0)
    if n == list(planned):
        chosen = doses[1] if bool(select_high(x[0], x[1], n[0], n[1], boundary)) else doses[0]
        end = (ii + day.astype("timedelta64[D]"))[infused].max() + np.timedelta64(
            COMMITTEE_LAG_DAYS, "D")
    return Stage(sel, ci, ai, ii, dose, arm, np.array([r[1] for r in rows], dtype=int), yes,
                 day, has, dd, doses, planned, float(boundary), chosen, end)


def truth(usubjid: np.ndarray, randomised: np.ndarray, infusion: np.ndarray, stage: Stage,
          protocol: Protocol) -> dict[str, pd.DataFrame]:
    """``truth/rose.csv`` (one row per randomised patient) and ``truth/rose_arms.csv`` (per
    arm: planned, infused, responders, the boundary and the dose the conduct selected).

    Parameters
    ----------
    usubjid : numpy.ndarray
        Every enrolled subject (enrolment order).
    randomised : numpy.ndarray
        Bool per enrolled subject: in the stage (the stage's patients, in its order).
    infusion : numpy.ndarray
        Infusion date per enrolled subject (as written: after any shift of the whole trial).
    stage : Stage
        The conducted stage.
    protocol : Protocol
        Dose level ids.

    Returns
    -------
    dict of str to pandas.DataFrame

    Examples
    --------
    >>> from cartrial.example import simulate_trial
    >>> from cartrial.protocol import load_protocol
    >>> t = simulate_trial(load_protocol("ct071"), scenario="rose", n_patients=14)
    >>> t.truth["rose_arms"][["arm", "ARMCD", "planned", "infused", "selected"]].values.tolist()
    [['low', 'DL1', 12, 1, ''], ['high', 'DL2', 12, 1, '']]
    """
    ids = np.array(protocol.dose_ids, dtype=object)
    inf = infusion[randomised]
    infused = ~np.isnat(inf)
    known = inf + stage.known_day.astype("timedelta64[D]")
    fmt = [str(d) if not np.isnat(d) else "" for d in known]
    per = pd.DataFrame({
        "USUBJID": usubjid[randomised], "position": stage.position, "arm": stage.arm,
        "ARMCD": ids[stage.dose], "infused": np.where(infused, "Y", "N"),
        "responds": np.where(infused, np.where(stage.responds, "Y", "N"), ""),
        "known_dtc": fmt})
    arms = []
    for j, a in enumerate(("low", "high")):
        at = infused & (stage.arm == a)
        arms.append({"arm": a, "ARMCD": ids[stage.doses[j]], "planned": stage.planned[j],
                     "infused": int(at.sum()), "responders": int((at & stage.responds).sum()),
                     "boundary": stage.boundary,
                     "selected": "" if stage.selected is None else ids[stage.selected]})
    return {"rose": per, "rose_arms": pd.DataFrame(arms)}
