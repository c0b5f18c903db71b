"""Conduct the dose finding by the protocol's own design over calendar time.

Cohorts enrol as patients arrive; a patient apheresed but never infused is replaced. At each
committee date the design's ``decide`` sees only what is known then: patients infused, DLTs whose
rule has been met by that date and, for time-to-event designs, each pending patient's follow-up
(BOIN; TITE-BOIN, Clin Cancer Res 2018). Non-TITE designs decide when the last patient of
the cohort has completed the DLT window (the committee meets ``COMMITTEE_LAG_DAYS`` later, so a
cytopenia re-checked after day 28 is known). TITE designs decide a week after the cohort's last
infusion and, when told to suspend, again at the next event (a window completing or a DLT).
A phase I/II design (BOIN12) decides on each patient's DLT and efficacy outcome
(:mod:`cartrial.example.boin12_efficacy`): it is asked when the cohort completed the DLT window
and, while an outcome at the current dose is pending, again the day after the next change of its
inputs (a DLT or a response becoming known, the efficacy window closing); the dose it selects on
complete data is the OBD. Then the expansion, if the protocol defines one, enrols at the selected
dose. These are the dates ``cartrial.conduct.history`` re-derives from the data; its first row is
dated the first informed consent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartrial.conduct.history import COMMITTEE_LAG_DAYS, TITE_FIRST_LOOK_DAYS
from cartrial.conduct.phase12_history import complete_after_days, is_phase12, selected_index
from cartrial.design import Boin, Decision, Design, PendingPatient, TiteBoin, TrialState
from cartrial.errors import InputError
from cartrial.example.boin12_efficacy import PoolEfficacy, responds
from cartrial.example.expansion import enrol_expansion, expansion_size
from cartrial.example.manufacturing import OutOfSpec
from cartrial.example.population import Pool
from cartrial.example.rose_stage import Stage, enrol_stage
from cartrial.example.scenarios import Scenario
from cartrial.protocol import Protocol

START_DATE = np.datetime64("2023-05-15", "D")


@dataclass(frozen=True)
class Enrolment:
    """Enrolled patients (indices into the pool, in order) with their dates and doses."""

    pool_index: np.ndarray
    consent: np.ndarray            # datetime64[D]
    apheresis: np.ndarray
    infusion: np.ndarray           # NaT when never infused
    dose: np.ndarray               # 0-based planned dose index
    cohort: np.ndarray             # escalation cohort number (1-based); 0 in the expansion
    expansion: np.ndarray          # bool
    dlt: np.ndarray                # bool: the patient has a DLT (true DLT, rule met)
    dlt_date: np.ndarray           # datetime64[D], NaT without DLT
    history: pd.DataFrame
    selected: int | None
    design_name: str
    received: np.ndarray | None = None     # 0-based level received (= dose unless out of spec)
    out_of_spec: np.ndarray | None = None  # bool: product out of specification, lower level
    counted: np.ndarray | None = None      # 0-based level counted at (conduct.count_dose_as)
    efficacy: PoolEfficacy | None = None   # candidates' efficacy outcomes (phase I/II designs)
    randomised: np.ndarray | None = None   # bool: in the randomised ROSE stage (example.rose_stage)
    stage: Stage | None = None             # the randomised stage as conducted


def make_design(protocol: Protocol, scenario: Scenario) -> Design:
    """The protocol's design (``design_from_spec`` when available), the scenario may rename it."""
    spec = protocol.design
    if scenario.design is not None and scenario.design != spec.name:
        spec = spec.model_copy(update={"name": scenario.design})
    k = len(protocol.dose_levels)
    try:  # the design package's factory, when it exists
        from cartrial.design import design_from_spec  # type: ignore[attr-defined]
    except ImportError:
        design_from_spec = None
    if design_from_spec is not None:
        return design_from_spec(spec, k)
    kw = {"n_doses": k, "target": spec.target, "cohort_size": spec.cohort_size,
          "cutoff": spec.elimination_cutoff, "extrasafe": spec.extrasafe,
          "cap_per_dose": spec.cap_per_dose, "max_sample_size": spec.max_sample_size,
          "phi1": spec.phi1, "phi2": spec.phi2, "backfill": spec.backfill.enabled,
          "backfill_cap": spec.backfill.max_per_dose}
    if spec.name == "boin":
        return Boin(**kw)
    if spec.name == "tite-boin":
        return TiteBoin(**kw, dlt_window=float(spec.dlt_window_days),
                        max_pending_fraction=spec.accrual.max_pending_fraction)
    raise InputError(
        f"example: design {spec.name!r} needs cartrial.design.design_from_spec, which this "
        "installation does not provide (boin and tite-boin are built in)"
    )


