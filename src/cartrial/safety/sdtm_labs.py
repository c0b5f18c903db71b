"""The graded-lab input frame from SDTM: ``LB`` records in standard units (with LBSTNRLO /
LBSTNRHI) and ``VS`` WEIGHT, each with its day since infusion and its baseline flag (LBBLFL /
VSBLFL, else the last record on or before infusion). Time and dates as in
:mod:`cartrial.safety.sdtm`; LB is read in batches of subjects (bounded memory, same result): a
study holding LB encoded decodes each batch's records only (:class:`_LbSource`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cartrial.data.batches import coded_subject_batches, in_row_order, records_at
from cartrial.data.compact import CompactFrame
from cartrial.data.domains import Domains
from cartrial.data.text import spread
from cartrial.data.validate_codes import column_codes, object_values
from cartrial.safety._frames import text_values, yes_flags
from cartrial.safety.lab_scope import KnownCodes, LabScope
from cartrial.safety.sdtm_base import (
    LAB_BATCH_SUBJECTS,
    _day,
    _dtc_codes,
    _read,
    _text,
    infusion_dates,
)


def lab_records(study, *, batch_subjects: int = LAB_BATCH_SUBJECTS,
                scope: LabScope | None = None) -> pd.DataFrame:
    """Graded-lab input frame (see :mod:`cartrial.safety.ctcae`) from LB, rows in LB order.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        SDTM domains: DM, LB (EX optional).
    batch_subjects : int, default 250
        Subjects per working batch: bounds memory, never changes the result.
    scope : LabScope, optional
        The tests the caller reads: the records of other tests are left out when the scope
        allows it for every batch (:mod:`cartrial.safety.lab_scope`), else every record is kept.

    Returns
    -------
    pandas.DataFrame
        USUBJID, SEQ, PARAMCD, AVAL, UNIT, LLN, ULN, DAY (since infusion), ABLFL (baseline Y).

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2026-03-02"]})
    >>> lb = pd.DataFrame({"USUBJID": "S1", "LBSEQ": [1, 2], "LBTESTCD": "PLAT",
    ...     "LBSTRESN": [150.0, 20.0], "LBDTC": ["2026-03-01", "2026-03-09"]})
    >>> lab_records({"DM": dm, "LB": lb})[["AVAL", "DAY", "ABLFL"]].to_numpy().tolist()
    [[150.0, -1.0, 'Y'], [20.0, 7.0, '']]
    """
    inf = infusion_dates(study)
    lb = _LbSource(study)
    subj, names = lb.codes("USUBJID")  # each subject looked up once
    keep = spread(pd.Index([str(u) for u in names]).isin(inf.index), subj, False)
    if "LBSPEC" in lb.columns:
        keep &= lb.mask("LBSPEC", lambda s: ~np.isin(text_values(s), ["URINE", "BONE MARROW"]))
    if "LBSTRESN" in lb.columns:
        keep &= lb.mask("LBSTRESN", lambda s: s.notna().to_numpy(dtype=bool))
    rows = np.flatnonzero(keep)
    used = [c for c in LB_READ[:-1] if c in lb.columns]
    batches = coded_subject_batches(subj[rows], names, batch_subjects)  # as the subjects sort

    dtc = lb.codes("LBDTC", parse=True) if "LBDTC" in lb.columns else None  # parsed once
    # each subject's infusion date, by its code: a batch's records look it up by code, not
    # by their text (a kept record's subject is infused); codes stand for the text when the
    # distinct values are text (str(u) is u), else the records are looked up as before
    by_code = all(type(u) is str for u in names)
    started = inf.reindex(pd.Index(names, dtype=object)).to_numpy() if by_code else None
    # each record's test code and baseline flag as text_values reads them, read once per
    # distinct value of the whole column and spread to each batch's records
    texts = {c: _text_codes(lb, c) for c in ("LBTESTCD", "LBBLFL") if c in lb.columns}

    def part(batch: np.ndarray) -> pd.DataFrame:
        at = rows[batch]
        return _lab_records_part(lb.take(used, at), inf, None if dtc is None else spread(
            dtc[1], dtc[0][at], np.datetime64("NaT", "ns")),
            subjects=subj[at] if by_code else None, started=started,
            texts={c: spread(up, codes[at], "") for c, (codes, up) in texts.items()})

    def known(batch: np.ndarray, made: pd.DataFrame) -> KnownCodes | None:
        """The codes the batch's records were made from (subjects, test codes) and their
        baseline flags as made ("Y" or ""), for the scope's question."""
        if not by_code or "LBTESTCD" not in texts:
            return None
        at = rows[batch]
        codes, up = texts["LBTESTCD"]
        return KnownCodes(subj[at], (codes[at], up), made["ABLFL"].to_numpy() == "Y")

    read = _read_tests(lb, rows, scope)
    if read is not None:
        try:
            return _scoped(part, batches, read, scope, known)
        except _EveryRecord:
            pass  # a batch needs the records of every test: all are kept, as without a scope
    return _placed(part, batches, len(rows))


