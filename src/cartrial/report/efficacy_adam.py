"""The efficacy tables' numbers from the ADaM datasets the report writes (ADSL, ADRS, ADTTE).

Tables 14.4.1 (best overall response), 14.4.2 (MRD negativity), 14.4.3 (time to event) and
14.4.4 (survival by dose level) tabulate ADaM variables - ADSL ITTFL / SAFFL and TRT01A, ADRS
CBOR AVALC, ADRS MRD AVALC / MRDSENS / AVISIT / ADT with the MRDSUST and MRDNEGCR records, ADTTE
AVAL / CNSR / EVNTDESC - and hand them to the efficacy engine's estimators (Clopper-Pearson,
Kaplan-Meier with Brookmeyer-Crowley limits, reverse Kaplan-Meier, Aalen-Johansen, log-rank,
Cox): each rule is written once, in the engine, which never imports the report. What a table
displays is therefore what its analysis-results metadata say it reads (``ars_metadata``).

The analysis population is the efficacy engine's: leukapheresed (ADSL ITTFL) when the
protocol's ``endpoints.time_origin`` is apheresis, infused (SAFFL) otherwise; a patient's
group is the dose level of ADSL TRT01A when infused, else "Not infused".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.data.batches import take_rows
from cartrial.protocol.model import EndpointSettings

NOT_INFUSED = "Not infused"
TTE_VARIABLES = ["USUBJID", "PARAMCD", "AVAL", "CNSR", "EVNTDESC"]
MRD_VARIABLES = ["USUBJID", "PARAMCD", "AVALC", "ADT", "AVISIT", "MRDSENS"]


def analysis_subjects(adsl: pd.DataFrame, settings: EndpointSettings,
                      dose_ids: Sequence[str]) -> tuple[pd.Series, list[str]]:
    """The efficacy population's group per subject and the groups' order.

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL: USUBJID, ITTFL, SAFFL, TRT01A.
    settings : EndpointSettings
        The protocol's endpoint settings (``time_origin`` picks the population flag).
    dose_ids : sequence of str
        The protocol's dose levels, in order.

    Returns
    -------
    (pandas.Series, list of str)
        USUBJID -> dose level ("DL1") or "Not infused"; the levels present in protocol
        order, then "Not infused" when present.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["a", "b", "c"], "ITTFL": "Y",
    ...                      "SAFFL": ["Y", "Y", None], "TRT01A": ["DL2 x", "DL1 y", None]})
    >>> g, order = analysis_subjects(adsl, EndpointSettings(), ["DL1", "DL2", "DL3"])
    >>> g.tolist(), order
    (['DL2', 'DL1', 'Not infused'], ['DL1', 'DL2', 'Not infused'])
    """
    from cartrial.report.sections import dose_id

    flag = "ITTFL" if settings.time_origin == "apheresis" else "SAFFL"
    pop = adsl[adsl[flag] == "Y"]
    dose = np.where(pop["SAFFL"] == "Y", dose_id(pop["TRT01A"]), NOT_INFUSED)
    groups = pd.Series(dose, index=pop["USUBJID"].to_numpy(), name="DOSE")
    present = set(groups)
    order = [d for d in dose_ids if d in present] + ([NOT_INFUSED] if NOT_INFUSED in present
                                                     else [])
    return groups, order


def rates_from_adam(adsl: pd.DataFrame, adrs: pd.DataFrame, settings: EndpointSettings,
                    dose_ids: Sequence[str]) -> pd.DataFrame:
    """Response rates (Table 14.4.1) from ADRS CBOR AVALC, by the engine's Clopper-Pearson.

    Parameters
    ----------
    adsl, adrs : pandas.DataFrame
        ADSL and ADRS (PARAMCD, AVALC).
    settings : EndpointSettings
        Confidence level and time origin.
    dose_ids : sequence of str
        The protocol's dose levels.

    Returns
    -------
    pandas.DataFrame
        :func:`cartrial.efficacy.response_rates` rows; a patient without a CBOR record (or
        with a blank AVALC) is not evaluable (NE), a non-responder.

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["a", "b"], "ITTFL": "Y", "SAFFL": "Y",
    ...                      "TRT01A": ["DL1 x", "DL1 x"]})
    >>> adrs = pd.DataFrame({"USUBJID": ["a"], "PARAMCD": ["CBOR"], "AVALC": ["CR"]})
    >>> r = rates_from_adam(adsl, adrs, EndpointSettings(), ["DL1"])
    >>> r.query("endpoint == 'ORR'")[["group", "n", "N"]].to_numpy().tolist()
    [['DL1', 1, 2], ['Overall', 1, 2]]
    """
    from cartrial.efficacy.rates import response_rates

    groups, order = analysis_subjects(adsl, settings, dose_ids)
    cbor = adrs.loc[adrs["PARAMCD"] == "CBOR"].set_index("USUBJID")["AVALC"]
    bor = pd.DataFrame({"USUBJID": groups.index, "DOSE": groups.to_numpy()})
    bor["BOR"] = bor["USUBJID"].map(cbor).replace("", np.nan).fillna("NE")
    return response_rates(bor, "DOSE", order, settings.confidence_level)


def tte_from_adam(adsl: pd.DataFrame, adtte: pd.DataFrame, settings: EndpointSettings,
                  dose_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier summaries and landmarks (Table 14.4.3) from ADTTE AVAL and CNSR.

    Parameters
    ----------
    adsl, adtte : pandas.DataFrame
        ADSL and ADTTE (USUBJID, PARAMCD, AVAL in days, CNSR).
    settings : EndpointSettings
        Confidence level, transform, ``days_per_month``, landmarks, time origin.
    dose_ids : sequence of str
        The protocol's dose levels.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        :func:`cartrial.efficacy.tte_summary`'s summary and landmark rows.

    References
    ----------
    Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-81; Brookmeyer R, Crowley J. Biometrics
    1982;38:29-41.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": list("abcd"), "ITTFL": "Y", "SAFFL": "Y",
    ...                      "TRT01A": "DL1 x"})
    >>> adtte = pd.DataFrame({"USUBJID": list("abcd"), "PARAMCD": "OS",
    ...                       "AVAL": [100, 200, 300, 400], "CNSR": [0, 0, 1, 0]})
    >>> s, _ = tte_from_adam(adsl, adtte, EndpointSettings(), ["DL1"])
    >>> s.query("endpoint == 'OS'")["median"].round(2).tolist()
    [9.86, 9.86]
    """
    from cartrial.efficacy.endpoints import tte_summary

    groups, order = analysis_subjects(adsl, settings, dose_ids)
    t = adtte.loc[adtte["USUBJID"].isin(groups.index), ["USUBJID", "PARAMCD", "AVAL", "CNSR"]]
    summary, landmarks, _ = tte_summary(t, groups, order, settings)
    return summary, landmarks


