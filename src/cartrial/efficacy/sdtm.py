"""From SDTM-shaped domains (docs/data-model.md) to the efficacy engine's plain inputs.

- :func:`subjects_from_sdtm`: one row per subject from DM, MH, PR, EX, CM, DS (USUBJID, DOSE,
  POPCD, APHDT, INFDT, DTHDT, LSTALVDT, NACTDT).
- :func:`disease_assessments_from_sdtm`: the IMWG input (:mod:`cartrial.efficacy.imwg`) from LB
  disease tests and TU/TR plasmacytomas (read and checked by :mod:`cartrial.efficacy.sdtm_disease`;
  units converted there: serum M-protein g/L -> g/dL,
  FLC mg/L -> mg/dL).
- :func:`mrd_from_sdtm`: LB ``MRD`` records with the assay sensitivity from ``LBLLOQ``.
- :func:`investigator_response_from_sdtm`: RS ``OVRLRESP`` records.

Baseline (per subject and variable): the record flagged ``LBBLFL = Y``, else the last value on or
before the infusion date (DM.RFSTDTC / first CAR-T infusion); the baseline assessment is dated at
the latest of those. Records after the infusion date are post-baseline assessments, one per
date. Other pre-infusion records are screening values superseded by the baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.spec import data_model
from cartrial.data.text import upper_stripped
from cartrial.efficacy.concordance import Concordance
from cartrial.efficacy.endpoints import EfficacyResult
from cartrial.efficacy.imwg import ImwgResult
from cartrial.efficacy.sdtm_disease import latest_days, lb_long, sdtm_day
from cartrial.efficacy.sdtm_tumours import tumours_long
from cartrial.errors import InputError, RecordError
from cartrial.protocol.model import Protocol
from cartrial.study_reads import read_frame

_date, _text = sdtm_day, upper_stripped
INVESTIGATIONAL = "INVESTIGATIONAL PRODUCT"
NEW_THERAPY = "SUBSEQUENT ANTI-MYELOMA THERAPY"


def infusion_dates(ex: pd.DataFrame) -> pd.Series:
    """First CAR-T infusion date per subject (EX, EXCAT = INVESTIGATIONAL PRODUCT)."""
    e = ex[_text(ex["EXCAT"]).eq(INVESTIGATIONAL)]
    return _date(e["EXSTDTC"]).groupby(e["USUBJID"]).min()


def subjects_from_sdtm(
    dm: pd.DataFrame,
    ex: pd.DataFrame,
    pr: pd.DataFrame | None = None,
    mh: pd.DataFrame | None = None,
    cm: pd.DataFrame | None = None,
    ds: pd.DataFrame | None = None,
    extra_dates: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One row per DM subject: DOSE (ACTARMCD), POPCD, APHDT, INFDT, DTHDT, DTHPDFL, LSTALVDT,
    NACTDT. DTHPDFL = "Y" when the DS DEATH record's DSTERM names disease progression.

    LSTALVDT (last known alive) is the latest date among DS, the ``extra_dates`` domains (e.g.
    LB, RS, AE: any ``--DTC`` column) and the infusion, for subjects without a death date.

    Parameters
    ----------
    dm : pandas.DataFrame
        SDTM DM (USUBJID, ACTARMCD = dose level; NOTTRT / SCRNFAIL give no dose; DTHDTC).
    ex : pandas.DataFrame
        SDTM EX; the first EXSTDTC of EXCAT "INVESTIGATIONAL PRODUCT" is the infusion date.
    pr, mh, cm, ds : pandas.DataFrame, optional
        PR (PRTRT "LEUKAPHERESIS" -> APHDT), MH (primary diagnosis -> POPCD), CM (new
        anti-myeloma therapy -> NACTDT), DS (death record -> DTHPDFL; dates -> LSTALVDT).
    extra_dates : list of pandas.DataFrame, optional
        Further domains whose ``--DTC`` columns count as contact dates.

    Returns
    -------
    pandas.DataFrame
        One row per DM subject, the dates as datetime64 (time of day dropped; NaT when none).

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["01", "02"], "ACTARMCD": ["DL1", "SCRNFAIL"],
    ...                    "DTHDTC": ["2026-09-01", None]})
    >>> ex = pd.DataFrame({"USUBJID": ["01"], "EXCAT": "INVESTIGATIONAL PRODUCT",
    ...                    "EXSTDTC": ["2026-01-05T09:30"]})
    >>> ds = pd.DataFrame({"USUBJID": ["01"], "DSDECOD": "DEATH", "DSSTDTC": "2026-09-01",
    ...                    "DSTERM": "DISEASE PROGRESSION"})
    >>> s = subjects_from_sdtm(dm, ex, ds=ds)
    >>> s[["USUBJID", "DOSE", "INFDT", "DTHPDFL", "LSTALVDT"]]
      USUBJID  DOSE      INFDT DTHPDFL   LSTALVDT
    0      01   DL1 2026-01-05       Y 2026-09-01
    1      02  <NA>        NaT     NaN        NaT
    """
    ids = dm["USUBJID"].astype(str)
    out = pd.DataFrame({"USUBJID": ids.to_numpy()})
    out["DOSE"] = dm["ACTARMCD"].astype("string").to_numpy()
    out.loc[out["DOSE"].isin(["NOTTRT", "SCRNFAIL", "Scrnfail"]), "DOSE"] = pd.NA
    out = out.set_index("USUBJID")
    out["INFDT"] = infusion_dates(ex).reindex(out.index)
    if pr is not None and len(pr):
        aph = pr[_text(pr["PRTRT"]).eq("LEUKAPHERESIS")]
        out["APHDT"] = _date(aph["PRSTDTC"]).groupby(aph["USUBJID"]).min().reindex(out.index)
    else:
        out["APHDT"] = pd.NaT
    out["DTHDT"] = (
        _date(dm["DTHDTC"]).set_axis(ids).reindex(out.index) if "DTHDTC" in dm else pd.NaT
    )
    out["POPCD"] = None
    if mh is not None and len(mh):
        mapping = {k.upper(): v for k, v in data_model().domains["MH"].population_terms.items()}
        prim = mh[_text(mh["MHCAT"]).eq("PRIMARY DIAGNOSIS")]
        pop = _text(prim["MHDECOD"]).map(mapping)
        out["POPCD"] = pd.Series(pop.to_numpy(), index=prim["USUBJID"]).groupby(level=0).first()
    out["DTHPDFL"] = None
    if ds is not None and len(ds) and "DSTERM" in ds:
        dth = ds[_text(ds["DSDECOD"]).eq("DEATH")]
        pdd = _text(dth["DSTERM"]).str.contains("PROGRESSION", regex=False).fillna(False)
        flag = pd.Series(np.where(pdd, "Y", None), index=dth["USUBJID"].astype(str))
        out["DTHPDFL"] = flag.groupby(level=0).max().reindex(out.index)
    out["NACTDT"] = pd.NaT
    if cm is not None and len(cm):
        new = cm[_text(cm["CMCAT"]).eq(NEW_THERAPY)]
        out["NACTDT"] = _date(new["CMSTDTC"]).groupby(new["USUBJID"]).min().reindex(out.index)
    dates = [out["INFDT"].rename("d").reset_index()]
    for dom in [ds, *(extra_dates or [])]:
        if dom is None or not len(dom):
            continue
        dates += latest_days(dom)  # each subject's latest date per --DTC column
    alldates = pd.concat(dates, ignore_index=True)
    last = alldates.groupby("USUBJID")["d"].max().reindex(out.index)
    out["LSTALVDT"] = last.where(out["DTHDT"].isna(), out["DTHDT"])
    return out.reset_index()


