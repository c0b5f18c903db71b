"""The example's ground truth: what was simulated, per episode, DLT, assessment and patient.

The engines are tested against these tables (docs/example.md): CRS and ICANS episodes with
their consensus and investigator grades and AESEQ, each patient's DLT (rule met, event onset,
the day it was met), every response assessment's IMWG category and confirmed category, each
patient's best confirmed response, progression, death and next therapy, and the kinetics
parameters drawn. Nothing here is derived from the SDTM the example writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.example import disease as dz
from cartrial.example.assessments import Assessments
from cartrial.example.journey import Fate, Journey
from cartrial.example.sdtm import fmt_date, fmt_datetime

_EPISODE_COLUMNS = ["USUBJID", "syndrome", "episode", "start_dtc", "end_dtc", "onset_day",
                    "duration_days", "max_grade", "hours_grade3_plus"]


@dataclass(frozen=True)
class TruthInputs:
    """What the truth tables are written from (one entry per infused patient unless stated).

    Attributes
    ----------
    journey : Journey
        Identifiers, infusion dates and follow-up of the infused patients.
    dose, phase : numpy.ndarray
        Dose level id assigned; ``ESCALATION`` or ``EXPANSION``.
    cohort : numpy.ndarray
        Cohort number.
    apheresis : numpy.ndarray
        Leukapheresis dates.
    crs_episodes, icans_episodes : pandas.DataFrame
        Episodes of :func:`cartrial.example.crs_records.episodes`.
    assessments : Assessments
        Disease assessments and their course.
    fate : Fate
        How follow-up ended.
    disease_plan, kinetics_plan : pandas.DataFrame
        Plans of :func:`cartrial.example.disease.plan_disease` and
        :func:`cartrial.example.kinetics.plan_kinetics`.
    dlt_type, dlt_onset, dlt_detect_day : numpy.ndarray
        DLT rule met ("" when none), onset of the DLT event and the day the DLT was met.
    ae_truth : pandas.DataFrame
        The adverse events written (:func:`cartrial.example.ae.adverse_events`).
    """

    journey: Journey
    dose: np.ndarray
    phase: np.ndarray
    cohort: np.ndarray
    apheresis: np.ndarray
    crs_episodes: pd.DataFrame
    icans_episodes: pd.DataFrame
    assessments: Assessments
    fate: Fate
    disease_plan: pd.DataFrame
    kinetics_plan: pd.DataFrame
    dlt_type: np.ndarray
    dlt_onset: np.ndarray
    dlt_detect_day: np.ndarray
    ae_truth: pd.DataFrame


def truth_tables(t: TruthInputs) -> dict[str, pd.DataFrame]:
    """The truth tables ``episodes``, ``dlt``, ``responses``, ``subjects`` and ``kinetics``.

    Parameters
    ----------
    t : TruthInputs
        What was simulated.

    Returns
    -------
    dict of str to pandas.DataFrame
        The five tables (docs/example.md describes their columns).
    """
    post = t.assessments.table
    post = post[post["nom"] != -1].copy()
    post["cat"] = post["cat"].astype(int)
    post["conf"] = post["conf"].astype(int)
    return {"episodes": _episodes(t), "dlt": _dlt(t), "responses": _responses(t.journey, post),
            "subjects": _subjects(t, post), "kinetics": _kinetics(t.journey, t.kinetics_plan)}


def _episodes(t: TruthInputs) -> pd.DataFrame:
    ctx = t.journey
    eps = []
    for ep in (t.crs_episodes, t.icans_episodes):
        if ep.empty:
            continue
        p = ep["pat"].to_numpy()
        sd = ctx.date(p, ep["start_day"].to_numpy())
        ed = ctx.date(p, ep["end_day"].to_numpy())
        eps.append(pd.DataFrame({
            "USUBJID": ctx.usubjid[p], "syndrome": ep["what"].to_numpy(),
            "episode": ep["episode"].to_numpy(),
            "start_dtc": fmt_datetime(sd, ep["start_minute"].to_numpy()),
            "end_dtc": fmt_datetime(ed, ep["end_minute"].to_numpy()),
            "onset_day": ep["start_day"].to_numpy(),
            "duration_days": ep["end_day"].to_numpy() - ep["start_day"].to_numpy() + 1,
            "max_grade": ep["max_grade"].to_numpy(),
            "hours_grade3_plus": ep["hours_g3"].to_numpy()}))
    epi = pd.concat(eps, ignore_index=True) if eps else pd.DataFrame(columns=_EPISODE_COLUMNS)
    aet = t.ae_truth[t.ae_truth["src"] == "episode"]
    m = aet[["USUBJID", "episode", "term", "inv", "AESEQ"]].assign(
        syndrome=np.where(aet["term"] == "Cytokine release syndrome", "CRS", "ICANS"))
    epi = epi.merge(m.rename(columns={"inv": "investigator_grade"}).drop(columns="term"),
                    on=["USUBJID", "syndrome", "episode"], how="left")
    return epi.sort_values(["USUBJID", "syndrome", "episode"], kind="stable"
                           ).reset_index(drop=True)


def _dlt(t: TruthInputs) -> pd.DataFrame:
    """The DLT of each patient; the event's onset is the first grade 4 neutropenia for the
    cytopenia rule and the first CRS episode for the CRS rules."""
    ctx, dlt_type, ae_truth = t.journey, t.dlt_type, t.ae_truth
    n = len(ctx.inf)
    has = dlt_type != ""
    ev_onset = np.where(dlt_type == "CYTO4_D28", 0, t.dlt_onset)
    cyto_first = ae_truth[(ae_truth["term"] == "Neutrophil count decreased")
                          & (ae_truth["grade"] == 4)].groupby("pat")["start"].min()
    ev_onset = np.where(dlt_type == "CYTO4_D28",
                        cyto_first.reindex(np.arange(n)).fillna(0).to_numpy(), ev_onset)
    ep_c = t.crs_episodes
    crs_start = ep_c.groupby("pat")["start_day"].min().reindex(np.arange(n)) if len(ep_c) else \
        pd.Series(np.nan, index=np.arange(n))
    ev_onset = np.where(np.isin(dlt_type, ["CRS4", "CRS3_72H"]), crs_start.to_numpy(),
                        ev_onset)
    detect = t.dlt_detect_day
    return pd.DataFrame({
        "USUBJID": ctx.usubjid, "dose": t.dose, "phase": t.phase, "cohort": t.cohort,
        "dlt": np.where(has, "Y", "N"), "rule": dlt_type,
        "event_onset_dtc": np.where(has, fmt_date(ctx.date(np.arange(n), np.nan_to_num(
            ev_onset).astype(int))), ""),
        "dlt_met_dtc": np.where(has, fmt_date(ctx.date(np.arange(n), detect)), ""),
        "dlt_met_day": np.where(has, detect, np.nan),
    })


def _responses(ctx: Journey, post: pd.DataFrame) -> pd.DataFrame:
    """Every post-baseline assessment: IMWG category and confirmed category."""
    pp = post["pat"].to_numpy()
    return pd.DataFrame({
        "USUBJID": ctx.usubjid[pp], "dtc": fmt_date(ctx.date(pp, post["day"].to_numpy())),
        "day": post["day"].to_numpy(), "mdtype": post["mdtype"].to_numpy(),
        "population": np.where(post["ppcl"].to_numpy(), "PPCL", "RRMM"),
        "response": np.array(dz.RANKS, dtype=object)[post["cat"].to_numpy()],
        "confirmed": np.array(dz.RANKS + ["NE"], dtype=object)[post["conf"].to_numpy()]})


def _subjects(t: TruthInputs, post: pd.DataFrame) -> pd.DataFrame:
    """Per patient: best confirmed response, first response and CR, progression, death."""
    ctx, fate, dplan = t.journey, t.fate, t.disease_plan
    n = len(ctx.inf)
    pp = post["pat"].to_numpy()
    best = pd.Series(post["conf"].to_numpy()).groupby(pp).min()
    best = best.reindex(np.arange(n)).fillna(dz.NE).astype(int).to_numpy()
    resp_days = post[post["conf"] <= 3].groupby("pat")["day"].min()
    cr_days = post[post["conf"] <= 1].groupby("pat")["day"].min()
    pdd, new_tx = t.assessments.pd_day, t.assessments.new_therapy_day
    last_a = post.groupby("pat")["day"].max().reindex(np.arange(n))
    return pd.DataFrame({
        "USUBJID": ctx.usubjid, "population": np.where(dplan["ppcl"], "PPCL", "RRMM"),
        "mdtype": dplan["mdtype"].to_numpy(), "intended_depth": np.array(
            ["CR", "VGPR", "PR", "MR", "SD", "PD"], dtype=object)[dplan["depth"].to_numpy()],
        "best_confirmed_response": np.array(dz.RANKS + ["NE"], dtype=object)[best],
        "first_response_dtc": _opt_date(ctx, resp_days, n),
        "first_cr_dtc": _opt_date(ctx, cr_days, n),
        "pd_dtc": _finite_date(ctx, pdd), "death_dtc": np.where(
            fate.died, fmt_date(ctx.date(np.arange(n), np.nan_to_num(fate.death_day,
                                                                     posinf=0))), ""),
        "death_cause": np.where(fate.died, np.where(fate.nrm_death, "SEPSIS",
                                                    "DISEASE PROGRESSION"), ""),
        "new_therapy_dtc": _finite_date(ctx, new_tx),
        "last_assessment_dtc": _opt_date(ctx, last_a.dropna(), n),
        "apheresis_dtc": fmt_date(t.apheresis), "infusion_dtc": fmt_date(ctx.inf),
        "crs_max_grade": _maxg(t.crs_episodes, n), "icans_max_grade": _maxg(t.icans_episodes, n),
        "true_progression_day": dplan["t_pd"].to_numpy(),
    })


def _kinetics(ctx: Journey, kp: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ctx.usubjid, "cmax_true": kp["cmax"].to_numpy(), "tmax_true_days": kp["tmax"],
        "half_life_fast_days": kp["half_fast"], "half_life_slow_days": kp["half_slow"],
        "fraction_fast": kp["frac_fast"], "lost_persistence": np.where(kp["lost"], "Y", "N"),
        "flow_cells_per_copy": kp["flow_ratio"]})


def _finite_date(ctx: Journey, day: np.ndarray) -> np.ndarray:
    """The date of each finite ``day``; "" where it is infinite (never happened)."""
    n = len(day)
    return np.where(np.isfinite(day), fmt_date(ctx.date(np.arange(n),
                                                        np.nan_to_num(day, posinf=0))), "")


def _opt_date(ctx: Journey, s: pd.Series, n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    if len(s):
        idx = s.index.to_numpy().astype(int)
        out[idx] = fmt_date(ctx.date(idx, s.to_numpy().astype(int)))
    return out


def _maxg(ep: pd.DataFrame, n: int) -> np.ndarray:
    if ep.empty:
        return np.zeros(n, int)
    return ep.groupby("pat")["max_grade"].max().reindex(np.arange(n)).fillna(0).astype(int
                                                                                 ).to_numpy()
