"""ADPP: pharmacokinetic (cellular kinetic) parameters, BDS, one row per subject x analyte x
specimen x NCA parameter, named as in the pharmaverse admiral ADPP template (PARAMCD, PARAM,
PARCAT1 = analyte, PARCAT2 = specimen, AVAL, AVALU).

ADaMIG v1.3 section 3.3.4 makes PARAM the unique description of what is analysed and
PARAMCD its one-to-one code: a Cmax of the transgene (qPCR) and a Cmax of CAR+ cells (flow) are
two parameters. PARAMCD is therefore the NCA code prefixed with a one-letter analyte tag
(:data:`ANALYTE_TAGS`, else the analyte's first letter) and, for a specimen other than blood,
a one-letter specimen tag: ``TCMAX`` (transgene Cmax in blood), ``CCMAX`` (CAR+ cells),
``TMCMAX`` (transgene in bone marrow). ``AUC0_28`` is coded ``AUC28``.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from cartrial.adam._dates import require, sorted_rows
from cartrial.adam.per_distinct import per_distinct
from cartrial.data.text import share_repeats
from cartrial.errors import InputError
from cartrial.kinetics.nca import NCA_PARAMETERS

NCA_ID = ("USUBJID", "PCTESTCD", "PCSPEC", "unit", "DOSELVL", "FLAGS", "PARTIAL")
NCA_LABELS = {"CMAX": "Maximum concentration", "TMAX": "Time of maximum (days)",
              "CLST": "Last quantifiable concentration", "TLST": "Time of last quantifiable",
              "TBLQ": "Time below quantification", "AUCLST": "AUC to last quantifiable",
              "LAMZHL": "Half-life (days)", "AUCIFO": "AUC to infinity (observed)"}
ANALYTE_TAGS = {"CARTRNSG": "T", "CARTCELL": "C"}
SPECIMEN_TAGS = {"WHOLE BLOOD": "", "BLOOD": "", "PERIPHERAL BLOOD": "", "BONE MARROW": "M"}
NCA_CODES = {"AUC0_28": "AUC28"}
OTHER_PARAMETERS = {"NMISS": ("Samples Left Out (Missing Conc)", "")}

#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations); DEFINE_PARAM: the value-level derivation of AVAL per PARAMCD.
DEFINE = {
    "PARCAT1": "Derived: PC.PCTESTCD (the analyte).",
    "PARCAT2": "Derived: PC.PCSPEC (the specimen).",
    "PARAMCD": "Derived: analyte letter (T = CARTRNSG, C = CARTCELL, else the first letter) + "
               "specimen letter (none for blood, M = bone marrow) + NCA code (AUC0_28 as "
               "AUC28).",
    "PARAM": "Derived: PC.PCTESTCD + ' ' + the NCA parameter's label + ' (' + the specimen + "
             "')'.",
    "AVAL": "Derived: non-compartmental analysis of the subject's ADPC profile "
            "(cartrial.kinetics.nca, PKNCA conventions): the parameter PPTESTCD.",
    "AVALU": "Derived: unit of the NCA parameter from PC.PCSTRESU (concentration, days, "
             "concentration x days).",
    "PPTESTCD": "Derived: the NCA parameter code (CMAX, TMAX, CLST, TLST, AUCLST, ...).",
    "ANLFLAG": "Derived: the kinetics engine's flags of the profile (e.g. partial profile).",
}
DEFINE_PARAM = ("NCA parameter of PARAMCD {code} ({param}) computed by cartrial.kinetics.nca from "
                "the subject's ADPC profile.")


def nca_label_unit(code: str, conc_unit: str) -> tuple[str, str]:
    """Label and unit of an NCA parameter: the kinetics engine's (CDISC PP test names), a
    partial AUC ``AUC0_<day>`` as "AUC Day 0-<day>" in day x concentration unit."""
    if code in NCA_PARAMETERS or code in OTHER_PARAMETERS:
        label, unit = {**NCA_PARAMETERS, **OTHER_PARAMETERS}[code]
    elif code.startswith("AUC0_"):
        label, unit = f"AUC Day 0-{code.removeprefix('AUC0_').replace('P', '.')}", "day*{c}"
    else:
        label, unit = code, ""
    unit = unit.format(c=conc_unit)
    return label, "DAYS" if unit == "day" else unit


def nca_paramcd(analyte: str, specimen: str, code: str) -> str:
    """PARAMCD of one NCA parameter of one analyte in one specimen (see the module text).

    Parameters
    ----------
    analyte : str
        ``PCTESTCD`` of the analyte.
    specimen : str
        ``PCSPEC``.
    code : str
        NCA parameter code of the kinetics engine (``CMAX``, ``AUC0_28``, ...).

    Returns
    -------
    str
        The code, at most 8 characters.

    Raises
    ------
    InputError
        When the code would be longer than 8 characters.

    References
    ----------
    CDISC ADaMIG v1.3, section 3.3.4 (PARAM, PARAMCD); pharmaverse admiral ADPP template.

    Examples
    --------
    >>> nca_paramcd("CARTRNSG", "WHOLE BLOOD", "CMAX"), nca_paramcd("CARTCELL", "BONE MARROW",
    ...                                                              "AUC0_28")
    ('TCMAX', 'CMAUC28')
    """
    tag = ANALYTE_TAGS.get(analyte, analyte[:1].upper())
    spec = SPECIMEN_TAGS.get(specimen.upper(), specimen[:1].upper())
    out = f"{tag}{spec}{NCA_CODES.get(code, code)}"
    if len(out) > 8:
        raise InputError(f"ADPP: PARAMCD {out!r} for {code} of PCTESTCD={analyte} in "
                         f"PCSPEC={specimen} is longer than 8 characters (ADaMIG v1.3, 3.3.4)")
    return out


def derive_param_nca(nca: pd.DataFrame) -> pd.DataFrame:
    """Long NCA parameters from the kinetics engine's wide table (one row per profile).

    Parameters
    ----------
    nca : pandas.DataFrame
        One row per subject, analyte (PCTESTCD) and specimen (PCSPEC), one numeric column per
        NCA parameter (CMAX, TMAX in days, AUC..., ...); ``unit`` the concentration unit.

    Returns
    -------
    pandas.DataFrame
        One row per profile and parameter: PPTESTCD, AVAL, PARAMCD, PARAM, PARCAT1/2, AVALU.

    Raises
    ------
    InputError
        When a required column is missing or two analytes/specimens share a PARAMCD.

    References
    ----------
    CDISC ADaM Implementation Guide v1.3, 2021 (BDS); Gabrielsson J, Weiner D,
    Pharmacokinetic and Pharmacodynamic Data Analysis, 5th ed., 2016 (NCA parameters).

    Examples
    --------
    >>> nca = pd.DataFrame({"USUBJID": ["S1"], "PCTESTCD": "CARTGPRC", "PCSPEC": "BLOOD",
    ...                     "CMAX": [52000.0], "TMAX": [10.0], "unit": "copies/ug"})
    >>> derive_param_nca(nca)[["PARAMCD", "AVAL", "AVALU"]]
      PARAMCD     AVAL      AVALU
    0   CCMAX  52000.0  copies/ug
    1   CTMAX     10.0       DAYS
    """
    require(nca, ["USUBJID", "PCTESTCD", "PCSPEC"], "ADPP (NCA)")
    ids = [c for c in NCA_ID if c in nca.columns]
    params = [c for c in nca.columns if c not in ids and c not in ("NOBS", "NQUANT", "TLOBS")
              and pd.api.types.is_numeric_dtype(nca[c])]
    long = nca.melt(id_vars=ids, value_vars=params, var_name="PPTESTCD", value_name="AVAL")
    unit = (long["unit"].fillna("").astype(str) if "unit" in long
            else pd.Series("", index=long.index))
    codes = long[["PCTESTCD", "PCSPEC", "PPTESTCD"]].drop_duplicates()
    cd = {k: nca_paramcd(*k) for k in codes.itertuples(index=False, name=None)}
    long["PARAMCD"] = [cd[k] for k in zip(long["PCTESTCD"], long["PCSPEC"], long["PPTESTCD"],
                                          strict=True)]
    clash = long.groupby("PARAMCD")[["PCTESTCD", "PCSPEC", "PPTESTCD"]].nunique().max(axis=1)
    if (clash > 1).any():
        raise InputError(f"ADPP: analytes or specimens share a PARAMCD tag: "
                         f"{sorted(clash[clash > 1].index)}; give them distinct ANALYTE_TAGS")
    # label, unit and PARAM once per distinct value, not per row (issue #18: memory)
    label = per_distinct(partial(_label_unit, 0), long["PPTESTCD"], unit)
    long["PARAM"] = per_distinct(lambda t, lb, s: t + " " + lb + " (" + s.str.lower() + ")",
                                 long["PCTESTCD"], label, long["PCSPEC"])
    long["PARCAT1"] = long["PCTESTCD"]
    long["PARCAT2"] = long["PCSPEC"]
    long["AVALU"] = per_distinct(partial(_label_unit, 1), long["PPTESTCD"], unit)
    long["ANLFLAG"] = long["FLAGS"].fillna("") if "FLAGS" in long else ""
    return long.drop(columns=[c for c in ("PCTESTCD", "PCSPEC", "unit", "FLAGS", "PARTIAL")
                              if c in long.columns])


def _label_unit(part: int, code: pd.Series, unit: pd.Series) -> pd.Series:
    """Each row's :func:`nca_label_unit` label (``part`` 0) or unit (1), object dtype."""
    labels = {k: nca_label_unit(*k)[part] for k in set(zip(code, unit, strict=True))}
    return pd.Series([labels[k] for k in zip(code, unit, strict=True)], index=code.index,
                     dtype=object)


