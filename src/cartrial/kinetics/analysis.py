"""All kinetics tables of a study in one call (issue #7): NCA, persistence, cytokines,
exposure-response / exposure-safety and immunogenicity, by dose level.

Inputs are a Study or its SDTM-shaped frames (``Study.domains``); CRS grade and best response
come from the safety and efficacy engines when the caller has them (frames USUBJID + CRSGR /
BOR); without a CRS frame the investigator-reported AE grade is used and the method record says
so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cartrial._memory import release_freed_memory
from cartrial.data.study import Study
from cartrial.errors import InputError
from cartrial.kinetics.ada import ada_summary, classify_ada
from cartrial.kinetics.cytokines import cytokine_auc_code, cytokine_parameters
from cartrial.kinetics.exposure import IMWG_ORDER, rank_tests
from cartrial.kinetics.nca import nca, nca_method, partial_auc_code
from cartrial.kinetics.persistence import persistence, persistence_summary
from cartrial.kinetics.sdtm import (
    ada_data,
    crs_grades_from_ae,
    cytokine_data,
    cytokine_records,
    infusions,
    pc_profiles,
    subject_frame,
)
from cartrial.kinetics.summary import attach_groups, summarise_parameters
from cartrial.protocol.model import KineticsSettings, Protocol

PROFILE_KEYS = ("USUBJID", "PCTESTCD", "PCSPEC")
ALL_DOSES = "ALL"
#: Parameters shown in the summary tables (all are in the per-profile table).
SUMMARY_PARAMETERS = ("CMAX", "TMAX", "AUCLST", "CLST", "TLST", "LAMZHL", "AUCIFO")
CYTOKINE_SUMMARY = ("BASE", "PEAK", "TPEAK", "FCPEAK")


@dataclass(frozen=True)
class KineticsReport:
    """Every kinetics table of a study; per-patient tables and summaries, tidy frames.

    Attributes
    ----------
    subjects : pandas.DataFrame
        Infused subjects with dose level, CRS grade and (when given) best response.
    nca, nca_summary : pandas.DataFrame
        :func:`nca` per profile; summaries by dose level and overall.
    persistence, persistence_summary : pandas.DataFrame
        :func:`persistence` and :func:`persistence_summary`.
    cytokines, cytokine_summary_dose, cytokine_summary_crs : pandas.DataFrame or None
        :func:`cytokine_parameters` and its summaries (None without cytokine records).
    crs_association : pandas.DataFrame
        Rank tests of peak cytokines against CRS grade.
    exposure_response, exposure_response_tests : pandas.DataFrame or None
        Exposure by best response (None without a response).
    exposure_safety, exposure_safety_tests : pandas.DataFrame
        Exposure by maximum CRS grade.
    ada, ada_summary, ada_kinetics : pandas.DataFrame or None
        :func:`classify_ada`, :func:`ada_summary`, exposure by ADA status (None without IS).
    method : dict
        The method record (NCA conventions, sources, CI, excluded records).

    Every summary, test and ``persistence`` is None when :func:`analyse_kinetics` was asked
    for none (``summaries=False``).

    Examples
    --------
    Made by :func:`analyse_kinetics` from a whole study on disk:

    >>> from cartrial.data import load_study
    >>> from cartrial.protocol import load_protocol
    >>> study = load_study("build/demo/sdtm")  # doctest: +SKIP
    >>> report = analyse_kinetics(study, load_protocol("ct071"))  # doctest: +SKIP
    >>> report.nca_summary.query("PARAMCD == 'CMAX'")  # doctest: +SKIP
    """

    subjects: pd.DataFrame
    nca: pd.DataFrame
    nca_summary: pd.DataFrame | None
    persistence: pd.DataFrame | None
    persistence_summary: pd.DataFrame | None
    cytokines: pd.DataFrame | None
    cytokine_summary_dose: pd.DataFrame | None
    cytokine_summary_crs: pd.DataFrame | None
    crs_association: pd.DataFrame | None
    exposure_response: pd.DataFrame | None
    exposure_response_tests: pd.DataFrame | None
    exposure_safety: pd.DataFrame | None
    exposure_safety_tests: pd.DataFrame | None
    ada: pd.DataFrame | None
    ada_summary: pd.DataFrame | None
    ada_kinetics: pd.DataFrame | None
    method: dict[str, Any] = field(default_factory=dict)


def _by_dose_and_all(table: pd.DataFrame, parameters: list[str], by: list[str]) -> pd.DataFrame:
    """Summary by dose level, then all dose levels together (DOSELVL = ALL)."""
    per = summarise_parameters(
        table.assign(DOSELVL=table["DOSELVL"].astype(str)), parameters, by=[*by, "DOSELVL"]
    )
    overall = summarise_parameters(table.assign(DOSELVL=ALL_DOSES), parameters, by=[*by, "DOSELVL"])
    return (
        pd.concat([per, overall], ignore_index=True)
        .sort_values(by, kind="stable")
        .reset_index(drop=True)
    )


def analyse_kinetics(
    domains: Study | Mapping[str, pd.DataFrame],
    protocol: Protocol,
    *,
    crs: pd.DataFrame | None = None,
    response: pd.DataFrame | None = None,
    confidence_level: float | None = None,
    crs_source: str = "caller",
    response_source: str = "caller",
    summaries: bool = True,
) -> KineticsReport:
    """Kinetics, cytokine and ADA tables for a study (or its ``domains``) under ``protocol``.

    ``crs``: USUBJID, CRSGR (maximum CRS grade, e.g. from the safety engine); ``response``:
    USUBJID, BOR (best overall response, IMWG categories, from the efficacy engine);
    ``crs_source`` / ``response_source`` name where they came from in the method record.

    Parameters
    ----------
    domains : cartrial.data.Study or mapping of str to pandas.DataFrame
        SDTM datasets by name; EX and PC are required, DM, AE, LB (cytokines) and IS (ADA)
        are used when present. A Study is read for LB's cytokine records only.
    protocol : Protocol
        The trial's protocol (``kinetics`` settings, dose levels).
    crs : pandas.DataFrame, optional
        USUBJID, CRSGR; by default the maximum investigator-reported AE grade.
    response : pandas.DataFrame, optional
        USUBJID, BOR; without it no exposure-response tables.
    confidence_level : float, optional
        Coverage of the exact CIs; ``protocol.endpoints.confidence_level`` by default.
    crs_source, response_source : str
        Where ``crs`` and ``response`` came from, stated in the method record.
    summaries : bool, default True
        Build the summaries and tests. False: only the per-patient frames the ADaM datasets
        are derived from (``subjects``, ``nca``, ``cytokines``, ``ada``) and the method
        record; every other field is None. ``cartrial analyze`` computes its tables from
        ADaM (:mod:`cartrial.report.kinetics_adam`), so its engine builds none.

    Returns
    -------
    KineticsReport

    Raises
    ------
    InputError
        When EX or PC is absent, or a subject frame is malformed.
    RecordError
        When a record cannot be used (names domain, subject, --SEQ, variable, value).

    Examples
    --------
    Needs a whole study on disk (e.g. written by ``cartrial demo --out build/demo``):

    >>> from cartrial.data import load_study
    >>> from cartrial.protocol import load_protocol
    >>> study = load_study("build/demo/sdtm")  # doctest: +SKIP
    >>> report = analyse_kinetics(study, load_protocol("ct071"))  # doctest: +SKIP
    >>> report.method["crs_grade_source"]  # doctest: +SKIP
    'AE.AETOXGR (investigator-reported)'
    """
    s = protocol.kinetics
    cl = confidence_level or protocol.endpoints.confidence_level
    for name in ("EX", "PC"):
        if name not in domains:
            raise InputError(f"kinetics needs the {name} domain; the study has "
                             f"{sorted(getattr(domains, 'domains', domains))}")
    inf = infusions(domains["EX"], protocol, domains.get("DM"))
    crs_given = subject_frame(crs, "CRSGR", name="CRS")
    crs_label = crs_source if crs_given is not None else "AE.AETOXGR (investigator-reported)"
    grades = crs_given if crs_given is not None else crs_grades_from_ae(domains.get("AE"), inf)
    subjects = inf.copy().merge(grades, on="USUBJID", how="left")
    resp = subject_frame(response, "BOR", name="RESPONSE")
    if resp is not None:
        subjects = subjects.merge(resp, on="USUBJID", how="left")
    # 1. NCA per profile and by dose level; persistence (qPCR and flow, per specimen)
    prof = pc_profiles(domains["PC"], inf)
    table, nca_sum = _nca_tables(prof, subjects, s, summaries)
    pers, pers_sum = _persistence_tables(table, protocol, cl) if summaries else (None, None)
    excluded = {"PC": prof.attrs.get("excluded", {})}
    release_freed_memory()  # the cytokines start from what is alive (issue #18: memory)
    # 2. Cytokines; 3. exposure-safety and exposure-response; 4. immunogenicity
    cyto = _cytokine_tables(domains, inf, subjects, s, excluded, summaries)
    expo = (_exposure_tables(table, subjects, cyto["peak_il6"], resp is not None, s)
            if summaries else dict.fromkeys(_EXPOSURE_FIELDS))
    ada = _ada_tables(domains, inf, subjects, table, s, cl, excluded, summaries)
    method = {
        "nca": nca_method(s),
        "crs_grade_source": crs_label,
        "best_response_source": response_source if resp is not None else None,
        "confidence_level": cl,
        "ci": "Clopper-Pearson (exact)",
        "time": "whole days from the CAR-T infusion date (EX, EXCAT = INVESTIGATIONAL PRODUCT)",
        "excluded_records": excluded,
    }
    return KineticsReport(
        subjects=subjects,
        nca=table,
        nca_summary=nca_sum,
        persistence=pers,
        persistence_summary=pers_sum,
        cytokines=cyto["cytokines"],
        cytokine_summary_dose=cyto["by_dose"],
        cytokine_summary_crs=cyto["by_crs"],
        method=method,
        **expo,
        **ada,
    )


_KEYS = ["PCTESTCD", "PCSPEC"]
_EXPOSURE_FIELDS = ("exposure_safety", "exposure_safety_tests", "crs_association",
                    "exposure_response", "exposure_response_tests")


def _exposure_codes(s: KineticsSettings) -> list[str]:
    return ["CMAX", *[partial_auc_code(d) for d in s.auc_partial_days]]


def _nca_tables(prof: pd.DataFrame, subjects: pd.DataFrame, s: KineticsSettings,
                summaries: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """NCA per profile (with its unit and dose level) and its summary by dose level."""
    table = nca(prof, s, by=PROFILE_KEYS, domain="PC", seq_col="PCSEQ")
    units = prof.groupby("PCTESTCD")["unit"].first()
    table.insert(3, "unit", table["PCTESTCD"].map(units))
    table = attach_groups(table, subjects[["USUBJID", "DOSELVL"]], columns=["DOSELVL"])
    auc_codes = [partial_auc_code(d) for d in s.auc_partial_days]
    params = [*SUMMARY_PARAMETERS[:3], *auc_codes, *SUMMARY_PARAMETERS[3:]]
    return table, _by_dose_and_all(table, params, _KEYS) if summaries else None


def _persistence_tables(table: pd.DataFrame, protocol: Protocol, cl: float
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Persistence per profile and its summary by dose level, then all levels."""
    s = protocol.kinetics
    pers = persistence(
        table, s, by=[*PROFILE_KEYS, "DOSELVL"], days_per_month=protocol.endpoints.days_per_month
    )
    pers_dose = persistence_summary(
        pers.assign(DOSELVL=pers["DOSELVL"].astype(str)),
        s,
        by=[*_KEYS, "DOSELVL"],
        confidence_level=cl,
    )
    pers_all = persistence_summary(
        pers.assign(DOSELVL=ALL_DOSES), s, by=[*_KEYS, "DOSELVL"], confidence_level=cl
    )
    return pers, pd.concat([pers_dose, pers_all], ignore_index=True)