def survival_rows(adsl: pd.DataFrame, adtte: pd.DataFrame, settings: EndpointSettings,
                  dose_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.Series]:
    """The ADTTE records and the groups Table 14.4.4 compares.

    Parameters
    ----------
    adsl, adtte : pandas.DataFrame
        ADSL and ADTTE (USUBJID, PARAMCD, AVAL, CNSR, EVNTDESC).
    settings : EndpointSettings
        The time origin (the population).
    dose_ids : sequence of str
        The protocol's dose levels.

    Returns
    -------
    (pandas.DataFrame, pandas.Series)
        The population's ADTTE records (a blank EVNTDESC, censored, as missing) and USUBJID
        -> group, for :func:`cartrial.efficacy.dose_comparisons`.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["a", "b"], "ITTFL": "Y", "SAFFL": ["Y", None],
    ...                      "TRT01A": ["DL1 x", None]})
    >>> adtte = pd.DataFrame({"USUBJID": ["a", "b"], "PARAMCD": "OS", "AVAL": [10, 20],
    ...                       "CNSR": [1, 1], "EVNTDESC": ["", ""]})
    >>> rows, groups = survival_rows(adsl, adtte, EndpointSettings(), ["DL1"])
    >>> groups.to_dict()
    {'a': 'DL1', 'b': 'Not infused'}
    """
    groups, _ = analysis_subjects(adsl, settings, dose_ids)
    t = adtte.loc[adtte["USUBJID"].isin(groups.index), TTE_VARIABLES]
    return t.assign(EVNTDESC=t["EVNTDESC"].replace("", None)), groups


