"""ADLB: one row per laboratory result (BDS; admiral ``inst/templates/ad_adlb.R``;
CDISC ADaMIG v1.3).

PARAMCD = LBTESTCD (cartrial keeps them equal) except where the specimen makes a different
parameter: urine M-protein ``UMPROT``, urine immunofixation ``UIMFIX`` and peripheral-blood
plasma cells ``PBPLASMA``.
Baseline (``ABLFL``): the LBBLFL = "Y" record when flagged, otherwise the last non-missing result
on or before the infusion date (data-model LB convention). ``BASE``, ``CHG = AVAL - BASE``,
``PCHG``. CTCAE grades ``ATOXGRL``/``ATOXGRH`` with terms ``ATOXDSCL``/``ATOXDSCH`` and
baseline grades come from :func:`cartrial.safety.grade_labs` (the NCI CTCAE version the
protocol pins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date, require, study_day_from, yn
from cartrial.adam.adlb_baseline import baseline_flags, baseline_values, group_codes
from cartrial.adam.adlb_grades import add_atoxgr
from cartrial.adam.adlb_grades import derive_vars_atoxgr_lb as derive_vars_atoxgr_lb
from cartrial.adam.adlb_order import (
    by_subject,
    record_order,
    sequence_numbers,
    subject_codes,
    subject_values,
)
from cartrial.adam.per_distinct import by_value, per_object, value_rows
from cartrial.data.batches import subject_batches
from cartrial.data.text import code_rows
from cartrial.protocol.model import Protocol

BATCH_SUBJECTS = 250
SPECIAL_PARAMCD = {("MPROTEIN", "URINE"): "UMPROT", ("IMFIX", "URINE"): "UIMFIX",
                   ("PLASMACE", "BLOOD"): "PBPLASMA"}

_CTCAE = ("grade_labs; NCI CTCAE v5.0, 27 Nov 2017, or v6.0, 22 July 2025, as the protocol's "
          "safety.ctcae_version pins; admiral grading metadata")
#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations); DEFINE_PARAM: the value-level derivation of AVAL per PARAMCD.
DEFINE = {
    "PARAMCD": "Derived: LB.LBTESTCD; UMPROT, UIMFIX, PBPLASMA for MPROTEIN and IMFIX in URINE "
               "and PLASMACE in BLOOD.",
    "PARAM": "Derived: LB.LBTEST + ' (' + LB.LBSTRESU + ')' (no unit: LBTEST alone), + ', ' + "
             "the specimen for UMPROT, UIMFIX, PBPLASMA.",
    "AVAL": "Predecessor: LB.LBSTRESN",
    "AVALC": "Derived: LB.LBSTRESC (else LB.LBORRES) when LB.LBSTRESN is missing, else missing.",
    "AVALU": "Predecessor: LB.LBSTRESU",
    "ANRLO": "Predecessor: LB.LBSTNRLO",
    "ANRHI": "Predecessor: LB.LBSTNRHI",
    "ADT": "Derived: LB.LBDTC as a date, a partial date imputed to its first day.",
    "ADTF": "Derived: imputation flag of ADT ('D' day, 'M' month and day imputed).",
    "ADAYINF": "Derived: ADT - ADSL.TRTSDT in days (infusion = day 0).",
    "ABLFL": "Derived: 'Y' on the LB.LBBLFL = 'Y' record of the subject and PARAMCD when one is "
             "flagged, else on the last record with a result and ADAYINF <= 0.",
    "BASE": "Derived: AVAL of the subject's ABLFL = 'Y' record of the PARAMCD.",
    "BASEC": "Derived: AVALC of the subject's ABLFL = 'Y' record of the PARAMCD.",
    "CHG": "Derived: AVAL - BASE for records with ADAYINF > 0.",
    "PCHG": "Derived: 100 x (AVAL - BASE) / BASE for records with ADAYINF > 0 and BASE not 0.",
    "ANRIND": "Derived: LOW when AVAL < ANRLO, HIGH when AVAL > ANRHI, else NORMAL; missing "
              "when AVAL or both limits are missing.",
    "ATOXDSCL": f"Derived: CTCAE term of the low direction for the PARAMCD ({_CTCAE}).",
    "ATOXDSCH": f"Derived: CTCAE term of the high direction for the PARAMCD ({_CTCAE}).",
    "ATOXGRL": f"Derived: CTCAE grade of AVAL in the low direction from AVAL, ANRLO, ANRHI "
               f"({_CTCAE}).",
    "ATOXGRH": f"Derived: CTCAE grade of AVAL in the high direction ({_CTCAE}).",
    "BTOXGRL": "Derived: ATOXGRL of the subject's ABLFL = 'Y' record of the PARAMCD.",
    "BTOXGRH": "Derived: ATOXGRH of the subject's ABLFL = 'Y' record of the PARAMCD.",
    "TRTEMFL": "Derived: 'Y' when 0 < ADAYINF <= the protocol's "
               "safety.treatment_emergent_until_day and ATOXGRL or ATOXGRH is >= 1 and above "
               "its baseline grade.",
}
_ANRIND = np.array(["", "LOW", "HIGH", "NORMAL"], dtype=object)
#: the LB variables :func:`derive_vars_lb_param` reads (LBORRES only without LBSTRESC)
LB_READ = ("STUDYID", "USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBCAT", "LBSPEC", "LBORRES",
           "LBDTC", "LBMETHOD", "LBLLOQ", "LBBLFL", "LBSTRESC", "LBSTRESU", "LBSTRESN",
           "LBSTNRLO", "LBSTNRHI")
DEFINE_PARAM = "LB.LBSTRESN of the records with PARAMCD {code} ({param})."


def derive_vars_lb_param(lb: pd.DataFrame) -> pd.DataFrame:
    """PARAMCD, PARAM ("test (unit)"), AVAL, AVALC, AVALU, ANRLO/ANRHI, ADT, LBSEQ kept.

    Parameters
    ----------
    lb : pandas.DataFrame
        SDTM LB with standardised results (LBSTRESN, LBSTRESC, LBSTRESU).

    Returns
    -------
    pandas.DataFrame
        One row per LB record in input order.

    Raises
    ------
    InputError
        When a required LB variable is missing.

    Examples
    --------
    >>> lb = pd.DataFrame({"STUDYID": "CT071", "USUBJID": "S1", "LBSEQ": [1, 2],
    ...                    "LBTESTCD": "NEUT", "LBTEST": "Neutrophils", "LBSPEC": "BLOOD",
    ...                    "LBDTC": ["2024-03-08", "2024-03-17"], "LBSTRESN": [3.1, 0.4],
    ...                    "LBSTRESC": ["3.1", "0.4"], "LBSTRESU": "10^9/L", "LBSTNRLO": 1.8,
    ...                    "LBSTNRHI": 7.5})
    >>> derive_vars_lb_param(lb)[["PARAMCD", "PARAM", "AVAL", "ADT"]]
      PARAMCD                 PARAM  AVAL        ADT
    0    NEUT  Neutrophils (10^9/L)   3.1 2024-03-08
    1    NEUT  Neutrophils (10^9/L)   0.4 2024-03-17
    """
    require(lb, ["USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBSPEC", "LBDTC"], "ADLB (LB)")
    # the text variables derived once per distinct value (issue #18: per_distinct.by_value)
    out = pd.DataFrame({"STUDYID": _each(_as_is, lb["STUDYID"]),
                        "USUBJID": _each(_as_is, lb["USUBJID"]), "LBSEQ": lb["LBSEQ"].to_numpy()})
    code, spec, test = (by_value(_as_str, lb[c]) for c in ("LBTESTCD", "LBSPEC", "LBTEST"))
    unit = by_value(_blank, lb["LBSTRESU"]) if "LBSTRESU" in lb.columns \
        else (np.zeros(len(lb), dtype=np.intp), np.array([""]))
    rows, first = code_rows([code, spec, test, unit])
    pc, param = _paramcd_param(*(values[codes[first]]
                                 for codes, values in (code, spec, test, unit)))
    out["PARAMCD"], out["PARAM"] = pc[rows], param[rows]  # one object per distinct value
    out["LBCAT"] = _each(_as_is, lb["LBCAT"]) if "LBCAT" in lb.columns else ""
    out["LBSPEC"] = spec[1][spec[0]]
    out["AVAL"] = pd.to_numeric(lb["LBSTRESN"], errors="coerce").to_numpy() \
        if "LBSTRESN" in lb.columns else np.nan
    strc = lb["LBSTRESC"] if "LBSTRESC" in lb.columns else lb["LBORRES"]
    # AVALC carries character results (IFE, MRD, BLQ text); numeric results live in AVAL
    out["AVALC"] = np.where(np.isnan(out["AVAL"].to_numpy(dtype=float)), _each(_blank, strc), "")
    out["AVALU"] = unit[1][unit[0]]
    for src, dst in (("LBSTNRLO", "ANRLO"), ("LBSTNRHI", "ANRHI")):
        out[dst] = pd.to_numeric(lb[src], errors="coerce").to_numpy() if src in lb.columns \
            else np.nan
    out["ADT"], out["ADTF"] = _dates(lb["LBDTC"])
    out["LBBLFL"] = _each(_filled, lb["LBBLFL"]) if "LBBLFL" in lb.columns else ""
    out["LBLLOQ"] = pd.to_numeric(lb["LBLLOQ"], errors="coerce").to_numpy() \
        if "LBLLOQ" in lb.columns else np.nan
    if "LBMETHOD" in lb.columns:
        out["LBMETHOD"] = _each(_filled, lb["LBMETHOD"])
    return out


# element-wise readings of LB's text variables (each applied per distinct value: by_value)
def _as_is(s: pd.Series) -> pd.Series:
    return s


def _as_str(s: pd.Series) -> pd.Series:
    return s.astype(str)


def _blank(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str)


def _filled(s: pd.Series) -> pd.Series:
    return s.fillna("")


def _each(derive: Callable[[pd.Series], pd.Series], s: pd.Series) -> np.ndarray:
    """``derive(s).to_numpy()`` (``derive`` element-wise), computed per distinct value."""
    codes, values = by_value(derive, s)
    return values[codes]


def _dates(dtc: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """ADT and ADTF (missing flag as "") of LBDTC (:func:`dtc_date`), per distinct text."""
    at = value_rows(dtc)
    if at is None:
        adt, adtf = dtc_date(dtc)
        return adt.to_numpy(), adtf.fillna("").to_numpy()
    codes, first = at
    adt, adtf = dtc_date(dtc.iloc[first])
    return adt.to_numpy()[codes], adtf.fillna("").to_numpy()[codes]


def _paramcd_param(code: np.ndarray, spec: np.ndarray, test: np.ndarray, unit: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """PARAMCD and PARAM of records with these test codes, specimens, tests and units."""
    pc = code.copy()
    for (c, s), new in SPECIAL_PARAMCD.items():
        pc = np.where((code == c) & (spec == s), new, pc)
    param = np.where(unit != "", pd.Series(test) + " (" + pd.Series(unit) + ")",
                     pd.Series(test))
    param = np.where(pc != code, param + ", " + pd.Series(spec).str.lower(), param)
    return np.asarray(pc, dtype=object), np.asarray(param, dtype=object)


def derive_var_ablfl(adlb: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ABLFL, ADY and ADAYINF (days from infusion, infusion = day 0), BASE, CHG, PCHG, ANRIND.

    Parameters
    ----------
    adlb : pandas.DataFrame
        Rows of :func:`derive_vars_lb_param` (USUBJID, PARAMCD, ADT, AVAL, AVALC, LBBLFL,
        ANRLO, ANRHI).
    adsl : pandas.DataFrame
        USUBJID and TRTSDT (infusion date).

    Returns
    -------
    pandas.DataFrame
        ``adlb`` with the baseline (LBBLFL when given, else the last result on or before the
        infusion day) and the change from it.

    References
    ----------
    CDISC ADaM Implementation Guide v1.3, 2021 (BDS baseline and change variables).

    Examples
    --------
    >>> lb = pd.DataFrame({"STUDYID": "CT071", "USUBJID": "S1", "LBSEQ": [1, 2],
    ...                    "LBTESTCD": "NEUT", "LBTEST": "Neutrophils", "LBSPEC": "BLOOD",
    ...                    "LBDTC": ["2024-03-08", "2024-03-17"], "LBSTRESN": [3.1, 0.4],
    ...                    "LBSTRESC": ["3.1", "0.4"], "LBSTRESU": "10^9/L", "LBSTNRLO": 1.8,
    ...                    "LBSTNRHI": 7.5})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.Timestamp("2024-03-10"),
    ...                      "TRT01A": "DL1", "TRT01AN": 1})
    >>> out = derive_var_ablfl(derive_vars_lb_param(lb), adsl)
    >>> out[["ADY", "ADAYINF", "ABLFL", "BASE", "CHG", "ANRIND"]]
       ADY  ADAYINF ABLFL  BASE  CHG  ANRIND
    0   -2     -2.0     Y   3.1  NaN  NORMAL
    1    8      7.0         3.1 -2.7     LOW
    """
    return _add_ablfl(adlb.copy(), adsl)