def disease_assessments_from_sdtm(
    lb: pd.DataFrame | None,
    infusion: pd.Series,
    tu: pd.DataFrame | None = None,
    tr: pd.DataFrame | None = None,
    *,
    lb_rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """IMWG input frame (one baseline row + one row per post-infusion date) from LB/TU/TR.

    Bad records raise :class:`RecordError` naming LB/TR and the --SEQ.

    Parameters
    ----------
    lb : pandas.DataFrame or None
        SDTM LB; the disease tests (e.g. LBTESTCD MPROTEIN in SERUM, g/L) are read and
        converted to the IMWG units (serum M-protein g/dL, FLC mg/dL). None with ``lb_rows``.
    infusion : pandas.Series
        Infusion date per USUBJID (:func:`infusion_dates`); subjects never infused have no
        assessments.
    tu, tr : pandas.DataFrame, optional
        SDTM TU / TR plasmacytoma records (SPD, new lesions).
    lb_rows : pandas.DataFrame, optional
        ``lb_long(lb)`` already made (a large study's, a batch of subjects at a time:
        :func:`cartrial.efficacy.disease_batches.study_lb_long`); ``lb`` is then not read.

    Returns
    -------
    pandas.DataFrame
        The :func:`derive_imwg_response` input: USUBJID, ADT, ABLFL ("Y" = baseline: per
        variable the LBBLFL record, else the last on or before infusion), one column per IMWG
        variable, SRCDOM, SRCSEQ and SEQ_<variable> (the record behind each value).

    Raises
    ------
    RecordError
        When a disease record cannot be used.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": "01", "LBSEQ": [1, 2], "LBTESTCD": "MPROTEIN",
    ...                    "LBSPEC": "SERUM", "LBSTRESN": [20.0, 8.0], "LBSTRESU": "g/L",
    ...                    "LBORRES": ["20", "8"], "LBDTC": ["2026-01-02", "2026-02-01"]})
    >>> infusion = pd.Series(pd.to_datetime(["2026-01-05"]), index=["01"])
    >>> disease_assessments_from_sdtm(lb, infusion)[["ADT", "ABLFL", "SPEP", "SEQ_SPEP"]]
             ADT ABLFL  SPEP  SEQ_SPEP
    0 2026-01-02     Y   2.0         1
    1 2026-02-01  None   0.8         2
    """
    lb_rows = lb_long(lb) if lb_rows is None else lb_rows
    parts = [x for x in (lb_rows, tumours_long(tu, tr)) if len(x)]
    if not parts:
        raise InputError("no disease assessments (LB M-protein, FLC, IFE, marrow) in the study")
    # not copied when LB's rows are all (issue #18: 806,000 rows at 10,000 patients)
    long = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    infused = long["USUBJID"].isin(infusion.dropna().index)
    long = long if infused.all() else long[infused]
    if long.empty:
        raise InputError(
            "no disease assessments (LB M-protein, FLC, IFE, marrow) for infused subjects"
        )
    inf = long["USUBJID"].map(infusion)
    flagged_after = long["BLFL"] & (long["ADT"] > inf)
    if flagged_after.any():
        r = long[flagged_after].iloc[0]
        raise RecordError(
            domain="LB",
            usubjid=r["USUBJID"],
            seq=r["LBSEQ"],
            variable="LBBLFL",
            value="Y",
            rule=f"baseline record dated after the infusion ({inf[r.name].date()})",
        )
    pre = long[long["ADT"] <= inf]
    # baseline per variable: flagged record if any, else the last pre-infusion value
    pre = pre.sort_values(["USUBJID", "col", "BLFL", "ADT"])
    base = pre.groupby(["USUBJID", "col"]).tail(1)
    post = long[long["ADT"] > inf]
    wide_post, seq_post = _wide(post, ["USUBJID", "ADT"])
    wide_post = wide_post.join(seq_post).reset_index()
    wide_post["ABLFL"] = None
    bdate = base.groupby("USUBJID")["ADT"].max()
    wide_base, seq_base = _wide(base, ["USUBJID"], bdate)
    wide_base = wide_base.join(seq_base).reset_index()
    wide_base["ABLFL"] = "Y"
    out = pd.concat([wide_base, wide_post], ignore_index=True)
    out["SRCDOM"] = "LB"
    for c in ("SPEP", "UPEP", "KAPPA", "LAMBDA", "FLCRATIO", "BMPC", "PBPC", "SPD"):
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out.columns.name = None
    return out.sort_values(["USUBJID", "ADT"]).reset_index(drop=True)


def _wide(rows: pd.DataFrame, index: list[str],
          adt: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per ``index``: each IMWG variable's first value (columns named by ``col``),
    ``adt`` as ADT when given, SRCSEQ (the least LBSEQ) and, apart, each variable's LBSEQ
    (``SEQ_<col>``). Rows unique per ``index`` and ``col`` with no value, LBSEQ or key missing
    (LB's disease records) are reshaped as they are (``unstack``: 0.3 s instead of 0.7 s for
    714,000 rows at 10,000 patients): ``pivot_table``'s first value and dropping of missing
    ones then change nothing. Other rows (TR's, without LBSEQ) take ``pivot_table``."""
    keys = [*index, "col"]
    if len(rows) and not rows[[*keys, "value", "LBSEQ"]].isna().to_numpy().any():
        try:
            both = rows.set_index(keys)[["value", "LBSEQ"]].unstack("col")
        except ValueError:  # "Index contains duplicate entries": pivot_table's "first"
            pass
        else:
            wide, seq = both["value"].copy(), both["LBSEQ"]
            if adt is not None:
                wide["ADT"] = adt
            wide["SRCSEQ"] = seq.min(axis=1)
            return wide, seq.add_prefix("SEQ_")
    wide = rows.pivot_table(index=index, columns="col", values="value", aggfunc="first")
    if adt is not None:
        wide["ADT"] = adt
    wide["SRCSEQ"] = rows.groupby(index)["LBSEQ"].min()
    return wide, rows.pivot_table(index=index, columns="col", values="LBSEQ",
                                  aggfunc="first").add_prefix("SEQ_")


#: the LB variables :func:`mrd_from_sdtm` reads (issue #18: :func:`mrd_records`)
LB_MRD_VARIABLES = ("USUBJID", "LBSEQ", "LBTESTCD", "LBDTC", "VISIT", "LBSTRESC", "LBORRES",
                    "LBLLOQ", "LBMETHOD", "LBSPEC")


def mrd_records(study) -> pd.DataFrame | None:  # noqa: ANN001
    """LB's MRD records with the variables :func:`mrd_from_sdtm` reads; None without LB.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": "01", "LBTESTCD": ["MRD", "HGB"], "LBNAM": "x"})
    >>> mrd_records({"LB": lb})
      USUBJID LBTESTCD
    0      01      MRD
    """
    return read_frame(study, "LB", LB_MRD_VARIABLES, where={"LBTESTCD": {"MRD"}})


def mrd_from_sdtm(lb: pd.DataFrame) -> pd.DataFrame:
    """MRD input (:mod:`cartrial.efficacy.mrd`): LB MRD records, sensitivity from LBLLOQ.

    Parameters
    ----------
    lb : pandas.DataFrame
        SDTM LB; the LBTESTCD "MRD" records are used (USUBJID, LBDTC, LBORRES or LBSTRESC,
        LBLLOQ = the assay sensitivity as a fraction, optional VISIT, LBSEQ, LBMETHOD, LBSPEC).

    Returns
    -------
    pandas.DataFrame
        USUBJID, ADT (date, time dropped), AVISIT, MRDRES, MRDSENS, SRCDOM, SRCSEQ and, with
        LBMETHOD and LBSPEC, MRDMETH and MRDSPEC: the input of :func:`classify_mrd`.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": "01", "LBSEQ": [7, 8], "LBTESTCD": ["MRD", "HGB"],
    ...                    "LBDTC": "2026-04-02", "VISIT": "MONTH 3",
    ...                    "LBORRES": ["NEGATIVE", "11.2"], "LBLLOQ": [1e-5, None]})
    >>> mrd_from_sdtm(lb)[["USUBJID", "AVISIT", "MRDRES", "MRDSENS", "SRCSEQ"]]
      USUBJID   AVISIT    MRDRES  MRDSENS  SRCSEQ
    0      01  MONTH 3  NEGATIVE  0.00001       7
    """
    m = lb[_text(lb["LBTESTCD"]).eq("MRD")]
    out = pd.DataFrame(
        {
            "USUBJID": m["USUBJID"].astype(str),
            "ADT": _date(m["LBDTC"]),
            "AVISIT": m["VISIT"].astype("string") if "VISIT" in m else "ANY",
            "MRDRES": m["LBSTRESC"].fillna(m["LBORRES"]) if "LBSTRESC" in m else m["LBORRES"],
            "MRDSENS": pd.to_numeric(m["LBLLOQ"], errors="coerce") if "LBLLOQ" in m else np.nan,
            "SRCDOM": "LB",
            "SRCSEQ": m.get("LBSEQ"),
        }
    ).reset_index(drop=True)
    if {"LBMETHOD", "LBSPEC"} <= set(m.columns):   # assay and specimen (FDA MRD-negative CR)
        out["MRDMETH"] = m["LBMETHOD"].to_numpy()
        out["MRDSPEC"] = m["LBSPEC"].to_numpy()
    return out


def investigator_response_from_sdtm(rs: pd.DataFrame) -> pd.DataFrame:
    """RS OVRLRESP (RSCAT IMWG) as USUBJID, ADT, RSSTRESC, SRCSEQ.

    Parameters
    ----------
    rs : pandas.DataFrame
        SDTM RS (USUBJID, RSTESTCD, RSDTC, RSSTRESC, optional RSSEQ); only the RSTESTCD
        "OVRLRESP" records are used.

    Returns
    -------
    pandas.DataFrame
        USUBJID, ADT (date), RSSTRESC, SRCSEQ (the RSSEQ): the investigator side of
        :func:`response_concordance`.

    Examples
    --------
    >>> rs = pd.DataFrame({"USUBJID": "01", "RSSEQ": [1, 2], "RSTESTCD": ["OVRLRESP", "NEWLIND"],
    ...                    "RSDTC": "2026-02-02T10:00", "RSSTRESC": ["VGPR", "N"]})
    >>> investigator_response_from_sdtm(rs)
      USUBJID        ADT RSSTRESC  SRCSEQ
    0      01 2026-02-02     VGPR       1
    """
    r = rs[_text(rs["RSTESTCD"]).eq("OVRLRESP")]
    return pd.DataFrame(
        {
            "USUBJID": r["USUBJID"].astype(str),
            "ADT": _date(r["RSDTC"]),
            "RSSTRESC": r["RSSTRESC"].astype(str),
            "SRCSEQ": r.get("RSSEQ"),
        }
    ).reset_index(drop=True)


def efficacy_from_study(
    study: object,
    protocol: Protocol,
    summaries: bool = True,
) -> tuple[EfficacyResult, ImwgResult, Concordance | None]:
    """Run the efficacy engine on a loaded SDTM study (``cartrial.data.Study``).

    Analysis population: leukapheresed subjects (with a PR LEUKAPHERESIS date) when the origin is
    apheresis, infused subjects when it is infusion (protocol ``endpoints.time_origin``).

    Parameters
    ----------
    study : cartrial.data.Study
        The loaded SDTM datasets; DM, EX and LB are required, PR, MH, CM, DS, RS, AE, TU and
        TR are used when present.
    protocol : Protocol
        The trial's protocol (endpoint settings, IMWG settings, dose levels, schedule).
    summaries : bool, default True
        False: :func:`efficacy_endpoints` without its summaries and no concordance (what
        ``cartrial analyze`` reads: the responses, time-to-event rows and fits).

    Returns
    -------
    tuple
        (EfficacyResult, ImwgResult, Concordance or None when RS has no investigator
        response or no summaries were asked for).

    Raises
    ------
    InputError
        When DM, EX or LB is absent, or no subject has a time-origin date.

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    Needs a whole study on disk (e.g. written by ``cartrial demo --out build/demo``):

    >>> from cartrial.data import load_study
    >>> from cartrial.protocol import load_protocol
    >>> study = load_study("build/demo/sdtm")  # doctest: +SKIP
    >>> result, imwg, conc = efficacy_from_study(study, load_protocol("ct071"))  # doctest: +SKIP
    >>> result.rates.query("endpoint == 'ORR'")  # doctest: +SKIP
    """
    from cartrial.efficacy.study_run import efficacy_run  # it reads this module

    result, imwg, conc, _mrd = efficacy_run(study, protocol, summaries)
    return result, imwg, conc
