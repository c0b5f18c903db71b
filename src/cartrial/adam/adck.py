"""ADCK: cellular kinetics and cytokine parameters, one row per subject x parameter (BDS,
``PARAMCD`` <= 8 characters).

* kinetics (PKNCA conventions, kinetics engine): per analyte (``PCTESTCD``: CARTRNSG qPCR,
  CARTCELL flow) and specimen, the NCA parameters CMAX, TMAX, CLST, TLST, AUCLST, AUC0_28, ...
  PARAMCD = NCA code, ``PARCAT1`` = analyte, ``PARCAT2`` = specimen;
* cytokines: BASE -> ``CKBASE``, PEAK -> ``CKPEAK``, TPEAK -> ``CKTPEAK``, FCPEAK -> ``CKFCPEAK``,
  AUC0_28 -> ``CKAUC28``; ``PARCAT1`` = cytokine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam._dates import require
from cartrial.errors import InputError

NCA_ID = ("USUBJID", "PCTESTCD", "PCSPEC", "unit", "DOSELVL", "FLAGS", "PARTIAL")
CYTOKINE_CODES = {"BASE": ("CKBASE", "Baseline"), "PEAK": ("CKPEAK", "Peak"),
                  "TPEAK": ("CKTPEAK", "Time of peak (days)"),
                  "FCPEAK": ("CKFCPEAK", "Fold change at peak"),
                  "AUC0_28": ("CKAUC28", "AUC day 0-28")}
NCA_LABELS = {"CMAX": "Maximum concentration", "TMAX": "Time of maximum (days)",
              "CLST": "Last quantifiable concentration", "TLST": "Time of last quantifiable",
              "TBLQ": "Time below quantification", "AUCLST": "AUC to last quantifiable",
              "LAMZHL": "Half-life (days)", "AUCIFO": "AUC to infinity (observed)"}


def derive_param_nca(nca: pd.DataFrame) -> pd.DataFrame:
    """Long NCA parameters from the kinetics engine's wide table (one row per profile)."""
    require(nca, ["USUBJID", "PCTESTCD", "PCSPEC"], "ADCK (NCA)")
    ids = [c for c in NCA_ID if c in nca.columns]
    params = [c for c in nca.columns if c not in ids and c not in ("NOBS", "NQUANT", "TLOBS")
              and pd.api.types.is_numeric_dtype(nca[c])]
    long = nca.melt(id_vars=ids, value_vars=params, var_name="PARAMCD", value_name="AVAL")
    too_long = [p for p in params if len(p) > 8]
    if too_long:
        raise InputError(f"ADCK: NCA parameter codes longer than 8 characters: {too_long}")
    unit = long["unit"].astype(str) if "unit" in long else ""
    long["PARAM"] = (long["PCTESTCD"] + " " + long["PARAMCD"].map(NCA_LABELS).fillna(
        long["PARAMCD"]) + " (" + long["PCSPEC"].str.lower() + ")")
    long["PARCAT1"] = long["PCTESTCD"]
    long["PARCAT2"] = long["PCSPEC"]
    long["AVALU"] = np.where(long["PARAMCD"].str.startswith("T") | (long["PARAMCD"] == "LAMZHL"),
                             "DAYS", np.where(long["PARAMCD"].str.startswith("AUC"),
                                              unit + "*day", unit))
    long["ANLFLAG"] = long["FLAGS"].fillna("") if "FLAGS" in long else ""
    return long.drop(columns=[c for c in ("PCTESTCD", "PCSPEC", "unit", "FLAGS", "PARTIAL")
                              if c in long.columns])


def derive_param_cytokine(cyt: pd.DataFrame) -> pd.DataFrame:
    """Long cytokine parameters (CKBASE, CKPEAK, CKTPEAK, CKFCPEAK, CKAUC28)."""
    require(cyt, ["USUBJID", "CYTOKINE"], "ADCK (cytokines)")
    params = [p for p in CYTOKINE_CODES if p in cyt.columns]
    ids = [c for c in ("USUBJID", "CYTOKINE", "DOSELVL", "FLAGS") if c in cyt.columns]
    long = cyt.melt(id_vars=ids, value_vars=params, var_name="_P", value_name="AVAL")
    long["PARAMCD"] = long["_P"].map(lambda p: CYTOKINE_CODES[p][0])
    long["PARAM"] = long["CYTOKINE"] + " " + long["_P"].map(lambda p: CYTOKINE_CODES[p][1])
    long["PARCAT1"] = long["CYTOKINE"]
    long["PARCAT2"] = "SERUM"
    long["AVALU"] = np.select([long["_P"] == "TPEAK", long["_P"] == "FCPEAK",
                               long["_P"] == "AUC0_28"], ["DAYS", "RATIO", "ng/L*day"], "ng/L")
    long["ANLFLAG"] = long["FLAGS"].fillna("") if "FLAGS" in long else ""
    return long.drop(columns=[c for c in ("_P", "CYTOKINE", "FLAGS") if c in long.columns])


def derive_adck(nca: pd.DataFrame, adsl: pd.DataFrame,
                cytokines: pd.DataFrame | None = None) -> pd.DataFrame:
    """ADCK from the kinetics engine's NCA table (+ cytokine parameters) and ADSL."""
    parts = [derive_param_nca(nca)]
    if cytokines is not None and len(cytokines):
        parts.append(derive_param_cytokine(cytokines))
    out = pd.concat(parts, ignore_index=True)
    sl = adsl.set_index("USUBJID")
    out.insert(0, "STUDYID", out["USUBJID"].map(sl["STUDYID"]))
    out["TRT01A"] = out["USUBJID"].map(sl["TRT01A"])
    out["TRT01AN"] = out["USUBJID"].map(sl["TRT01AN"])
    out = out.drop(columns=[c for c in ("DOSELVL",) if c in out.columns])
    out = out.sort_values(["USUBJID", "PARCAT1", "PARCAT2", "PARAMCD"], kind="stable")
    out = out.reset_index(drop=True)
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    front = ["STUDYID", "USUBJID", "ASEQ", "TRT01A", "TRT01AN", "PARCAT1", "PARCAT2", "PARAMCD",
             "PARAM", "AVAL", "AVALU"]
    return out[front + [c for c in out.columns if c not in front]]
