"""Patient journeys -> SDTM domains and truth tables (vectorised over patients and visits).

Journey: consent and screening, leukapheresis, rare bridging, lymphodepletion (days -5 to -3),
infusion on day 0, scheduled visits within their windows (some missed, some unscheduled),
follow-up until death, withdrawal, loss to follow-up, completion or the data cut-off.

This module runs the journey's parts in order, each simulated by its own module: the CRS and
ICANS plan (:mod:`~cartrial.example.crs`, :mod:`~cartrial.example.crs_records`), the disease
(:mod:`~cartrial.example.disease`, :mod:`~cartrial.example.assessments`), follow-up
(:mod:`~cartrial.example.journey`), kinetics, safety labs and haematology, then writes them as
SDTM (:mod:`~cartrial.example.sdtm_findings`, :mod:`~cartrial.example.sdtm_lb`,
:mod:`~cartrial.example.sdtm_kinetics`, :mod:`~cartrial.example.ae`,
:mod:`~cartrial.example.cm`, :mod:`~cartrial.example.subject`) and the truth
(:mod:`~cartrial.example.truth`). Each random stream is drawn in a fixed order, so the
trial is reproducible from its seed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cartrial.example import baseline as bsl
from cartrial.example import baskets as bk
from cartrial.example import boin12_efficacy as eff_mod
from cartrial.example import bridging as br
from cartrial.example import crs as crs_mod
from cartrial.example import crs_records as cr
from cartrial.example import disease as dz
from cartrial.example import haematology as hx
from cartrial.example import kinetics as kin
from cartrial.example import labs as lb
from cartrial.example import rose_stage, sdtm_findings, sdtm_kinetics, sdtm_lb
from cartrial.example.ae import adverse_events
from cartrial.example.assessments import Assessments, simulate_assessments
from cartrial.example.assessments import _confirm as confirm_course
from cartrial.example.cm import medications
from cartrial.example.conduct import Enrolment
from cartrial.example.journey import Fate, Journey, data_cutoff, draw_fate, visit_grid
from cartrial.example.manufacturing import exposure_truth
from cartrial.example.population import CONVENTIONAL_SITE, Pool
from cartrial.example.scenarios import Scenario
from cartrial.example.sdtm import STUDYID, fmt_date, frame
from cartrial.example.subject import Subjects, subject_domains
from cartrial.example.truth import TruthInputs, truth_tables
from cartrial.protocol import Protocol

__all__ = ["build", "data_cutoff"]


@dataclass(frozen=True)
class _Course:
    """What was simulated for the infused patients (one entry per infused patient)."""

    I: np.ndarray              # noqa: E741  positions of the infused among the enrolled
    pool_index: np.ndarray     # their rows in the screened pool
    journey: Journey
    dose_idx: np.ndarray
    dlt_type: np.ndarray
    dlt_onset: np.ndarray
    plan: crs_mod.CrsPlan
    dplan: pd.DataFrame
    fate: Fate
    crs: dict                  # crs_observations: "obs", "therapy"
    iobs: pd.DataFrame
    ep_c: pd.DataFrame
    ep_i: pd.DataFrame
    base_day: np.ndarray
    assessments: Assessments


@dataclass(frozen=True)
class _Samples:
    """Kinetics samples (patient, nominal, actual day, qPCR and flow values) and the plan."""

    plan: pd.DataFrame
    pat: np.ndarray
    nom: np.ndarray
    act: np.ndarray
    conc: np.ndarray
    flow: np.ndarray


@dataclass(frozen=True)
class _LabDraws:
    """Safety-lab draws (patient, nominal, actual day, true values) and the ICAHT plan."""

    pat: np.ndarray
    nom: np.ndarray
    act: np.ndarray
    vals: dict
    hp: pd.DataFrame


def build(rng: dict, protocol: Protocol, sc: Scenario, pool: Pool, enr: Enrolment,
          cutoff: np.datetime64 | None = None, subject_offset: int = 0, subject_width: int = 3
          ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Every SDTM domain and truth table of the trial (or of one chunk of its patients:
    ``cutoff`` is then the trial's data cut-off and subjects are numbered from
    ``subject_offset + 1``)."""
    s = _subjects(pool, enr, subject_offset, subject_width)
    if cutoff is None:
        cutoff = data_cutoff(enr, sc)
    c = _course(rng, protocol, sc, pool, enr, s, cutoff)
    ks = _kinetics(rng, protocol, sc, c)
    labs = _safety_labs(rng, protocol, c)
    # response to bridging: pre-lymphodepletion assessment (example/bridging.py, own stream)
    pre = br.pre_lymphodepletion(
        rng[br.STREAM], pool.bridging[c.pool_index],
        min(d for ag in protocol.lymphodepletion.agents for d in ag.days),
        (enr.apheresis[c.I] - c.journey.inf).astype(int) + 5, c.assessments.table, c.dplan,
        c.journey.conv)
    domains, cyto_runs, base = _findings(rng, protocol, sc, pool, c, ks, labs, pre)
    extra_ae = [hx.ae_rows(labs.hp), bk.plan_events(rng[bk.STREAM], c.fate.end_day, c.dlt_type)]
    ae, ae_truth = adverse_events(c.journey, c.ep_c, c.ep_i, cyto_runs, c.dlt_type, c.dlt_onset,
                                  c.fate.nrm_death, c.fate.death_day, rng["events"],
                                  rng["untidy"], extra_ae)
    domains["AE"] = ae
    pi = c.pool_index
    domains["CM"], prior = medications(c.journey, c.crs["obs"], c.crs["therapy"], pool.weight[pi],
                                       c.ep_i, c.assessments.new_therapy_day, pool.bridging[pi],
                                       enr.apheresis[c.I], rng["events"], rng["baseline"])
    ids = c.journey.usubjid
    domains["SUPPCM"] = bsl.suppcm(ids, prior, STUDYID)
    domains["RS"] = frame("RS", {k: v.to_numpy() for k, v in bsl.rs_ecog(
        ids, base["screening"], base["bvals"]["ecog"].to_numpy()).items()}, ["USUBJID", "RSDTC"])
    domains.update(subject_domains(protocol, enr, pool, s, c.fate, rng["events"]))
    a_truth, pdd_truth = br.rebase(c.assessments.table, pre, confirm_course)
    rebased = replace(c, assessments=replace(c.assessments, table=a_truth, pd_day=pdd_truth))
    truth = truth_tables(_truth_inputs(protocol, enr, pool, rebased, ks, ae_truth))
    truth["baseline"] = bsl.truth(ids, base["bvals"], prior)
    truth["bridging"] = br.truth(ids, c.assessments.table, pre)
    truth["exposure"] = exposure_truth(s.usubjid, enr, protocol)
    if enr.stage is not None:  # the randomised ROSE stage (example.rose_stage)
        truth.update(rose_stage.truth(s.usubjid, enr.randomised, enr.infusion, enr.stage,
                                     protocol))
    truth.update(hx.truth(ids, labs.hp), **bk.truth(ae_truth))
    return domains, truth


