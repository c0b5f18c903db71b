"""Each enrolled subject's record in the example: demographics, disposition, history, dosing.

DM (assigned and actual dose level, death), DS (consent, leukapheresis and infusion milestones,
then one disposition event: how follow-up ended, or why a patient was never infused), MH
(primary diagnosis with a partial date 2-8 years before consent, 0.3-1.5 years for pPCL;
high-risk cytogenetics in 80 %, extramedullary disease in 30 %), PR (leukapheresis), EX
(fludarabine and cyclophosphamide on the protocol's lymphodepletion days, then the CAR-T
infusion at the level received, ``EXADJ`` when the product was out of specification) and
SUPPDM (study part and cohort).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.example.conduct import Enrolment
from cartrial.example.journey import END_REASONS, D, Fate
from cartrial.example.manufacturing import OUT_OF_SPEC
from cartrial.example.population import Pool
from cartrial.example.sdtm import NAT, STUDYID, fmt_date, frame, study_day
from cartrial.protocol import Protocol


@dataclass(frozen=True)
class Subjects:
    """Every enrolled subject: identifiers, and which of them were infused.

    Attributes
    ----------
    usubjid, subjid, site : numpy.ndarray
        One per enrolled subject.
    infused_index : numpy.ndarray
        Positions of the infused subjects (the patients of the journey, in order).
    """

    usubjid: np.ndarray
    subjid: np.ndarray
    site: np.ndarray
    infused_index: np.ndarray


def subject_domains(protocol: Protocol, enr: Enrolment, pool: Pool, subjects: Subjects,
                    fate: Fate, re: np.random.Generator) -> dict[str, pd.DataFrame]:
    """DM, DS, MH, PR, EX and SUPPDM of every enrolled subject.

    Parameters
    ----------
    protocol : Protocol
        Dose levels (ids, labels, doses), product and lymphodepletion agents.
    enr : Enrolment
        The conducted trial: consent, leukapheresis, infusion, levels assigned and received.
    pool : Pool
        The screened population (age, sex, pPCL, why a patient was not infused).
    subjects : Subjects
        Identifiers of the enrolled subjects.
    fate : Fate
        How follow-up ended for the infused.
    re : numpy.random.Generator
        The ``events`` stream (diagnosis date, cytogenetics, extramedullary disease).

    Returns
    -------
    dict of str to pandas.DataFrame
        The six domains, keyed by name.
    """
    life = _life(enr, pool, subjects.infused_index, fate)
    return {"DM": _dm(protocol, enr, pool, subjects, life),
            "DS": _ds(enr, pool, subjects, fate, life),
            "MH": _mh(enr, pool, subjects.usubjid, re),
            "PR": frame("PR", {"USUBJID": subjects.usubjid, "PRTRT": "LEUKAPHERESIS",
                               "PRCAT": "CELL COLLECTION", "PRSTDTC": fmt_date(enr.apheresis),
                               "PRSTDY": study_day(enr.apheresis, enr.infusion)}, ["USUBJID"]),
            "EX": _ex(protocol, enr, subjects.usubjid),
            "SUPPDM": suppdm(subjects.usubjid, enr)}


@dataclass(frozen=True)
class _Life:
    death: np.ndarray        # date of death (NaT when alive)
    cause: np.ndarray        # DSTERM of the death
    last: np.ndarray         # last date followed


def _life(enr: Enrolment, pool: Pool, I: np.ndarray, fate: Fate) -> _Life:  # noqa: E741
    """Death date and cause, and the last date followed, of every enrolled subject."""
    E = len(enr.pool_index)
    pi = enr.pool_index
    ni = np.isnat(enr.infusion)
    ni_date = enr.apheresis + pool.aph_to_inf[pi].astype(D)
    dth = np.full(E, NAT)
    dcause = np.full(E, "", dtype=object)
    ni_death = ni & (pool.not_infused_reason[pi] == "DEATH")
    dth[ni_death] = ni_date[ni_death]
    dcause[ni_death] = "DEATH DUE TO DISEASE PROGRESSION"
    died = fate.died
    dth[I[died]] = enr.infusion[I[died]] + fate.death_day[died].astype(int).astype(D)
    dcause[I[died]] = np.where(fate.nrm_death[died], "DEATH DUE TO SEPSIS",
                               "DEATH DUE TO DISEASE PROGRESSION")
    last = np.full(E, NAT)
    last[I] = enr.infusion[I] + fate.end_day.astype(D)
    last[ni] = ni_date[ni]
    return _Life(dth, dcause, last)


def _dm(protocol: Protocol, enr: Enrolment, pool: Pool, s: Subjects, life: _Life
        ) -> pd.DataFrame:
    pi = enr.pool_index
    infused = ~np.isnat(enr.infusion)
    ids = np.array(protocol.dose_ids, dtype=object)
    labels = np.array([d.label for d in protocol.dose_levels], dtype=object)
    reason = pool.not_infused_reason[pi]
    dm = {
        "USUBJID": s.usubjid, "SUBJID": s.subjid,
        "SITEID": s.site, "RFSTDTC": fmt_date(enr.infusion), "AGE": pool.age[pi],
        "AGEU": "YEARS", "SEX": pool.sex[pi], "ARMCD": ids[enr.dose],
        "ACTARMCD": np.where(infused, ids[enr.received], "NOTTRT"),
        "RFICDTC": fmt_date(enr.consent), "RFENDTC": fmt_date(np.where(infused, life.last, NAT)),
        "RFPENDTC": fmt_date(life.last), "DTHDTC": fmt_date(life.death),
        "DTHFL": np.where(np.isnat(life.death), "", "Y"), "RACE": "ASIAN",
        "ETHNIC": "NOT HISPANIC OR LATINO", "ARM": labels[enr.dose],
        "ACTARM": np.where(infused, labels[enr.received], "Not Treated"),
        "ARMNRS": np.where(infused, "", np.where(reason == "MANUFACTURING FAILURE",
                                                 "MANUFACTURING FAILURE", "NOT INFUSED")),
        "COUNTRY": "CHN",
    }
    return frame("DM", dm, ["USUBJID"])


def _ds(enr: Enrolment, pool: Pool, s: Subjects, fate: Fate, life: _Life) -> pd.DataFrame:
    """Milestones and one disposition event per subject."""
    E = len(s.usubjid)
    infused = ~np.isnat(enr.infusion)
    disp = np.full(E, "ONGOING", dtype=object)
    disp[~infused] = pool.not_infused_reason[enr.pool_index][~infused]
    disp[s.infused_index] = np.array(END_REASONS, dtype=object)[fate.why]
    term = disp.copy()
    dead = ~np.isnat(life.death)
    term[dead] = life.cause[dead]
    ms = [("INFORMED CONSENT OBTAINED", enr.consent, np.ones(E, bool)),
          ("LEUKAPHERESIS", enr.apheresis, np.ones(E, bool)),
          ("INFUSION", enr.infusion, infused)]
    cols = {c: [] for c in ("USUBJID", "DSTERM", "DSDECOD", "DSCAT", "DSSTDTC", "EPOCH")}
    for dec, dts, mask in ms:
        cols["USUBJID"].append(s.usubjid[mask])
        cols["DSTERM"].append(np.full(mask.sum(), dec, dtype=object))
        cols["DSDECOD"].append(np.full(mask.sum(), dec, dtype=object))
        cols["DSCAT"].append(np.full(mask.sum(), "PROTOCOL MILESTONE", dtype=object))
        cols["DSSTDTC"].append(fmt_date(dts[mask]))
        cols["EPOCH"].append(np.full(mask.sum(), "TREATMENT" if dec == "INFUSION"
                                     else "SCREENING", dtype=object))
    cols["USUBJID"].append(s.usubjid)
    cols["DSTERM"].append(term)
    cols["DSDECOD"].append(disp)
    cols["DSCAT"].append(np.full(E, "DISPOSITION EVENT", dtype=object))
    cols["DSSTDTC"].append(fmt_date(np.where(np.isnat(life.death), life.last, life.death)))
    cols["EPOCH"].append(np.where(infused, "FOLLOW-UP", "SCREENING"))
    return frame("DS", {c: np.concatenate(v) for c, v in cols.items()}, ["USUBJID", "DSSTDTC"])


def _mh(enr: Enrolment, pool: Pool, usubjid: np.ndarray, re: np.random.Generator
        ) -> pd.DataFrame:
    """Primary diagnosis (partial date), cytogenetics, extramedullary disease."""
    E = len(usubjid)
    ppcl = pool.ppcl[enr.pool_index]
    yrs = np.where(ppcl, re.uniform(0.3, 1.5, E), re.uniform(2, 8, E))
    dx = enr.consent - (yrs * 365).astype(int).astype(D)
    hr = re.random(E) < 0.8
    emd = re.random(E) < 0.3
    mh = {
        "USUBJID": np.concatenate([usubjid, usubjid[hr], usubjid[emd]]),
        "MHTERM": np.concatenate([np.where(ppcl, "Primary plasma cell leukemia",
                                           "Multiple myeloma"),
                                  np.array(["t(4;14)", "del(17p)", "1q21 gain"],
                                           dtype=object)[np.arange(E) % 3][hr],
                                  np.full(emd.sum(), "Extramedullary plasmacytoma")]),
        "MHDECOD": np.concatenate([np.where(ppcl, "Plasma cell leukaemia", "Plasma cell myeloma"),
                                   np.full(hr.sum(), "High-risk cytogenetics"),
                                   np.full(emd.sum(), "Plasmacytoma")]),
        "MHCAT": np.concatenate([np.full(E, "PRIMARY DIAGNOSIS"),
                                 np.full(hr.sum(), "CYTOGENETICS"),
                                 np.full(emd.sum(), "EXTRAMEDULLARY DISEASE")]),
        "MHSTDTC": np.concatenate([np.array([s[:7] for s in fmt_date(dx)], dtype=object),
                                   fmt_date(dx[hr]), np.full(emd.sum(), "")]),
    }
    return frame("MH", mh, ["USUBJID", "MHCAT", "MHTERM"])


def _ex(protocol: Protocol, enr: Enrolment, usubjid: np.ndarray) -> pd.DataFrame:
    """Flu/Cy on the protocol's days and the infusion at the level received."""
    infused = ~np.isnat(enr.infusion)
    inf = enr.infusion[infused]
    parts = []
    for a in protocol.lymphodepletion.agents:
        for dday in a.days:
            d = inf + np.timedelta64(dday, "D")
            parts.append(pd.DataFrame({"USUBJID": usubjid[infused], "EXTRT": a.agent,
                                       "EXCAT": "LYMPHODEPLETING CHEMOTHERAPY",
                                       "EXDOSE": a.dose, "EXDOSU": a.unit,
                                       "EXSTDTC": fmt_date(d), "EXENDTC": fmt_date(d),
                                       "EXSTDY": float(dday), "EXROUTE": "INTRAVENOUS",
                                       "EPOCH": "LYMPHODEPLETION"}))
    # the level received; EXADJ documents a product out of specification (example.manufacturing)
    dose_v = np.array([d.dose for d in protocol.dose_levels])[enr.received[infused]]
    parts.append(pd.DataFrame({"USUBJID": usubjid[infused], "EXTRT": protocol.product,
                               "EXCAT": "INVESTIGATIONAL PRODUCT", "EXDOSE": dose_v,
                               "EXADJ": np.where(enr.out_of_spec[infused], OUT_OF_SPEC, ""),
                               "EXDOSU": "10^6 cells/kg", "EXSTDTC": fmt_date(inf),
                               "EXENDTC": fmt_date(inf), "EXSTDY": 1.0,
                               "EXROUTE": "INTRAVENOUS", "EPOCH": "TREATMENT"}))
    exd = pd.concat(parts, ignore_index=True)
    return frame("EX", {c: exd[c].to_numpy() for c in exd.columns}, ["USUBJID", "EXSTDTC",
                                                                     "EXCAT", "EXTRT"])


