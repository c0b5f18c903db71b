"""SDTM-shaped frames to the kinetics engine's inputs (docs/data-model.md; SDTMIG 3.4 PC/PP).

- EX: the CAR-T infusion is the ``EXCAT = INVESTIGATIONAL PRODUCT`` record; its date is day 0 and
  its ``EXDOSE`` names the protocol dose level.
- PC: ``CARTRNSG`` (copies/ug gDNA, qPCR) and ``CARTCELL`` (CAR+ cells/uL, flow); one profile per
  subject, test code and specimen. BLQ results are text (``<LLOQ``) with ``PCSTRESN`` missing.
- LB: cytokines by ``LBTESTCD`` (protocol ``kinetics.cytokines``), ng/L.
- IS: ``ADA_BAB``, ``ISSTRESC`` POSITIVE / NEGATIVE, titer in ``ISSTRESN``.
- AE: investigator-reported CRS grade (``AEDECOD`` Cytokine release syndrome, ``AETOXGR``) as a
  fallback when the safety engine's derived grade is not supplied.

Time is in whole days from the infusion date (protocol day 0 = infusion, so a PC record with
``PCDY 15`` is day 14). Records with ``--STAT = NOT DONE`` and records of subjects never infused
are left out and counted in ``attrs["excluded"]``; anything else that cannot be used raises a
:class:`~cartrial.errors.RecordError` naming the record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.batches import take_rows
from cartrial.data.dates import parse_dtc
from cartrial.data.text import upper_stripped
from cartrial.errors import InputError
from cartrial.kinetics._groups import first_bad, require_columns
from cartrial.kinetics._records import BLQ_PREFIXES, result_values, timed
from cartrial.kinetics.sdtm_pp import to_pp
from cartrial.kinetics.sdtm_subjects import CRS_TERM, crs_grades_from_ae, subject_frame
from cartrial.protocol.model import KineticsSettings, Protocol
from cartrial.study_reads import read_frame

INFUSION_CATEGORY = "INVESTIGATIONAL PRODUCT"
PC_TESTS = {
    "CARTRNSG": "qPCR transgene (copies/ug gDNA)",
    "CARTCELL": "flow CAR+ T cells (cells/uL)",
}
# the subject-level AE / caller frames and the PP output live in sdtm_subjects / sdtm_pp; these
# names stay importable from here
__all__ = ["BLQ_PREFIXES", "CRS_TERM", "INFUSION_CATEGORY", "PC_TESTS", "ada_data",
           "crs_grades_from_ae", "cytokine_data", "infusions", "pc_profiles", "subject_frame",
           "to_pp"]


def infusions(ex: pd.DataFrame, protocol: Protocol, dm: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per infused subject: USUBJID, INFDT (date), EXDOSE, DOSELVL (protocol id).

    The first ``INVESTIGATIONAL PRODUCT`` record of each subject is the infusion; its dose must
    be a protocol dose level (data-model rule DOSE_NOT_IN_PROTOCOL).

    Parameters
    ----------
    ex : pandas.DataFrame
        SDTM EX (USUBJID, EXCAT, EXDOSE, EXSTDTC; EXSEQ to name a record).
    protocol : cartrial.protocol.Protocol
        Its dose levels (an EXDOSE matches a level to a relative tolerance of 1e-6).
    dm : pandas.DataFrame, optional
        SDTM DM; when given, only its subjects are kept.

    Returns
    -------
    pandas.DataFrame
        USUBJID, INFDT (the infusion day, time of day dropped), EXDOSE and DOSELVL (ordered
        categorical of the protocol's dose ids), sorted by USUBJID.

    Raises
    ------
    cartrial.errors.InputError
        A required variable is missing or EX holds no CAR-T infusion; a
        :class:`~cartrial.errors.RecordError` names the EX record whose EXSTDTC is not a complete
        date or whose EXDOSE is no protocol dose level.

    References
    ----------
    CDISC SDTMIG v3.4 (2021) section 6.1.4, EX: one record per administration, EXSTDTC its date.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> ex = pd.DataFrame({"USUBJID": ["02", "01", "01"], "EXSEQ": [1, 1, 2],
    ...                    "EXCAT": ["INVESTIGATIONAL PRODUCT", "LYMPHODEPLETING CHEMOTHERAPY",
    ...                              "INVESTIGATIONAL PRODUCT"], "EXDOSE": [0.3, 30, 0.1],
    ...                    "EXSTDTC": ["2026-02-01T10:00", "2026-01-01", "2026-01-05"]})
    >>> infusions(ex, load_protocol("ct071"))
      USUBJID      INFDT  EXDOSE DOSELVL
    0      01 2026-01-05     0.1     DL1
    1      02 2026-02-01     0.3     DL2
    """
    require_columns(ex, ["USUBJID", "EXCAT", "EXDOSE", "EXSTDTC"], where="EX")
    is_ip = upper_stripped(ex["EXCAT"]).eq(INFUSION_CATEGORY).fillna(False)
    ip = ex[is_ip.to_numpy(dtype=bool)]
    ip = ip.reset_index(drop=True)
    if ip.empty:
        raise InputError("EX: no CAR-T infusion record (EXCAT = INVESTIGATIONAL PRODUCT)")
    p = parse_dtc(ip["EXSTDTC"])
    first_bad(
        ip,
        ~p["dt"].notna().to_numpy(),
        domain="EX",
        variable="EXSTDTC",
        seq_col="EXSEQ",
        rule="infusion date must be a complete ISO 8601 date",
    )
    dose = pd.to_numeric(ip["EXDOSE"], errors="coerce").to_numpy(dtype=float)
    # Same matching rule as Protocol.dose_index (relative tolerance 1e-6), for all rows at once.
    levels = np.array([d.dose for d in protocol.dose_levels], dtype=float)
    match = np.abs(dose[:, None] - levels[None, :]) <= 1e-6 * np.abs(levels)[None, :]
    idx = np.where(match.any(axis=1), match.argmax(axis=1), -1)
    first_bad(
        ip,
        idx < 0,
        domain="EX",
        variable="EXDOSE",
        seq_col="EXSEQ",
        rule=f"infused dose is not a protocol dose level {[d.dose for d in protocol.dose_levels]}",
    )
    out = pd.DataFrame(
        {
            "USUBJID": ip["USUBJID"].astype(str).to_numpy(),
            "INFDT": p["dt"].dt.normalize().to_numpy(),
            "EXDOSE": dose,
            "DOSELVL": np.array(protocol.dose_ids, dtype=object)[idx],
        }
    )
    out = out.sort_values(["USUBJID", "INFDT"], kind="stable").drop_duplicates("USUBJID")
    dose_order = {d: i for i, d in enumerate(protocol.dose_ids)}
    out["DOSELVL"] = pd.Categorical(out["DOSELVL"], categories=list(dose_order), ordered=True)
    if dm is not None and "USUBJID" in dm.columns:
        out = out[out["USUBJID"].isin(dm["USUBJID"].astype(str))]
    return out.reset_index(drop=True)