def _subjects(pool: Pool, enr: Enrolment, offset: int, width: int) -> Subjects:
    """Identifiers of the enrolled subjects (numbered from ``offset + 1``)."""
    n = len(enr.pool_index)
    subjid = np.char.zfill(np.arange(offset + 1, offset + n + 1).astype(str), width)
    site = pool.site[enr.pool_index]
    usubjid = np.char.add(np.char.add(f"{STUDYID}-", np.char.add(site, "-")), subjid)
    return Subjects(usubjid.astype(object), subjid, site,
                    np.flatnonzero(~np.isnat(enr.infusion)))


def _course(rng: dict, protocol: Protocol, sc: Scenario, pool: Pool, enr: Enrolment,
            s: Subjects, cutoff: np.datetime64) -> _Course:
    """CRS and disease plans, follow-up, CRS/ICANS records and disease assessments."""
    k = len(protocol.dose_levels)
    I = s.infused_index  # noqa: E741
    pi = enr.pool_index[I]
    inf = enr.infusion[I]
    dose_idx = enr.dose[I]
    dlt_type = np.where(enr.dlt[I], pool.dlt_type[pi], "")
    dlt_onset = pool.dlt_onset[pi]
    r = rng["crs"]
    plan = crs_mod.plan_crs(r, dose_idx, np.asarray(sc.dose_value(sc.crs_prob, k)), dlt_type,
                            dlt_onset, sc.crs_grade2_fraction, sc.crs_grade3_fraction,
                            sc.crs_onset_median_days, sc.crs_duration_median_days, sc.icans_prob)
    dplan = dz.plan_disease(rng["disease"], pool.mdtype[pi], pool.ppcl[pi], sc.response_probs,
                            sc.early_progression_fraction, sc.pfs_median_months_responders,
                            sc.mrd_negative_fraction)
    dplan = eff_mod.impose_outcomes(dplan, enr.efficacy, pi, enr.received[I])
    fate = draw_fate(rng["events"], dplan["t_pd"].to_numpy(), (cutoff - inf).astype(int))
    psite = s.site[I]
    conv = psite == CONVENTIONAL_SITE
    journey = Journey(usubjid=s.usubjid[I], inf=inf, site=psite, conv=conv,
                      end_day=fate.end_day)
    obs = cr.crs_observations(r, plan, inf, fate.end_day)
    iobs = cr.icans_observations(rng["icans"], plan, fate.end_day)
    base_day = -np.minimum(pool.aph_to_inf[pi] + 2, 27)
    by_day = getattr(protocol.design.efficacy, "by_day", 0)
    asm = simulate_assessments(rng["visits"], rng["events"], protocol, dplan, pool.light[pi],
                               conv, fate.end_day, base_day,
                               hold=lambda ap, anom, aact: eff_mod.hold_visits(
                                   ap, anom, aact, enr.efficacy, pi, by_day, fate.end_day))
    return _Course(I, pi, journey, dose_idx, dlt_type, dlt_onset, plan, dplan, fate, obs, iobs,
                   cr.episodes(obs["obs"], "CRS"), cr.episodes(iobs, "ICANS"), base_day, asm)