NAT = np.datetime64("NaT", "D")


@dataclass
class _Book:
    """The enrolment so far (lists in enrolment order) and the draws it takes patients from."""

    pool: Pool
    p_dlt: np.ndarray
    detect: np.ndarray
    oos: OutOfSpec | None
    eff: PoolEfficacy | None
    p: int = 0  # next candidate
    idx: list = field(default_factory=list)       # pool index
    consent: list = field(default_factory=list)
    aph: list = field(default_factory=list)
    inf: list = field(default_factory=list)       # NaT when never infused
    dose: list = field(default_factory=list)      # level assigned
    cohort: list = field(default_factory=list)
    dlt: list = field(default_factory=list)
    dltd: list = field(default_factory=list)      # date the DLT is known (NaT without)
    recv: list = field(default_factory=list)      # level received
    cnt: list = field(default_factory=list)       # level counted at
    bad: list = field(default_factory=list)       # product out of specification
    resp: list = field(default_factory=list)      # responds (phase I/II designs)
    eday: list = field(default_factory=list)      # day after infusion the response is known

    def take(self, t0: np.datetime64, d: int, c: int) -> tuple[np.datetime64, np.datetime64]:
        """Enrol the next candidate at dose ``d`` in cohort ``c``: (consent, infusion)."""
        pool, p = self.pool, self.p
        if p >= pool.size:
            raise InputError("example: patient pool exhausted (internal sizing error)")
        ci = t0 + np.timedelta64(int(np.ceil(pool.gap_days[p])), "D")
        ai = ci + np.timedelta64(int(pool.consent_to_aph[p]), "D")
        ii = (np.datetime64("NaT", "D") if pool.not_infused[p]
              else ai + np.timedelta64(int(pool.aph_to_inf[p]), "D"))
        has = bool(not pool.not_infused[p] and pool.u_dlt[p] < self.p_dlt[d])
        rc = (d, d, False) if self.oos is None or np.isnat(ii) else self.oos.take(d)
        yes, day = (False, 0) if self.eff is None else responds(self.eff, p, rc[0])
        for k, v in zip(("idx", "consent", "aph", "inf", "dose", "cohort", "dlt", "dltd", "recv",
                         "cnt", "bad", "resp", "eday"),
                        (p, ci, ai, ii, d, c, has, NAT, rc[0], rc[1], rc[2], yes, day),
                        strict=True):
            getattr(self, k).append(v)
        self.infuse(ii)
        self.p += 1
        return ci, ii

    def infuse(self, ii: np.datetime64) -> None:
        """(Re)date the last patient's infusion and with it the day their DLT is known."""
        self.inf[-1] = ii
        if self.dlt[-1]:
            self.dltd[-1] = ii + np.timedelta64(int(self.detect[self.idx[-1]]), "D")

    def escalation(self) -> list[tuple]:
        """(infusion, counted level, DLT known, efficacy known, responds) of infused
        escalation patients."""
        return [(i_, d_, dd, i_ + np.timedelta64(e_, "D"), r_) for i_, d_, dd, c_, e_, r_ in
                zip(self.inf, self.cnt, self.dltd, self.cohort, self.eday, self.resp,
                    strict=True) if not np.isnat(i_) and c_ > 0]


