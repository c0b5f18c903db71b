"""The escalation history re-derived from the data: each decision as known on its date.

Built from the recorded parts and cohorts (``SUPPDM`` ``PART`` / ``COHORT``, docs/data-model.md):
only escalation (and sentinel / backfill) patients enter; expansion patients never do. Each row is
the protocol design's decision on the data known on that date (``decide_study`` at that cut-off).

When no committee record gives the meeting dates (``decisions_on`` takes them), the dates follow
the conduct rule the example trial is run by:

- the study opens on the first informed consent of an escalation patient (the design's start:
  treat the first cohort at the starting dose);
- after each escalation cohort (cohorts in the order of their first infusion), a non-TITE design
  decides ``COMMITTEE_LAG_DAYS`` after the cohort's last patient completes the DLT window; a TITE
  design ``TITE_FIRST_LOOK_DAYS`` after the cohort's last infusion;
- after a SUSPEND, the design decides again the day after the next event: a pending patient's
  window closing or a DLT becoming known (the first cut-off at which the safety engine
  adjudicates it); for a phase I/II design also a response becoming known, an efficacy window
  closing or a patient entering (``conduct.phase12_history``);
- after a STOP, the dose is selected on complete data: ``COMMITTEE_LAG_DAYS`` after the last
  escalation patient completes the window (and a phase I/II design's efficacy window); the dose
  selected is the OBD for a phase I/II design.

A decision date is never later than the first informed consent of the next recorded cohort (the
decision was taken before it enrolled).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from cartrial.conduct.from_study import dlt_status, escalation_subjects
from cartrial.conduct.known_on import KnownOn, active, known_on
from cartrial.conduct.phase12_history import (
    complete_after_days,
    is_phase12,
    next_input_change,
    selected_index,
)
from cartrial.conduct.recommend import Recommendation, recommend
from cartrial.data import Study
from cartrial.protocol import Protocol

COMMITTEE_LAG_DAYS = 3
TITE_FIRST_LOOK_DAYS = 7
BASIS = "re-derived from the data"
DAY = pd.Timedelta(days=1)
#: the last few full histories, keyed by the study's input files (and a fingerprint of what a
#: snapshot would change) and the protocol; studies built in memory (no files) are not cached
_CACHE: dict[tuple, pd.DataFrame] = {}
_CACHE_SIZE = 4


def _cache_key(study: Study, protocol: Protocol) -> tuple | None:
    if not study.file_hashes:
        return None
    shape = tuple((n, study.records(n)) for n in sorted(study.domains))
    blanks = tuple(int(study.domains[n].notna().to_numpy().sum())
                   for n in ("DM", "AE", "CM", "EX") if n in study.domains)
    return study.data_hash, shape, blanks, protocol.model_dump_json()


def cohorts(study: Study, esc: pd.DataFrame | None = None) -> pd.DataFrame:
    """Escalation cohorts in order of first infusion: id, dose, patients, first / last infusion.

    Backfill patients are not cohorts of the escalation; a cohort with no infused patient
    (every patient replaced) is left out.

    Parameters
    ----------
    study : Study
        The SDTM study; cohorts come from the subjects' assignment and EX infusion dates.
    esc : pandas.DataFrame, optional
        ``escalation_subjects(study)`` when already read.

    Returns
    -------
    pandas.DataFrame
        One row per cohort: ``COHORT``, ``DOSE_LEVEL`` (dose level id), ``PATIENTS`` (infused),
        ``FIRST_INFUSION``, ``LAST_INFUSION``, ``FIRST_CONSENT``.

    Examples
    --------
    >>> from cartrial import data, example, protocol
    >>> trial = example.simulate_trial(protocol.load_protocol("ct071"), n_patients=6)
    >>> cohorts(data.Study(trial.domains))[["COHORT", "DOSE_LEVEL", "PATIENTS"]].values.tolist()
    [['C01', 'DL1', 3], ['C02', 'DL2', 3]]
    """
    esc = escalation_subjects(study) if esc is None else esc
    esc = esc[esc["INFUSION_DATE"].notna() & (esc["BACKFILL"] != "Y")].copy()
    esc["COHORT"] = esc["COHORT"].fillna("(none)")
    first_consent = esc.groupby("COHORT")["CONSENT_DATE"].min()
    g = esc.groupby("COHORT").agg(DOSE_LEVEL=("ASSIGNED_LEVEL", "first"),
                                  PATIENTS=("USUBJID", "size"),
                                  FIRST_INFUSION=("INFUSION_DATE", "min"),
                                  LAST_INFUSION=("INFUSION_DATE", "max"))
    g["FIRST_CONSENT"] = first_consent.reindex(g.index)
    g = g.reset_index().sort_values(["FIRST_INFUSION", "COHORT"], kind="stable")
    return g.reset_index(drop=True)


def _row(t: pd.Timestamp, rec: Recommendation, protocol: Protocol) -> dict:
    d = rec.decision
    ids = protocol.dose_ids
    row = {"date": t.date().isoformat(), "cohort": np.nan, "current_dose": ids[rec.state.current],
           "action": d.action, "next_dose": ids[d.next_dose] if d.next_dose is not None else "",
           "rule": d.rule, "reason": d.reason,
           "eliminated": " ".join(ids[e] for e in d.eliminated)}
    for j, did in enumerate(ids):
        row[f"n_{did}"] = rec.state.n[j]
        row[f"dlt_{did}"] = rec.state.y[j]
        row[f"pending_{did}"] = rec.state.pending_at(j)[0] if rec.state.pending else 0
    return row


def decisions_on(study: Study, protocol: Protocol, dates: Iterable[date | str]) -> pd.DataFrame:
    """The design's decision on the escalation data known at each of ``dates`` (e.g. the
    committee's meeting cut-offs from its own record), one row per date in the history's
    columns (``date``, ``current_dose``, ``action``, ``next_dose``, ``rule``, ``reason``,
    ``eliminated``, ``n_<dose>``, ``dlt_<dose>``, ``pending_<dose>``, ``basis``).

    Parameters
    ----------
    study : Study
        The SDTM study.
    protocol : Protocol
        The protocol the trial is conducted with.
    dates : iterable of datetime.date or str
        Cut-off dates (ISO 8601), in time order: a dose eliminated at one carries to the next.

    Returns
    -------
    pandas.DataFrame
        One row per date; ``n_<dose>`` / ``dlt_<dose>`` / ``pending_<dose>`` count patients
        treated, with a DLT and still in the DLT window at each dose level.

    Examples
    --------
    Needs a whole trial on disk (SDTM as loaded by ``load_study``), so not run here:

    >>> decisions_on(study, protocol, ["2023-06-01", "2023-09-01"])  # doctest: +SKIP
    """
    rows, elim = [], ()
    k = active(study, protocol) or KnownOn(study, protocol)
    study = k.study
    with known_on(k, cutting=True):
        for d in dates:
            t = pd.Timestamp(d).normalize()
            rec = recommend(dlt_status(study, protocol, t), protocol, eliminated=elim)
            elim = tuple(rec.decision.eliminated)
            rows.append(_row(t, rec, protocol))
    return _frame(rows, protocol)


def _frame(rows: list[dict], protocol: Protocol) -> pd.DataFrame:
    cols = ["date", "cohort", "current_dose", "action", "next_dose", "rule", "reason",
            "eliminated"] + [f"{v}_{d}" for d in protocol.dose_ids
                             for v in ("n", "dlt", "pending")]
    out = pd.DataFrame(rows, columns=cols + ["cohort_id", "recorded_dose"])
    out["basis"] = BASIS
    return out


def _dlt_set(p: pd.DataFrame) -> frozenset[str]:
    return frozenset(p.loc[p["DLT"] == "yes", "USUBJID"]) if len(p) else frozenset()


def _next_look(study: Study, protocol: Protocol, t: pd.Timestamp,
               patients: pd.DataFrame) -> pd.Timestamp | None:
    """The day after the next event following a SUSPEND at ``t`` (module docstring); None when
    no patient is inside the window any more (the suspension waits on data not yet recorded,
    e.g. a laboratory value after day 28)."""
    window = pd.Timedelta(days=protocol.design.dlt_window_days)
    open_ = patients[(patients["DLT"] != "yes")
                     & (patients["INFUSION_DATE"] + window > t)] if len(patients) else patients
    if not len(open_):  # nothing left to wait for in the data: the history ends here
        return None
    hi = (open_["INFUSION_DATE"] + window).min()
    known = _dlt_set(patients)
    if _dlt_set(dlt_status(study, protocol, hi)) == known:
        return hi + DAY
    lo = t  # the DLT set differs at hi but not at lo: first date it differs, by bisection
    while (hi - lo).days > 1:
        mid = lo + pd.Timedelta(days=(hi - lo).days // 2)
        if _dlt_set(dlt_status(study, protocol, mid)) == known:
            lo = mid
        else:
            hi = mid
    return hi + DAY


def escalation_history(study: Study, protocol: Protocol, *,
                       until: date | str | None = None) -> pd.DataFrame:
    """The escalation history re-derived from the data (module docstring for the dates).

    Parameters
    ----------
    study : Study
        The study (validated), with its parts and cohorts recorded in SUPPDM.
    protocol : Protocol
        The protocol the trial was conducted with (the example writes it as protocol.yaml).
    until : date or str, optional
        Only decisions taken on or before this date (the history as known then).

    Returns
    -------
    pandas.DataFrame
        One row per decision: ``date``, ``cohort`` (number of the cohort the decision enrols,
        empty for suspend / stop / select), ``current_dose``, ``action``, ``next_dose``,
        ``rule``, ``reason``, ``eliminated``, per dose ``n_<id>`` (patients), ``dlt_<id>``,
        ``pending_<id>``; ``cohort_id`` and ``recorded_dose`` (the next cohort as recorded: a
        difference from ``next_dose`` is a departure from the design) and ``basis``
        ("re-derived from the data"). Columns up to ``pending_<id>`` are those of the example's
        ``truth/escalation.csv``.

    Raises
    ------
    InputError
        Data the engines cannot use (see ``conduct.dlt_status``).

    Examples
    --------
    >>> escalation_history(load_study("sdtm"), load_protocol("sdtm/protocol.yaml"))
    ... # doctest: +SKIP
    """
    end = pd.Timestamp(until).normalize() if until is not None else None
    key = _cache_key(study, protocol)  # decisions up to ``until`` are the full history's
    full = _CACHE.get(key) if key is not None else None
    if full is None:
        k = active(study, protocol) or KnownOn(study, protocol)
        with known_on(k, cutting=True):  # the safety inputs built once, cut per date
            full = _history(k.study, protocol)
        if key is not None:
            while len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = full
    return full.copy() if end is None else full[pd.to_datetime(full["date"]) <= end].copy()


def _history(study: Study, protocol: Protocol) -> pd.DataFrame:
    """The whole history (every decision the data support), for ``escalation_history``."""
    end = None
    k = active(study, protocol)
    esc = k.escalation(study) if k is not None else escalation_subjects(study)
    coh = cohorts(study, esc)
    opened = esc["CONSENT_DATE"].min()
    if pd.isna(opened):
        opened = coh["FIRST_INFUSION"].min() if len(coh) else pd.NaT
    if pd.isna(opened) or (end is not None and opened > end):
        return _frame([], protocol)
    tite = protocol.design.name.startswith("tite")
    window = protocol.design.dlt_window_days
    rec = recommend(dlt_status(study, protocol, opened), protocol)
    rows = [_row(opened, rec, protocol)]
    _enrols(rows[-1], coh, 0)
    elim = tuple(rec.decision.eliminated)
    for c in range(len(coh)):
        nxt = coh["FIRST_CONSENT"].iloc[c + 1] if c + 1 < len(coh) else pd.NaT
        gap = TITE_FIRST_LOOK_DAYS if tite else window + COMMITTEE_LAG_DAYS
        t = coh["LAST_INFUSION"].iloc[c] + pd.Timedelta(days=gap)
        while end is None or t <= end:
            t = min(t, nxt) if pd.notna(nxt) else t
            patients = dlt_status(study, protocol, t)
            rec = recommend(patients, protocol, eliminated=elim)
            elim = tuple(rec.decision.eliminated)
            rows.append(_row(t, rec, protocol))
            action = rec.decision.action
            if action == "suspend" and not (pd.notna(nxt) and t >= nxt):
                t = (next_input_change if is_phase12(protocol) else _next_look)(
                    study, protocol, t, patients)
                if t is None:
                    return _frame(rows, protocol)
                continue
            if action == "stop":
                rows += _selection(study, protocol, t, coh, elim, end, patients)
                return _frame(rows, protocol)
            if action != "suspend":
                _enrols(rows[-1], coh, c + 1)
            break
        else:
            break
    return _frame(rows, protocol)


def _enrols(row: dict, coh: pd.DataFrame, c: int) -> None:
    """Number the cohort an enrolling decision treats, with the cohort recorded next."""
    row["cohort"] = c + 1
    if c < len(coh):
        row["cohort_id"] = coh["COHORT"].iloc[c]
        row["recorded_dose"] = coh["DOSE_LEVEL"].iloc[c]


def _selection(study: Study, protocol: Protocol, t: pd.Timestamp, coh: pd.DataFrame,
               elim: tuple[int, ...], end: pd.Timestamp | None,
               at_stop: pd.DataFrame) -> list[dict]:
    """The select row: the design's selection on complete escalation data (``at_stop``: the
    DLT status at the stop date ``t``, which is the data when the selection falls on it)."""
    window = complete_after_days(protocol)  # the DLT window (and a phase I/II design's efficacy)
    t_sel = max(t, coh["LAST_INFUSION"].max() + pd.Timedelta(days=window + COMMITTEE_LAG_DAYS))
    if end is not None and t_sel > end:
        return []
    from cartrial.design.factory import design_from_spec

    patients = at_stop if t_sel == t else dlt_status(study, protocol, t_sel)
    rec = recommend(patients, protocol, eliminated=elim)
    state = replace(rec.state, pending=(), eliminated=elim)
    sel = design_from_spec(protocol.design, len(protocol.dose_levels)).select(state)
    row = _row(t_sel, rec, protocol)
    ids = protocol.dose_ids
    row.update(action="select", rule="select", cohort=np.nan, reason=sel.reason,
               next_dose="" if selected_index(sel) is None else ids[selected_index(sel)],
               eliminated=" ".join(ids[e] for e in elim),
               **{f"pending_{d}": 0 for d in ids})
    return [row]
