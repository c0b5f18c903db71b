"""The summaries behind Tables 14.5.1-14.5.5, computed from the ADaM datasets the report writes
(ADSL, ADPP, ADPC, ADCYT, ADAB, ADAE) by the kinetics engine's own summary functions.

Each table reads the ADaM variables its analysis metadata name
(:mod:`cartrial.report.ars_metadata`), never the engine's frames; the population is ADSL.SAFFL
(the infused patients). The per-profile NCA parameters are ADPP's AVAL by PPTESTCD (analyte
PARCAT1, specimen PARCAT2); persistence reads per ADPC profile the latest AFRLT with AVAL > 0
(last quantifiable) and the latest among records with a result (AVALC: a number or below the
LLOQ; last observed); the cytokine parameters are ADCYT's AVAL by PARAMCD; the ADA statuses are
ADAB's patient-level records (AVISIT OVERALL); the maximum CRS grade is the highest ADAE ATOXGRN
among CRSFL records (0 for an infused patient without one); the dose level is ADSL.TRT01AN, the
1-based position among the protocol's dose levels. The rules (geometric mean and CV, medians,
persistence at the landmarks, Shankar 2014 categories counted with Clopper-Pearson intervals,
Spearman's rank correlation) are those of :mod:`cartrial.kinetics`, called on these columns.

References
----------
Shankar G et al., AAPS J 2014;16:658-73 (ADA categories). Clopper CJ, Pearson ES, Biometrika
1934;26:404-13. CDISC ADaMIG v1.3 (BDS); pharmaverse admiral ADPC / ADPP / ADAB templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from cartrial.kinetics.analysis import (
    CYTOKINE_SUMMARY,
    SUMMARY_PARAMETERS,
    _by_dose_and_all,
    _persistence_tables,
)
from cartrial.kinetics.cytokines import cytokine_auc_code
from cartrial.kinetics.nca import partial_auc_code
from cartrial.kinetics.summary import parameters_from_records
from cartrial.protocol.model import Protocol
from cartrial.report.subject_parts import made_by_subjects

_KEYS = ["PCTESTCD", "PCSPEC"]
#: the datasets (besides ADSL) the tables read, and the variables they read of each
_READ = {"ADPP": ("USUBJID", "PARCAT1", "PARCAT2", "PPTESTCD", "AVAL"),
         "ADPC": ("USUBJID", "PARAMCD", "PARCAT1", "AVAL", "AVALC", "AFRLT"),
         "ADCYT": ("USUBJID", "PARCAT1", "PARAMCD", "AVAL"),
         "ADAB": ("USUBJID", "PARCAT1", "PARAMCD", "AVISIT", "AVALC", "ADPBLPFL"),
         "ADAE": ("USUBJID", "CRSFL", "ATOXGRN")}
#: ADCYT PARAMCD suffix (cartrial.adam.adcyt) -> the engine's parameter name
_CYTOKINE_CODES = {"BL": "BASE", "PK": "PEAK", "TPK": "TPEAK", "FCPK": "FCPEAK"}
#: ADAB patient-level parameter (without the test letter) -> (status column, value)
_ADA_STATUS = {"BFLAG": "BASEPOS", "INDUCD": "TI", "ENHANC": "TB", "EMERPOS": "TE"}


@dataclass(frozen=True)
class KineticsTables:
    """The summaries Tables 14.5.1-14.5.5 display, in the kinetics engine's shapes.

    Attributes
    ----------
    nca_summary, persistence_summary : pandas.DataFrame
        As ``KineticsReport.nca_summary`` / ``persistence_summary``, from ADPP and ADPC.
    cytokine_summary_dose, ada_summary : pandas.DataFrame or None
        From ADCYT and ADAB (None without the dataset).
    exposure_safety, exposure_safety_tests : pandas.DataFrame or None
        Exposure by maximum CRS grade and Spearman's rank correlation (None without ADAE).
    nca : pandas.DataFrame
        One row per profile (PCTESTCD, PCSPEC, DOSELVL and the NCA parameters).

    Examples
    --------
    Made by :func:`kinetics_tables` from the ADaM datasets of an analysed trial:

    >>> kinetics_tables(ds, load_protocol("ct071")).nca_summary  # doctest: +SKIP
    """

    nca: pd.DataFrame
    nca_summary: pd.DataFrame
    persistence_summary: pd.DataFrame
    cytokine_summary_dose: pd.DataFrame | None
    ada_summary: pd.DataFrame | None
    exposure_safety: pd.DataFrame | None
    exposure_safety_tests: pd.DataFrame | None


def population_records(data: pd.DataFrame, ids: pd.Series, variables: tuple[str, ...]
                       ) -> pd.DataFrame:
    """The records of the patients ``ids`` with only the ``variables`` the tables read (issue
    #18: memory; at 10,000 patients a copy of every variable of ADPP, ADPC, ADCYT, ADAB and
    ADAE was 250 MiB), in their order and with their index; every variable when one of them is
    missing, so the error raised where it is read names the dataset's variables as before.

    Parameters
    ----------
    data : pandas.DataFrame
        An ADaM dataset with USUBJID.
    ids : pandas.Series
        The population's USUBJID (text).
    variables : tuple of str
        The variables read.

    Returns
    -------
    pandas.DataFrame
        A frame of its own.

    Examples
    --------
    >>> ad = pd.DataFrame({"USUBJID": ["1", "2"], "AVAL": [1.0, 2.0], "X": ["a", "b"]},
    ...                   index=[5, 6])
    >>> population_records(ad, pd.Series(["2"]), ("USUBJID", "AVAL"))
      USUBJID  AVAL
    6       2   2.0
    >>> list(population_records(ad, pd.Series(["2"]), ("USUBJID", "ADT")).columns)
    ['USUBJID', 'AVAL', 'X']
    """
    keep = data["USUBJID"].astype(str).isin(ids).to_numpy()
    if not set(variables) <= set(data.columns):
        return data[keep]
    return data.loc[keep, list(variables)]


def dose_levels(adsl: pd.DataFrame, protocol: Protocol) -> pd.Series:
    """USUBJID -> the protocol's id of the dose level received (ADSL.TRT01AN, 1-based).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (USUBJID, TRT01AN; missing for a patient never infused).
    protocol : Protocol
        The dose levels.

    Returns
    -------
    pandas.Series
        Indexed by USUBJID; missing where TRT01AN is.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01AN": [2, None]})
    >>> dose_levels(adsl, load_protocol("ct071")).tolist()
    ['DL2', nan]
    """
    ids = protocol.dose_ids
    n = pd.to_numeric(adsl["TRT01AN"], errors="coerce")
    return pd.Series([ids[int(i) - 1] if i == i else np.nan for i in n],
                     index=adsl["USUBJID"].astype(str).to_numpy(), dtype=object)


def nca_profiles(adpp: pd.DataFrame, dose: pd.Series) -> pd.DataFrame:
    """One row per profile: USUBJID, PCTESTCD (ADPP PARCAT1), PCSPEC (PARCAT2), one column per
    NCA parameter (PPTESTCD, value AVAL) and DOSELVL.

    Parameters
    ----------
    adpp : pandas.DataFrame
        ADPP.
    dose : pandas.Series
        :func:`dose_levels`.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> p = pd.DataFrame({"USUBJID": ["1", "1"], "PARCAT1": "CARTCELL", "PARCAT2": "BLOOD",
    ...                   "PPTESTCD": ["CMAX", "TLST"], "AVAL": [5.0, 28.0]})
    >>> nca_profiles(p, pd.Series({"1": "DL1"})).values.tolist()
    [['1', 'CARTCELL', 'BLOOD', 5.0, 28.0, 'DL1']]
    """
    wide = _nca_pivot(adpp)
    return wide.assign(DOSELVL=wide["USUBJID"].map(dose))


def _nca_pivot(adpp: pd.DataFrame, pairs: list | None = None) -> pd.DataFrame:
    """:func:`nca_profiles` without DOSELVL; the distinct analyte and specimen pairs of the
    records appended to ``pairs``."""
    wide = parameters_from_records(
        adpp.assign(USUBJID=adpp["USUBJID"].astype(str)),
        keys=["USUBJID", "PARCAT1", "PARCAT2"], parameter="PPTESTCD")
    if pairs is not None:  # after the pivot: its error names a missing variable
        pairs.append(adpp[["PARCAT1", "PARCAT2"]].drop_duplicates())
    return wide.rename(columns={"PARCAT1": "PCTESTCD", "PARCAT2": "PCSPEC"})


def sample_profiles(adpc: pd.DataFrame, adpp: pd.DataFrame, dose: pd.Series) -> pd.DataFrame:
    """One row per ADPC profile (USUBJID, PARAMCD, specimen PARCAT1) with a sample that has a
    result (AVALC: a number or below the LLOQ; a sample not done has none): TLST, the latest
    AFRLT with AVAL > 0 (missing when none), and TLOBS, the latest AFRLT with a result, as
    :func:`cartrial.kinetics.persistence` reads them; PCTESTCD is the analyte ADPP names for
    the ADPC PARAMCD and specimen (``cartrial.adam.adpc``), PCSPEC the specimen.

    Parameters
    ----------
    adpc, adpp : pandas.DataFrame
        ADPC; ADPP (PARCAT1 analyte, PARCAT2 specimen: the analyte codes).
    dose : pandas.Series
        :func:`dose_levels`.

    Returns
    -------
    pandas.DataFrame
        USUBJID, PCTESTCD, PCSPEC, TLST, TLOBS, DOSELVL, sorted by USUBJID, PCTESTCD, PCSPEC.

    Examples
    --------
    >>> pc = pd.DataFrame({"USUBJID": "1", "PARAMCD": "CARTCELL", "PARCAT1": "WHOLE BLOOD",
    ...                    "AVAL": [5.0, None, None], "AVALC": ["5.0", "<LLOQ", None],
    ...                    "AFRLT": [28.0, 90.0, 180.0]})
    >>> sample_profiles(pc, pc.iloc[:0].assign(PARCAT2=None), pd.Series({"1": "DL1"}))[
    ...     ["TLST", "TLOBS", "DOSELVL"]].values.tolist()
    [[28.0, 90.0, 'DL1']]
    """
    from cartrial.adam.adpc import _paramcd

    rec = adpc[adpc["AVALC"].notna() & adpc["AFRLT"].notna()]
    rec = rec.assign(USUBJID=rec["USUBJID"].astype(str),
                     _Q=rec["AFRLT"].where(pd.to_numeric(rec["AVAL"]) > 0))
    keys = ["USUBJID", "PARAMCD", "PARCAT1"]
    out = rec.groupby(keys).agg(TLST=("_Q", "max"), TLOBS=("AFRLT", "max")).reset_index()
    pairs = adpp[["PARCAT1", "PARCAT2"]].drop_duplicates()
    code = dict(zip(zip(_paramcd(pairs["PARCAT1"].astype(str), pairs["PARCAT2"].astype(str)),
                        pairs["PARCAT2"], strict=True), pairs["PARCAT1"], strict=True))
    out["PCTESTCD"] = [code.get(k, k[0]) for k in zip(out["PARAMCD"], out["PARCAT1"],
                                                      strict=True)]
    out = out.rename(columns={"PARCAT1": "PCSPEC"}).sort_values(
        ["USUBJID", "PCTESTCD", "PCSPEC"], kind="stable").reset_index(drop=True)
    return out[["USUBJID", "PCTESTCD", "PCSPEC", "TLST", "TLOBS"]].astype(
        {"PCTESTCD": object, "PCSPEC": object}).assign(DOSELVL=out["USUBJID"].map(dose))


def _cytokine_pivot(adcyt: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """One row per patient and cytokine (ADCYT PARCAT1), one column per engine parameter."""
    auc = cytokine_auc_code(protocol.kinetics)
    name = adcyt["PARCAT1"].astype(str)
    one: dict = {}  # one text object per distinct code, not one a record (memory)
    code = pd.Series([one.setdefault((p, min(len(c), 4)), p[min(len(c), 4):]) for p, c in zip(
        adcyt["PARAMCD"].astype(str), name, strict=True)], index=adcyt.index)
    rec = adcyt.assign(USUBJID=adcyt["USUBJID"].astype(str), CYTOKINE=name,
                       _P=code.map(_CYTOKINE_CODES | {"AUC": auc}))
    return parameters_from_records(rec, keys=["USUBJID", "CYTOKINE"], parameter="_P",
                                   domain="ADCYT")


def _cytokines(wide: pd.DataFrame, dose: pd.Series, protocol: Protocol) -> pd.DataFrame:
    """ADCYT by dose level and overall, as ``KineticsReport.cytokine_summary_dose``, from
    :func:`_cytokine_pivot`."""
    auc = cytokine_auc_code(protocol.kinetics)
    wide = wide.assign(DOSELVL=wide["USUBJID"].map(dose))
    params = [p for p in [*CYTOKINE_SUMMARY, auc] if p in wide.columns]
    return _by_dose_and_all(wide, params, ["CYTOKINE"])


def ada_status(adab: pd.DataFrame) -> pd.DataFrame:
    """The per-patient ADA status :func:`cartrial.kinetics.ada_summary` reads, from ADAB's
    patient-level records (AVISIT OVERALL, AVALC Y / N): NPOST > 0 where ADPBLPFL is Y;
    BASEPOS, TI, TB, TE from BFLAG, INDUCD, ENHANC, EMERPOS; PERSIST from PERSADA / TRANADA.
    TTADA and TITERPK are missing (ADAB carries no time to ADA; no table shows them).

    Parameters
    ----------
    adab : pandas.DataFrame
        ADAB.

    Returns
    -------
    pandas.DataFrame
        One row per USUBJID and ISTESTCD (ADAB PARCAT1).

    Examples
    --------
    >>> ab = pd.DataFrame({"USUBJID": "1", "PARCAT1": "ADA_BAB", "AVISIT": "OVERALL",
    ...     "PARAMCD": ["BFLAGB", "INDUCDB", "ENHANCB", "EMERPOSB", "PERSADAB", "TRANADAB"],
    ...     "AVALC": ["N", "Y", "N", "Y", "N", "Y"], "ADPBLPFL": "Y"})
    >>> ada_status(ab)[["TI", "TE", "PERSIST", "NPOST"]].values.tolist()
    [[True, True, 'TRANSIENT', 1]]
    """
    o = adab[adab["AVISIT"] == "OVERALL"]
    name = o["PARAMCD"].astype(str).str[:-1]
    yes = o["AVALC"].map({"Y": True, "N": False})
    key = [o["USUBJID"].astype(str).rename("USUBJID"), o["PARCAT1"].rename("ISTESTCD")]
    wide = yes.groupby([*key, name.rename("_P")]).first().unstack("_P")
    out = pd.DataFrame(index=wide.index)
    for p, col in _ADA_STATUS.items():
        v = wide[p] if p in wide else pd.Series(np.nan, index=wide.index)
        out[col] = v.astype("boolean") if col == "BASEPOS" else v.fillna(False).astype(bool)
    pers = wide.get("PERSADA", pd.Series(np.nan, index=wide.index)).eq(True)
    trans = wide.get("TRANADA", pd.Series(np.nan, index=wide.index)).eq(True)
    out["PERSIST"] = np.where(pers, "PERSISTENT", np.where(trans, "TRANSIENT", None))
    post = (o["ADPBLPFL"] == "Y").groupby(key).any()
    out["NPOST"] = post.reindex(out.index).fillna(False).astype(int).to_numpy()
    out["TTADA"] = out["TITERPK"] = np.nan
    return out.reset_index()


def _crs_grades(adae: pd.DataFrame, adsl: pd.DataFrame) -> pd.Series:
    """USUBJID -> maximum ADAE ATOXGRN of the CRSFL records, 0 for an infused (SAFFL) patient
    without one (the grade follows the protocol's crs_icans_grade_source, ADAE's ATOXGRN)."""
    crs = adae[adae["CRSFL"] == "Y"]
    top = crs.groupby(crs["USUBJID"].astype(str))["ATOXGRN"].max()
    safe = adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"].astype(str)
    return top.reindex(safe.to_numpy()).fillna(0.0).astype(int)


def kinetics_tables(ds: dict[str, pd.DataFrame], protocol: Protocol) -> KineticsTables:
    """The summaries of Tables 14.5.1-14.5.5 from the ADaM datasets alone.

    Parameters
    ----------
    ds : dict of str to pandas.DataFrame
        ADaM datasets by name: ADSL, ADPP and ADPC; ADCYT, ADAB and ADAE when present.
    protocol : Protocol
        The kinetics settings (AUC window, persistence landmarks and window, cytokine window),
        the dose levels and the confidence level.

    Returns
    -------
    KineticsTables

    Raises
    ------
    InputError
        A dataset lacks a variable the summaries read.
    RecordError
        A profile has two records of one parameter.

    References
    ----------
    Shankar G et al., AAPS J 2014;16:658-73. Clopper CJ, Pearson ES, Biometrika
    1934;26:404-13. Spearman C, Am J Psychol 1904;15:72-101.

    Examples
    --------
    >>> kinetics_tables(summary_datasets, load_protocol("ct071"))  # doctest: +SKIP
    """
    from cartrial.kinetics.ada import ada_summary
    from cartrial.kinetics.analysis import ALL_DOSES
    from cartrial.kinetics.exposure import rank_tests
    from cartrial.kinetics.summary import summarise_parameters

    s, cl = protocol.kinetics, protocol.endpoints.confidence_level
    adsl = ds["ADSL"][ds["ADSL"]["SAFFL"] == "Y"]  # the population: infused patients
    ids = adsl["USUBJID"].astype(str)

    def records(name: str) -> pd.DataFrame:  # read when summarised, freed after (memory)
        return population_records(ds[name], ids, _READ[name])

    def by_subjects(name: str, make) -> tuple[pd.DataFrame, int]:  # a batch at a time (memory)
        return made_by_subjects(ds[name], ids, lambda d, some: population_records(
            d, some, _READ[name]), make)

    dose = dose_levels(adsl, protocol)
    pairs: list[pd.DataFrame] = []  # all sample_profiles reads of ADPP
    nca = by_subjects("ADPP", partial(_nca_pivot, pairs=pairs))[0]
    nca = nca.assign(DOSELVL=nca["USUBJID"].map(dose))
    aucs = [partial_auc_code(d) for d in s.auc_partial_days]
    params = [p for p in [*SUMMARY_PARAMETERS[:3], *aucs, *SUMMARY_PARAMETERS[3:]]
              if p in nca.columns]
    nca_sum = _by_dose_and_all(nca, params, _KEYS)
    pair = pd.concat(pairs).drop_duplicates()
    _, pers_sum = _persistence_tables(by_subjects("ADPC", partial(
        sample_profiles, adpp=pair, dose=dose))[0], protocol, cl)
    cyt, n_cyt = by_subjects("ADCYT", lambda r: _cytokine_pivot(r, protocol) if len(r)
                             else None) if "ADCYT" in ds else (None, 0)
    cyto = _cytokines(cyt, dose, protocol) if n_cyt else None
    del cyt
    ada = None
    ab = records("ADAB") if "ADAB" in ds else ()
    if len(ab):  # the primary (binding) test, as the metadata's where-clause
        ab = ab[ab["PARCAT1"] == "ADA_BAB"] if (ab["PARCAT1"] == "ADA_BAB").any() else ab
        st = ada_status(ab)
        st = st.assign(DOSELVL=st["USUBJID"].map(dose))
        ada = pd.concat([ada_summary(st.assign(DOSELVL=st["DOSELVL"].astype(str)),
                                     by=["ISTESTCD", "DOSELVL"], confidence_level=cl),
                         ada_summary(st.assign(DOSELVL=ALL_DOSES), by=["ISTESTCD", "DOSELVL"],
                                     confidence_level=cl)], ignore_index=True)
    del ab
    expo = tests = None
    if "ADAE" in ds:
        e = nca.assign(CRSGR=nca["USUBJID"].map(_crs_grades(records("ADAE"), adsl)))
        e_params = ["CMAX", *aucs]
        expo = summarise_parameters(e, e_params, by=[*_KEYS, "CRSGR"])
        tests = rank_tests(e, e_params, group_col="CRSGR", by=_KEYS)
    return KineticsTables(nca, nca_sum, pers_sum, cyto, ada, expo, tests)

