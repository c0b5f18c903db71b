"""DLT adjudication: the protocol's DLT rules (data) over each patient's graded events.

DLT criteria: assumption of the synthetic example; rules are :class:`cartrial.protocol.DltRule`
rows of the protocol's ``dlt`` section, never code. Inputs are tidy frames:

``events`` (one row per grade change of one event)
    USUBJID; EVENT_ID (rows of one event share it); CATEGORY (CRS, ICANS, HEMATOLOGIC,
    NON_HEMATOLOGIC); TERM (AEDECOD / CTCAE term); DAY (days since infusion at which the event
    has grade GRADE); GRADE (0-5; 0 = resolved); optional END_DAY (on the last row of an event:
    the day it ended; date-only records should give the day after the last day with the event);
    optional RELATED (Y/N, relation to the product; missing = not related).

``followup`` (one row per infused patient)
    USUBJID; FOLLOWUP_DAY (last day of follow-up since infusion: data cut-off, death or
    withdrawal, whichever first); optional DEATH_DAY, WITHDRAWN (Y/N), DOSE_LEVEL and
    DLT_DOSE_LEVEL (the level the patient counts at for DLT evaluability when the protocol
    counts a product out of specification elsewhere than as treated; it is then the
    ``DOSE_LEVEL`` of the result).

Timeline semantics: a row's grade holds from its DAY until the next row of the same event (the
grade is carried forward to the next assessment); the last row holds until END_DAY, or while
the event is ongoing until FOLLOWUP_DAY. Rule forms (``DurationCondition``):
``not_resolving_to_grade`` T within H hours -> the first time at grade >= min_grade to the first
later time at grade <= T exceeds H; ``persisting_beyond_day`` D -> the run at grade >= min_grade
lasts past day D (for point assessments, optional column POINT = Y as lab events have: an
assessment after day D still shows the grade; while no assessment after day D exists and the
run is ongoing, pending); ``min_duration_days`` d -> the run lasts more than d days. A run
counts when it overlaps the rule's window (``window_start_day``..``window_end_day`` or the design
DLT window, including the whole of its last protocol day: DAY 28.5 is inside a 28-day window).
When the follow-up is too short to decide, the rule is pending.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.data.text import factorize_text
from cartrial.errors import InputError
from cartrial.protocol.model import DltDefinition, DltRule
from cartrial.safety._dlt_runs import _runs
from cartrial.safety._frames import (
    as_bool,
    as_float,
    as_text,
    fail,
    require_columns,
    sorted_frame,
    text_values,
)

DOMAIN = "DLT"
EVENT_CATEGORIES = ("CRS", "ICANS", "HEMATOLOGIC", "NON_HEMATOLOGIC")


@dataclass(frozen=True)
class DltResult:
    """Per-patient DLT status, the rule evaluations behind it and the method.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per patient: USUBJID, DOSE_LEVEL, DLT (yes/no/pending), DLT_RULE, DLT_CRITERION,
        DLT_EVENT_ID, DLT_TERM, DLT_ONSET_DAY, DLT_GRADE, DLT_EVALUABLE, EVALUABILITY, ...
    evaluations : pandas.DataFrame
        One row per (USUBJID, rule, run of an event) with STATUS "met" or "pending".
    window_days, rules : int, tuple of str
        The design's DLT window (days after infusion); the rule ids in protocol order.

    Examples
    --------
    >>> dlt = DltDefinition(rules=[DltRule(id="CRS4", description="CRS", category="CRS",
    ...                                    min_grade=4)])
    >>> ev = pd.DataFrame({"USUBJID": "A", "EVENT_ID": "1", "CATEGORY": "CRS", "TERM": "CRS",
    ...                    "DAY": [2.0], "GRADE": [4]})
    >>> r = adjudicate_dlt(ev, pd.DataFrame({"USUBJID": ["A"], "FOLLOWUP_DAY": [9]}), dlt,
    ...                    window_days=28)
    >>> r.rules, r.evaluations[["RULE", "STATUS"]].to_numpy().tolist()
    (('CRS4',), [['CRS4', 'met']])
    """

    patients: pd.DataFrame      # USUBJID, DOSE_LEVEL, DLT (yes/no/pending), DLT_EVALUABLE, ...
    evaluations: pd.DataFrame   # one row per (USUBJID, rule, run) that met or may meet a rule
    window_days: int
    rules: tuple[str, ...]


def _prepare_events(events: pd.DataFrame) -> pd.DataFrame:
    require_columns(events, ["USUBJID", "EVENT_ID", "CATEGORY", "TERM", "DAY", "GRADE"],
                    where="adjudicate_dlt events")
    # each column made once, the rows taken once in sorted order (sorted_frame)
    made = {"USUBJID": events["USUBJID"].astype(str).to_numpy(dtype=object),
            "EVENT_ID": events["EVENT_ID"].astype(str).to_numpy(dtype=object),
            "CATEGORY": as_text(events, "CATEGORY")}
    fail(events, ~np.isin(made["CATEGORY"], EVENT_CATEGORIES), domain=DOMAIN,
         variable="CATEGORY", rule=f"event category must be one of {list(EVENT_CATEGORIES)}",
         values=made["CATEGORY"])
    made["DAY"] = as_float(events, "DAY", domain=DOMAIN, required=True)
    g = made["GRADE"] = as_float(events, "GRADE", domain=DOMAIN, required=True)
    fail(events, (g < 0) | (g > 5) | (g != np.round(g)), domain=DOMAIN, variable="GRADE",
         rule="grade must be a whole number 0-5", values=g)
    made["END_DAY"] = as_float(events, "END_DAY", domain=DOMAIN)
    made["RELATED"] = as_bool(events, "RELATED", domain=DOMAIN)
    made["POINT"] = (as_bool(events, "POINT", domain=DOMAIN) if "POINT" in events
                     else np.zeros(len(events), dtype=bool))
    ev = sorted_frame(events, made, ["USUBJID", "EVENT_ID", "DAY"])  # DAY required: no NaN
    # one integer per (patient, event): compared row to row and grouped by every rule (a text
    # key built per row held a new string for each of a large trial's million lab events)
    ucodes, _ = factorize_text(ev["USUBJID"].to_numpy(dtype=object))
    ecodes, ids = factorize_text(ev["EVENT_ID"].to_numpy(dtype=object))
    ev["_KEY"] = ucodes.astype(np.int64) * (len(ids) + 1) + ecodes
    key = ev["_KEY"].to_numpy()
    n = len(key)  # [:n]: no event at all (e.g. a cut-off early in the window) stays empty
    same_next = np.r_[key[1:] == key[:-1], False][:n]
    day = ev["DAY"].to_numpy()
    fail(ev, np.r_[False, (key[1:] == key[:-1]) & (day[1:] == day[:-1])][:n],
         domain=DOMAIN, variable="DAY", rule="two rows of the same event at the same DAY")
    fail(ev, same_next & ~np.isnan(ev["END_DAY"].to_numpy()), domain=DOMAIN, variable="END_DAY",
         rule="END_DAY belongs on the last row of an event only")
    fail(ev, ev["END_DAY"].to_numpy() < ev["DAY"].to_numpy(), domain=DOMAIN, variable="END_DAY",
         rule="event ends before it starts")
    nxt = np.r_[ev["DAY"].to_numpy()[1:], np.nan][:n]
    ev["_SEG_END"] = np.where(same_next, nxt, ev["END_DAY"].to_numpy())
    ev["_LAST"] = ~same_next
    # read by every rule; stripped and upper-cased once per distinct term (text_values)
    ev["_TERM"] = text_values(ev["TERM"].astype(str))
    return ev


def _prepare_followup(followup: pd.DataFrame) -> pd.DataFrame:
    require_columns(followup, ["USUBJID", "FOLLOWUP_DAY"], where="adjudicate_dlt followup")
    fu = followup.copy()
    fu["USUBJID"] = fu["USUBJID"].astype(str)
    fail(fu, fu["USUBJID"].duplicated().to_numpy(), domain=DOMAIN, variable="USUBJID",
         rule="one follow-up row per patient")
    fu["FOLLOWUP_DAY"] = as_float(fu, "FOLLOWUP_DAY", domain=DOMAIN, required=True)
    fu["DEATH_DAY"] = as_float(fu, "DEATH_DAY", domain=DOMAIN)
    fu["WITHDRAWN"] = as_bool(fu, "WITHDRAWN", domain=DOMAIN)
    fail(fu, fu["DEATH_DAY"].to_numpy() < fu["FOLLOWUP_DAY"].to_numpy(), domain=DOMAIN,
         variable="FOLLOWUP_DAY", rule="follow-up continues after death")
    if "DOSE_LEVEL" not in fu.columns:
        fu["DOSE_LEVEL"] = ""
    return fu


def _select(ev: pd.DataFrame, rule: DltRule) -> np.ndarray:
    if rule.category == "ANY":
        m = np.ones(len(ev), dtype=bool)
    elif rule.category == "DEATH":
        m = pd.Series(ev["GRADE"].to_numpy() >= 5).groupby(ev["_KEY"].to_numpy()).transform(
            "any").to_numpy()
    else:
        m = ev["CATEGORY"].to_numpy() == rule.category
    term = ev["_TERM"].to_numpy()
    if rule.terms is not None:
        m &= np.isin(term, [t.upper() for t in rule.terms])
    if rule.exclude_terms:
        m &= ~np.isin(term, [t.upper() for t in rule.exclude_terms])
    if rule.related_only:
        m &= ev["RELATED"].to_numpy()
    return m


def _evaluate_rule(ev: pd.DataFrame, fu_day: pd.Series, closed: pd.Series, rule: DltRule,
                   window_days: int) -> pd.DataFrame:
    ws = float(rule.window_start_day)
    we = float(rule.window_end_day if rule.window_end_day is not None else window_days)
    sel = _select(ev, rule)
    grade = ev["GRADE"].to_numpy()
    qual = (grade == rule.min_grade) if rule.exact_grade else (grade >= rule.min_grade)
    d = rule.duration
    if d is not None and d.not_resolving_to_grade is not None:
        level = sel & (grade > d.not_resolving_to_grade)
    else:
        level = sel & qual
    runs = _runs(ev, level, qual)
    if runs.empty:
        return runs.assign(RULE=[], STATUS=[])
    fu = runs["USUBJID"].map(fu_day).to_numpy(dtype=float)
    end = runs["END"].to_numpy(dtype=float)
    ongoing = np.isnan(end)
    end_eff = np.where(ongoing, fu, end)
    # follow-up closed by death or withdrawal: an ongoing event can no longer become a DLT
    ongoing &= ~runs["USUBJID"].map(closed).to_numpy(dtype=bool)
    start = runs["ONSET_DAY"].to_numpy(dtype=float)
    # the window holds the whole of its last protocol day (DAY 28.5 is protocol day 28)
    in_window = (start < we + 1.0) & (end_eff >= ws)
    if d is None:
        met = in_window.copy()
        pend = np.zeros(len(runs), dtype=bool)
    elif d.not_resolving_to_grade is not None:
        limit = d.within_hours / 24.0
        met = in_window & ((end_eff - start) > limit)
        pend = in_window & ongoing & ~met
    elif d.persisting_beyond_day is not None:
        # Point assessments (labs) must show the grade after the day; carrying the last grade
        # forward to a later recovery would count a gap in sampling as persistence. Interval
        # records (AEs with start and end) persist while they last.
        day = float(d.persisting_beyond_day)
        point = runs["POINT"].to_numpy(dtype=bool)
        seen_after = runs["LAST_OBS"].to_numpy(dtype=float) > day
        met = in_window & np.where(point, seen_after, end_eff > day)
        pend = in_window & ongoing & ~met
    else:
        limit = float(d.min_duration_days)
        met = in_window & ((end_eff - start) > limit)
        pend = in_window & ongoing & ~met
    runs["RULE"] = rule.id
    runs["STATUS"] = np.where(met, "met", np.where(pend, "pending", ""))
    return runs[runs["STATUS"] != ""]


def adjudicate_dlt(events: pd.DataFrame, followup: pd.DataFrame, dlt: DltDefinition, *,
                   window_days: int) -> DltResult:
    """Per patient DLT yes / no / pending with the triggering event and rule, and evaluability.

    DLT = yes when any rule is met (the earliest onset is reported, ties by rule order);
    pending when none is met but a rule is pending or the patient is still inside the DLT window;
    no otherwise. DLT-evaluable (``completed_window_or_dlt``): a DLT, or follow-up through the
    design window (``window_days``); patients who died or withdrew earlier without a DLT are not
    evaluable. ``DLT_CRITERION`` is the met rule in the protocol's words
    (``DltDefinition.criteria``), which tables, listings and narratives show instead of its id.

    Parameters
    ----------
    events : pandas.DataFrame
        One row per grade change of one event (columns in the module docstring; DAY = days
        since infusion, infusion = day 0; GRADE 0-5, 0 = resolved).
    followup : pandas.DataFrame
        One row per infused patient (USUBJID, FOLLOWUP_DAY, ...: see the module docstring).
    dlt : DltDefinition
        The protocol's DLT rules.
    window_days : int
        The design's DLT window (days after infusion, >= 1).

    Returns
    -------
    DltResult
        Per-patient status and the rule evaluations behind it.

    Raises
    ------
    InputError
        ``window_days`` < 1 or a required column missing.
    RecordError
        A bad record (unknown category, grade outside 0-5, event after death), named.

    Examples
    --------
    Grade 4 CRS on day 2 is a DLT; B completed the 28-day window; C is still inside it:

    >>> dlt = DltDefinition(rules=[DltRule(id="CRS4", description="Grade >= 4 CRS",
    ...                                    category="CRS", min_grade=4)])
    >>> ev = pd.DataFrame({"USUBJID": "A", "EVENT_ID": "CRS-1", "CATEGORY": "CRS",
    ...                    "TERM": "Cytokine release syndrome", "DAY": [2.0, 4.0], "GRADE": [4, 0]})
    >>> fu = pd.DataFrame({"USUBJID": ["A", "B", "C"], "FOLLOWUP_DAY": [40.0, 40.0, 10.0]})
    >>> p = adjudicate_dlt(ev, fu, dlt, window_days=28).patients
    >>> p[["USUBJID", "DLT", "EVALUABILITY"]].to_numpy().tolist()
    [['A', 'yes', 'DLT'], ['B', 'no', 'completed window'], ['C', 'pending', 'in window']]
    """
    if window_days < 1:
        raise InputError(f"window_days must be >= 1, got {window_days!r}")
    ev = _prepare_events(events)
    del events  # the sorted copy is read from here on (a caller handing its events over,
    # as analyse_safety does, frees a large trial's million lab events now)
    fu = _prepare_followup(followup)
    unknown = ~ev["USUBJID"].isin(fu["USUBJID"]).to_numpy()
    fail(ev, unknown, domain=DOMAIN, variable="USUBJID",
         rule="event for a patient without a follow-up row")
    by_id = fu.set_index("USUBJID")
    death = ev["USUBJID"].map(by_id["DEATH_DAY"]).to_numpy(dtype=float)
    fail(ev, ev["DAY"].to_numpy() > death, domain=DOMAIN, variable="DAY",
         rule="event after the patient's death (DEATH_DAY)")
    fu_day = by_id["FOLLOWUP_DAY"]
    closed = by_id["DEATH_DAY"].notna() | by_id["WITHDRAWN"]
    order = {r.id: i for i, r in enumerate(dlt.rules)}
    parts = [_evaluate_rule(ev, fu_day, closed, r, window_days) for r in dlt.rules]
    evals = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else pd.DataFrame(columns=["USUBJID", "RULE", "STATUS",
                                                         "EVENT_ID", "TERM", "CATEGORY",
                                                         "ONSET_DAY", "END", "MAX_GRADE"])
    evals = evals.drop(columns=["_RUN", "START"], errors="ignore")
    evals = evals.rename(columns={"END": "END_DAY"})
    evals["_ORDER"] = evals["RULE"].map(order)
    evals = evals.sort_values(["USUBJID", "ONSET_DAY", "_ORDER"], kind="stable")

    met = evals[evals["STATUS"] == "met"].groupby("USUBJID").head(1).set_index("USUBJID")
    pending_any = evals[evals["STATUS"] == "pending"].groupby("USUBJID").size()
    ids = pd.Index(fu["USUBJID"], name="USUBJID")
    has_dlt = ids.isin(met.index)
    completed = fu["FOLLOWUP_DAY"].to_numpy() >= window_days
    left = (fu["DEATH_DAY"].notna() | fu["WITHDRAWN"]).to_numpy()
    pend = ids.isin(pending_any.index) | (~completed & ~left)
    rule = met["RULE"].reindex(ids)
    p = pd.DataFrame({  # one frame built at once (was column by column)
        "USUBJID": fu["USUBJID"].array,
        # where the protocol counts a product out of specification
        "DOSE_LEVEL": (fu["DLT_DOSE_LEVEL"].to_numpy() if "DLT_DOSE_LEVEL" in fu
                       else fu["DOSE_LEVEL"].array),
        **{c: fu[c].array for c in ("FOLLOWUP_DAY", "DEATH_DAY", "WITHDRAWN")},
        "DLT": np.where(has_dlt, "yes", np.where(pend, "pending", "no")),
        "DLT_RULE": rule.array,
        "DLT_CRITERION": rule.map(dlt.criteria()).array,  # the protocol's words for the rule
        "DLT_EVENT_ID": met["EVENT_ID"].reindex(ids).array,
        "DLT_TERM": met["TERM"].reindex(ids).array,
        "DLT_ONSET_DAY": met["ONSET_DAY"].reindex(ids).array,
        "DLT_GRADE": met["MAX_GRADE"].reindex(ids).array,
        "DLT_EVALUABLE": has_dlt | completed,
        "EVALUABILITY": np.where(
            has_dlt, "DLT", np.where(completed, "completed window",
                                     np.where(left, "left before end of window", "in window"))),
        "WINDOW_DAYS": window_days}, index=pd.RangeIndex(len(fu)))
    return DltResult(p, evals.drop(columns="_ORDER").reset_index(drop=True),
                     window_days, tuple(order))


def crs_events(timepoints: pd.DataFrame, *, category: str = "CRS",
               term: str = "Cytokine release syndrome") -> pd.DataFrame:
    """DLT events from graded CRS / ICANS time points: one event per episode, each graded time
    point a row, plus the resolution time point (grade 0). CRS and ICANS count as related.

    Parameters
    ----------
    timepoints : pandas.DataFrame
        ``CrsResult.timepoints`` or ``IcansResult.timepoints`` (USUBJID, DAY, GRADE, EPISODE).
    category, term : str, default "CRS", "Cytokine release syndrome"
        Event category ("CRS" or "ICANS") and term of the rows.

    Returns
    -------
    pandas.DataFrame
        ``events`` rows for :func:`adjudicate_dlt` (EVENT_ID = category-episode number).

    Examples
    --------
    >>> tp = pd.DataFrame({"USUBJID": "S1", "DAY": [1.0, 2.0, 3.0, 4.0],
    ...                    "GRADE": [1, 3, 0, 0], "EPISODE": [1, 1, 0, 0]})
    >>> crs_events(tp)[["EVENT_ID", "DAY", "GRADE"]].to_numpy().tolist()
    [['CRS-1', 1.0, 1], ['CRS-1', 2.0, 3], ['CRS-1', 3.0, 0]]
    """
    tp = timepoints.reset_index(drop=True)
    usub = tp["USUBJID"].to_numpy()
    ep = tp["EPISODE"].to_numpy()
    prev_ep = np.r_[0, ep[:-1]]
    prev_same = np.r_[False, usub[1:] == usub[:-1]]
    resolution = (ep == 0) & (prev_ep > 0) & prev_same
    keep = (ep > 0) | resolution
    ep_ids = np.where(resolution, prev_ep, ep)
    out = pd.DataFrame({
        "USUBJID": usub[keep],
        "EVENT_ID": [f"{category}-{e}" for e in ep_ids[keep]],
        "CATEGORY": category,
        "TERM": term,
        "DAY": tp["DAY"].to_numpy()[keep],
        "GRADE": tp["GRADE"].to_numpy()[keep],
        "RELATED": True,
    })
    return out


def lab_events(graded_long: pd.DataFrame, *, terms: tuple[str, ...] = (
        "Neutrophil count decreased", "Platelet count decreased")) -> pd.DataFrame:
    """DLT events from graded labs: one event per subject and term, post-infusion assessments
    as rows (grade carried to the next one, POINT = True).

    Parameters
    ----------
    graded_long : pandas.DataFrame
        Output of :func:`cartrial.safety.lab_grades_long` (USUBJID, TERM, DAY, GRADE).
    terms : tuple of str
        CTCAE terms that become haematological DLT events.

    Returns
    -------
    pandas.DataFrame
        ``events`` rows for :func:`adjudicate_dlt` (HEMATOLOGIC, unrelated); day <= 0 left out.

    Examples
    --------
    >>> g = pd.DataFrame({"USUBJID": "A", "TERM": "Platelet count decreased",
    ...                   "DAY": [-1.0, 7.0, 14.0], "GRADE": [1.0, 4.0, 2.0]})
    >>> lab_events(g)[["EVENT_ID", "DAY", "GRADE"]].to_numpy().tolist()
    [['LB-Platelet count decreased', 7.0, 4.0], ['LB-Platelet count decreased', 14.0, 2.0]]
    """
    lg = graded_long[graded_long["TERM"].isin(terms) & (graded_long["DAY"] > 0)
                     & graded_long["GRADE"].notna()]
    return pd.DataFrame({
        "USUBJID": lg["USUBJID"].to_numpy(),
        "EVENT_ID": ("LB-" + lg["TERM"]).to_numpy(),
        "CATEGORY": "HEMATOLOGIC",
        "TERM": lg["TERM"].to_numpy(),
        "DAY": lg["DAY"].to_numpy(),
        "GRADE": lg["GRADE"].to_numpy(),
        "RELATED": False,
        "POINT": True,
    })