def _text_codes(lb: _LbSource, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes of the column ``name``, ``text_values`` of each distinct value): a record's
    ``text_values`` is ``spread(values, codes, "")``."""
    codes, distinct = lb.codes(name)
    return codes, text_values(pd.Series(distinct, dtype=object))


class _EveryRecord(Exception):
    """A batch's records of tests outside the scope may not be left out."""


def _read_tests(lb: _LbSource, rows: np.ndarray, scope: LabScope | None) -> np.ndarray | None:
    """Which of the records ``rows`` are of the scope's tests (asked of LBTESTCD's distinct
    values); None when there is no scope or every record is."""
    if scope is None or "LBTESTCD" not in lb.columns:
        return None
    tests = list(scope.tests)
    read = lb.mask("LBTESTCD", lambda s: np.isin(text_values(s), tests))[rows]
    return None if read.all() else read


def _scoped(part: Callable[[np.ndarray], pd.DataFrame], batches: list[np.ndarray],
            read: np.ndarray, scope: LabScope,
            known: Callable[[np.ndarray, pd.DataFrame], KnownCodes | None]) -> pd.DataFrame:
    """:func:`_placed` of the ``read`` records only (each batch made whole, asked
    :meth:`LabScope.leaves_out`, then cut): ``lab_records(...)[read]`` with a fresh index;
    raises :class:`_EveryRecord` when a batch may not leave its other records out.
    ``known(batch, made)``: what the scope would read from the made batch, when known."""
    place = np.cumsum(read) - 1  # each read record's row in the frame

    def cut(batch: np.ndarray) -> pd.DataFrame:
        p, r = part(batch), read[batch]
        if not scope.leaves_out(p, r, known=known(batch, p)):
            raise _EveryRecord
        return p[r].reset_index(drop=True)

    return _placed(cut, batches, int(read.sum()),
                   places=[place[b[read[b]]] for b in batches])


#: the LB variables :func:`lab_records` reads (LBSPEC: only to leave records out)
LB_READ = ["USUBJID", "LBSEQ", "LBTESTCD", "LBSTRESN", "LBSTRESU", "LBSTNRLO", "LBSTNRHI",
           "LBDTC", "LBBLFL", "LBSPEC"]


