"""The report's safety tables (14.2.3, 14.3.x) computed from the ADaM datasets it writes.

Each table is the safety engine's own counting function (:mod:`cartrial.safety.tables`,
:mod:`cartrial.safety.baskets`, :mod:`cartrial.safety.cytopenia`,
:mod:`cartrial.safety.icaht_tables`, :mod:`cartrial.safety.iec_hs`) applied to frames read
from ADaM variables only, so a counting rule is written once and every displayed number comes
from the records a reviewer has (CDISC ADaMIG v1.3; ADaM OCCDS v1.1 for the customized
queries). What each table reads, and the variables, are named in its analysis metadata
(:mod:`cartrial.report.ars_metadata`):

==========  ==============================================================================
Table       ADaM records read
==========  ==============================================================================
14.2.3      ADSL SAFFL, TRT01P (TRT01A when the protocol counts the dose received),
            DLTEVLFL, DLTFL, DLTPNDFL, DLTCRIT
14.3.1(.1)  ADAE TRTEMFL = 'Y', ATOXGRN >= 1: AEBODSYS, AEDECOD, ATOXGRN
14.3.2/3    ADAE CRSFL / ICANSFL = 'Y', ATOXGRN >= 1 (patients by worst grade); ADSYND
            PARCAT1 CRS / ICANS: xxxONDY, xxxDURDY, CRSTOCI, xxxSTER per EPISODE
14.3.4      ADHTOX PARCAT1 CYTOPENIA: xxxG3DY, xxxRECV, xxxRCDY, xxxPROL (PARCAT2 = term)
14.3.5 ...  ADAE TRTEMFL = 'Y' records of customized query CQzzNAM: ATOXGRN, AOCCzzFL,
            CQzzONDY, CQzzRSFL, CQzzRSDY (14.3.7.1, 14.3.11, 14.3.12 likewise)
14.3.6      ADSL SAFFL, DTHFL, DTHADY, DTHCAUS
14.3.7      ADAE as 14.3.1, AEBODSYS 'Infections and infestations'
14.3.8-9.1  ADHTOX PARCAT1 ICAHT (EICAHTGR, LICAHTGR, NEUTPHAS, ANC500DY, ANCRECDY,
            ICAHTCFL) and HTOXSCOR (AVAL, HTOXRISK)
14.3.10     ADAE IECHSFL = 'Y' (worst ATOXGRN), ADSL IECSCRFL
==========  ==============================================================================

The columns are the dose level received (ADSL TRT01A) of the safety population (SAFFL = 'Y'),
the denominators its patients.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cartrial.errors import InputError, require_columns
from cartrial.protocol.model import Protocol
from cartrial.report.safety_adam_htox import cytopenia_input, htox_tables, iec_hs_input
from cartrial.report.sections import dose_id

__all__ = ["adam_safety_tables", "dlt_patients", "safety_population", "uncounted_episodes"]

EPISODE_PARAMS = {"ONDY": "ONSET_DAY", "DURDY": "DURATION_DAYS", "TOCI": "TOCILIZUMAB",
                  "STER": "STEROID"}
SYNDROMES = {"CRS": ("CRS", "CRSFL"), "ICANS": ("ICN", "ICANSFL")}


def _need(ds: Mapping[str, pd.DataFrame], name: str, cols: list[str]) -> pd.DataFrame:
    if name not in ds:
        raise InputError(f"the safety tables need the ADaM dataset {name}")
    require_columns(ds[name], cols, where=name, noun="variable")
    return ds[name]


def safety_population(adsl: pd.DataFrame, dose: str = "TRT01A") -> pd.DataFrame:
    """The safety population's patients and their dose level, the tables' columns.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (USUBJID, SAFFL and ``dose``).
    dose : str
        The ADSL variable of the column: TRT01A (received) or TRT01P (planned).

    Returns
    -------
    pandas.DataFrame
        USUBJID, DOSE_LEVEL (the level id of ``dose``, "DL1") of the patients with SAFFL 'Y'.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["A", "B"], "SAFFL": ["Y", ""],
    ...                      "TRT01A": ["DL1 0.1 x10^6/kg", ""]})
    >>> safety_population(adsl).values.tolist()
    [['A', 'DL1']]
    """
    s = adsl[adsl["SAFFL"] == "Y"]
    return pd.DataFrame({"USUBJID": s["USUBJID"].astype(str).to_numpy(),
                         "DOSE_LEVEL": dose_id(s[dose]).to_numpy()})


def _adverse_events(adae: pd.DataFrame) -> pd.DataFrame:
    """ADAE treatment-emergent records with a grade >= 1 in the engine's AE layout (a CRS or
    ICANS record graded 0 by the derived ASTCT grade is not an event)."""
    keep = (adae["TRTEMFL"] == "Y") & (adae["ATOXGRN"].astype(float) >= 1)
    # the variables read, then the records: not every ADAE variable copied (memory)
    a = adae[["USUBJID", "AEBODSYS", "AEDECOD", "ATOXGRN"]][keep]
    return pd.DataFrame({"USUBJID": a["USUBJID"].astype(str), "AEBODSYS": a["AEBODSYS"],
                         "AEDECOD": a["AEDECOD"], "GRADE": a["ATOXGRN"].astype(float)})


def _episodes(adsynd: pd.DataFrame, syndrome: str) -> pd.DataFrame:
    """ADSYND parameters of one syndrome, one row per USUBJID and EPISODE (ONSET_DAY,
    DURATION_DAYS, TOCILIZUMAB, STEROID) and the worst-grade placeholder MAX_GRADE."""
    p = SYNDROMES[syndrome][0]
    d = adsynd[adsynd["PARCAT1"] == syndrome]
    d = d[d["PARAMCD"].isin([p + k for k in EPISODE_PARAMS])]
    wide = d.pivot_table(index=["USUBJID", "EPISODE"], columns="PARAMCD", values="AVAL",
                         aggfunc="first", dropna=False, sort=True)
    wide = wide.reindex(columns=[p + k for k in EPISODE_PARAMS])
    wide.columns = list(EPISODE_PARAMS.values())
    out = wide.reset_index()
    for flag in ("TOCILIZUMAB", "STEROID"):
        out[flag] = out[flag].fillna(0).astype(float) == 1
    out["MAX_GRADE"] = np.nan  # the incidence rows come from ADAE (``grades``)
    return out


def _syndrome_grades(adae: pd.DataFrame, flag: str) -> pd.DataFrame:
    keep = (adae[flag] == "Y") & (adae["ATOXGRN"].astype(float) >= 1)
    a = adae[["USUBJID", "ATOXGRN"]][keep]
    return pd.DataFrame({"USUBJID": a["USUBJID"].astype(str),
                         "GRADE": a["ATOXGRN"].astype(float)})


def uncounted_episodes(adae: pd.DataFrame, adsynd: pd.DataFrame) -> pd.DataFrame:
    """The patients with a CRS / ICANS episode derived from the daily observations (ADSYND
    xxxMAXGR >= 1) whom no ADAE record of the syndrome with ATOXGRN >= 1 counts: ADAE holds the
    AE records only, so the grade rows of Tables 14.3.2 / 14.3.3 cannot count them, and the
    table says so.

    Parameters
    ----------
    adae : pandas.DataFrame
        ADAE (USUBJID, CRSFL, ICANSFL, ATOXGRN).
    adsynd : pandas.DataFrame
        ADSYND (USUBJID, PARCAT1, PARAMCD, AVAL).

    Returns
    -------
    pandas.DataFrame
        USUBJID, EVENT ("CRS" or "ICANS"), sorted; empty when every such patient is counted.

    Examples
    --------
    >>> adae = pd.DataFrame({"USUBJID": ["A"], "CRSFL": "Y", "ICANSFL": "", "ATOXGRN": [2]})
    >>> adsynd = pd.DataFrame({"USUBJID": ["A", "B"], "PARCAT1": "CRS",
    ...                        "PARAMCD": "CRSMAXGR", "AVAL": [2.0, 1.0]})
    >>> uncounted_episodes(adae, adsynd).values.tolist()
    [['B', 'CRS']]
    """
    parts = []
    for event, (p, flag) in SYNDROMES.items():
        ep = adsynd[(adsynd["PARAMCD"] == p + "MAXGR") & (adsynd["AVAL"].astype(float) >= 1)]
        counted = set(_syndrome_grades(adae, flag)["USUBJID"])
        ids = sorted(set(ep["USUBJID"].astype(str)) - counted)
        parts.append(pd.DataFrame({"USUBJID": ids, "EVENT": event}, dtype=object))
    return pd.concat(parts, ignore_index=True)


def dlt_patients(adsl: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """ADSL's DLT variables in the layout of ``DltResult.patients`` (the input of
    :func:`cartrial.safety.tables.dlt_table`).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (USUBJID, SAFFL, TRT01P, TRT01A, DLTEVLFL, DLTFL, DLTPNDFL, DLTCRIT).
    protocol : Protocol
        ``conduct.count_dose_as`` (the column: TRT01P when "assigned", TRT01A when
        "received") and the DLT criteria (``dlt.criteria()``: rule id -> words).

    Returns
    -------
    pandas.DataFrame
        USUBJID, DOSE_LEVEL, DLT (yes / pending / no), DLT_EVALUABLE, DLT_RULE (the rule id
        whose words DLTCRIT holds) of the safety population.

    Raises
    ------
    InputError
        A DLTCRIT that is none of the protocol's criteria.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> p = load_protocol("ct071")
    >>> rule, words = next(iter(p.dlt.criteria().items()))
    >>> adsl = pd.DataFrame({"USUBJID": ["A"], "SAFFL": "Y", "TRT01P": "DL2 0.3 x10^6/kg",
    ...     "TRT01A": "DL1 0.1 x10^6/kg", "DLTEVLFL": "Y", "DLTFL": "Y", "DLTPNDFL": "",
    ...     "DLTCRIT": words})
    >>> r = dlt_patients(adsl, p).iloc[0]
    >>> r["DOSE_LEVEL"], r["DLT"], r["DLT_RULE"] == rule
    ('DL2', 'yes', True)
    """
    dose = "TRT01A" if protocol.conduct.count_dose_as == "received" else "TRT01P"
    s = adsl[adsl["SAFFL"] == "Y"]
    words = {v: k for k, v in protocol.dlt.criteria().items()}
    crit = s["DLTCRIT"].fillna("").astype(str)
    unknown = sorted(set(crit[(s["DLTFL"] == "Y") & ~crit.isin(list(words))]))
    if unknown:
        raise InputError(f"ADSL.DLTCRIT {unknown[0]!r} is not one of the protocol's DLT "
                         "criteria (dlt.criteria)")
    return pd.DataFrame({
        "USUBJID": s["USUBJID"].astype(str).to_numpy(),
        "DOSE_LEVEL": dose_id(s[dose]).to_numpy(),
        "DLT": np.where(s["DLTFL"] == "Y", "yes", np.where(s["DLTPNDFL"] == "Y", "pending",
                                                            "no")),
        "DLT_EVALUABLE": (s["DLTEVLFL"] == "Y").to_numpy(),
        "DLT_RULE": crit.map(words).where(s["DLTFL"] == "Y").to_numpy()})


def _deaths(adsl: pd.DataFrame) -> pd.DataFrame:
    d = adsl[(adsl["SAFFL"] == "Y") & (adsl["DTHFL"] == "Y")]
    cause = d["DTHCAUS"].where(d["DTHCAUS"].fillna("").astype(str) != "")
    return pd.DataFrame({"USUBJID": d["USUBJID"].astype(str), "DEATH_DAY":
                         d["DTHADY"].astype(float), "CAUSE": cause})


def _query_variables(zz: str) -> list[str]:
    """The ADAE variables of customized query ``zz`` the basket tables read."""
    return [f"CQ{zz}NAM", f"AOCC{zz}FL", f"CQ{zz}ONDY", f"CQ{zz}RSFL", f"CQ{zz}RSDY"]


def _basket_summary(adae: pd.DataFrame, baskets) -> pd.DataFrame:
    """Per patient and basket, from the ADAE customized queries (treatment-emergent records
    of CQzzNAM): WORST_GRADE (ATOXGRN), ONSET_DAY (CQzzONDY), RESOLVED (CQzzRSFL) and
    DAYS_TO_RESOLUTION (CQzzRSDY), read on the first record (AOCCzzFL)."""
    from cartrial.adam.adae_baskets import basket_queries

    parts = []
    zz_of = basket_queries(baskets)
    read = dict.fromkeys(["USUBJID", "ATOXGRN"] + [  # not every ADAE variable (memory)
        v for b in baskets for v in _query_variables(zz_of[b.name])])
    te = adae[[c for c in read if c in adae.columns]][adae["TRTEMFL"] == "Y"]
    for b in baskets:
        zz = zz_of[b.name]
        require_columns(adae, _query_variables(zz), where="ADAE", noun="variable")
        rec = te[te[f"CQ{zz}NAM"] == b.name]
        worst = rec.groupby(rec["USUBJID"].astype(str))["ATOXGRN"].max().astype(float)
        first = rec[rec[f"AOCC{zz}FL"] == "Y"]
        first = first.set_index(first["USUBJID"].astype(str))
        parts.append(pd.DataFrame({
            "USUBJID": worst.index, "CATEGORY": b.category, "BASKET": b.name,
            "WORST_GRADE": worst.to_numpy(),
            "ONSET_DAY": first[f"CQ{zz}ONDY"].reindex(worst.index).astype(float).to_numpy(),
            "RESOLVED": (first[f"CQ{zz}RSFL"].reindex(worst.index) == "Y").to_numpy(),
            "DAYS_TO_RESOLUTION": first[f"CQ{zz}RSDY"].reindex(worst.index).astype(float)
            .to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["USUBJID", "CATEGORY", "BASKET", "WORST_GRADE", "ONSET_DAY", "RESOLVED",
                 "DAYS_TO_RESOLUTION"])


def _basket_tables(adae: pd.DataFrame, subjects: pd.DataFrame, baskets) -> dict:
    from cartrial.safety.baskets import basket_summary_table, basket_table_key

    summary = _basket_summary(adae, baskets)
    out = {}
    for cat in dict.fromkeys(b.category for b in baskets):
        of = [b for b in baskets if b.category == cat]
        out[basket_table_key(cat)] = basket_summary_table(summary, subjects, of, table=cat)
    return out


def adam_safety_tables(ds: Mapping[str, pd.DataFrame], protocol: Protocol
                       ) -> dict[str, pd.DataFrame]:
    """Every safety table of the report, tabulated from the ADaM datasets alone.

    Parameters
    ----------
    ds : mapping of str to pandas.DataFrame
        The ADaM datasets (ADSL, ADAE, ADSYND, ADHTOX; see the module docstring).
    protocol : Protocol
        Event baskets, DLT criteria, ``conduct.count_dose_as`` and the prolonged-cytopenia day.

    Returns
    -------
    dict of str to pandas.DataFrame
        The tidy tables under the safety engine's keys (``SafetyAnalysis.tables``): teae,
        teae_grade, crs, icans, cytopenias, the basket tables (gprc5d, baskets_<category>),
        icaht, hematotox, icaht_by_risk, iec_hs, dlt and deaths; and uncounted_episodes
        (:func:`uncounted_episodes`, named in the CRS / ICANS tables' footnotes).

    Raises
    ------
    InputError
        A dataset or variable is missing, or a DLTCRIT is not a protocol criterion.

    References
    ----------
    CDISC ADaM Implementation Guide v1.3 (2021); CDISC ADaM Occurrence Data Structure v1.1
    (2021), customized queries; ICH E3 (1995) section 12.2.2.

    Examples
    --------
    Needs a trial's ADaM datasets, so not run here:

    >>> adam_safety_tables(build_adam(study, protocol).datasets, protocol)  # doctest: +SKIP
    """
    from cartrial.safety.tables import (
        crs_table,
        deaths_table,
        dlt_table,
        icans_table,
        teae_grade_table,
        teae_table,
    )

    adsl = _need(ds, "ADSL", ["USUBJID", "SAFFL", "TRT01A", "TRT01P", "DLTEVLFL", "DLTFL",
                              "DLTPNDFL", "DLTCRIT", "DTHFL", "DTHADY", "DTHCAUS"])
    adae = _need(ds, "ADAE", ["USUBJID", "TRTEMFL", "ATOXGRN", "AEBODSYS", "AEDECOD", "CRSFL",
                              "ICANSFL"])
    adsynd = _need(ds, "ADSYND", ["USUBJID", "PARCAT1", "EPISODE", "PARAMCD", "AVAL"])
    subjects = safety_population(adsl)
    ae = _adverse_events(adae)
    s = protocol.safety
    return {
        "teae": teae_table(ae, subjects),
        "teae_grade": teae_grade_table(ae, subjects),
        "crs": crs_table(_episodes(adsynd, "CRS"), subjects, _syndrome_grades(adae, "CRSFL")),
        "icans": icans_table(_episodes(adsynd, "ICANS"), subjects,
                             _syndrome_grades(adae, "ICANSFL")),
        "cytopenias": _cytopenias(ds, subjects, s.prolonged_cytopenia_day),
        **_basket_tables(adae, subjects, s.baskets),
        **htox_tables(_need(ds, "ADHTOX", ["USUBJID", "PARCAT1", "PARAMCD", "AVAL"]),
                      subjects),
        "iec_hs": _iec_hs(adae, adsl, subjects),
        "dlt": dlt_table(dlt_patients(adsl, protocol), protocol.dlt.criteria()),
        "deaths": deaths_table(_deaths(adsl), subjects),
        "uncounted_episodes": uncounted_episodes(adae, adsynd),
    }


def _cytopenias(ds: Mapping[str, pd.DataFrame], subjects: pd.DataFrame, day: int
                ) -> pd.DataFrame:
    from cartrial.safety.cytopenia import cytopenia_table

    adhtox = _need(ds, "ADHTOX", ["USUBJID", "PARCAT1", "PARCAT2", "PARAMCD", "AVAL"])
    return cytopenia_table(cytopenia_input(adhtox), subjects, prolonged_day=day)


def _iec_hs(adae: pd.DataFrame, adsl: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    from cartrial.safety.iec_hs import iec_hs_table

    require_columns(adae, ["IECHSFL"], where="ADAE", noun="variable")
    require_columns(adsl, ["IECSCRFL"], where="ADSL", noun="variable")
    return iec_hs_table(iec_hs_input(adae, adsl), subjects)
