"""What the safety engine's SDTM adapters share: a domain of the study, the infusion date and
days since infusion (protocol day 0 = the CAR-T infusion; the rules are stated in
:mod:`cartrial.safety.sdtm`), and the syndrome terms the adapters recognise (AEDECOD as coded
in MedDRA; Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 for CRS and ICANS)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from cartrial.data.dates import distinct_datetimes, parse_dtc
from cartrial.data.text import factorize_text, spread
from cartrial.data.validate_codes import column_codes, memo_scope
from cartrial.errors import InputError
from cartrial.safety._frames import fail, sorted_text_codes, text_values
from cartrial.study_reads import read_frame

CRS_TERM = "Cytokine release syndrome"
ICANS_TERM = "Immune effector cell-associated neurotoxicity syndrome"
HEMATOLOGIC_TERMS = ("Neutrophil count decreased", "Platelet count decreased", "Anaemia",
                     "Anemia", "White blood cell count decreased", "Lymphocyte count decreased",
                     "Febrile neutropenia", "Neutropenia", "Thrombocytopenia", "Leukopenia",
                     "Lymphopenia", "Pancytopenia")
#: subjects per batch when labs are graded (memory of a large LB)
LAB_BATCH_SUBJECTS = 250
END_OF_DAY = 1439.0 / 1440.0   # 23:59, where a date-only death is placed


def _domain(study, name: str, required: bool = True) -> pd.DataFrame | None:
    """A domain of a :class:`cartrial.data.Study` (or a dict of frames); None when absent."""
    df = study.get(name)
    if df is None and required:
        raise InputError(f"safety: domain {name} is required (docs/data-model.md)")
    return df


def _read(study, name: str, columns: list[str], where: dict | None = None, *,
          required: bool = True) -> pd.DataFrame | None:
    """Only ``columns`` (and the ``where`` records) of a domain
    (:func:`cartrial.study_reads.read_frame`); as :func:`_domain` when it is absent."""
    df = read_frame(study, name, columns, where)
    if df is None and required:
        raise InputError(f"safety: domain {name} is required (docs/data-model.md)")
    return df


def _text(s: pd.Series) -> pd.Series:
    """``upper_stripped(s).fillna("")``: a ``string`` Series on ``s``'s index (no missing)."""
    return pd.Series(pd.arrays.StringArray(text_values(s)), index=s.index, name=s.name)


def infusion_dates(study) -> pd.Series:
    """Infusion date (normalised Timestamp) per USUBJID; subjects never infused are absent.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        SDTM domains: DM (RFSTDTC) required, EX optional (first EXSTDTC with EXCAT
        INVESTIGATIONAL PRODUCT, which wins over DM.RFSTDTC).

    Returns
    -------
    pandas.Series
        Midnight of the infusion date, indexed by USUBJID.

    Raises
    ------
    InputError
        DM missing.

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "RFSTDTC": ["2026-03-01", ""]})
    >>> ex = pd.DataFrame({"USUBJID": ["S1"], "EXCAT": ["INVESTIGATIONAL PRODUCT"],
    ...                    "EXSTDTC": ["2026-03-02T10:00"]})
    >>> infusion_dates({"DM": dm, "EX": ex})
    S1   2026-03-02
    dtype: datetime64[ns]
    """
    memo = _INFUSIONS.get()
    if memo is None:
        return _infusion_dates(study)
    if id(study) not in memo:
        memo[id(study)] = (study, _infusion_dates(study))  # held: its id is not reused inside
    return memo[id(study)][1].copy()  # a copy each: a caller may change its own


_INFUSIONS: ContextVar[dict | None] = ContextVar("cartrial_infusion_dates", default=None)


