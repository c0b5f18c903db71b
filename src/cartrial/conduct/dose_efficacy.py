"""Efficacy and expansion per dose level at a data cut-off, for phase I/II dose decisions.

The protocol's ``design.efficacy`` names the outcome (IMWG PR / VGPR / CR or better, or MRD
negativity) and its assessment window (by day D, visit window W). Per escalation patient infused
by the cut-off: responded (``yes``), did not (``no``: the window closed without it, or death or new
therapy came first) or ``pending`` (window still open) - the efficacy engine's response at each
assessment (Kumar S et al., Lancet Oncol 2016). Per dose: treated, DLT, responders, pending, the
utility estimate of the design's utility table (BOIN12, Lin et al., JCO Precis Oncol 2020) and,
beside it, expansion from the kinetics engine (CAR+ T-cell Cmax and AUC0-28d, medians).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from cartrial.data import Study, snapshot
from cartrial.errors import InputError
from cartrial.protocol import Protocol
from cartrial.protocol.model import DoseEfficacySpec

OUTCOME_COLUMNS = ["USUBJID", "DOSE_INDEX", "RESPONSE", "RESPONSE_DAY", "EFF_DAYS_LEFT",
                   "EFF_BASIS"]
EXPANSION_ANALYTES = ("CARTCELL", "CARTRNSG")  # flow CAR+ T cells first, else transgene copies
LEVEL = {"PR": 4, "VGPR": 5, "CR": 6}  # efficacy.imwg_rules.RESPONSE_ORDER ranks (sCR 7)
PHASE12_DESIGNS = ("boin12", "tite-boin12", "boin-et")  # decide on marginal counts


def efficacy_spec(protocol: Protocol, required: bool = False) -> DoseEfficacySpec | None:
    """The protocol's dose-decision efficacy outcome; with ``required`` refuse a missing one.

    Parameters
    ----------
    protocol : Protocol
        The protocol.
    required : bool
        Raise when ``design.efficacy`` is absent.

    Returns
    -------
    DoseEfficacySpec or None

    Raises
    ------
    InputError
        ``required`` and the protocol names no efficacy outcome.
    """
    spec = protocol.design.efficacy
    if spec is None and required:
        raise InputError(f"protocol {protocol.study_id}: design {protocol.design.name!r} decides "
                         "on efficacy, so design.efficacy must name the outcome (endpoint: PR | "
                         "VGPR | CR | MRD-negative, by_day, window_days)")
    return spec


def _hits(study: Study, protocol: Protocol, spec: DoseEfficacySpec,
          inf: pd.Series) -> pd.DataFrame:
    """Dated qualifying results (USUBJID, ADT, DAY): response level or MRD negativity."""
    from cartrial.efficacy import classify_assessments, classify_mrd
    from cartrial.efficacy.sdtm import disease_assessments_from_sdtm, mrd_from_sdtm, mrd_records
    from cartrial.efficacy.sdtm_disease import disease_records

    if "LB" not in study:
        raise InputError("the efficacy outcome for dose decisions needs the LB domain")
    if spec.endpoint == "MRD-negative":  # LB's MRD or disease records only (issue #18)
        m = classify_mrd(mrd_from_sdtm(mrd_records(study)), protocol.endpoints.mrd_sensitivity)
        hits = m[m["MRDNEGFL"].eq("Y")]
    else:
        a = disease_assessments_from_sdtm(disease_records(study), inf, study.get("TU"),
                                          study.get("TR"))
        a = classify_assessments(a, None, protocol.endpoints.response)
        rank = a["AVALC"].map({"PR": 4, "VGPR": 5, "CR": 6, "sCR": 7}).fillna(0)
        hits = a[(rank >= LEVEL[spec.endpoint]) & a["ANL01FL"].eq("Y")]
    hits = hits[["USUBJID", "ADT"]].assign(USUBJID=lambda d: d["USUBJID"].astype(str))
    hits["DAY"] = (hits["ADT"] - hits["USUBJID"].map(inf)).dt.days
    return hits


def efficacy_outcomes(study: Study, protocol: Protocol, as_of: date | str | None = None,
                      subjects: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each escalation patient's dose-decision efficacy outcome at ``as_of``.

    Parameters
    ----------
    study : Study
        The study (validated).
    protocol : Protocol
        With ``design.efficacy`` (the outcome and its window).
    as_of : date or str, optional
        Data cut-off; None: every record, the cut-off being the latest date in the data.
    subjects : pandas.DataFrame, optional
        ``study_parts`` rows of the patients to assess (default: the escalation patients).

    Returns
    -------
    pandas.DataFrame
        ``OUTCOME_COLUMNS``: RESPONSE ``yes`` / ``no`` / ``pending``, RESPONSE_DAY (day of the
        first qualifying result), EFF_DAYS_LEFT (days until the window closes, pending only) and
        EFF_BASIS (the reason in words). One row per escalation patient infused by ``as_of``.

    Raises
    ------
    InputError
        No ``design.efficacy`` in the protocol, or no LB domain.

    Examples
    --------
    >>> efficacy_outcomes(load_study("sdtm"), load_protocol("p.yaml"), "2024-01-02")
    ... # doctest: +SKIP
    """
    from cartrial.conduct.from_study import _subset, escalation_subjects
    from cartrial.efficacy import subjects_from_sdtm

    spec = efficacy_spec(protocol, required=True)
    esc = escalation_subjects(study) if subjects is None else subjects
    cut = None if as_of is None else pd.Timestamp(as_of).normalize()
    esc = esc[esc["INFUSION_DATE"].notna()
              & (True if cut is None else esc["INFUSION_DATE"] <= cut)]
    if esc.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTCOME_COLUMNS})
    snap = _subset(study, set(esc["USUBJID"].astype(str)))
    snap = snapshot(snap, as_of) if as_of is not None else snap
    get = snap.get
    others = [d for d in (get("LB"), get("RS"), get("AE"), get("TR")) if d is not None]
    subj = subjects_from_sdtm(get("DM"), get("EX"), get("PR"), get("MH"), get("CM"), get("DS"),
                              others).set_index("USUBJID")
    if cut is None:
        cut = subj["LSTALVDT"].max()
    inf = esc.set_index("USUBJID")["INFUSION_DATE"]
    hits = _hits(snap, protocol, spec, inf)
    end = spec.by_day + spec.window_days
    rows = []
    ids = protocol.dose_ids
    for r in esc.itertuples(index=False):
        u = str(r.USUBJID)
        mine = hits[(hits["USUBJID"] == u) & (hits["DAY"] <= end)]
        resp, day, left, basis = _classify(subj.loc[u], r.INFUSION_DATE, cut, mine, spec)
        rows.append({"USUBJID": u, "DOSE_INDEX": ids.index(r.DOSE_LEVEL), "RESPONSE": resp,
                     "RESPONSE_DAY": day, "EFF_DAYS_LEFT": left, "EFF_BASIS": basis})
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def _classify(s: pd.Series, infdt: pd.Timestamp, cut: pd.Timestamp, mine: pd.DataFrame,
              spec: DoseEfficacySpec) -> tuple[str, float, float, str]:
    """(RESPONSE, RESPONSE_DAY, EFF_DAYS_LEFT, EFF_BASIS) of one patient."""
    end = spec.by_day + spec.window_days
    what = spec.label
    if len(mine):
        day = int(mine["DAY"].min())
        return "yes", float(day), np.nan, f"{what}: met on day {day}"
    stops = {"died": s.get("DTHDT"), "started new therapy": s.get("NACTDT")}
    for verb, when in stops.items():
        if pd.notna(when) and when <= cut and (when - infdt).days <= end:
            day = (when - infdt).days
            return "no", np.nan, np.nan, f"{verb} on day {day}, before {what} was met"
    today = (cut - infdt).days
    if today > end:
        return "no", np.nan, np.nan, f"window closed on day {end} without {what}"
    return "pending", np.nan, float(end - max(today, 0)), (f"day {today} of {end}: window "
                                                           "still open")