@dataclass(frozen=True)
class _Rule:
    """What the conduct needs of the design: windows and how it takes pending outcomes."""

    k: int
    window: int
    tite: bool
    phase12: bool
    complete_after: int
    lag: int

    def state(self, rows: list[tuple], t: np.datetime64, current: int,
              last: tuple[int, int, int] | None, eliminated: tuple[int, ...]) -> TrialState:
        """What the committee knows on date ``t`` (``_Book.escalation`` rows)."""
        n, y, r = (np.zeros(self.k, dtype=int) for _ in range(3))
        pending = []
        for i_, d_, dd, ek, yes in rows:
            if i_ > t:
                continue
            n[d_] += 1
            days = (t - i_).astype(int)
            dlt_known = not np.isnat(dd) and dd <= t
            if self.phase12 and (ek > t or (not dlt_known and days < self.window)):
                pending.append(PendingPatient(int(d_), float(days)))
            elif dlt_known:
                y[d_] += 1
            elif self.tite and days < self.window:
                pending.append(PendingPatient(int(d_), float(days)))
            r[d_] += int(yes and self.phase12 and ek <= t and (dlt_known or days >= self.window))
        return TrialState(n=tuple(n), y=tuple(y), current=current, pending=tuple(pending),
                          dlt_window=float(self.window), last_cohort=last,
                          eliminated=eliminated,
                          responses=tuple(int(v) for v in r) if self.phase12 else None)

    def next_event(self, rows: list[tuple], t: np.datetime64) -> np.datetime64:
        """The day after the next event after a SUSPEND at ``t`` (``conduct.history``)."""
        w = np.timedelta64(self.window, "D")
        ev = [i_ + w for i_, _, dd, _, _ in rows if (np.isnat(dd) or dd > t) and i_ + w > t]
        ev += [dd for _, _, dd, _, _ in rows if not np.isnat(dd) and dd > t]
        if self.phase12:
            ev += [ek for _, _, _, ek, _ in rows if ek > t]
        return (min(ev) if ev else t) + np.timedelta64(1, "D")


def _row(protocol: Protocol, t: np.datetime64, cohort: float, current: int, dec: Decision,
         state: TrialState) -> dict:
    """One history row (the columns of ``conduct.history``)."""
    ids = protocol.dose_ids
    row = {"date": str(t), "cohort": cohort, "current_dose": ids[current],
           "action": dec.action, "next_dose": ids[dec.next_dose] if dec.next_dose is not None
           else "", "rule": dec.rule, "reason": dec.reason,
           "eliminated": " ".join(ids[e] for e in dec.eliminated)}
    for j, did in enumerate(ids):
        row[f"n_{did}"] = state.n[j]
        row[f"dlt_{did}"] = state.y[j]
        row[f"pending_{did}"] = state.pending_at(j)[0] if state.pending else 0
    return row


def _enrol_cohort(book: _Book, t: np.datetime64, d: int, c_no: int, need: int,
                  stagger: int) -> np.datetime64:
    """Enrol ``need`` infused patients at ``d`` (the first a sentinel ``stagger`` days ahead of
    the others, those not infused replaced): the cohort's last infusion."""
    got, first_inf, t0, cohort_inf = 0, None, t, []
    while got < need:
        ci, ii = book.take(t0, d, c_no)
        t0 = ci
        if np.isnat(ii):
            continue
        if first_inf is None:
            first_inf = ii
        elif ii < first_inf + np.timedelta64(stagger, "D"):
            book.infuse(first_inf + np.timedelta64(stagger, "D"))
        cohort_inf.append(book.inf[-1])
        got += 1
    return max(cohort_inf)


