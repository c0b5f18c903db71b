"""The NCA results as an SDTM PP domain (CDISC SDTMIG 3.4 section 6.3, Pharmacokinetics
Parameters) or as tidy PP-shaped rows. Importable from :mod:`cartrial.kinetics.sdtm` (``to_pp``)
and :mod:`cartrial.kinetics.nca` (``nca_long``) as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.errors import InputError
from cartrial.kinetics._groups import require_columns


def to_pp(nca_table: pd.DataFrame, inf: pd.DataFrame, *, studyid: str) -> pd.DataFrame:
    """NCA results as an SDTM PP domain (CDISC SDTMIG 3.4 section 6.3).

    One record per profile and parameter: PPCAT = analyte (PCTESTCD), PPSPEC = specimen,
    PPRFDTC = infusion date; a partial AUC ``AUC0_<d>`` becomes PPTESTCD ``AUCINT`` with
    PPSTINT ``P0D`` / PPENINT ``P<d>D``. Parameters that could not be computed keep a record
    with ``PPSTAT = NOT DONE`` and the profile's flags in ``PPREASND``.

    Returns
    -------
    pandas.DataFrame
        The PP records (STUDYID, DOMAIN, USUBJID, PPSEQ, PPGRPID, PPTESTCD, ..., PPRFDTC).

    Examples
    --------
    >>> inf = pd.DataFrame({"USUBJID": ["01"], "INFDT": pd.to_datetime(["2026-01-05"])})
    >>> t = pd.DataFrame({"USUBJID": ["01"], "PCTESTCD": "CARTTG", "PCSPEC": "BLOOD",
    ...                   "FLAGS": "LAMZ_NE", "CMAX": 1000.0, "LAMZ": float("nan")})
    >>> to_pp(t, inf, studyid="CT071")[["PPTESTCD", "PPSTRESC", "PPSTAT"]].to_numpy().tolist()
    [['CMAX', '1000', ''], ['LAMZ', '', 'NOT DONE']]
    """
    from cartrial.kinetics.nca import NCA_PARAMETERS

    require_columns(nca_table, ["USUBJID", "PCTESTCD", "PCSPEC", "FLAGS"], where="to_pp")
    codes = [c for c in nca_table.columns if c in NCA_PARAMETERS or c.startswith("AUC0_")]
    unit = nca_table["unit"] if "unit" in nca_table.columns else pd.Series("", nca_table.index)
    base = nca_table.assign(_unit=unit.fillna("").astype(str))
    long = base.melt(
        id_vars=["USUBJID", "PCTESTCD", "PCSPEC", "FLAGS", "_unit"],
        value_vars=codes,
        var_name="_code",
        value_name="PPSTRESN",
    )
    partial = long["_code"].str.startswith("AUC0_")
    templ = long["_code"].map(lambda k: NCA_PARAMETERS.get(k, ("", "day*{c}"))[1])
    stresu = [t.replace("{c}", u) for t, u in zip(templ, long["_unit"], strict=True)]
    label = long["_code"].map(lambda k: NCA_PARAMETERS.get(k, ("AUC from T1 to T2", ""))[0])
    value = long["PPSTRESN"].to_numpy(dtype=float)
    done = np.isfinite(value)
    rfdtc = long["USUBJID"].map(inf.set_index("USUBJID")["INFDT"])
    out = pd.DataFrame(
        {
            "STUDYID": studyid,
            "DOMAIN": "PP",
            "USUBJID": long["USUBJID"],
            "PPGRPID": long["PCTESTCD"] + "-" + long["PCSPEC"].str.replace(" ", "-"),
            "PPTESTCD": np.where(partial, "AUCINT", long["_code"]),
            "PPTEST": label,
            "PPCAT": long["PCTESTCD"],
            "PPSPEC": long["PCSPEC"],
            "PPSTRESC": [f"{v:.10g}" if ok else "" for v, ok in zip(value, done, strict=True)],
            "PPSTRESN": value,
            "PPSTRESU": stresu,
            "PPSTAT": np.where(done, "", "NOT DONE"),
            "PPREASND": np.where(done, "", long["FLAGS"].fillna("")),
            "PPSTINT": np.where(partial, "P0D", ""),
            "PPENINT": np.where(partial, "P" + long["_code"].str[5:] + "D", ""),
            "PPRFDTC": pd.to_datetime(rfdtc).dt.strftime("%Y-%m-%d").to_numpy(),
        }
    )
    out = out.sort_values(["USUBJID", "PPGRPID"], kind="stable").reset_index(drop=True)
    out.insert(3, "PPSEQ", out.groupby("USUBJID").cumcount() + 1)
    return out


def nca_long(table: pd.DataFrame, *, by: Sequence[str] = ("USUBJID",)) -> pd.DataFrame:
    """A :func:`cartrial.kinetics.nca` table as tidy rows (by..., PPTESTCD, PPTEST, PPSTRESN),
    PP-shaped.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per profile with the NCA parameter columns (the codes of
        :data:`cartrial.kinetics.NCA_PARAMETERS` and partial AUCs ``AUC0_<day>``); other columns
        are dropped unless named in ``by``.
    by : sequence of str
        The columns that identify a profile.

    Returns
    -------
    pandas.DataFrame
        One row per profile and parameter, parameters in the table's column order; PPTEST is
        the CDISC PP test name (a partial AUC: "AUC from Day 0 to Day <d>"); PPSTRESN NaN where
        a parameter could not be computed.

    Raises
    ------
    cartrial.errors.InputError
        ``table`` holds no NCA parameter column.

    References
    ----------
    CDISC SDTM Controlled Terminology, PKPARMCD / PKPARM codelists (PP test codes and names,
    e.g. CMAX "Max Conc", AUCLST "AUC to Last Nonzero Conc"); CDISC SDTMIG v3.4 (2021)
    section 6.3.6, PP.

    Examples
    --------
    >>> t = pd.DataFrame({"USUBJID": ["01"], "CMAX": [1000.0], "AUC0_28": [9500.0],
    ...                   "FLAGS": [""]})
    >>> nca_long(t)
      USUBJID PPTESTCD                  PPTEST  PPSTRESN
    0      01     CMAX                Max Conc    1000.0
    1      01  AUC0_28  AUC from Day 0 to Day 28    9500.0
    """
    from cartrial.kinetics.nca import NCA_PARAMETERS

    codes = [c for c in table.columns if c in NCA_PARAMETERS or c.startswith("AUC0_")]
    if not codes:
        raise InputError(f"nca_long: no NCA parameter columns in {list(table.columns)}")
    long = table.melt(
        id_vars=list(by), value_vars=codes, var_name="PPTESTCD", value_name="PPSTRESN"
    )
    labels = {k: v[0] for k, v in NCA_PARAMETERS.items()}
    long["PPTEST"] = long["PPTESTCD"].map(lambda k: labels.get(k, f"AUC from Day 0 to Day {k[5:]}"))
    return long[[*by, "PPTESTCD", "PPTEST", "PPSTRESN"]]
