"""ADSL ``BRDGRSP``: response to bridging therapy (IMWG 2016 category, unconfirmed).

For a patient with bridging therapy (``BRIDGFL = "Y"``) the disease assessments (LB CAT
"DISEASE ASSESSMENT") dated before lymphodepletion (ADSL ``LDSTDT``, else the infusion
``TRTSDT``) are compared: the earliest (screening) is the reference, the latest (the
pre-lymphodepletion assessment) is classified against it by the IMWG 2016 rules of the efficacy
engine (:func:`cartrial.efficacy.imwg.classify_assessments`; Kumar S et al., Lancet Oncol
2016;17:e328-46), unconfirmed, by serum/urine M-protein and serum free light chains
(immunofixation and marrow are not repeated before lymphodepletion, so CR and sCR cannot be
reached; the relapsed/refractory myeloma rules apply to every patient, as blood plasma cells,
which the plasma cell leukaemia criteria need, are not repeated either). ``NE`` (not
evaluable) when the patient has fewer than two such assessments or a measurement the
classification needs is missing; empty without bridging.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date
from cartrial.data import Study
from cartrial.data.text import upper_stripped
from cartrial.efficacy.sdtm_disease import LB_DISEASE_TESTS, LB_DISEASE_VARIABLES
from cartrial.study_reads import read_frame

NOT_EVALUABLE = "NE"
TESTS = ("MPROTEIN", "KAPPAFLC", "LAMBDFLC", "KAPLAMB")


def derive_var_brdgrsp(adsl: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Add ``BRDGRSP`` (response to bridging therapy, see the module docstring).

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL with USUBJID, BRIDGFL, LDSTDT and TRTSDT.
    study : cartrial.data.Study
        LB disease assessments (standard units, LBSTRESN).

    Returns
    -------
    pandas.DataFrame
        ``adsl`` with ``BRDGRSP``: sCR/CR/VGPR/PR/MR/SD/PD, ``NE``, or "" without bridging.

    Raises
    ------
    cartrial.errors.RecordError
        A disease-assessment record that cannot be used (from the IMWG input checks), naming
        LB, the subject and LBSEQ.

    References
    ----------
    Kumar S et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"USUBJID": ["S1"], "BRIDGFL": ["N"], "LDSTDT": [pd.NaT],
    ...                   "TRTSDT": [pd.NaT]})
    >>> derive_var_brdgrsp(a, {})["BRDGRSP"].tolist()
    ['']
    """
    out = adsl.copy()
    bridged = out["BRIDGFL"].eq("Y")
    out["BRDGRSP"] = np.where(bridged, NOT_EVALUABLE, "")
    if not bridged.any():
        return out
    # LB's disease records of the bridged subjects only (issue #18: memory; at 10,000
    # patients 5 % of them), the variables the classification reads; read_frame matches the
    # identifiers stripped and upper case, the exact ones are kept below
    ids = out.loc[bridged, "USUBJID"]
    lb = read_frame(study, "LB", [*LB_DISEASE_VARIABLES, "LBCAT"],
                    where={"LBTESTCD": LB_DISEASE_TESTS, "USUBJID": set(upper_stripped(ids))})
    if lb is None or not len(lb):
        return out
    ref = out.set_index("USUBJID")["LDSTDT"].fillna(out.set_index("USUBJID")["TRTSDT"])
    d = lb[(lb["LBCAT"] == "DISEASE ASSESSMENT") & lb["LBTESTCD"].isin(TESTS)
           & lb["USUBJID"].isin(out.loc[bridged, "USUBJID"])].copy()
    adt, _ = dtc_date(d["LBDTC"])
    d = d[(adt < d["USUBJID"].map(ref)).to_numpy()]
    dates = pd.Series(dtc_date(d["LBDTC"])[0].to_numpy(), index=d.index)
    first = dates.groupby(d["USUBJID"]).min()
    two = dates.groupby(d["USUBJID"]).nunique()
    d = d[d["USUBJID"].map(two).ge(2).to_numpy()]
    if d.empty:
        return out
    out["BRDGRSP"] = out["BRDGRSP"].mask(
        out["USUBJID"].isin(d["USUBJID"]), out["USUBJID"].map(_classify(d, first)))
    out["BRDGRSP"] = out["BRDGRSP"].fillna(NOT_EVALUABLE)
    return out


def _classify(lb: pd.DataFrame, first: pd.Series) -> pd.Series:
    """IMWG category of the last assessment against the first, per subject."""
    from cartrial.efficacy.imwg import classify_assessments
    from cartrial.efficacy.sdtm import disease_assessments_from_sdtm

    lb = lb.drop(columns=[c for c in ("LBBLFL",) if c in lb])
    frame = disease_assessments_from_sdtm(lb, first)
    got = classify_assessments(frame)
    last = got.sort_values(["USUBJID", "ADT"]).groupby("USUBJID").tail(1).set_index("USUBJID")
    return last["AVALC"].fillna(NOT_EVALUABLE).replace("", NOT_EVALUABLE)