def mrd_from_adam(adsl: pd.DataFrame, adrs: pd.DataFrame, settings: EndpointSettings,
                  dose_ids: Sequence[str]) -> pd.DataFrame | None:
    """MRD-negative rates (Table 14.4.2) of the infused patients from ADRS.

    Parameters
    ----------
    adsl, adrs : pandas.DataFrame
        ADSL and ADRS: the MRD records (AVALC POSITIVE / NEGATIVE, MRDSENS, AVISIT, ADT), the
        per-subject MRDSUST and MRDNEGCR records (AVALC Y / N) and CBOR (the denominators).
    settings : EndpointSettings
        MRD sensitivity, confidence level and time origin.
    dose_ids : sequence of str
        The protocol's dose levels.

    Returns
    -------
    pandas.DataFrame or None
        :func:`cartrial.efficacy.mrd_rates` rows (sustained negativity from MRDSUST, the FDA
        2026 draft's MRD-negative CR from MRDNEGCR when ADRS has it); None without MRD records.

    References
    ----------
    Kumar S et al. Lancet Oncol 2016;17:e328-46; FDA draft guidance, January 2026
    (FDA-2025-D-2616).

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["a", "b"], "ITTFL": "Y", "SAFFL": "Y",
    ...                      "TRT01A": "DL1 x"})
    >>> adrs = pd.DataFrame({"USUBJID": ["a", "a", "b"], "PARAMCD": ["CBOR", "MRD", "CBOR"],
    ...                      "AVALC": ["CR", "NEGATIVE", "PR"], "MRDSENS": [None, 1e-5, None],
    ...                      "AVISIT": [None, "DAY 90", None],
    ...                      "ADT": pd.to_datetime(["2024-01-01"] * 3)})
    >>> r = mrd_from_adam(adsl, adrs, EndpointSettings(), ["DL1"])
    >>> r.query("population == 'All treated' and timepoint == 'DAY 90'")[["group", "n", "N"]
    ...         ].to_numpy().tolist()
    [['DL1', 1, 2], ['Overall', 1, 2]]
    """
    from cartrial.efficacy.mrd import classify_mrd, mrd_rates

    if not (adrs["PARAMCD"] == "MRD").any():  # no MRD data (any patient's): no table
        return None
    groups, order = analysis_subjects(adsl, settings, dose_ids)
    # the population's records with the variables read, not every ADRS variable (memory)
    keep = adrs["USUBJID"].isin(groups.index).to_numpy()
    rec = take_rows(adrs, keep, MRD_VARIABLES)
    rec.index = adrs.index[keep]
    m = rec[rec["PARAMCD"] == "MRD"]
    infused = set(adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"])
    treated = groups[groups.index.isin(infused)]
    cbor = rec[rec["PARAMCD"] == "CBOR"].set_index("USUBJID")["AVALC"]
    bor = pd.DataFrame({"USUBJID": treated.index, "DOSE": treated.to_numpy()})
    bor["BOR"] = bor["USUBJID"].map(cbor).replace("", np.nan).fillna("NE")
    classified = classify_mrd(pd.DataFrame({
        "USUBJID": m["USUBJID"], "ADT": m["ADT"], "AVISIT": m["AVISIT"], "MRDRES": m["AVALC"],
        "MRDSENS": m["MRDSENS"]}), settings.mrd_sensitivity)

    def subjects(paramcd: str) -> pd.Series:
        p = rec[rec["PARAMCD"] == paramcd]
        return pd.Series((p["AVALC"] == "Y").to_numpy(), index=p["USUBJID"].to_numpy())

    fda = subjects("MRDNEGCR") if (rec["PARAMCD"] == "MRDNEGCR").any() else None
    return mrd_rates(classified, bor, "DOSE", [g for g in order if g in set(bor["DOSE"])],
                     settings.confidence_level, settings.mrd_sensitivity,
                     sustained=subjects("MRDSUST"),
                     fda_negative_cr=None if fda is None else set(fda.index[fda.to_numpy()]))