def expansion_by_patient(study: Study, protocol: Protocol, as_of: date | str | None = None,
                         subjects: set[str] | None = None) -> pd.DataFrame:
    """CAR-T expansion per infused patient (kinetics engine NCA): Cmax and AUC0-28d.

    Parameters
    ----------
    study : Study
        The study (EX and PC domains).
    protocol : Protocol
        Kinetics settings (the partial AUC to day 28 must be among ``auc_partial_days``).
    as_of : date or str, optional
        Data cut-off; a patient contributes once followed past day 28 plus the kinetics visit
        window (Cmax and AUC0-28d are then final), otherwise the values are missing.
    subjects : set of str, optional
        Only these patients (e.g. the escalation patients of ``decide``); None: every one.

    Returns
    -------
    pandas.DataFrame
        USUBJID, ANALYTE (PCTESTCD: CAR+ T cells by flow, else transgene copies), UNIT, CMAX,
        AUC0_28. Empty when the study has no PC domain.

    Raises
    ------
    InputError
        Records the kinetics engine cannot use (it names them).

    Examples
    --------
    >>> expansion_by_patient(load_study("sdtm"), load_protocol("ct071"))  # doctest: +SKIP
    """
    from cartrial.conduct.from_study import _subset
    from cartrial.kinetics import infusions, nca, partial_auc_code, pc_profiles

    cols = ["USUBJID", "ANALYTE", "UNIT", "CMAX", "AUC0_28"]
    snap = _subset(study, subjects) if subjects is not None else study
    snap = snapshot(snap, as_of) if as_of is not None else snap
    pc, ex = snap.get("PC"), snap.get("EX")
    if pc is None or ex is None or not len(pc):
        return pd.DataFrame(columns=cols)
    inf = infusions(ex, protocol, snap.get("DM"))
    prof = pc_profiles(pc, inf)
    present = [a for a in EXPANSION_ANALYTES if (prof["PCTESTCD"] == a).any()]
    if not present:
        return pd.DataFrame(columns=cols)
    prof = prof[prof["PCTESTCD"] == present[0]]
    settings = protocol.kinetics
    if 28.0 not in settings.auc_partial_days:
        settings = settings.model_copy(update={"auc_partial_days": [*settings.auc_partial_days,
                                                                    28.0]})
    t = nca(prof, settings, by=("USUBJID", "PCTESTCD", "PCSPEC"), domain="PC", seq_col="PCSEQ")
    out = pd.DataFrame({"USUBJID": t["USUBJID"].astype(str), "ANALYTE": t["PCTESTCD"],
                        "UNIT": t["USUBJID"].map(prof.groupby("USUBJID")["unit"].first()),
                        "CMAX": t["CMAX"], "AUC0_28": t[partial_auc_code(28.0)]})
    if as_of is not None:
        start = out["USUBJID"].map(inf.set_index("USUBJID")["INFDT"])
        days = (pd.Timestamp(as_of).normalize() - pd.to_datetime(start)).dt.days
        early = days < 28 + protocol.schedule.kinetics.window_days
        out.loc[early.to_numpy(), ["CMAX", "AUC0_28"]] = np.nan
    return out.reset_index(drop=True)