def _cytokine_tables(domains: Study | Mapping[str, pd.DataFrame], inf: pd.DataFrame,
                     subjects: pd.DataFrame, s: KineticsSettings, excluded: dict,
                     summaries: bool = True) -> dict:
    """Cytokine parameters per patient, by dose level and by CRS grade; peak IL-6."""
    out: dict[str, Any] = dict.fromkeys(("cytokines", "by_dose", "by_crs", "peak_il6"))
    if "LB" in domains:  # LB's cytokine records only (issue #18: memory)
        cdata = cytokine_data(cytokine_records(domains, s), inf, s)
        excluded["LB"] = cdata.attrs.get("excluded", {})
        if len(cdata):
            cyto = cytokine_parameters(
                cdata, s, by=("USUBJID", "CYTOKINE"), domain="LB", seq_col="LBSEQ"
            )
            cyto = attach_groups(
                cyto, subjects[["USUBJID", "DOSELVL", "CRSGR"]], columns=["DOSELVL", "CRSGR"]
            )
            cparams = [*CYTOKINE_SUMMARY, cytokine_auc_code(s)]
            out["cytokines"] = cyto
            if not summaries:
                return out
            out["by_dose"] = _by_dose_and_all(cyto, cparams, ["CYTOKINE"])
            out["by_crs"] = summarise_parameters(cyto, cparams, by=["CYTOKINE", "CRSGR"])
            out["peak_il6"] = cyto[cyto["CYTOKINE"] == "IL6"][["USUBJID", "PEAK"]]
    return out