def with_subject(out: pd.DataFrame, adsl: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """STUDYID, TRT01A/TRT01AN from ADSL, sorted by ``keys`` with ASEQ, identifiers first."""
    sl = adsl.set_index("USUBJID")
    # a frame of its own (the caller's is not changed), copied once, not copied and dropped
    out = out.drop(columns=[c for c in ("DOSELVL",) if c in out.columns])
    out.insert(0, "STUDYID", out["USUBJID"].map(sl["STUDYID"]))
    out["TRT01A"] = out["USUBJID"].map(sl["TRT01A"])
    out["TRT01AN"] = out["USUBJID"].map(sl["TRT01AN"])
    out = sorted_rows(out, ["USUBJID", *keys])
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    front = ["STUDYID", "USUBJID", "ASEQ", "TRT01A", "TRT01AN", "PARCAT1", "PARCAT2", "PARAMCD",
             "PARAM", "AVAL", "AVALU"]
    front = [c for c in front if c in out.columns]
    return out[front + [c for c in out.columns if c not in front]]


def derive_adpp(nca: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADPP from the kinetics engine's NCA table and ADSL: one row per subject, analyte,
    specimen and NCA parameter (PARAMCD per :func:`nca_paramcd`).

    Parameters
    ----------
    nca : pandas.DataFrame
        ``KineticsReport.nca`` (one row per profile, one column per NCA parameter).
    adsl : pandas.DataFrame
        ADSL (STUDYID, TRT01A, TRT01AN per USUBJID).

    Returns
    -------
    pandas.DataFrame
        ADPP, sorted by USUBJID, PARCAT1, PARCAT2, PARAMCD.

    Raises
    ------
    InputError
        When a required column is missing or a PARAMCD would be ambiguous or too long.

    References
    ----------
    CDISC ADaMIG v1.3, section 3.2 (BDS); pharmaverse admiral ADPP template.

    Examples
    --------
    >>> import pandas as pd
    >>> nca = pd.DataFrame({"USUBJID": ["S1"], "PCTESTCD": ["CARTRNSG"],
    ...                     "PCSPEC": ["WHOLE BLOOD"], "unit": ["copies/ug"], "CMAX": [9.5]})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "STUDYID": ["X"], "TRT01A": ["DL1"],
    ...                      "TRT01AN": [1]})
    >>> derive_adpp(nca, adsl)[["PARAMCD", "AVAL", "AVALU"]].values.tolist()
    [['TCMAX', 9.5, 'copies/ug']]
    """
    out = with_subject(derive_param_nca(nca), adsl, ["PARCAT1", "PARCAT2", "PARAMCD"])
    return share_repeats(out)  # one object per distinct text value (issue #18: memory)