def infusion_memo() -> AbstractContextManager[None]:
    """Within the block, :func:`infusion_dates` of a study it has read before is looked up, not
    derived again (the safety engine's adapters each read it: seven times per study); for code
    that does not change the study while inside.

    Examples
    --------
    >>> study = {"DM": pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2026-03-01"]})}
    >>> with infusion_memo():
    ...     a = infusion_dates(study)
    ...     study["DM"].loc[0, "RFSTDTC"] = "2026-03-05"  # changed inside: not seen
    ...     str(infusion_dates(study)["S1"].date())
    '2026-03-01'
    >>> str(infusion_dates(study)["S1"].date())
    '2026-03-05'
    """
    return memo_scope(_INFUSIONS)


def _infusion_dates(study) -> pd.Series:  # noqa: ANN001
    """:func:`infusion_dates`, derived."""
    dm = _domain(study, "DM")
    ex = _domain(study, "EX", required=False)
    out = pd.Series(dtype="datetime64[ns]")
    if ex is not None and len(ex):
        ip = ex[text_values(ex["EXCAT"]) == "INVESTIGATIONAL PRODUCT"]
        d = parse_dtc(ip["EXSTDTC"])["dt"]
        out = pd.Series(d.to_numpy(), index=ip["USUBJID"].astype(str).to_numpy()).dropna()
        out = out.groupby(level=0).min()
    rf = parse_dtc(dm["RFSTDTC"])["dt"]
    rf = pd.Series(rf.to_numpy(), index=dm["USUBJID"].astype(str).to_numpy()).dropna()
    out = out.combine_first(rf)
    return out.dt.normalize()


def _dtc_codes(df: pd.DataFrame, dtc: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes of the column ``dtc``, the date-time of each distinct text: NaT when not complete
    to the day): each distinct text parsed once; the codes are shared with other readers of
    the same column inside :func:`cartrial.data.validate_codes.codes_memo`. A record's
    date-time is ``spread(dt, codes, NaT)`` (missing: NaT)."""
    codes, texts = column_codes(df[dtc])
    return codes, distinct_datetimes(texts)


def _day(df: pd.DataFrame, dtc: str, inf: pd.Series, *, domain: str,
         seq: str | None = None, dt: np.ndarray | None = None,
         ref: np.ndarray | None = None) -> np.ndarray:
    """Days since midnight of the infusion date; a partial / invalid date raises. ``dt``: the
    records' parsed ``dtc`` when the caller has it (:func:`_dtc_codes`); ``ref``: their
    subjects' infusion dates (``inf`` looked up by USUBJID), likewise."""
    if dt is None and (df[dtc].dtype == object or isinstance(df[dtc].dtype, pd.StringDtype)):
        # each distinct text's date-time (missing: NaT, as parse_dtc), spread to the records
        codes, when = _dtc_codes(df, dtc)
        dt = spread(when, codes, np.datetime64("NaT", "ns"))
    dt = parse_dtc(df[dtc])["dt"] if dt is None else pd.Series(dt, index=df.index)
    ref = df["USUBJID"].astype(str).map(inf) if ref is None else pd.Series(ref, index=df.index)
    nat = dt.isna().to_numpy()
    if nat.any():  # a missing --DTC has no date-time either: with none, nothing to refuse
        given = df[dtc].notna().to_numpy()
        partial = nat & given
        # only a failing call needs the frame with SEQ
        frame = df.assign(SEQ=df[seq]) if seq and seq in df.columns else df
        fail(frame, partial, domain=domain, variable=dtc,
             rule="date/time must be complete to the day and valid (ISO 8601)")
        fail(frame, ~given, domain=domain, variable=dtc, rule="date is required")
    return ((dt - ref).dt.total_seconds() / 86400.0).to_numpy(dtype=float)


# SDTM test codes -> the safety engine's column names (CM classes, FA CRS/ICANS, QS ICE)
CM_CLASSES = {"ANTI-IL-6": "TOCILIZUMAB", "CORTICOSTEROID": "STEROID",
              "ANTIPYRETIC": "ANTIPYRETIC", "ANTI-CYTOKINE": "ANTICYTOKINE"}
