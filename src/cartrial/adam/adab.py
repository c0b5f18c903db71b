"""ADAB: anti-drug (anti-CAR) antibodies, BDS, named as in the pharmaverse admiral ADAB template
(Anti-Drug Antibody Analysis Dataset, from SDTM IS): one row per IS sample and ADA test
(``RESULT`` positive / negative, ``TITER`` the titer of a positive sample with one), and one
row per subject and test for each patient-level status (``AVISIT = OVERALL``): baseline
positive (``BFLAG``), treatment-induced (``INDUCD``), treatment-boosted (``ENHANC``),
treatment-emergent (``EMERPOS``), persistent (``PERSADA``) and transient (``TRANADA``),
``AVALC`` Y / N and ``AVAL`` 1 / 0, by the kinetics engine's rules (Shankar G et al., AAPS J
2014;16:658-73). ``ADPBLPFL`` = Y marks a subject with a post-infusion sample (evaluable),
``ADABLPFL`` = Y one with a baseline sample, on every record of that subject and test.

PARAMCD is the template's name plus one letter for the test (admiral's ``y``): the first
letter after ``ADA_`` of IS.ISTESTCD (``ADA_BAB`` -> ``B``, ``ADA_NAB`` -> ``N``), e.g.
``EMERPOSB``; PARCAT1 is IS.ISTESTCD. The admiral template is ADAB; ADIS is the vaccine
immunogenicity dataset of admiralvaccine (antibody responses to a vaccine, not ADA).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import dtc_date, require, study_day_from
from cartrial.adam.adpp import with_subject
from cartrial.data.text import share_repeats
from cartrial.errors import InputError

#: patient-level parameters: (template name, label, column of kinetics.classify_ada, value)
STATUS = (("BFLAG", "Baseline ADA positive", "BASEPOS", True),
          ("INDUCD", "Treatment-induced ADA", "TI", True),
          ("ENHANC", "Treatment-boosted ADA", "TB", True),
          ("EMERPOS", "Treatment-emergent ADA (induced or boosted)", "TE", True),
          ("PERSADA", "Persistent treatment-emergent ADA", "PERSIST", "PERSISTENT"),
          ("TRANADA", "Transient treatment-emergent ADA", "PERSIST", "TRANSIENT"))

#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations); DEFINE_PARAMS: the value-level derivation of AVAL per name.
DEFINE = {
    "PARCAT1": "Predecessor: IS.ISTESTCD",
    "PARAMCD": "Derived: RESULT, TITER, BFLAG, INDUCD, ENHANC, EMERPOS, PERSADA or TRANADA + "
               "the first letter after 'ADA_' of IS.ISTESTCD.",
    "PARAM": "Derived: the parameter's label + ', ' + IS.ISTEST.",
    "AVAL": "Derived: RESULT 1 (POSITIVE) or 0; TITER IS.ISSTRESN of a positive sample; a "
            "patient-level status 1 (Y) or 0 (N), missing when not known.",
    "AVALC": "Derived: RESULT IS.ISSTRESC (POSITIVE / NEGATIVE); a patient-level status Y or N.",
    "AVALU": "Derived: IS.ISSTRESU on TITER records ('titer' when IS has no ISSTRESU).",
    "ADT": "Derived: IS.ISDTC as a date.",
    "AFRLT": "Derived: ADT - ADSL.INFDT in days (infusion = day 0).",
    "FRLTU": "Assigned: DAYS.",
    "ABLFL": "Derived: 'Y' on the subject's last sample of the test at or before the infusion "
             "(AFRLT <= 0).",
    "AVISIT": "Derived: IS.VISIT on sample records; OVERALL on patient-level records.",
    "ADPBLPFL": "Derived: 'Y' when the subject has a sample of the test after the infusion "
                "(AFRLT > 0).",
    "ADABLPFL": "Derived: 'Y' when the subject has a sample of the test at or before the "
                "infusion.",
    "SRCDOM": "Assigned: IS on sample records.",
    "SRCVAR": "Assigned: SEQ on sample records.",
    "SRCSEQ": "Predecessor: IS.ISSEQ",
}
_RULES = {"BFLAG": "the last sample at or before the infusion is positive",
          "INDUCD": "baseline not positive and a positive sample after the infusion",
          "ENHANC": "baseline positive and a titer after the infusion >= the protocol's "
                    "kinetics.ada_titer_fold_rise x the baseline titer",
          "EMERPOS": "treatment-induced or treatment-boosted",
          "PERSADA": "treatment-emergent positive samples spanning >= the protocol's "
                     "kinetics.ada_persistent_days, or the last sample positive",
          "TRANADA": "treatment-emergent and not persistent"}
class _ByName(dict):
    """PARAMCD -> derivation, looked up by the template name (the code without its letter)."""

    def get(self, code, default=None):
        return super().get(str(code)[:-1], default)


DEFINE_PARAMS = _ByName({"RESULT": "1 when IS.ISSTRESC = POSITIVE, 0 when NEGATIVE (one sample).",
                 "TITER": "IS.ISSTRESN of a positive sample.",
                 **{k: f"1 (AVALC Y) when {v}, else 0 (Shankar G et al., AAPS J "
                       "2014;16:658-73; cartrial.kinetics.classify_ada)."
                    for k, v in _RULES.items()}})


def _tag(code: pd.Series) -> pd.Series:
    return code.str.upper().str.removeprefix("ADA_").str.slice(0, 1)


def _samples(is_: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """RESULT and TITER records of the IS samples, ABLFL on the baseline sample."""
    sl = adsl.set_index("USUBJID")
    code = is_["ISTESTCD"].astype(str)
    test = is_["ISTEST"].astype(str) if "ISTEST" in is_ else code
    res = is_["ISSTRESC"] if "ISSTRESC" in is_ else is_["ISORRES"]
    res = res.astype("string").str.strip().str.upper()
    s = pd.DataFrame({"USUBJID": is_["USUBJID"].astype(str), "PARCAT1": code,
                      "_TAG": _tag(code), "_TEST": test, "AVALC": res})
    s["ADT"], _ = dtc_date(is_["ISDTC"])
    s["ADY"] = study_day_from(s["ADT"], s["USUBJID"].map(sl["TRTSDT"]))
    s["AFRLT"] = (s["ADT"] - pd.to_datetime(s["USUBJID"].map(sl["INFDT"]))).dt.days.astype(float)
    s["FRLTU"] = "DAYS"
    s["AVISIT"] = is_["VISIT"].astype("string") if "VISIT" in is_ else pd.NA
    s["SRCDOM"], s["SRCVAR"] = "IS", "SEQ"
    s["SRCSEQ"] = pd.to_numeric(is_["ISSEQ"], errors="coerce")
    pre = s[s["AFRLT"] <= 0].sort_values(["ADT", "SRCSEQ"], kind="stable")
    last = pre.groupby(["USUBJID", "PARCAT1"]).tail(1).index
    s["ABLFL"] = np.where(s.index.isin(last), "Y", "")
    result = s.assign(_P="RESULT", AVAL=np.where(res == "POSITIVE", 1.0, np.where(
        res == "NEGATIVE", 0.0, np.nan)))
    titer = pd.to_numeric(is_["ISSTRESN"], errors="coerce") if "ISSTRESN" in is_ else \
        pd.Series(np.nan, index=is_.index)
    has = (res == "POSITIVE").fillna(False).to_numpy(bool) & titer.notna().to_numpy()
    if not has.any():
        return result
    tit = s[has].assign(_P="TITER", AVAL=titer[has].astype(float), AVALC=None,
                        AVALU=is_["ISSTRESU"][has] if "ISSTRESU" in is_ else "titer")
    return _concat([result, tit])


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of the frames, a column missing or empty in one frame missing in its rows."""
    cols = list(dict.fromkeys(c for f in frames for c in f.columns))
    kept = [f.dropna(axis=1, how="all") for f in frames]
    return pd.concat(kept, ignore_index=True).reindex(columns=cols)


