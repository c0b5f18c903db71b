"""ADSL populations: POPCD and PPCLFL (the protocol population of the primary diagnosis) and the
analysis flags SAFFL, EFFFL, DLTEVLFL, DLTFL (ADaMIG v1.3 ADSL population flags; their
define.xml derivations are in :data:`cartrial.adam.adsl.DEFINE`). Part of
:func:`cartrial.adam.adsl.derive_adsl`.
"""

from __future__ import annotations

import pandas as pd

from cartrial.adam._dates import latest_per_subject, require, start_days, yn
from cartrial.adam.record_chunks import record_chunks
from cartrial.data import Study, data_model
from cartrial.data.batches import take_rows
from cartrial.errors import RecordError
from cartrial.protocol.model import Protocol


def derive_var_popcd(adsl: pd.DataFrame, mh: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """POPCD (protocol population from the MH PRIMARY DIAGNOSIS record) and PPCLFL.

    The MHDECOD of the subject's first PRIMARY DIAGNOSIS record is mapped to a population code by
    the data model's MH ``population_terms``; a term that maps to a population the protocol does
    not list stops the derivation. A subject without such a record gets a blank POPCD.

    Parameters
    ----------
    adsl : pandas.DataFrame
        One row per subject (USUBJID).
    mh : pandas.DataFrame
        SDTM MH (USUBJID, MHCAT, MHDECOD).
    protocol : cartrial.protocol.Protocol
        Its ``populations`` are the codes allowed.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with POPCD (e.g. ``"RRMM"``, ``"PPCL"``, blank) and PPCLFL (``"Y"`` when
        POPCD = PPCL, else blank).

    Raises
    ------
    cartrial.errors.RecordError
        MH lacks a required variable, or a primary diagnosis maps to a population the protocol
        does not list (domain MH, the subject, MHDECOD and its value named).

    References
    ----------
    Fernandez de Larrea C et al., Blood Cancer J 2021;11:192 (IMWG 2021 definition of primary
    plasma cell leukaemia: >= 5 % circulating plasma cells), which makes PPCL a population of its
    own; CDISC ADaMIG v1.3 section 3.2 (ADSL population flags, ``*FL`` = "Y" or null).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> mh = pd.DataFrame({"USUBJID": ["S1", "S2"], "MHCAT": "PRIMARY DIAGNOSIS",
    ...                    "MHDECOD": ["Plasma cell myeloma", "Plasma cell leukaemia"]})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"]})
    >>> derive_var_popcd(adsl, mh, load_protocol("ct071"))[["POPCD", "PPCLFL"]]
      POPCD PPCLFL
    0  RRMM
    1  PPCL      Y
    2
    """
    require(mh, ["USUBJID", "MHCAT", "MHDECOD"], "ADSL (MH)")
    terms = data_model().domains["MH"].population_terms
    codes = {p.code for p in protocol.populations}
    pdx = mh[mh["MHCAT"] == "PRIMARY DIAGNOSIS"].drop_duplicates("USUBJID").set_index("USUBJID")
    out = adsl.copy()
    pop = out["USUBJID"].map(pdx["MHDECOD"].map(terms)).fillna("")
    unknown = (pop != "") & ~pop.isin(codes)
    if unknown.any():
        u = out.loc[unknown, "USUBJID"].iloc[0]
        raise RecordError(domain="MH", usubjid=u, variable="MHDECOD", value=pdx.loc[u, "MHDECOD"],
                          rule="primary diagnosis maps to a population the protocol does not list",
                          hint=f"protocol populations {sorted(codes)}")
    out["POPCD"] = pop
    out["PPCLFL"] = yn(pop == "PPCL")
    return out


def derive_vars_popfl(adsl: pd.DataFrame, study: Study,
                      dlt_patients: pd.DataFrame | None = None) -> pd.DataFrame:
    """SAFFL, EFFFL and (when an adjudication is given) DLTEVLFL and DLTFL.

    SAFFL: infused with the CAR-T product (TRTSDT not missing). EFFFL: SAFFL and at least one
    disease assessment dated after TRTSDT (an LB record with LBCAT = DISEASE ASSESSMENT, or an RS
    OVRLRESP record; RS ECOG records do not count). DLTEVLFL: SAFFL and the safety engine finds a
    DLT or follow-up through the DLT window; DLTFL: a DLT.

    Parameters
    ----------
    adsl : pandas.DataFrame
        One row per subject (USUBJID, TRTSDT).
    study : cartrial.data.Study
        LB and RS (either may be absent).
    dlt_patients : pandas.DataFrame, optional
        :attr:`cartrial.safety.DltResult.patients` (USUBJID, DLT_EVALUABLE, DLT as
        ``"yes"``/``"no"``/...); without it DLTEVLFL and DLTFL are not added.

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with SAFFL, EFFFL and, with ``dlt_patients``, DLTEVLFL and DLTFL (``"Y"`` or
        blank).

    References
    ----------
    CDISC ADaMIG v1.3 (2021) section 3.2, ADSL population flags (SAFFL, EFFFL: "Y" or null);
    Kumar S et al., Lancet Oncol 2016;17:e328-46 (IMWG 2016: response needs an assessment after
    treatment, hence EFFFL).

    Examples
    --------
    S1 has a disease assessment after infusion, S2 only before it, S3 was not infused:

    >>> from cartrial.data import Study
    >>> adsl = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"],
    ...                      "TRTSDT": pd.to_datetime(["2024-01-10", "2024-01-10", None])})
    >>> lb = pd.DataFrame({"USUBJID": ["S1", "S2"], "LBCAT": "DISEASE ASSESSMENT",
    ...                    "LBDTC": ["2024-02-07", "2024-01-02"]})
    >>> dlt = pd.DataFrame({"USUBJID": ["S1", "S2"], "DLT_EVALUABLE": [True, True],
    ...                     "DLT": ["no", "yes"]})
    >>> derive_vars_popfl(adsl, Study({"LB": lb}), dlt)[["SAFFL", "EFFFL", "DLTEVLFL", "DLTFL"]]
      SAFFL EFFFL DLTEVLFL DLTFL
    0     Y     Y        Y
    1     Y              Y     Y
    2
    """
    out = adsl.copy()
    out["SAFFL"] = yn(out["TRTSDT"].notna())
    latest = []  # per subject, the latest date of a disease assessment
    # the disease records' subjects and dates only (issue #18: a large LB is not read whole)
    for lb in record_chunks(study, "LB", ["USUBJID", "LBCAT", "LBDTC"],
                            where={"LBCAT": {"DISEASE ASSESSMENT"}}):
        disease = (lb["LBCAT"] == "DISEASE ASSESSMENT").to_numpy(dtype=bool, na_value=False)
        da = take_rows(lb, disease, ["USUBJID", "LBDTC"])
        latest.append(latest_per_subject(da["USUBJID"], da["LBDTC"], start_days))
    rs = study.get("RS")
    if rs is not None and len(rs):
        rs = rs[rs["RSTESTCD"] == "OVRLRESP"]  # RS also holds ECOG (clinical classification)
        latest.append(latest_per_subject(rs["USUBJID"], rs["RSDTC"], start_days))
    has: set = set()
    if latest:  # an assessment after infusion: the latest is after it (issue #18: one date
        # per subject, not a frame of every record's; at 10,000 patients 0.8 million records)
        last = pd.concat(latest).groupby(level=0).max()
        after = last > out.set_index("USUBJID")["TRTSDT"].reindex(last.index)
        has = set(last.index[after.to_numpy(dtype=bool)])
    out["EFFFL"] = yn((out["SAFFL"] == "Y") & out["USUBJID"].isin(has))
    from cartrial.adam.adsl_dlt import derive_vars_dlt  # DLTEVLFL, DLTFL, DLTPNDFL, DLTCRIT

    return derive_vars_dlt(out, dlt_patients)