def _kinetics(rng: dict, protocol: Protocol, sc: Scenario, c: _Course) -> _Samples:
    """CAR-T expansion per patient and the kinetics samples measured (qPCR and flow)."""
    rk = rng["kinetics"]
    doses = np.array([d.dose for d in protocol.dose_levels])
    kp = kin.plan_kinetics(rk, doses[c.dose_idx], c.plan.crs_grade, sc.cmax_median_copies,
                           sc.cmax_dose_exponent, doses[0] if len(doses) else 1.0)
    ks = protocol.schedule.kinetics
    n = len(c.journey.inf)
    kpat, knom, kact = visit_grid(ks.days, ks.window_days, n, c.fate.end_day, rng["visits"],
                                  0.03)
    conc = kin.expansion_curve(kp, kpat, kact) * np.exp(rk.normal(0, 0.15, len(kpat)))
    flow = conc * kp["flow_ratio"].to_numpy()[kpat] * np.exp(rk.normal(0, 0.2, len(kpat)))
    return _Samples(kp, kpat, knom, kact, conc, flow)


def _safety_labs(rng: dict, protocol: Protocol, c: _Course) -> _LabDraws:
    """Safety-lab draws: screening, the schedule, unscheduled repeats and ICAHT visits."""
    rl = rng["labs"]
    n = len(c.journey.inf)
    end_day = c.fate.end_day
    cyto_dlt = c.dlt_type == "CYTO4_D28"
    cplan = lb.plan_counts(rl, n, cyto_dlt)
    sl = protocol.schedule.safety_labs
    lpat, lnom, lact = visit_grid(sl.days, sl.window_days, n, end_day, rng["visits"], 0.02)
    lpat = np.concatenate([np.arange(n), lpat])
    lnom = np.concatenate([np.full(n, -28), lnom])
    lact = np.concatenate([c.base_day - 3, lact])
    # unscheduled: a repeat count on day 30 for the cytopenia DLT and 10 % of the others
    rep = np.flatnonzero((cyto_dlt | (rl.random(n) < 0.1)) & (end_day >= 31))
    lpat = np.concatenate([lpat, rep])
    lnom = np.concatenate([lnom, np.full(len(rep), -999)])
    lact = np.concatenate([lact, np.full(len(rep), 30)])
    hp = hx.plan(rng[hx.STREAM], cplan, end_day, c.dlt_type, c.ep_c)  # ICAHT / IEC-HS
    lpat, lnom, lact = hx.add_visits(hp, cplan, lpat, lnom, lact, end_day)
    vals = lb.true_counts(cplan, lpat, lact, c.plan.crs_grade, c.plan.crs_onset)
    hx.apply(hp, lpat, lact, vals, c.journey.site)
    return _LabDraws(lpat, lnom, lact, vals, hp)