def with_efficacy(patients: pd.DataFrame, study: Study, protocol: Protocol,
                  as_of: date | str | None = None) -> pd.DataFrame:
    """The DLT status (``conduct.dlt_status``) with each patient's efficacy outcome joined.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per escalation patient (USUBJID, DOSE_INDEX, DLT...).
    study : Study
        The study.
    protocol : Protocol
        With ``design.efficacy``.
    as_of : date or str, optional
        Data cut-off.

    Returns
    -------
    pandas.DataFrame
        ``patients`` with RESPONSE, RESPONSE_DAY, EFF_DAYS_LEFT and EFF_BASIS.

    Raises
    ------
    InputError
        No ``design.efficacy`` in the protocol (see :func:`efficacy_outcomes`).

    Examples
    --------
    >>> with_efficacy(dlt_status(s, p, "2024-01-02"), s, p, "2024-01-02")  # doctest: +SKIP
    """
    if patients.empty:
        return patients.assign(**{c: pd.Series(dtype=object) for c in OUTCOME_COLUMNS[2:]})
    from cartrial.conduct.known_on import active

    known = active(study, protocol)  # the escalation subjects read once (decide, the history)
    esc = known.escalation(study) if known is not None else None
    # their records: the escalation-only study (the same rows as cut from the whole study)
    out = efficacy_outcomes(study if known is None else known.study, protocol, as_of,
                            subjects=esc).drop(columns="DOSE_INDEX")
    return patients.merge(out, on="USUBJID", how="left", validate="one_to_one")