def _escalate(design: Design, protocol: Protocol, rule: _Rule, book: _Book,
              cap_total: int | None) -> tuple[list[dict], np.datetime64, int, tuple, int]:
    """The escalation, a loop over committee dates: (history, last date, current dose,
    eliminated, patients infused)."""
    spec = protocol.design
    t, hist, n_inf, c_no = START_DATE, [], 0, 0
    current, last, elim = protocol.start_index, None, ()
    while True:
        rows = book.escalation()
        state = rule.state(rows, t, current, last, elim)
        dec: Decision = design.decide(state)
        elim = dec.eliminated
        enrols = dec.action not in ("stop", "suspend")
        hist.append(_row(protocol, t, c_no + 1 if enrols else np.nan, current, dec, state))
        if dec.action == "stop" or (cap_total is not None and n_inf >= cap_total):
            if dec.action != "stop":
                hist[-1].update(action="stop", rule="stop: patients requested", cohort=np.nan,
                                reason=f"{cap_total} patients requested (--patients) reached")
            return hist, t, current, elim, n_inf
        if dec.action == "suspend":
            t = rule.next_event(rows, t)
            continue
        c_no += 1
        d = int(dec.next_dose)
        need = spec.cohort_size if cap_total is None else min(spec.cohort_size,
                                                               cap_total - n_inf)
        end = _enrol_cohort(book, t, d, c_no, need, spec.accrual.stagger_days)
        n_inf += need
        current = d
        t = end + np.timedelta64(TITE_FIRST_LOOK_DAYS if rule.tite else rule.window + rule.lag,
                                 "D")
        ys = sum(1 for i_, c_, dd in zip(book.inf, book.cohort, book.dltd, strict=True)
                 if c_ == c_no and not np.isnat(i_) and not np.isnat(dd) and dd <= t)
        last = (d, need, ys)


def _select(design: Design, protocol: Protocol, rule: _Rule, book: _Book, t: np.datetime64,
            current: int, elim: tuple) -> tuple[dict, int | None, np.datetime64]:
    """The select row on complete data (the last patient's outcomes known and the committee
    met, never before ``t``): (row, selected dose, date)."""
    rows_all = [(i_, d_, dd, i_ + np.timedelta64(e_, "D"), r_) for i_, d_, dd, e_, r_ in
                zip(book.inf, book.cnt, book.dltd, book.eday, book.resp, strict=True)
                if not np.isnat(i_)]
    t_final = max([a for a, *_ in rows_all], default=t) + np.timedelta64(
        rule.complete_after + rule.lag, "D")
    t_sel = max(t, t_final)
    k = rule.k
    n, y, r = (np.zeros(k, dtype=int) for _ in range(3))
    for _, d_, dd, _, yes in rows_all:
        n[d_] += 1
        y[d_] += 0 if np.isnat(dd) else 1
        r[d_] += int(yes)
    final = TrialState(n=tuple(n), y=tuple(y), current=current, eliminated=elim,
                       responses=tuple(int(v) for v in r) if rule.phase12 else None)
    sel = design.select(final) if final.total_n > 0 else None
    selected = None if sel is None else selected_index(sel)
    ids = protocol.dose_ids
    return ({"date": str(t_sel), "cohort": np.nan, "current_dose": ids[current],
             "action": "select", "next_dose": "" if selected is None else ids[selected],
             "rule": "select", "reason": "" if sel is None else sel.reason,
             "eliminated": " ".join(ids[e] for e in elim),
             **{f"n_{did}": int(n[j]) for j, did in enumerate(ids)},
             **{f"dlt_{did}": int(y[j]) for j, did in enumerate(ids)},
             **{f"pending_{did}": 0 for did in ids}}, selected, t_sel)