class _LbSource:
    """LB's :data:`LB_READ` variables for :func:`lab_records`, a batch of records at a time.

    A study holding LB encoded (:class:`cartrial.data.compact.CompactFrame`, as the loader
    does) is never decoded whole (issue #18: ten variables of 3.5 million records, ~280 MiB at
    10,000 patients, were decoded and held while the records were made): a whole column is
    decoded only for its codes (USUBJID, LBDTC: the held ones, then freed), filters are asked
    of the distinct values, each batch decodes its own records. Any other study (a dict of
    frames) is read once as before; the batches are taken from that frame. Either way a batch
    is ``lb.iloc[rows][columns]`` with a fresh RangeIndex: the same frame."""

    def __init__(self, study) -> None:  # noqa: ANN001
        domains = getattr(study, "domains", None)
        held = domains.held("LB") if isinstance(domains, Domains) and "LB" in domains else None
        self._held = held if isinstance(held, CompactFrame) else None
        self._lb = None if self._held is not None else _read(study, "LB", LB_READ)
        have = self._held.columns if self._held is not None else self._lb.columns
        self.columns = [c for c in LB_READ if c in have]

    def _column(self, name: str) -> pd.DataFrame:
        return self._lb if self._held is None else self._held.frame([name])

    def codes(self, name: str, *, parse: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """:func:`column_codes` of a whole column (``parse``: :func:`_dtc_codes`)."""
        df = self._column(name)
        return _dtc_codes(df, name) if parse else column_codes(df[name])

    def mask(self, name: str, decide: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
        """``decide(lb[name])`` (element-wise), asked of the distinct values when encoded."""
        if self._held is None:
            return decide(self._lb[name])
        return self._held.mask(name, lambda s: pd.Series(decide(s), copy=False))

    def take(self, columns: list[str], at: np.ndarray) -> pd.DataFrame:
        return records_at(self._lb if self._held is None else self._held, at, columns,
                          labels=False)


def _placed(part: Callable[[np.ndarray], pd.DataFrame], batches: list[np.ndarray],
            n: int, places: list[np.ndarray] | None = None) -> pd.DataFrame:
    """``in_row_order([part(b) for b in batches], places)``, each batch's columns written into
    columns of the whole length as it is made: the batches are never all held and then joined
    (a large LB's records twice over: ~0.2 GB at 10,000 patients). ``places``: each part's rows
    in the frame (default: ``batches``). A part whose columns are not plain numpy arrays of the
    first part's dtypes (where a concat would convert) goes the general way."""
    places = batches if places is None else places
    out: dict[str, np.ndarray] = {}
    for b, at in zip(batches, places, strict=True):
        p = part(b)
        dtypes = dict(p.dtypes)
        if not out and all(isinstance(d, np.dtype) for d in dtypes.values()):
            out = {c: np.empty(n, dtype=d) for c, d in dtypes.items()}
        if list(dtypes.items()) != [(c, a.dtype) for c, a in out.items()]:  # in column order
            return in_row_order([part(b) for b in batches], places)
        for c in p.columns:
            out[c][at] = p[c].to_numpy()
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)


def _lab_records_part(lb: pd.DataFrame, inf: pd.Series, dt: np.ndarray | None = None, *,
                      subjects: np.ndarray | None = None, started: np.ndarray | None = None,
                      texts: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The records of ``lb`` as :func:`lab_records` gives them. ``dt``: their parsed LBDTC;
    ``subjects``: their USUBJID's codes (distinct codes, distinct subjects) and ``started``
    the infusion date of each code; ``texts``: ``text_values`` of their LBTESTCD / LBBLFL;
    each when the caller has them (a large LB's records are then not looked up or read as
    text again for every batch)."""
    texts = texts or {}
    out = pd.DataFrame({
        "USUBJID": lb["USUBJID"].astype(str).to_numpy(),
        "SEQ": lb["LBSEQ"].to_numpy(),
        "PARAMCD": texts["LBTESTCD"] if "LBTESTCD" in texts else text_values(lb["LBTESTCD"]),
        "AVAL": pd.to_numeric(lb["LBSTRESN"], errors="coerce").to_numpy(),
        # the text column's own values (to_numpy of a string column scans it for missing)
        "UNIT": object_values(lb["LBSTRESU"]) if "LBSTRESU" in lb else "",
        "LLN": pd.to_numeric(lb.get("LBSTNRLO"), errors="coerce").to_numpy()
        if "LBSTNRLO" in lb else np.nan,
        "ULN": pd.to_numeric(lb.get("LBSTNRHI"), errors="coerce").to_numpy()
        if "LBSTNRHI" in lb else np.nan,
    })
    out["DAY"] = _day(lb, "LBDTC", inf, domain="LB", seq="LBSEQ", dt=dt,
                      ref=None if subjects is None else started[subjects])
    flag = texts["LBBLFL"] if "LBBLFL" in texts else (
        text_values(lb["LBBLFL"]) if "LBBLFL" in lb else None)
    flagged = flag == "Y" if flag is not None else np.zeros(len(lb), bool)
    out["ABLFL"] = _baseline_flag(out, flagged, subjects)
    return out


def _baseline_flag(out: pd.DataFrame, flagged: np.ndarray,
                   subjects: np.ndarray | None = None) -> np.ndarray:
    """The --BLFL record when the subject x test has one, else the last one on or before day 0
    (``subjects``: the records' subject codes, when known; else USUBJID is factorised)."""
    u = pd.factorize(out["USUBJID"])[0] if subjects is None else subjects
    p = pd.factorize(out["PARAMCD"])[0]
    key = u.astype(np.int64) * (p.max(initial=0) + 1) + p  # one code per subject x test
    day, pre = out["DAY"].to_numpy(), np.flatnonzero(out["DAY"].to_numpy() <= 0)
    order = pre[np.lexsort((day[pre], key[pre]))]  # stable: records of one day in LB order
    derived = np.zeros(len(out), dtype=bool)  # the last of each subject x test's records
    derived[order[np.r_[key[order][1:] != key[order][:-1], True][:len(order)]]] = True
    return yes_flags(np.where(np.isin(key, key[flagged]), flagged, derived))


def weight_records(study) -> pd.DataFrame:
    """VS WEIGHT as graded-lab input (CTCAE v5.0 Weight loss, % change from baseline).

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        SDTM domains: DM, VS (EX optional).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`lab_records`, PARAMCD WEIGHT (kg).

    Examples
    --------
    >>> dm = pd.DataFrame({"USUBJID": ["S1"], "RFSTDTC": ["2026-03-02"]})
    >>> vs = pd.DataFrame({"USUBJID": "S1", "VSSEQ": [1, 2], "VSTESTCD": "WEIGHT",
    ...     "VSSTRESN": [80.0, 70.0], "VSDTC": ["2026-02-28", "2026-03-30"]})
    >>> weight_records({"DM": dm, "VS": vs})[["AVAL", "DAY", "ABLFL"]].to_numpy().tolist()
    [[80.0, -2.0, 'Y'], [70.0, 28.0, '']]
    """
    inf = infusion_dates(study)
    vs = _read(study, "VS", ["USUBJID", "VSSEQ", "VSTESTCD", "VSSTRESN", "VSSTRESU", "VSDTC",
                             "VSBLFL"], {"VSTESTCD": {"WEIGHT"}})
    w = vs[(_text(vs["VSTESTCD"]) == "WEIGHT") & vs["USUBJID"].astype(str).isin(inf.index)]
    w = w[w["VSSTRESN"].notna()].reset_index(drop=True)
    out = pd.DataFrame({"USUBJID": w["USUBJID"].astype(str), "SEQ": w["VSSEQ"],
                        "PARAMCD": "WEIGHT", "AVAL": pd.to_numeric(w["VSSTRESN"]),
                        "UNIT": w["VSSTRESU"] if "VSSTRESU" in w else "kg",
                        "LLN": np.nan, "ULN": np.nan})
    out["DAY"] = _day(w, "VSDTC", inf, domain="VS", seq="VSSEQ")
    flagged = (_text(w["VSBLFL"]) == "Y").to_numpy() if "VSBLFL" in w else np.zeros(len(w), bool)
    out["ABLFL"] = _baseline_flag(out, flagged)
    return out