def _status(ada: pd.DataFrame, tests: dict[str, str]) -> pd.DataFrame:
    """One record per subject, test and patient-level status (AVISIT OVERALL)."""
    rows = []
    for name, _label, col, hit in STATUS:
        v = ada[col]
        known = v.notna().to_numpy(bool) if col == "BASEPOS" else np.ones(len(v), bool)
        yes = v.eq(hit).fillna(False).to_numpy(bool)
        rows.append(pd.DataFrame({
            "USUBJID": ada["USUBJID"].astype(str).to_numpy(),
            "PARCAT1": ada["ISTESTCD"].astype(str).to_numpy(), "_P": name,
            "AVAL": np.where(known, yes.astype(float), np.nan),
            "AVALC": np.where(known, np.where(yes, "Y", "N"), None), "AVISIT": "OVERALL"}))
    out = pd.concat(rows, ignore_index=True)
    out["_TAG"] = _tag(out["PARCAT1"])
    out["_TEST"] = out["PARCAT1"].map(tests).fillna(out["PARCAT1"])
    return out


def derive_adab(is_: pd.DataFrame, ada: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADAB from SDTM IS, the kinetics engine's ADA status per patient and ADSL.

    Parameters
    ----------
    is_ : pandas.DataFrame
        SDTM IS (USUBJID, ISSEQ, ISTESTCD, ISDTC, ISSTRESC or ISORRES; ISTEST, ISSTRESN,
        ISSTRESU, VISIT when present).
    ada : pandas.DataFrame
        :func:`cartrial.kinetics.classify_ada` by USUBJID and ISTESTCD
        (``KineticsReport.ada``).
    adsl : pandas.DataFrame
        ADSL (STUDYID, TRT01A, TRT01AN, TRTSDT, INFDT per USUBJID).

    Returns
    -------
    pandas.DataFrame
        ADAB sorted by USUBJID, PARCAT1, PARAMCD, ADT.

    Raises
    ------
    InputError
        When a required variable is missing or two tests would share a PARAMCD letter.

    References
    ----------
    Shankar G et al., AAPS J 2014;16:658-73 (ADA categories); CDISC ADaMIG v1.3, section 3.2
    (BDS); pharmaverse admiral ADAB template (ad_adab.R).

    Examples
    --------
    >>> is_ = pd.DataFrame({"USUBJID": ["S1", "S1"], "ISSEQ": [1, 2],
    ...     "ISTESTCD": ["ADA_BAB"] * 2, "ISDTC": ["2023-07-24", "2023-08-21"],
    ...     "ISSTRESC": ["NEGATIVE", "POSITIVE"], "ISSTRESN": [None, 40.0]})
    >>> ada = pd.DataFrame({"USUBJID": ["S1"], "ISTESTCD": ["ADA_BAB"], "NPOST": [1],
    ...     "BASEPOS": [False], "TI": [True], "TB": [False], "TE": [True],
    ...     "PERSIST": ["PERSISTENT"]})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "STUDYID": ["X"], "TRT01A": ["DL1"],
    ...     "TRT01AN": [1], "TRTSDT": [pd.Timestamp("2023-07-24")],
    ...     "INFDT": [pd.Timestamp("2023-07-24")]})
    >>> ab = derive_adab(is_, ada, adsl)
    >>> ab.loc[ab["AVISIT"] == "OVERALL", ["PARAMCD", "AVALC"]].values.tolist()[:3]
    [['BFLAGB', 'N'], ['EMERPOSB', 'Y'], ['ENHANCB', 'N']]
    """
    require(is_, ["USUBJID", "ISSEQ", "ISTESTCD", "ISDTC"], "ADAB (IS)")
    require(ada, ["USUBJID", "ISTESTCD", "NPOST", "BASEPOS", "TI", "TB", "TE", "PERSIST"],
            "ADAB (ADA status)")
    if "ISSTRESC" not in is_ and "ISORRES" not in is_:
        raise InputError("ADAB (IS): neither ISSTRESC nor ISORRES is present")
    codes = is_["ISTESTCD"].astype(str).drop_duplicates()
    clash = codes.groupby(_tag(codes).to_numpy()).nunique()
    if (clash > 1).any():
        raise InputError(f"ADAB: ADA tests {sorted(codes)} share a PARAMCD letter (the first "
                         "letter after 'ADA_' of ISTESTCD)")
    s = _samples(is_, adsl)
    tests = dict(zip(s["PARCAT1"], s["_TEST"], strict=False))
    out = _concat([s, _status(ada, tests)])
    labels = {"RESULT": "ADA result", "TITER": "ADA titer"} | {k: lab for k, lab, *_ in STATUS}
    out["PARAMCD"] = out["_P"] + out["_TAG"]
    out["PARAM"] = out["_P"].map(labels) + ", " + out["_TEST"]
    key = ada["USUBJID"].astype(str) + "|" + ada["ISTESTCD"].astype(str)
    sub = out["USUBJID"] + "|" + out["PARCAT1"]
    post = set(key[ada["NPOST"].to_numpy() > 0])
    base = set(s.loc[s["AFRLT"] <= 0, "USUBJID"] + "|" + s.loc[s["AFRLT"] <= 0, "PARCAT1"])
    out["ADPBLPFL"] = np.where(sub.isin(post), "Y", "")
    out["ADABLPFL"] = np.where(sub.isin(base), "Y", "")
    out = out.drop(columns=["_P", "_TAG", "_TEST"])
    out = out.sort_values(["USUBJID", "PARCAT1", "PARAMCD", "ADT", "SRCSEQ"], kind="stable")
    # one object per distinct text value (issue #18: memory)
    return share_repeats(with_subject(out, adsl, []))