def _add_ablfl(out: pd.DataFrame, adsl: pd.DataFrame,
               subjects: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """:func:`derive_var_ablfl`'s columns added to ``out`` itself; ``subjects``:
    :func:`cartrial.adam.adlb_order.subject_codes` of its USUBJID, when made."""
    trt = by_subject(out["USUBJID"], subjects, subject_values(adsl, "TRTSDT"))
    out["ADY"] = study_day_from(out["ADT"], trt)
    out["ADAYINF"] = (out["ADT"] - trt).dt.days.astype(float)
    # the text tests asked once per distinct object (their rows hold a few of them)
    has = out["AVAL"].notna().to_numpy() | per_object(out["AVALC"], lambda v: v != "", True)
    pre = has & (out["ADAYINF"] <= 0).to_numpy()
    flagged = per_object(out["LBBLFL"], lambda v: v == "Y", False)
    group, n_groups = group_codes(out["USUBJID"].to_numpy(), out["PARAMCD"].to_numpy())
    keyless = per_object(out["USUBJID"], pd.isna, True) | per_object(out["PARAMCD"], pd.isna,
                                                                     True)
    abl = baseline_flags(group, n_groups, out["ADT"].to_numpy(), pre, flagged, keyless)
    out["ABLFL"] = yn(abl)
    out["BASE"], out["BASEC"] = baseline_values(group, n_groups, abl, out)
    out["CHG"] = np.where(out["ADAYINF"] > 0, out["AVAL"] - out["BASE"], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["PCHG"] = np.where((out["ADAYINF"] > 0) & (out["BASE"] != 0),
                               100.0 * (out["AVAL"] - out["BASE"]) / out["BASE"], np.nan)
    ind = np.select([out["AVAL"].isna(), out["AVAL"] < out["ANRLO"],
                     out["AVAL"] > out["ANRHI"]], [0, 1, 2], 3)
    ind[(out["ANRLO"].isna() & out["ANRHI"].isna()).to_numpy()] = 0
    out["ANRIND"] = _ANRIND[ind]  # one object per value
    return out


def derive_adlb(lb: pd.DataFrame, adsl: pd.DataFrame, protocol: Protocol, *,
                batch_subjects: int = BATCH_SUBJECTS) -> pd.DataFrame:
    """ADLB from SDTM LB and ADSL: parameters, baseline and change, CTCAE grades (the version
    the protocol pins).

    Every derivation is within a subject, so subjects are taken ``batch_subjects`` at a time in
    USUBJID order (:func:`derive_adlb_batches`): the result is the same, and the intermediate
    frames of a large trial (millions of lab records) never exist for the whole study at once.

    Parameters
    ----------
    lb : pandas.DataFrame
        SDTM LB with standardised results.
    adsl : pandas.DataFrame
        USUBJID, TRTSDT, TRT01A, TRT01AN.
    protocol : Protocol
        Gives the treatment-emergent window.
    batch_subjects : int
        Subjects per batch (memory only; the result does not depend on it).

    Returns
    -------
    pandas.DataFrame
        ADLB (BDS), by subject, parameter and date, ASEQ numbered from 1.

    References
    ----------
    National Cancer Institute, Common Terminology Criteria for Adverse Events v5.0, 2017
    (neutrophil count decreased: grade 4 < 0.5 x 10^9/L).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> lb = pd.DataFrame({"STUDYID": "CT071", "USUBJID": "S1", "LBSEQ": [1, 2],
    ...                    "LBTESTCD": "NEUT", "LBTEST": "Neutrophils", "LBSPEC": "BLOOD",
    ...                    "LBDTC": ["2024-03-08", "2024-03-17"], "LBSTRESN": [3.1, 0.4],
    ...                    "LBSTRESC": ["3.1", "0.4"], "LBSTRESU": "10^9/L", "LBSTNRLO": 1.8,
    ...                    "LBSTNRHI": 7.5})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.Timestamp("2024-03-10"),
    ...                      "TRT01A": "DL1", "TRT01AN": 1})
    >>> derive_adlb(lb, adsl, load_protocol("ct071"))[["ASEQ", "AVAL", "ABLFL", "ATOXGRL"]]
       ASEQ  AVAL ABLFL  ATOXGRL
    0     1   3.1     Y      0.0
    1     2   0.4            4.0
    """
    parts = list(derive_adlb_batches(lb, adsl, protocol, batch_subjects=batch_subjects))
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def derive_adlb_batches(lb: pd.DataFrame, adsl: pd.DataFrame, protocol: Protocol, *,
                        batch_subjects: int = BATCH_SUBJECTS) -> Iterator[pd.DataFrame]:
    """ADLB as consecutive row batches of ``batch_subjects`` subjects each, in USUBJID order
    (their concatenation is :func:`derive_adlb`); for writing a large ADLB without holding it
    (:class:`cartrial.adam.BatchedDataset`). Rows without a USUBJID come in the last batch.

    Parameters
    ----------
    lb, adsl, protocol, batch_subjects
        As for :func:`derive_adlb`.

    Returns
    -------
    iterator of pandas.DataFrame
        The ADLB batches.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> lb = pd.DataFrame({"STUDYID": "CT071", "USUBJID": "S1", "LBSEQ": [1, 2],
    ...                    "LBTESTCD": "NEUT", "LBTEST": "Neutrophils", "LBSPEC": "BLOOD",
    ...                    "LBDTC": ["2024-03-08", "2024-03-17"], "LBSTRESN": [3.1, 0.4],
    ...                    "LBSTRESC": ["3.1", "0.4"], "LBSTRESU": "10^9/L", "LBSTNRLO": 1.8,
    ...                    "LBSTNRHI": 7.5})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": pd.Timestamp("2024-03-10"),
    ...                      "TRT01A": "DL1", "TRT01AN": 1})
    >>> batches = derive_adlb_batches(lb, adsl, load_protocol("ct071"), batch_subjects=1)
    >>> [len(b) for b in batches]
    [2]
    """
    require(lb, ["USUBJID"], "ADLB (LB)")
    for rows in subject_batches(lb["USUBJID"], batch_subjects):
        yield _derive_adlb(lb.iloc[rows], adsl, protocol)


def _derive_adlb(lb: pd.DataFrame, adsl: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    out = derive_vars_lb_param(lb)
    subjects = subject_codes(out["USUBJID"])  # each subject looked up once (adlb_order)
    out = add_atoxgr(_add_ablfl(out, adsl, subjects), protocol)
    for c in ("TRT01A", "TRT01AN"):
        out[c] = by_subject(out["USUBJID"], subjects, subject_values(adsl, c))
    order = record_order(out)
    front = ["STUDYID", "USUBJID", "ASEQ", "LBSEQ", "TRT01A", "TRT01AN", "PARAMCD", "PARAM",
             "AVAL", "AVALC", "AVALU", "ADT", "ADTF", "ADY", "ADAYINF", "ABLFL", "BASE", "CHG",
             "PCHG"]
    # one frame built from the sorted columns (no block consolidation, no second copy); numpy
    # arrays where the dtype is numpy's (pandas asks a wrapped object array for its missing)
    sorted_ = {c: out[c].to_numpy().take(order) if isinstance(out[c].dtype, np.dtype)
               else out[c].array.take(order) for c in out.columns}
    sorted_["ASEQ"] = sequence_numbers(sorted_["USUBJID"])
    return pd.DataFrame({c: sorted_[c] for c in front + [c for c in out.columns
                                                          if c not in front]}, copy=False)