def conduct_trial(rng: np.random.Generator, protocol: Protocol, scenario: Scenario, pool: Pool,
                  n_patients: int | None,
                  manufacturing: np.random.Generator | None = None,
                  efficacy: PoolEfficacy | None = None) -> Enrolment:
    """Run the escalation (a loop over committee dates) and the expansion (vectorised).

    Parameters
    ----------
    rng : numpy.random.Generator
        The ``conduct`` stream (the conduct itself draws nothing: every draw is the pool's).
    protocol : Protocol
        The protocol as conducted (``conducted``), its design deciding.
    scenario : Scenario
        True DLT probabilities per dose.
    pool : Pool
        Candidate patients in enrolment order.
    n_patients : int or None
        Patients infused in all (None: the design's escalation and the protocol's expansion).
    manufacturing : numpy.random.Generator, optional
        The stream of the out-of-specification product (:mod:`cartrial.example.manufacturing`);
        None: every product is within specification. A patient counts in the design's state at
        the level ``conduct.count_dose_as`` says.
    efficacy : PoolEfficacy, optional
        Each candidate's efficacy outcome (:mod:`cartrial.example.boin12_efficacy`): needed by
        a phase I/II design, which decides on it.

    Returns
    -------
    Enrolment

    Raises
    ------
    InputError
        A design the example cannot conduct, or a phase I/II design without ``efficacy``.
    """
    design = make_design(protocol, scenario)
    k = len(protocol.dose_levels)
    rule = _Rule(k, protocol.design.dlt_window_days, design.name.startswith("tite"),
                 is_phase12(protocol), complete_after_days(protocol), COMMITTEE_LAG_DAYS)
    if rule.phase12 and (efficacy is None or design.name not in ("boin12", "boin-et")):
        raise InputError(f"example: design {design.name!r} decides on efficacy; the example "
                         "conducts boin12 / boin-et with a scenario that gives eff_prob (e.g. "
                         "boin12, boin-et)")
    oos = OutOfSpec(manufacturing, protocol) if manufacturing is not None else None
    book = _Book(pool, np.asarray(scenario.dose_value(scenario.dlt_prob, k)),
                 pool.dlt_detect_day(), oos, efficacy)
    hist, t, current, elim, n_inf = _escalate(design, protocol, rule, book, n_patients)
    sel_row, selected, t_sel = _select(design, protocol, rule, book, t, current, elim)
    hist.append(sel_row)
    arrays = [np.asarray(v) for v in (book.idx, book.consent, book.aph, book.inf, book.dose,
                                      book.cohort, book.dlt, book.dltd)]
    stage = enrol_stage(protocol, book.pool, efficacy, book.p, t_sel, selected,
                        None if n_patients is None else max(n_patients - n_inf, 0),
                        book.p_dlt, book.detect)
    n_rnd = 0 if stage is None else int((~np.isnat(stage.infusion)).sum())
    if stage is not None:  # the randomised stage, then the expansion at its selected dose
        arrays = [np.concatenate([a.astype(b.dtype) if len(a) else a, b]) if len(a) else b
                  for a, b in zip(arrays, stage.arrays(), strict=True)]
        book.p, t_sel = book.p + len(stage.dose), stage.end
    n_exp, exp_dose = expansion_size(protocol, n_patients, n_inf + n_rnd,
                                      selected if stage is None else stage.selected)
    if n_exp > 0 and exp_dose is not None:
        arrays = enrol_expansion(arrays, pool, book.p, n_exp, exp_dose, t_sel,
                            protocol.design.accrual.patients_per_month, book.p_dlt, book.detect)
    pi, ci, ai, ii, di, coh, dl, dd = arrays
    if book.consent:  # the study opens with the first informed consent (conduct.history)
        hist[0]["date"] = str(book.consent[0])
    new = di[len(book.recv):].astype(int)  # expansion patients: full dose at their level
    rnd = np.zeros(len(pi), dtype=bool)
    rnd[len(book.recv):len(book.recv) + (0 if stage is None else len(stage.dose))] = True
    return Enrolment(pi.astype(int), ci.astype("datetime64[D]"), ai.astype("datetime64[D]"),
                     ii.astype("datetime64[D]"), di.astype(int), coh.astype(int),
                     (coh == 0) & ~rnd,
                     dl.astype(bool), dd.astype("datetime64[D]"), pd.DataFrame(hist), selected,
                     design.name, np.concatenate([np.asarray(book.recv, dtype=int), new]),
                     np.concatenate([np.asarray(book.bad, dtype=bool),
                                     np.zeros(len(new), bool)]),
                     np.concatenate([np.asarray(book.cnt, dtype=int), new]), efficacy,
                     rnd if stage is not None else None, stage)