def suppdm(usubjid: np.ndarray, enr: Enrolment) -> pd.DataFrame:
    """Study part and cohort of every enrolled subject (docs/data-model.md, SUPPDM).

    Parameters
    ----------
    usubjid : numpy.ndarray
        Enrolled subjects.
    enr : Enrolment
        Gives ``expansion`` and ``cohort``.

    Returns
    -------
    pandas.DataFrame
        Two records per subject: QNAM ``COHORT`` (``C01``... or ``EXP``) and ``PART``
        (``ESCALATION`` or ``EXPANSION``); a patient of the randomised stage has only ``PART``
        = ``RANDOMISED`` (the arm is ``DM.ARMCD``).
    """
    part = np.where(enr.expansion, "EXPANSION", "ESCALATION").astype(object)
    cohort = np.array([f"C{c:02d}" for c in enr.cohort], dtype=object)
    cohort[enr.expansion] = "EXP"
    rnd = np.zeros(len(usubjid), bool) if enr.randomised is None else enr.randomised
    part[rnd] = "RANDOMISED"  # the ROSE stage (example.rose_stage): no cohort, the arm is ARMCD
    n = len(usubjid)
    df = pd.DataFrame({
        "STUDYID": STUDYID, "RDOMAIN": "DM", "USUBJID": np.concatenate([usubjid, usubjid]),
        "IDVAR": "", "IDVARVAL": "", "QNAM": np.repeat(["COHORT", "PART"], n),
        "QLABEL": np.repeat(["Cohort", "Study Part"], n), "QVAL": np.concatenate([cohort, part]),
        "QORIG": "ASSIGNED"})
    df = df[~np.concatenate([rnd, np.zeros(n, bool)])]
    return df.sort_values(["USUBJID", "QNAM"], kind="stable").reset_index(drop=True)