#: the PC variables :func:`pc_profiles` reads (the others are not copied)
PC_VARIABLES = ["USUBJID", "PCSEQ", "PCTESTCD", "PCSPEC", "PCDTC", "PCSTAT", "PCLLOQ",
                "PCSTRESN", "PCSTRESC", "PCORRES", "PCSTRESU", "PCORRESU"]


def pc_profiles(pc: pd.DataFrame, inf: pd.DataFrame) -> pd.DataFrame:
    """PC to :func:`cartrial.kinetics.nca` input, one profile per USUBJID x PCTESTCD x PCSPEC.

    Columns: USUBJID, PCTESTCD, PCSPEC, PCSEQ, time_days, conc, blq, lloq, unit.

    Parameters
    ----------
    pc : pandas.DataFrame
        SDTM PC (USUBJID, PCSEQ, PCTESTCD, PCDTC, PCLLOQ, PCSTRESN; PCSTRESC or PCORRES for a
        result below the limit of quantification, PCSPEC, PCSTRESU, PCORRESU, PCSTAT).
    inf : pandas.DataFrame
        :func:`infusions` (day 0 of each subject).

    Returns
    -------
    pandas.DataFrame
        One row per usable sample: time_days (whole days from the infusion day), conc (NaN when
        BLQ), blq, lloq (NaN when PCLLOQ is in another unit than PCSTRESN), unit (PCSTRESU);
        ``attrs["excluded"]`` counts the NOT DONE samples and those of subjects never infused.

    Raises
    ------
    cartrial.errors.InputError
        A required variable is missing; a :class:`~cartrial.errors.RecordError` names the PC
        record whose date is incomplete or whose result is neither a number nor BLQ text
        (``<...``, BLQ, BLOQ, BQL).

    References
    ----------
    CDISC SDTMIG v3.4 (2021) section 6.3.5.9, PC: a result below the lower limit of
    quantification is text in PCSTRESC with PCSTRESN null, the limit in PCLLOQ.

    Examples
    --------
    >>> inf = pd.DataFrame({"USUBJID": ["01"], "INFDT": pd.to_datetime(["2026-01-05"])})
    >>> pc = pd.DataFrame({"USUBJID": "01", "PCSEQ": [1, 2, 3], "PCTESTCD": "CARTRNSG",
    ...                    "PCDTC": ["2026-01-05", "2026-01-12T08:00", "2026-01-19"],
    ...                    "PCSTRESN": [None, 5200.0, None], "PCSTRESC": ["<10", "5200", ""],
    ...                    "PCLLOQ": 10.0, "PCSTAT": ["", "", "NOT DONE"]})
    >>> out = pc_profiles(pc, inf)
    >>> out[["PCSEQ", "time_days", "conc", "blq", "lloq"]]
       PCSEQ  time_days    conc    blq  lloq
    0      1        0.0     NaN   True  10.0
    1      2        7.0  5200.0  False  10.0
    >>> out.attrs["excluded"]
    {'not_done': 1, 'not_infused': 0}
    """
    require_columns(pc, ["USUBJID", "PCSEQ", "PCTESTCD", "PCDTC", "PCLLOQ"], where="PC")
    df, excluded = timed(pc, "PC", "PCDTC", inf, PC_VARIABLES)
    conc, blq = result_values(df, "PC")
    lloq = pd.to_numeric(df["PCLLOQ"], errors="coerce").to_numpy(dtype=float)
    unit = (
        df["PCSTRESU"].astype("string")
        if "PCSTRESU" in df.columns
        else pd.Series(pd.NA, index=df.index, dtype="string")
    )
    if "PCORRESU" in df.columns:
        # PCLLOQ is in the original unit: compare with PCSTRESN only when the units agree.
        same = (df["PCORRESU"].astype("string") == unit).fillna(False).to_numpy(bool)
        lloq = np.where(same, lloq, np.nan)
    out = pd.DataFrame(
        {
            "USUBJID": df["USUBJID"],
            "PCTESTCD": df["PCTESTCD"].astype(str),
            "PCSPEC": (df["PCSPEC"].astype(str) if "PCSPEC" in df.columns else "WHOLE BLOOD"),
            "PCSEQ": df["PCSEQ"],
            "time_days": df["time_days"],
            "conc": conc,
            "blq": blq,
            "lloq": lloq,
            "unit": unit.fillna("").astype(str),
        }
    )
    out.attrs["excluded"] = excluded
    return out