def _exposure_tables(table: pd.DataFrame, subjects: pd.DataFrame, peak_il6: pd.DataFrame | None,
                     with_response: bool, s: KineticsSettings) -> dict[str, Any]:
    """Exposure by CRS grade (and peak IL-6 vs CRS) and by best response (blood profiles)."""
    expo = table.merge(
        subjects[["USUBJID", "CRSGR"] + (["BOR"] if with_response else [])],
        on="USUBJID",
        how="left",
    )
    e_params = _exposure_codes(s)
    assoc = [rank_tests(expo, ["CMAX"], group_col="CRSGR", by=_KEYS)]
    if peak_il6 is not None and len(peak_il6):
        il6 = peak_il6.merge(subjects[["USUBJID", "CRSGR"]], on="USUBJID", how="left")
        assoc.append(
            rank_tests(il6.rename(columns={"PEAK": "PEAK_IL6"}), ["PEAK_IL6"], group_col="CRSGR")
        )
    out: dict[str, Any] = {
        "exposure_safety": summarise_parameters(expo, e_params, by=[*_KEYS, "CRSGR"]),
        "exposure_safety_tests": rank_tests(expo, e_params, group_col="CRSGR", by=_KEYS),
        "crs_association": pd.concat(assoc, ignore_index=True),
        "exposure_response": None,
        "exposure_response_tests": None,
    }
    if with_response:
        out["exposure_response"] = summarise_parameters(expo, e_params, by=[*_KEYS, "BOR"])
        out["exposure_response_tests"] = rank_tests(
            expo, e_params, group_col="BOR", order=IMWG_ORDER, unranked=("NE",), by=_KEYS
        )
    return out