FA_CRS = {"HYPOTN": "HYPOTENSION", "VASOPN": "PRESSORS", "VASOPRSN": "VASOPRESSIN",
          "O2DEV": "O2_DEVICE", "O2FLOW": "O2_FLOW", "FEVOTH": "FEVER_OTHER_CAUSE",
          "HYPOOTH": "HYPOTENSION_OTHER_CAUSE", "HYPXOTH": "HYPOXIA_OTHER_CAUSE",
          "O2COMF": "O2_COMFORT_ONLY"}
FA_ICANS = {"LOC": "CONSCIOUSNESS", "SEIZURE": "SEIZURE", "MOTOR": "MOTOR", "ICPOED": "ICP",
            "NEUOTH": "NEUOTH"}
QS_ICE = {"ICE01": "ICE_ORIENT", "ICE02": "ICE_NAMING", "ICE03": "ICE_COMMANDS",
          "ICE04": "ICE_WRITING", "ICE05": "ICE_ATTENTION", "ICE06": "ICE_TOTAL"}


def _pivot(df: pd.DataFrame, testcd: str, dtc: str, value: pd.Series, names: dict[str, str],
           ) -> pd.DataFrame:
    # the tests asked for picked first: only their rows and the key columns are copied
    t = text_values(df[testcd])
    codes, tests = factorize_text(t)  # the tests asked of the distinct codes, not every record
    rows = np.flatnonzero(np.isin(tests, list(names))[codes])
    dom = str(df["DOMAIN"].iloc[0]) if "DOMAIN" in df.columns and len(df) else "FA"
    cols = ["USUBJID", dtc, testcd] + [c for c in (f"{dom}SEQ",) if c in df.columns]
    sub = df[cols].iloc[rows].assign(_V=value.iloc[rows],
                                     _T=pd.arrays.StringArray(t[rows]))
    # (subject, date-time, test) as sorted codes: the duplicates counted and the wide frame
    # filled on integers (pandas' duplicated and pivot factorise the same text columns again)
    u, users = sorted_text_codes(sub["USUBJID"])
    d, dtcs = sorted_text_codes(sub[dtc])
    tc, tests = sorted_text_codes(sub["_T"])
    vtype = sub["_V"].dtype
    if (u < 0).any() or (d < 0).any() or not (isinstance(vtype, np.dtype) and vtype.kind in "fO"):
        # a missing key, or values pandas would hold in another dtype: pandas' own way
        return _pivot_frame(sub, dom, testcd, dtc, names)
    cell = (u.astype(np.int64) * len(dtcs) + d) * len(tests) + tc
    _, at, count = np.unique(cell, return_inverse=True, return_counts=True)
    if (count > 1).any():  # the frame naming the record made only to raise
        fail(sub.assign(SEQ=sub.get(f"{dom}SEQ")), count[at] > 1, domain=dom, variable=testcd,
             rule=f"the same test twice for one subject at one {dtc}")
    keys, row = np.unique(u.astype(np.int64) * len(dtcs) + d, return_inverse=True)
    grid = np.full((len(keys), len(tests)), np.nan, dtype=vtype)
    grid[row, tc] = sub["_V"].to_numpy()
    return pd.DataFrame({"USUBJID": users.take(keys // len(dtcs)),  # rows and tests sorted,
                         dtc: dtcs.take(keys % len(dtcs)),          # as pivot puts them
                         **{names.get(k, k): grid[:, j] for j, k in enumerate(tests)}})


def _pivot_frame(sub: pd.DataFrame, dom: str, testcd: str, dtc: str,
                 names: dict[str, str]) -> pd.DataFrame:
    """:func:`_pivot` by pandas (``duplicated``, ``pivot``), for the cases it leaves to it."""
    dup = sub.duplicated(["USUBJID", dtc, "_T"], keep=False).to_numpy()
    fail(sub.assign(SEQ=sub.get(f"{dom}SEQ")), dup, domain=dom, variable=testcd,
         rule=f"the same test twice for one subject at one {dtc}")
    wide = sub.pivot(index=["USUBJID", dtc], columns="_T", values="_V").reset_index()
    wide.columns.name = None
    return wide.rename(columns=names)