#: the LB variables :func:`cytokine_data` reads (issue #18: :func:`cytokine_records`)
CYTOKINE_LB_VARIABLES = ("USUBJID", "LBSEQ", "LBTESTCD", "LBDTC", "LBSTAT", "LBSTRESN",
                         "LBSTRESC", "LBORRES", "LBLLOQ")


def cytokine_records(study, settings: KineticsSettings | None = None,  # noqa: ANN001
                     ) -> pd.DataFrame | None:
    """LB's records of the protocol's cytokine tests with the variables :func:`cytokine_data`
    reads (a large LB is decoded only for these); None without LB. Test codes are matched
    stripped and in upper case here, so the records :func:`cytokine_data` keeps are all in.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": "01", "LBTESTCD": ["IL6", "HGB"], "LBNAM": "x"})
    >>> cytokine_records({"LB": lb})
      USUBJID LBTESTCD
    0      01      IL6
    """
    s = settings or KineticsSettings()
    return read_frame(study, "LB", CYTOKINE_LB_VARIABLES,
                      where={"LBTESTCD": {str(c).strip().upper() for c in s.cytokines}})


def cytokine_data(
    lb: pd.DataFrame, inf: pd.DataFrame, settings: KineticsSettings | None = None
) -> pd.DataFrame:
    """LB cytokine records to :func:`cartrial.kinetics.cytokine_parameters` input.

    Columns: USUBJID, CYTOKINE, LBSEQ, time_days, value, blq, lloq (ng/L).

    Parameters
    ----------
    lb : pandas.DataFrame
        SDTM LB (USUBJID, LBSEQ, LBTESTCD, LBDTC, LBSTRESN; LBSTRESC / LBORRES for BLQ text,
        LBLLOQ, LBSTAT); only the records of the protocol's cytokines are read.
    inf : pandas.DataFrame
        :func:`infusions` (day 0 of each subject).
    settings : KineticsSettings, optional
        The protocol's ``kinetics`` block (its ``cytokines`` test codes); the defaults when None.

    Returns
    -------
    pandas.DataFrame
        One row per usable cytokine record, in standard units (LBSTRESN); ``attrs["excluded"]``
        counts the NOT DONE records and those of subjects never infused.

    Raises
    ------
    cartrial.errors.InputError
        A required variable is missing; a :class:`~cartrial.errors.RecordError` names the LB
        record whose date is incomplete or whose result is neither a number nor BLQ text.

    References
    ----------
    CDISC SDTMIG v3.4 (2021) section 6.3.5.3, LB (LBSTRESN, LBLLOQ); Lee DW et al., Biol Blood
    Marrow Transplant 2019;25:625-38 (the cytokines followed after CAR-T infusion).

    Examples
    --------
    >>> inf = pd.DataFrame({"USUBJID": ["01"], "INFDT": pd.to_datetime(["2026-01-05"])})
    >>> lb = pd.DataFrame({"USUBJID": "01", "LBSEQ": [1, 2, 3],
    ...                    "LBTESTCD": ["IL6", "IL6", "HGB"],
    ...                    "LBDTC": ["2026-01-04", "2026-01-07", "2026-01-07"],
    ...                    "LBSTRESN": [4.0, 180.0, 95.0]})
    >>> cytokine_data(lb, inf)[["CYTOKINE", "time_days", "value", "blq"]]
      CYTOKINE  time_days  value    blq
    0      IL6       -1.0    4.0  False
    1      IL6        2.0  180.0  False
    """
    s = settings or KineticsSettings()
    require_columns(lb, ["USUBJID", "LBSEQ", "LBTESTCD", "LBDTC"], where="LB")
    # only the cytokine records and the variables used (a large LB is not copied whole)
    used = [c for c in ("USUBJID", "LBSEQ", "LBTESTCD", "LBDTC", "LBSTAT", "LBSTRESN",
                        "LBSTRESC", "LBORRES", "LBLLOQ") if c in lb.columns]
    keep = lb["LBTESTCD"].astype(str).isin(s.cytokines).to_numpy()
    # all kept (cytokine_records' read): not copied here; timed() copies the records it keeps
    df, excluded = timed(lb if keep.all() else take_rows(lb, keep, used), "LB", "LBDTC", inf,
                         used)
    value, blq = result_values(df, "LB")
    lloq = (
        pd.to_numeric(df["LBLLOQ"], errors="coerce").to_numpy(dtype=float)
        if "LBLLOQ" in df.columns
        else np.full(len(df), np.nan)
    )
    out = pd.DataFrame(
        {
            "USUBJID": df["USUBJID"],
            "CYTOKINE": df["LBTESTCD"].astype(str),
            "LBSEQ": df["LBSEQ"],
            "time_days": df["time_days"],
            "value": value,
            "blq": blq,
            "lloq": lloq,
        }
    )
    out.attrs["excluded"] = excluded
    return out