def _findings(rng: dict, protocol: Protocol, sc: Scenario, pool: Pool, c: _Course,
              ks: _Samples, labs: _LabDraws, pre: pd.DataFrame
              ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]:
    """VS, FA, QS, LB, PC and IS; the cytopenia grades (for AE); baseline values (for RS)."""
    ctx = c.journey
    n = len(ctx.inf)
    domains: dict[str, pd.DataFrame] = {}
    cobs = c.crs["obs"]
    domains["VS"] = sdtm_findings.vs_rows(ctx, cobs, pool.weight[c.pool_index],
                                          pool.height[c.pool_index], c.base_day, rng["untidy"])
    domains["FA"], domains["QS"] = sdtm_findings.fa_qs_rows(ctx, cobs, c.iobs)
    lab_frames, cyto_runs = sdtm_lb.lab_rows(ctx, labs.pat, labs.nom, labs.act, labs.vals)
    dis_frames = sdtm_lb.disease_rows(ctx, c.assessments.table, c.assessments.mrd_test,
                                      c.assessments.mrd_negative)
    cyt_frames = sdtm_kinetics.cytokine_rows(ctx, c.plan, ks.plan, protocol, rng["kinetics"])
    lab_frames.append(hx.lab_rows(ctx, labs.hp, labs.pat, labs.nom, labs.act))
    # baseline disease characteristics (example/baseline.py, own stream)
    bvals = bsl.baseline_values(rng["baseline"], n, np.searchsorted(
        np.array(["001", "002", "003"]), ctx.site))
    scr_day = c.base_day - 3
    scr = fmt_date(ctx.date(np.arange(n), scr_day))
    base_lb = bsl.lb_rows(ctx.usubjid, scr, ctx.dy(np.arange(n), scr_day), scr_day, bvals)
    domains["LB"] = sdtm_lb.finish_lb(pd.concat(lab_frames + dis_frames + cyt_frames + base_lb,
                                                ignore_index=True))
    pre_lb = br.lb_rows(sdtm_lb.disease_rows(ctx, pre, *[np.zeros(len(pre), bool)] * 2))
    if pre_lb:  # the bridged patients' pre-lymphodepletion assessment
        domains["LB"] = br.append_lb(domains["LB"], sdtm_lb.finish_lb(pd.concat(pre_lb)))
    domains["PC"] = sdtm_kinetics.pc_rows(ctx, ks.pat, ks.nom, ks.act, ks.conc, ks.flow)
    domains["IS"] = sdtm_kinetics.is_rows(ctx, protocol, rng["kinetics"], sc.ada_fraction)
    return domains, cyto_runs, {"screening": scr, "bvals": bvals}


def _phase(enr: Enrolment) -> np.ndarray:
    """Study part of every enrolled patient: ESCALATION, EXPANSION or RANDOMISED."""
    phase = np.where(enr.expansion, "EXPANSION", "ESCALATION").astype(object)
    if enr.randomised is not None:
        phase[enr.randomised] = "RANDOMISED"
    return phase


def _truth_inputs(protocol: Protocol, enr: Enrolment, pool: Pool, c: _Course, ks: _Samples,
                  ae_truth: pd.DataFrame) -> TruthInputs:
    I = c.I  # noqa: E741
    return TruthInputs(
        journey=c.journey, dose=np.array(protocol.dose_ids, dtype=object)[enr.dose[I]],
        phase=_phase(enr)[I], cohort=enr.cohort[I],
        apheresis=enr.apheresis[I], crs_episodes=c.ep_c, icans_episodes=c.ep_i,
        assessments=c.assessments, fate=c.fate, disease_plan=c.dplan, kinetics_plan=ks.plan,
        dlt_type=c.dlt_type, dlt_onset=c.dlt_onset,
        dlt_detect_day=pool.dlt_detect_day()[c.pool_index], ae_truth=ae_truth)
