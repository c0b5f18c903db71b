"""ADRS MRD parameters and criteria: what an MRD-negativity table needs beyond the per-sample
``MRD`` records, so that each of its numbers is a where-clause on ADRS.

* ``MRDSUST``  sustained MRD negativity, one record per subject with MRD results: AVALC Y when
  two negatives at the protocol's sensitivity lie >= 365 days apart with no positive between
  them (IMWG 2016), else N;
* ``MRDNEGCR`` MRD-negative complete response (FDA draft guidance, January 2026,
  FDA-2025-D-2616), one record per subject with MRD results when the method and specimen are
  known: AVALC Y when the best confirmed response is CR or sCR and a bone-marrow NGF / NGS
  result is negative at 10^-5 or deeper, else N;
* ``CRIT1`` / ``CRIT1FL``: "Best confirmed response VGPR or better" and ``CRIT2`` /
  ``CRIT2FL``: "Best confirmed response CR or better" (ADaMIG v1.3 analysis criteria), Y / N
  from the subject's CBOR record, on the MRD, MRDSUST and MRDNEGCR records: the denominators of
  the registration and IMWG MRD rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.efficacy.mrd import classify_mrd, sustained_mrd_negative

MRD_PARAMS = {"MRDSUST": "Sustained MRD Negativity (IMWG)",
              "MRDNEGCR": "MRD-Negative CR (FDA 2026 draft)"}
CRITERIA = {"CRIT1": ("Best confirmed response VGPR or better", ("sCR", "CR", "VGPR")),
            "CRIT2": ("Best confirmed response CR or better", ("sCR", "CR"))}

#: Origin and derivation of each variable this module derives (cartrial.adam.derivations).
DEFINE = {
    "CRIT1": "Assigned: 'Best confirmed response VGPR or better' on MRD, MRDSUST and MRDNEGCR "
             "records.",
    "CRIT1FL": "Derived: 'Y' when the subject's CBOR AVALC is sCR, CR or VGPR, else 'N' (MRD, "
               "MRDSUST and MRDNEGCR records).",
    "CRIT2": "Assigned: 'Best confirmed response CR or better' on MRD, MRDSUST and MRDNEGCR "
             "records.",
    "CRIT2FL": "Derived: 'Y' when the subject's CBOR AVALC is sCR or CR, else 'N' (MRD, MRDSUST "
               "and MRDNEGCR records).",
}
DEFINE_PARAMS = {
    "MRDSUST": "Y when two MRD results negative at the protocol's endpoints.mrd_sensitivity lie "
               ">= 365 days apart with no positive result between them, else N (Kumar S et al., "
               "Lancet Oncol 2016;17:e328-46; cartrial.efficacy.sustained_mrd_negative).",
    "MRDNEGCR": "Y when the best confirmed response is CR or sCR and a bone-marrow MRD result by "
                "NGF or NGS is negative at 10^-5 or deeper, else N (FDA draft guidance, January "
                "2026, FDA-2025-D-2616).",
}


def derive_param_mrd_subject(mrd: pd.DataFrame, bor: pd.DataFrame,
                             sensitivity: float = 1e-5) -> pd.DataFrame:
    """MRDSUST (and, with MRDMETH and MRDSPEC, MRDNEGCR) per subject with MRD results.

    Parameters
    ----------
    mrd : pandas.DataFrame
        MRD results (:func:`cartrial.efficacy.classify_mrd` input: USUBJID, ADT, MRDRES,
        MRDSENS; MRDMETH and MRDSPEC when known).
    bor : pandas.DataFrame
        USUBJID and AVALC of the subjects' CBOR records.
    sensitivity : float
        The protocol's MRD sensitivity (``endpoints.mrd_sensitivity``).

    Returns
    -------
    pandas.DataFrame
        USUBJID, PARAMCD, PARAM, AVALC (Y / N), AVAL (1 / 0), ANL01FL Y.

    References
    ----------
    Kumar S et al., Lancet Oncol 2016;17:e328-46 (sustained MRD negativity); FDA draft
    guidance "Minimal Residual Disease and Complete Response in Multiple Myeloma", January 2026
    (FDA-2025-D-2616).

    Examples
    --------
    >>> m = pd.DataFrame({"USUBJID": ["A", "A"], "ADT": pd.to_datetime(["2024-01-01",
    ...     "2025-01-10"]), "MRDRES": "NEGATIVE", "MRDSENS": 1e-5})
    >>> bor = pd.DataFrame({"USUBJID": ["A"], "AVALC": ["CR"]})
    >>> derive_param_mrd_subject(m, bor)[["PARAMCD", "AVALC"]].values.tolist()
    [['MRDSUST', 'Y']]
    """
    c = classify_mrd(mrd, sensitivity)
    ids = pd.Index(c["USUBJID"].unique())
    flags = {"MRDSUST": sustained_mrd_negative(c).reindex(ids).fillna(False).to_numpy(bool)}
    if "MRDFDAFL" in c:
        cr = set(bor.loc[bor["AVALC"].isin(CRITERIA["CRIT2"][1]), "USUBJID"])
        deep = set(c.loc[c["MRDFDAFL"].eq("Y"), "USUBJID"])
        flags["MRDNEGCR"] = np.array([u in cr and u in deep for u in ids], dtype=bool)
    parts = [pd.DataFrame({"USUBJID": ids.to_numpy(), "PARAMCD": code,
                           "PARAM": MRD_PARAMS[code], "AVALC": np.where(y, "Y", "N"),
                           "AVAL": y.astype(float), "ANL01FL": "Y"})
             for code, y in flags.items()]
    return pd.concat(parts, ignore_index=True)


def with_response_criteria(adrs: pd.DataFrame) -> pd.DataFrame:
    """CRIT1/CRIT1FL and CRIT2/CRIT2FL on the MRD, MRDSUST and MRDNEGCR records (see the module
    docstring), from each subject's CBOR record.

    Parameters
    ----------
    adrs : pandas.DataFrame
        ADRS with USUBJID, PARAMCD, AVALC.

    Returns
    -------
    pandas.DataFrame
        A copy with the four variables (missing on the other records).

    Examples
    --------
    >>> rs = pd.DataFrame({"USUBJID": ["A", "A"], "PARAMCD": ["CBOR", "MRD"],
    ...                    "AVALC": ["VGPR", "NEGATIVE"]})
    >>> with_response_criteria(rs)[["CRIT1FL", "CRIT2FL"]].values.tolist()
    [['', ''], ['Y', 'N']]
    """
    out = adrs.copy()
    add_response_criteria(out)
    return out


def add_response_criteria(adrs: pd.DataFrame) -> None:
    """:func:`with_response_criteria` without the copy: the four variables set in ``adrs``
    itself (for :func:`cartrial.adam.adrs.derive_adrs`, whose frame is its own: a copy of a
    large trial's ADRS would be held beside it; issue #18: memory).

    Examples
    --------
    >>> rs = pd.DataFrame({"USUBJID": ["A", "A"], "PARAMCD": ["CBOR", "MRD"],
    ...                    "AVALC": ["VGPR", "NEGATIVE"]})
    >>> add_response_criteria(rs)
    >>> rs["CRIT1FL"].tolist()
    ['', 'Y']
    """
    out = adrs
    bor = out[out["PARAMCD"] == "CBOR"].set_index("USUBJID")["AVALC"]
    on = out["PARAMCD"].isin(["MRD", *MRD_PARAMS]).to_numpy()
    best = out["USUBJID"].map(bor)
    # object columns of shared values: np.where made a fixed-width text array, then one
    # string object a record (at 10,000 patients ~70 MiB a variable; issue #18: memory)
    yes_no = np.array(["N", "Y"], dtype=object)
    for var, (text, cats) in CRITERIA.items():
        crit = np.full(len(out), "", dtype=object)
        crit[on] = text
        flag = np.full(len(out), "", dtype=object)
        flag[on] = yes_no[best.isin(cats).to_numpy()[on].astype(np.intp)]
        out[var], out[var + "FL"] = crit, flag