def ada_data(is_: pd.DataFrame, inf: pd.DataFrame) -> pd.DataFrame:
    """IS ADA records to :func:`cartrial.kinetics.classify_ada` input.

    Columns: USUBJID, ISTESTCD, ISSEQ, time_days, positive, titer. A baseline-flagged sample
    (``ISBLFL = Y``) dated after infusion is an error.

    Parameters
    ----------
    is_ : pandas.DataFrame
        SDTM IS (USUBJID, ISSEQ, ISTESTCD, ISDTC, ISSTRESC or ISORRES POSITIVE / NEGATIVE; the
        titer in ISSTRESN; ISBLFL, ISSTAT).
    inf : pandas.DataFrame
        :func:`infusions` (day 0 of each subject).

    Returns
    -------
    pandas.DataFrame
        One row per usable sample; ``titer`` only for a positive sample (NaN otherwise);
        ``attrs["excluded"]`` counts the NOT DONE samples and those of subjects never infused.

    Raises
    ------
    cartrial.errors.InputError
        A required variable is missing; a :class:`~cartrial.errors.RecordError` names the IS
        record whose result is not POSITIVE / NEGATIVE, whose date is incomplete, or whose
        baseline flag sits on a sample after infusion.

    References
    ----------
    CDISC SDTMIG v3.4 (2021) section 6.3.5.5, IS (immunogenicity specimen assessments);
    US FDA, Immunogenicity Testing of Therapeutic Protein Products (guidance, 2019): a tiered
    screening / confirmatory result with the titer of a confirmed-positive sample.

    Examples
    --------
    >>> inf = pd.DataFrame({"USUBJID": ["01"], "INFDT": pd.to_datetime(["2026-01-05"])})
    >>> is_ = pd.DataFrame({"USUBJID": "01", "ISSEQ": [1, 2], "ISTESTCD": "ADA_BAB",
    ...                     "ISDTC": ["2026-01-01", "2026-02-02"],
    ...                     "ISSTRESC": ["NEGATIVE", "POSITIVE"], "ISSTRESN": [None, 80.0],
    ...                     "ISBLFL": ["Y", ""]})
    >>> ada_data(is_, inf)[["ISSEQ", "time_days", "positive", "titer"]]
       ISSEQ  time_days  positive  titer
    0      1       -4.0     False    NaN
    1      2       28.0      True   80.0
    """
    require_columns(is_, ["USUBJID", "ISSEQ", "ISTESTCD", "ISDTC"], where="IS")
    df, excluded = timed(is_, "IS", "ISDTC", inf)
    res = upper_stripped(df["ISSTRESC"] if "ISSTRESC" in df.columns else df["ISORRES"])
    ok = res.isin(["POSITIVE", "NEGATIVE"]).fillna(False).to_numpy(bool)
    var = "ISSTRESC" if "ISSTRESC" in df.columns else "ISORRES"
    first_bad(
        df,
        ~ok,
        domain="IS",
        variable=var,
        seq_col="ISSEQ",
        rule="ADA result must be POSITIVE or NEGATIVE",
    )
    if "ISBLFL" in df.columns:
        bl = upper_stripped(df["ISBLFL"]).eq("Y").fillna(False).to_numpy(bool)
        first_bad(
            df,
            bl & (df["time_days"].to_numpy() > 0),
            domain="IS",
            variable="ISBLFL",
            seq_col="ISSEQ",
            rule="baseline-flagged ADA sample dated after infusion",
        )
    titer = (
        pd.to_numeric(df["ISSTRESN"], errors="coerce").to_numpy(dtype=float)
        if "ISSTRESN" in df.columns
        else np.full(len(df), np.nan)
    )
    positive = res.eq("POSITIVE").to_numpy(dtype=bool)
    out = pd.DataFrame(
        {
            "USUBJID": df["USUBJID"],
            "ISTESTCD": df["ISTESTCD"].astype(str),
            "ISSEQ": df["ISSEQ"],
            "time_days": df["time_days"],
            "positive": positive,
            "titer": np.where(positive, titer, np.nan),
        }
    )
    out.attrs["excluded"] = excluded
    return out