def _ada_tables(domains: Study | Mapping[str, pd.DataFrame], inf: pd.DataFrame,
                subjects: pd.DataFrame,
                table: pd.DataFrame, s: KineticsSettings, cl: float, excluded: dict,
                summaries: bool = True) -> dict[str, Any]:
    """ADA status per patient, its summary by dose level and the kinetics by ADA status."""
    out: dict[str, Any] = {"ada": None, "ada_summary": None, "ada_kinetics": None}
    if "IS" not in domains:
        return out
    adata = ada_data(domains["IS"], inf)
    excluded["IS"] = adata.attrs.get("excluded", {})
    if not len(adata):
        return out
    ada = classify_ada(adata, s, by=("USUBJID", "ISTESTCD"), domain="IS", seq_col="ISSEQ")
    ada = attach_groups(ada, subjects[["USUBJID", "DOSELVL"]], columns=["DOSELVL"])
    if not summaries:
        out.update(ada=ada)
        return out
    by_dose = ada_summary(
        ada.assign(DOSELVL=ada["DOSELVL"].astype(str)),
        by=["ISTESTCD", "DOSELVL"],
        confidence_level=cl,
    )
    overall = ada_summary(
        ada.assign(DOSELVL=ALL_DOSES), by=["ISTESTCD", "DOSELVL"], confidence_level=cl
    )
    te = ada[ada["ISTESTCD"] == "ADA_BAB"] if (ada["ISTESTCD"] == "ADA_BAB").any() else ada
    status = te.groupby("USUBJID")["TE"].any().rename("ADATE").reset_index()
    kin = attach_groups(table, status, columns=["ADATE"])
    out.update(ada=ada, ada_summary=pd.concat([by_dose, overall], ignore_index=True),
               ada_kinetics=summarise_parameters(kin, _exposure_codes(s), by=[*_KEYS, "ADATE"]))
    return out
