"""Conduct the dose finding by the protocol's own design over calendar time.

Cohorts enrol as patients arrive; a patient apheresed but never infused is replaced. At each
committee date the design's ``decide`` sees only what is known then: patients infused, DLTs whose
rule has been met by that date and, for time-to-event designs, each pending patient's follow-up
(BOIN; TITE-BOIN, Clin Cancer Res 2018). Non-TITE designs decide when the last patient of
the cohort has completed the DLT window (the committee meets ``COMMITTEE_LAG_DAYS`` later, so a
cytopenia re-checked after day 28 is known). TITE designs decide a week after the cohort's last
infusion and, when told to suspend, again at the next event (a window completing or a DLT).
Then the expansion, if the protocol defines one, enrols at the selected dose. These are the dates
``cartrial.conduct.history`` re-derives from the data; its first row is dated the first informed
consent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.conduct.history import COMMITTEE_LAG_DAYS, TITE_FIRST_LOOK_DAYS
from cartrial.design import Boin, Decision, Design, PendingPatient, TiteBoin, TrialState
from cartrial.errors import InputError
from cartrial.example.manufacturing import OutOfSpec
from cartrial.example.population import Pool
from cartrial.example.scenarios import Scenario
from cartrial.protocol import Protocol

START_DATE = np.datetime64("2023-05-15", "D")
EXPANSION_MAX_MONTHS = 12.0


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


def _state(design: Design, t: np.datetime64, inf: list, dose: list, dlt_date: list,
           k: int, window: int, current: int, last: tuple[int, int, int] | None,
           eliminated: tuple[int, ...], tite: bool) -> TrialState:
    """What the committee knows on date ``t``."""
    n = np.zeros(k, dtype=int)
    y = np.zeros(k, dtype=int)
    pending = []
    for i_, d_, dd in zip(inf, dose, dlt_date, strict=True):
        if i_ > t:
            continue
        n[d_] += 1
        if not np.isnat(dd) and dd <= t:
            y[d_] += 1
        elif tite and (t - i_).astype(int) < window:
            pending.append(PendingPatient(int(d_), float((t - i_).astype(int))))
    return TrialState(n=tuple(n), y=tuple(y), current=current, pending=tuple(pending),
                      dlt_window=float(window), last_cohort=last, eliminated=eliminated)


def conduct_trial(rng: np.random.Generator, protocol: Protocol, scenario: Scenario, pool: Pool,
                  n_patients: int | None,
                  manufacturing: np.random.Generator | None = None) -> Enrolment:
    """Run the escalation (a loop over committee dates) and the expansion (vectorised).

    ``manufacturing``: the stream of the out-of-specification product
    (:mod:`cartrial.example.manufacturing`); None: every product is within specification. A
    patient counts in the design's state at the level ``conduct.count_dose_as`` says.
    """
    design = make_design(protocol, scenario)
    oos = OutOfSpec(manufacturing, protocol) if manufacturing is not None else None
    tite = design.name.startswith("tite")
    k = len(protocol.dose_levels)
    spec = protocol.design
    window = spec.dlt_window_days
    p_dlt = np.asarray(scenario.dose_value(scenario.dlt_prob, k))
    detect = pool.dlt_detect_day()
    cap_total = n_patients if n_patients is not None else None

    idx: list[int] = []
    consent: list = []
    aph: list = []
    inf: list = []
    dose: list[int] = []
    cohort: list[int] = []
    dlt: list[bool] = []
    dltd: list = []
    recv: list[int] = []
    bad: list[bool] = []
    cnt: list[int] = []
    hist: list[dict] = []
    p = 0
    t = START_DATE
    state = TrialState.empty(k, protocol.start_index)
    current, last, elim = protocol.start_index, None, ()
    n_inf = 0
    c_no = 0

    def take(t0: np.datetime64, d: int, c: int) -> tuple[np.datetime64, np.datetime64]:
        nonlocal p
        if p >= pool.size:
            raise InputError("example: patient pool exhausted (internal sizing error)")
        ci = t0 + np.timedelta64(int(np.ceil(pool.gap_days[p])), "D")
        ai = ci + np.timedelta64(int(pool.consent_to_aph[p]), "D")
        ii = (np.datetime64("NaT", "D") if pool.not_infused[p]
              else ai + np.timedelta64(int(pool.aph_to_inf[p]), "D"))
        has = bool(not pool.not_infused[p] and pool.u_dlt[p] < p_dlt[d])
        idx.append(p)
        consent.append(ci)
        aph.append(ai)
        inf.append(ii)
        dose.append(d)
        cohort.append(c)
        dlt.append(has)
        dltd.append(ii + np.timedelta64(int(detect[p]), "D") if has else np.datetime64("NaT", "D"))
        rc = (d, d, False) if oos is None or np.isnat(ii) else oos.take(d)
        recv.append(rc[0])
        cnt.append(rc[1])
        bad.append(rc[2])
        p += 1
        return ci, ii

    while True:
        infused = [(i_, d_, dd) for i_, d_, dd, c_ in zip(inf, cnt, dltd, cohort, strict=True)
                   if not np.isnat(i_) and c_ > 0]
        state = _state(design, t, [a for a, _, _ in infused], [b for _, b, _ in infused],
                       [c for _, _, c in infused], k, window, current, last, elim, tite)
        dec: Decision = design.decide(state)
        elim = dec.eliminated
        row = {"date": str(t), "cohort": c_no + 1 if dec.action not in ("stop", "suspend")
               else np.nan, "current_dose": protocol.dose_ids[current],
               "action": dec.action, "next_dose": (protocol.dose_ids[dec.next_dose]
                                                   if dec.next_dose is not None else ""),
               "rule": dec.rule, "reason": dec.reason,
               "eliminated": " ".join(protocol.dose_ids[e] for e in dec.eliminated)}
        for j, did in enumerate(protocol.dose_ids):
            row[f"n_{did}"] = state.n[j]
            row[f"dlt_{did}"] = state.y[j]
            row[f"pending_{did}"] = state.pending_at(j)[0] if state.pending else 0
        if dec.action == "stop" or (cap_total is not None and n_inf >= cap_total):
            if dec.action != "stop":
                row.update(action="stop", rule="stop: patients requested",
                           reason=f"{cap_total} patients requested (--patients) reached")
                row["cohort"] = np.nan
            hist.append(row)
            break
        if dec.action == "suspend":
            hist.append(row)
            ev = [i_ + np.timedelta64(window, "D") for i_, _, dd in infused
                  if (np.isnat(dd) or dd > t) and i_ + np.timedelta64(window, "D") > t]
            ev += [dd for _, _, dd in infused if not np.isnat(dd) and dd > t]
            if not ev:  # nothing left to wait for: treat as complete follow-up
                t = t + np.timedelta64(1, "D")
            else:
                t = min(ev) + np.timedelta64(1, "D")
            continue
        hist.append(row)
        c_no += 1
        d = int(dec.next_dose)
        need = spec.cohort_size
        if cap_total is not None:
            need = min(need, cap_total - n_inf)
        got = 0
        first_inf = None
        t0 = t
        cohort_inf = []
        while got < need:
            ci, ii = take(t0, d, c_no)
            t0 = ci
            if np.isnat(ii):
                continue
            if first_inf is None:
                first_inf = ii
            elif ii < first_inf + np.timedelta64(spec.accrual.stagger_days, "D"):
                ii = first_inf + np.timedelta64(spec.accrual.stagger_days, "D")
                inf[-1] = ii
                if dlt[-1]:
                    dltd[-1] = ii + np.timedelta64(int(detect[idx[-1]]), "D")
            cohort_inf.append(ii)
            got += 1
        n_inf += got
        current, last = d, (d, got, 0)
        # last_cohort DLT count is what is known at the next decision; refreshed below
        end = max(cohort_inf)
        if tite:
            t = end + np.timedelta64(TITE_FIRST_LOOK_DAYS, "D")
        else:
            t = end + np.timedelta64(window + COMMITTEE_LAG_DAYS, "D")
        ys = sum(1 for i_, c_, dd in zip(inf, cohort, dltd, strict=True)
                 if c_ == c_no and not np.isnat(i_) and not np.isnat(dd) and dd <= t)
        last = (d, got, ys)

    # final, complete data for the selection
    infused = [(i_, d_, dd) for i_, d_, dd, c_ in zip(inf, cnt, dltd, cohort, strict=True)
               if not np.isnat(i_)]
    # complete data: the last patient's window closed and the committee met (never before t)
    t_final = max([a for a, _, _ in infused], default=t) + np.timedelta64(
        window + COMMITTEE_LAG_DAYS, "D")
    t_sel = max(t, t_final)
    n = np.zeros(k, dtype=int)
    y = np.zeros(k, dtype=int)
    for _, d_, dd in infused:
        n[d_] += 1
        y[d_] += 0 if np.isnat(dd) else 1
    final = TrialState(n=tuple(n), y=tuple(y), current=current, eliminated=elim)
    sel = design.select(final) if final.total_n > 0 else None
    selected = None if sel is None else sel.mtd
    hist.append({"date": str(t_sel), "cohort": np.nan, "current_dose": protocol.dose_ids[current],
                 "action": "select", "next_dose": "" if selected is None
                 else protocol.dose_ids[selected], "rule": "select",
                 "reason": "" if sel is None else sel.reason,
                 "eliminated": " ".join(protocol.dose_ids[e] for e in elim),
                 **{f"n_{did}": int(n[j]) for j, did in enumerate(protocol.dose_ids)},
                 **{f"dlt_{did}": int(y[j]) for j, did in enumerate(protocol.dose_ids)},
                 **{f"pending_{did}": 0 for did in protocol.dose_ids}})

    # expansion: vectorised over patients
    exp = spec.expansion
    n_exp = 0
    if cap_total is not None:
        n_exp = max(cap_total - n_inf, 0)
    elif exp is not None:
        n_exp = exp.patients
    exp_dose = None
    if exp is not None and exp.dose != "selected":
        if exp.dose not in protocol.dose_ids:
            raise InputError(f"design.expansion.dose {exp.dose!r} is not a dose level id")
        exp_dose = protocol.dose_ids.index(exp.dose)
    elif selected is not None:
        exp_dose = selected
    if cap_total is not None and exp is None and selected is not None:
        exp_dose = selected
    arrays = [np.asarray(v) for v in (idx, consent, aph, inf, dose, cohort, dlt, dltd)]
    if n_exp > 0 and exp_dose is not None:
        arrays = _expansion(arrays, pool, p, n_exp, exp_dose, t_sel,
                            spec.accrual.patients_per_month, p_dlt, detect)
    pi, ci, ai, ii, di, coh, dl, dd = arrays
    if consent:  # the study opens with the first informed consent (conduct.history)
        hist[0]["date"] = str(consent[0])
    hist_df = pd.DataFrame(hist)
    n_new = len(pi) - len(recv)  # expansion patients: full dose at their level
    received = np.concatenate([np.asarray(recv, dtype=int), di[len(recv):].astype(int)])
    return Enrolment(pi.astype(int), ci.astype("datetime64[D]"), ai.astype("datetime64[D]"),
                     ii.astype("datetime64[D]"), di.astype(int), coh.astype(int), coh == 0,
                     dl.astype(bool), dd.astype("datetime64[D]"), hist_df, selected, design.name,
                     received, np.concatenate([np.asarray(bad, dtype=bool), np.zeros(n_new, bool)]),
                     np.concatenate([np.asarray(cnt, dtype=int), di[len(recv):].astype(int)]))


def _expansion(arrays: list[np.ndarray], pool: Pool, p: int, n_exp: int, d: int,
               t0: np.datetime64, rate: float, p_dlt: np.ndarray,
               detect: np.ndarray) -> list[np.ndarray]:
    """Enrol patients at dose ``d`` until ``n_exp`` are infused (replacing those not infused)."""
    avail = np.arange(p, pool.size)
    inf_ok = ~pool.not_infused[avail]
    csum = np.cumsum(inf_ok)
    stop = int(np.searchsorted(csum, n_exp)) + 1
    if csum[-1] < n_exp:
        raise InputError("example: patient pool exhausted (internal sizing error)")
    sel = avail[:stop]
    speed = max(1.0, n_exp / EXPANSION_MAX_MONTHS / rate)
    gaps = np.ceil(pool.gap_days[sel] / speed).astype(int)
    ci = t0 + np.cumsum(gaps).astype("timedelta64[D]")
    ai = ci + pool.consent_to_aph[sel].astype("timedelta64[D]")
    ii = ai + pool.aph_to_inf[sel].astype("timedelta64[D]")
    ii = np.where(pool.not_infused[sel], np.datetime64("NaT", "D"), ii)
    has = ~pool.not_infused[sel] & (pool.u_dlt[sel] < p_dlt[d])
    dd = np.where(has, ii + detect[sel].astype("timedelta64[D]"), np.datetime64("NaT", "D"))
    new = [sel, ci, ai, ii, np.full(len(sel), d), np.zeros(len(sel), dtype=int), has, dd]
    return [np.concatenate([a.astype(b.dtype) if len(a) else a, b]) if len(a) else b
            for a, b in zip(arrays, new, strict=True)]
