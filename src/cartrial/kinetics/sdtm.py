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
from cartrial.errors import InputError, RecordError
from cartrial.kinetics._groups import first_bad, require_columns
from cartrial.protocol.model import KineticsSettings, Protocol

INFUSION_CATEGORY = "INVESTIGATIONAL PRODUCT"
CRS_TERM = "CYTOKINE RELEASE SYNDROME"
BLQ_PREFIXES = ("<", "BLQ", "BLOQ", "BQL")
PC_TESTS = {
    "CARTRNSG": "qPCR transgene (copies/ug gDNA)",
    "CARTCELL": "flow CAR+ T cells (cells/uL)",
}


def _text(s: pd.Series) -> pd.Series:
    return upper_stripped(s)


def infusions(ex: pd.DataFrame, protocol: Protocol, dm: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per infused subject: USUBJID, INFDT (date), EXDOSE, DOSELVL (protocol id).

    The first ``INVESTIGATIONAL PRODUCT`` record of each subject is the infusion; its dose must
    be a protocol dose level (data-model rule DOSE_NOT_IN_PROTOCOL).
    """
    require_columns(ex, ["USUBJID", "EXCAT", "EXDOSE", "EXSTDTC"], where="EX")
    ip = ex[_text(ex["EXCAT"]).eq(INFUSION_CATEGORY).fillna(False).to_numpy(dtype=bool)]
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


def _timed(
    df: pd.DataFrame, domain: str, dtc: str, inf: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop NOT DONE records and those of subjects never infused; add ``time_days``."""
    seq = f"{domain}SEQ"
    excluded: dict[str, int] = {}
    stat = f"{domain}STAT"
    df = df.reset_index(drop=True)
    if stat in df.columns:
        nd = _text(df[stat]).eq("NOT DONE").fillna(False).to_numpy(dtype=bool)
        excluded["not_done"] = int(nd.sum())
        df = df[~nd].reset_index(drop=True)
    infused = df["USUBJID"].astype(str).isin(inf["USUBJID"]).to_numpy()
    excluded["not_infused"] = int((~infused).sum())
    df = df[infused].reset_index(drop=True)
    p = parse_dtc(df[dtc])
    first_bad(
        df,
        ~p["dt"].notna().to_numpy(),
        domain=domain,
        variable=dtc,
        seq_col=seq,
        rule="collection date must be a complete ISO 8601 date to be placed in time",
    )
    infdt = df["USUBJID"].astype(str).map(inf.set_index("USUBJID")["INFDT"])
    days = (p["dt"].dt.normalize() - pd.to_datetime(infdt)).dt.days
    df = df.assign(USUBJID=df["USUBJID"].astype(str), time_days=days.to_numpy(dtype=float))
    return df, excluded


def _result(df: pd.DataFrame, domain: str) -> tuple[np.ndarray, np.ndarray]:
    """(value, blq): numeric --STRESN, or BLQ text in --STRESC / --ORRES with --STRESN missing."""
    stresn = f"{domain}STRESN"
    if stresn not in df.columns:
        raise InputError(
            f"{domain}: no {stresn} column; read the study with "
            "cartrial.data.load_study, which fills it in standard units"
        )
    val = pd.to_numeric(df[stresn], errors="coerce").to_numpy(dtype=float)
    text = pd.Series(pd.NA, index=df.index, dtype="string")
    for col in (f"{domain}STRESC", f"{domain}ORRES"):
        if col in df.columns:
            text = text.fillna(_text(df[col]))
    blq = (~np.isfinite(val)) & text.str.startswith(BLQ_PREFIXES).fillna(False).to_numpy(bool)
    first_bad(
        df,
        ~np.isfinite(val) & ~blq,
        domain=domain,
        variable=stresn,
        seq_col=f"{domain}SEQ",
        rule="result is neither a number nor below the limit of quantification "
        f"(set {domain}STAT = NOT DONE for a missing sample)",
    )
    return val, blq


def pc_profiles(pc: pd.DataFrame, inf: pd.DataFrame) -> pd.DataFrame:
    """PC to :func:`cartrial.kinetics.nca` input, one profile per USUBJID x PCTESTCD x PCSPEC.

    Columns: USUBJID, PCTESTCD, PCSPEC, PCSEQ, time_days, conc, blq, lloq, unit.
    """
    require_columns(pc, ["USUBJID", "PCSEQ", "PCTESTCD", "PCDTC", "PCLLOQ"], where="PC")
    df, excluded = _timed(pc, "PC", "PCDTC", inf)
    conc, blq = _result(df, "PC")
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


def cytokine_data(
    lb: pd.DataFrame, inf: pd.DataFrame, settings: KineticsSettings | None = None
) -> pd.DataFrame:
    """LB cytokine records to :func:`cartrial.kinetics.cytokine_parameters` input.

    Columns: USUBJID, CYTOKINE, LBSEQ, time_days, value, blq, lloq (ng/L).
    """
    s = settings or KineticsSettings()
    require_columns(lb, ["USUBJID", "LBSEQ", "LBTESTCD", "LBDTC"], where="LB")
    # only the cytokine records and the variables used (a large LB is not copied whole)
    used = [c for c in ("USUBJID", "LBSEQ", "LBTESTCD", "LBDTC", "LBSTAT", "LBSTRESN",
                        "LBSTRESC", "LBORRES", "LBLLOQ") if c in lb.columns]
    sel = take_rows(lb, lb["LBTESTCD"].astype(str).isin(s.cytokines).to_numpy(), used)
    df, excluded = _timed(sel, "LB", "LBDTC", inf)
    value, blq = _result(df, "LB")
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
    """
    require_columns(is_, ["USUBJID", "ISSEQ", "ISTESTCD", "ISDTC"], where="IS")
    df, excluded = _timed(is_, "IS", "ISDTC", inf)
    res = _text(df["ISSTRESC"] if "ISSTRESC" in df.columns else df["ISORRES"])
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
        bl = _text(df["ISBLFL"]).eq("Y").fillna(False).to_numpy(bool)
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


def crs_grades_from_ae(ae: pd.DataFrame | None, inf: pd.DataFrame) -> pd.DataFrame:
    """Maximum investigator-reported CRS grade per infused subject (0 without a CRS record).

    A fallback for the safety engine's ASTCT-derived grade.

    Parameters
    ----------
    ae : pandas.DataFrame or None
        SDTM AE (USUBJID, AEDECOD, AETOXGR 1-5, AESEQ); None or empty gives grade 0 for all.
    inf : pandas.DataFrame
        :func:`infusions` (USUBJID per infused subject).

    Returns
    -------
    pandas.DataFrame
        USUBJID and CRSGR (int 0-5), one row per infused subject.

    Raises
    ------
    RecordError
        When a CRS record's AETOXGR is not 1-5 (names the AESEQ).

    Examples
    --------
    >>> inf = pd.DataFrame({"USUBJID": ["01", "02"]})
    >>> ae = pd.DataFrame({"USUBJID": "01", "AESEQ": [1, 2], "AETOXGR": ["1", "2"],
    ...                    "AEDECOD": "Cytokine release syndrome"})
    >>> crs_grades_from_ae(ae, inf)["CRSGR"].tolist()
    [2, 0]
    """
    grade = pd.Series(0.0, index=inf["USUBJID"].to_numpy())
    if ae is not None and len(ae):
        require_columns(ae, ["USUBJID", "AEDECOD", "AETOXGR"], where="AE")
        crs = ae[_text(ae["AEDECOD"]).eq(CRS_TERM).fillna(False).to_numpy(bool)].reset_index(
            drop=True
        )
        g = pd.to_numeric(crs["AETOXGR"], errors="coerce")
        first_bad(
            crs,
            ~g.isin([1, 2, 3, 4, 5]).to_numpy(),
            domain="AE",
            variable="AETOXGR",
            seq_col="AESEQ",
            rule="CRS grade must be 1-5",
        )
        mx = g.groupby(crs["USUBJID"].astype(str)).max()
        mx = mx[mx.index.isin(grade.index)]
        grade.loc[mx.index] = mx.to_numpy(dtype=float)
    return pd.DataFrame({"USUBJID": grade.index, "CRSGR": grade.to_numpy().astype(int)})


def subject_frame(frame: pd.DataFrame | None, column: str, *, name: str) -> pd.DataFrame | None:
    """Validate a caller-supplied subject-level frame (USUBJID + ``column``), one row each."""
    if frame is None:
        return None
    require_columns(frame, ["USUBJID", column], where=name)
    dup = frame["USUBJID"].duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise RecordError(
            domain=name,
            usubjid=str(frame["USUBJID"].iloc[i]),
            variable="USUBJID",
            value=frame["USUBJID"].iloc[i],
            rule="one row per subject expected",
        )
    return frame[["USUBJID", column]].assign(USUBJID=frame["USUBJID"].astype(str))


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