def dose_efficacy_table(patients: pd.DataFrame, protocol: Protocol,
                        expansion: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per dose level: treated, DLT, responders, pending, utility estimate, expansion medians.

    Parameters
    ----------
    patients : pandas.DataFrame
        :func:`with_efficacy` output (DLT and RESPONSE per patient).
    protocol : Protocol
        Dose levels and design; a BOIN12 design brings its utility table.
    expansion : pandas.DataFrame, optional
        :func:`expansion_by_patient` output.

    Returns
    -------
    pandas.DataFrame
        DOSE_ID, DOSE, TREATED, DLT, DLT_PENDING, RESPONDERS, EFF_PENDING, COMPLETE (both
        outcomes known), UTILITY (mean utility score of the complete patients, 0-100: Lin et al.
        2020's u(response, DLT) table; NaN without a utility table or complete patient),
        DESIRABILITY (BOIN12's P(utility > u_b | data)), N_PK, CMAX_MEDIAN, AUC0_28_MEDIAN.

    Raises
    ------
    InputError
        A RESPONSE or DLT value other than yes / no / pending.

    References
    ----------
    Lin R, Zhou Y, Yan F, Li D, Yuan Y. JCO Precis Oncol 2020;4:1393-1402.

    Examples
    --------
    >>> dose_efficacy_table(with_efficacy(pt, s, p), p)  # doctest: +SKIP
    """
    for col in ("DLT", "RESPONSE"):
        bad = ~patients[col].isin(["yes", "no", "pending"])
        if bad.any():
            r = patients.loc[bad].iloc[0]
            raise InputError(f"USUBJID={r['USUBJID']} {col}={r[col]!r}: must be yes, no or "
                             "pending")
    from cartrial.design.boin12_rules import desirability

    design = _utility_design(protocol)
    exp = expansion if expansion is not None else pd.DataFrame(columns=["USUBJID"])
    rows = []
    for j, d in enumerate(protocol.dose_levels):
        at = patients[patients["DOSE_INDEX"] == j]
        done = at[(at["DLT"] != "pending") & (at["RESPONSE"] != "pending")]
        n, yt = len(done), int((done["DLT"] == "yes").sum())
        ye = int((done["RESPONSE"] == "yes").sum())
        util = desir = np.nan
        if design is not None and n:
            x = design.utility.pseudo_responses(np.array(n), np.array(yt), np.array(ye))
            util = float(100.0 * x / n)
            desir = float(desirability(np.array([n]), np.array([x]), design.u_b)[0])
        pk = exp[exp["USUBJID"].isin(set(at["USUBJID"]))] if len(exp) else exp
        rows.append({
            "DOSE_INDEX": j, "DOSE_ID": d.id, "DOSE": d.label, "TREATED": len(at),
            "DLT": int((at["DLT"] == "yes").sum()), "DLT_PENDING": int((at["DLT"] == "pending")
                                                                       .sum()),
            "RESPONDERS": int((at["RESPONSE"] == "yes").sum()),
            "EFF_PENDING": int((at["RESPONSE"] == "pending").sum()), "COMPLETE": n,
            "UTILITY": util, "DESIRABILITY": desir,
            "N_PK": int(pk["CMAX"].notna().sum()) if len(pk) else 0,
            "CMAX_MEDIAN": _median(pk, "CMAX"), "AUC0_28_MEDIAN": _median(pk, "AUC0_28"),
        })
    return pd.DataFrame(rows)


def _median(pk: pd.DataFrame, col: str) -> float:
    v = pk[col].dropna() if len(pk) else pk.get(col, pd.Series(dtype=float))
    return float(v.median()) if len(v) else np.nan


def _utility_design(protocol: Protocol):
    """The BOIN12 design of the protocol (its utility table), else None."""
    if protocol.design.boin12 is None:  # BOIN-ET has no utility table
        return None
    from cartrial.design.boin12 import boin12_from_spec

    return boin12_from_spec(protocol.design, len(protocol.dose_levels))



def dose_efficacy_at(study: Study, protocol: Protocol, patients: pd.DataFrame,
                     as_of: date | str | None = None) -> pd.DataFrame | None:
    """:func:`dose_efficacy_table` for ``cartrial decide``: None when the protocol names no
    efficacy outcome.

    Parameters
    ----------
    study : Study
        The study.
    protocol : Protocol
        The protocol.
    patients : pandas.DataFrame
        ``StudyDecision.patients`` (with RESPONSE already for phase I/II designs).
    as_of : date or str, optional
        Data cut-off.

    Returns
    -------
    pandas.DataFrame or None

    Raises
    ------
    InputError
        Data the efficacy or kinetics engine cannot use.

    Examples
    --------
    >>> dose_efficacy_at(study, proto, decide_study(study, proto).patients)  # doctest: +SKIP
    """
    if efficacy_spec(protocol) is None or patients.empty:
        return None
    if "RESPONSE" not in patients:
        patients = with_efficacy(patients, study, protocol, as_of)
    ids = set(patients["USUBJID"].astype(str))
    return dose_efficacy_table(patients, protocol,
                               expansion_by_patient(study, protocol, as_of, subjects=ids))
