"""ADCYT: serum cytokine (pharmacodynamic) parameters, BDS, one row per subject x cytokine x
parameter.

The cytokines are measured by the laboratory (SDTM LB, LBCAT = CYTOKINES), not by the kinetics
assays of PC, and their parameters are pharmacodynamic, not pharmacokinetic: they have their own
BDS dataset rather than rows of ADPC/ADPP (whose source is PC/PP in the pharmaverse admiral
templates). Their values over time stay in ADLB.

PARAMCD is the cytokine code (its first four characters) followed by the parameter: ``BL``
baseline, ``PK`` peak, ``TPK`` day of peak, ``FCPK`` fold change at peak, ``AUC`` area under
the curve over the protocol's window, e.g. ``IL6PK``, ``INTGFCPK``; one code per PARAM
(ADaMIG v1.3, section 3.3.4). ``PARCAT1`` is the cytokine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import require
from cartrial.adam.adpp import with_subject
from cartrial.adam.per_distinct import per_distinct
from cartrial.data.text import share_repeats
from cartrial.errors import InputError

CYTOKINE_PARAMS = {"BASE": ("BL", "Baseline"), "PEAK": ("PK", "Peak"),
                   "TPEAK": ("TPK", "Time of peak (days)"),
                   "FCPEAK": ("FCPK", "Fold change at peak")}

#: Origin and derivation of each variable this module derives, as define.xml states them
#: (cartrial.adam.derivations); DEFINE_PARAM: the value-level derivation of AVAL per PARAMCD.
DEFINE = {
    "PARCAT1": "Derived: the cytokine (LB.LBTESTCD with LBCAT = CYTOKINES).",
    "PARCAT2": "Assigned: SERUM.",
    "PARAMCD": "Derived: first four characters of the cytokine code + BL, PK, TPK, FCPK or AUC.",
    "PARAM": "Derived: the cytokine + ' ' + the parameter's label (Baseline, Peak, Time of peak "
             "(days), Fold change at peak, AUC).",
    "AVAL": "Derived: cytokine parameter from the subject's LB cytokine results "
            "(cartrial.kinetics.cytokine_parameters): baseline, peak, day of peak, peak / "
            "baseline, AUC by the protocol's kinetics.cytokine_auc_method.",
    "AVALU": "Derived: DAYS for TPK, RATIO for FCPK, ng/L*day for AUC, else ng/L.",
    "ANLFLAG": "Derived: the kinetics engine's flags of the cytokine profile.",
}
DEFINE_PARAM = ("Cytokine parameter of PARAMCD {code} ({param}) from the subject's LB cytokine "
                "results (cartrial.kinetics.cytokine_parameters).")


def _code_label(col: str) -> tuple[str, str]:
    if col in CYTOKINE_PARAMS:
        return CYTOKINE_PARAMS[col]
    return "AUC", f"AUC day {col.removeprefix('AUC').replace('_', '-')}"


def derive_adcyt(cytokines: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADCYT from the kinetics engine's cytokine parameters and ADSL: one row per subject,
    cytokine and parameter (baseline, peak, day of peak, fold change, AUC).

    Parameters
    ----------
    cytokines : pandas.DataFrame
        ``KineticsReport.cytokines``: USUBJID, CYTOKINE, BASE, PEAK, TPEAK, FCPEAK, an
        ``AUC<from>_<to>`` column and FLAGS.
    adsl : pandas.DataFrame
        ADSL (STUDYID, TRT01A, TRT01AN per USUBJID).

    Returns
    -------
    pandas.DataFrame
        ADCYT sorted by USUBJID, PARCAT1, PARAMCD.

    Raises
    ------
    InputError
        When a required column is missing or two cytokines would share a PARAMCD.

    References
    ----------
    CDISC ADaMIG v1.3, sections 3.2 (BDS) and 3.3.4 (PARAM, PARAMCD).

    Examples
    --------
    >>> import pandas as pd
    >>> cyt = pd.DataFrame({"USUBJID": ["S1"], "CYTOKINE": ["IL6"], "PEAK": [120.0]})
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "STUDYID": ["X"], "TRT01A": ["DL1"],
    ...                      "TRT01AN": [1]})
    >>> derive_adcyt(cyt, adsl)[["PARAMCD", "PARAM", "AVAL"]].values.tolist()
    [['IL6PK', 'IL6 Peak', 120.0]]
    """
    require(cytokines, ["USUBJID", "CYTOKINE"], "ADCYT (cytokines)")
    params = [c for c in cytokines.columns if c in CYTOKINE_PARAMS or c.startswith("AUC")]
    ids = [c for c in ("USUBJID", "CYTOKINE", "DOSELVL", "FLAGS") if c in cytokines.columns]
    long = cytokines.melt(id_vars=ids, value_vars=params, var_name="_P", value_name="AVAL")
    name = long["CYTOKINE"].astype(str)
    # once per distinct value, not per row (issue #18: memory)
    long["PARAMCD"] = per_distinct(
        lambda n, p: n.str.slice(0, 4).str.upper() + p.map(lambda q: _code_label(q)[0]),
        name, long["_P"])
    long["PARAM"] = per_distinct(lambda n, p: n + " " + p.map(lambda q: _code_label(q)[1]),
                                 name, long["_P"])
    clash = long.groupby("PARAMCD")["PARAM"].nunique()
    if (clash > 1).any():
        raise InputError(f"ADCYT: cytokines share a PARAMCD: {sorted(clash[clash > 1].index)} "
                         "(their first four characters are the same)")
    long["PARCAT1"] = name
    long["PARCAT2"] = "SERUM"
    p = long["_P"]
    long["AVALU"] = np.select([p == "TPEAK", p == "FCPEAK", p.str.startswith("AUC")],
                              ["DAYS", "RATIO", "ng/L*day"], "ng/L")
    long["ANLFLAG"] = long["FLAGS"].fillna("") if "FLAGS" in long else ""
    long = long.drop(columns=[c for c in ("_P", "CYTOKINE", "FLAGS") if c in long.columns])
    # one object per distinct text value (issue #18: memory)
    return share_repeats(with_subject(long, adsl, ["PARCAT1", "PARAMCD"]))
