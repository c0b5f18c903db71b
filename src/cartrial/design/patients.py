"""Build a :class:`TrialState` from one row per treated patient (the design knows no SDTM).

Conduct (``cartrial decide``) derives this table from SDTM; tests and users can write it by hand.
Columns (TITE follow-up as Yuan Y et al., Clin Cancer Res 2018;24:4921-30):

- ``subject`` (str): subject identifier, used in error messages;
- ``dose_level`` (int, 1-based): dose level the patient received;
- ``dlt`` (bool): a DLT was observed (True/False; "Y"/"N", "true"/"false" and 1/0 are read as
  the same, anything else is an error);
- ``follow_up_days`` (float >= 0): days since infusion at the decision date; a patient without a
  DLT and with less than the DLT window of follow-up is *pending*;
- ``backfill`` (bool, optional, default False): the patient was backfilled (BF-BOIN);
- ``response`` (bool, optional): the patient responded (BF-BOIN's activity condition);
- ``cohort`` (int, optional): escalation cohort number; the current dose is the dose of the
  highest cohort and that cohort's counts give ``last_cohort`` (CRM coherence). Without it the
  current dose is the dose of the last non-backfill row (rows in enrolment order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.design.state import PendingPatient, TrialState
from cartrial.errors import InputError, RecordError, require_columns

REQUIRED_COLUMNS = ("subject", "dose_level", "dlt", "follow_up_days")
_FLAG = {
    True: True,
    False: False,
    "Y": True,
    "N": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    "TRUE": True,
    "FALSE": False,
    "1": True,
    "0": False,
}


def _flags(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(parsed booleans, mask of values that are not a recognised flag)."""
    parsed = np.zeros(len(values), dtype=bool)
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        key = v.item() if isinstance(v, np.generic) else v
        if isinstance(key, int | float) and not isinstance(key, bool) and key in (0, 1):
            key = bool(key)  # 1 / 0 (also 1.0 / 0.0 from a CSV column with blanks)
        try:
            parsed[i] = _FLAG[key]
        except (KeyError, TypeError):
            bad[i] = True
    return parsed, bad


OPTIONAL_COLUMNS = ("backfill", "response", "cohort")


def _bad(df: pd.DataFrame, mask: np.ndarray, variable: str, rule: str) -> None:
    if mask.any():
        i = int(np.argmax(mask))
        raise RecordError(
            domain="design",
            usubjid=str(df["subject"].iloc[i]),
            seq=i + 1,
            variable=variable,
            value=df[variable].iloc[i],
            rule=rule,
        )


def state_from_patients(
    patients: pd.DataFrame,
    n_doses: int,
    *,
    dlt_window: float,
    current_level: int | None = None,
    eliminated: tuple[int, ...] = (),
) -> TrialState:
    """Per-dose n and y, pending patients with their follow-up, backfill counts, current dose
    and last cohort from a patient table (columns in the module docstring).

    ``current_level`` (1-based) overrides the current dose; ``eliminated`` (0-based) carries
    eliminations decided earlier. Bad rows raise :class:`RecordError` naming subject, row,
    variable, value and rule; nothing is dropped.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per treated patient: ``subject``, ``dose_level`` (1-based), ``dlt``,
        ``follow_up_days``, optional ``backfill``, ``response``, ``cohort``.
    n_doses : int
        Number of dose levels.
    dlt_window : float
        DLT window in days; a patient without DLT followed for less is pending.
    current_level : int, optional
        1-based current dose (default: from ``cohort`` or the last non-backfill row).
    eliminated : tuple of int, default ()
        0-based doses eliminated earlier.

    Returns
    -------
    TrialState
        Counts per dose (0-based), pending patients, backfill counts, current dose, last cohort.

    Raises
    ------
    InputError
        When ``n_doses`` < 1, ``dlt_window`` <= 0 or a required column is missing.
    RecordError
        When a row's value is unusable (names subject, row, variable, value and rule).

    Examples
    --------
    Three patients at level 1 (one DLT), one at level 2 followed 7 of 28 days (pending):

    >>> p = pd.DataFrame({"subject": ["01", "02", "03", "04"], "dose_level": [1, 1, 1, 2],
    ...                   "dlt": ["N", "N", "Y", "N"], "follow_up_days": [28, 28, 10, 7]})
    >>> s = state_from_patients(p, 3, dlt_window=28)
    >>> s.n, s.y, s.current, s.pending
    ((3, 1, 0), (1, 0, 0), 1, (PendingPatient(dose=1, follow_up=7.0),))
    """
    if n_doses < 1:
        raise InputError(f"state_from_patients: n_doses must be >= 1, but was {n_doses!r}")
    if not dlt_window > 0:
        raise InputError(f"state_from_patients: dlt_window must be > 0 days, was {dlt_window!r}")
    require_columns(patients, REQUIRED_COLUMNS, where="patient table")
    df = patients.reset_index(drop=True)
    if df.empty:
        start = 0 if current_level is None else current_level - 1
        return TrialState(n=(0,) * n_doses, y=(0,) * n_doses, current=start, eliminated=eliminated)
    dose, is_dlt, f, is_bf, responses = _rows(df, n_doses)
    n = np.bincount(dose, minlength=n_doses)
    y = np.bincount(dose[is_dlt], minlength=n_doses)
    pend_mask = ~is_dlt & (f < dlt_window)
    pending = tuple(
        PendingPatient(int(d), float(v)) for d, v in zip(dose[pend_mask], f[pend_mask], strict=True)
    )
    bn = np.bincount(dose[is_bf], minlength=n_doses)
    by = np.bincount(dose[is_bf & is_dlt], minlength=n_doses)
    cur, last_cohort = _current(df, dose, is_dlt, is_bf)
    if current_level is not None:
        if not 1 <= current_level <= n_doses:
            raise InputError(f"current_level must be in 1..{n_doses}, was {current_level!r}")
        cur = current_level - 1
    return TrialState(
        n=tuple(int(v) for v in n),
        y=tuple(int(v) for v in y),
        current=cur,
        pending=pending,
        dlt_window=float(dlt_window),
        backfill_n=tuple(int(v) for v in bn) if is_bf.any() else None,
        backfill_y=tuple(int(v) for v in by) if is_bf.any() else None,
        last_cohort=last_cohort,
        eliminated=eliminated,
        responses=responses,
    )


def _rows(df: pd.DataFrame, n_doses: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, ...] | None]:
    """Each row checked and read: (0-based dose, DLT, follow-up days, backfill, responders per
    dose or None); the first bad value raises :class:`RecordError`."""
    _bad(df, df["subject"].isna().to_numpy(), "subject", "subject must be given")
    _bad(df, df["subject"].duplicated().to_numpy(), "subject", "one row per subject")
    lvl = pd.to_numeric(df["dose_level"], errors="coerce")
    ok_lvl = lvl.notna() & (lvl == lvl.round()) & (lvl >= 1) & (lvl <= n_doses)
    _bad(df, ~ok_lvl.to_numpy(), "dose_level", f"dose_level must be an integer in 1..{n_doses}")
    is_dlt, bad_dlt = _flags(df["dlt"])
    _bad(df, bad_dlt, "dlt", "dlt must be True/False (or Y/N, 1/0)")
    fu = pd.to_numeric(df["follow_up_days"], errors="coerce")
    _bad(
        df,
        ~(fu.notna() & (fu >= 0)).to_numpy(),
        "follow_up_days",
        "follow_up_days must be a number >= 0 (days since infusion)",
    )
    bf = df["backfill"] if "backfill" in df.columns else pd.Series(False, index=df.index)
    is_bf, bad_bf = _flags(bf)
    _bad(df.assign(backfill=bf), bad_bf, "backfill", "backfill must be True/False (or Y/N, 1/0)")
    responses = None
    dose = lvl.to_numpy(dtype=np.int64) - 1
    if "response" in df.columns:
        is_resp, bad_resp = _flags(df["response"])
        _bad(df, bad_resp, "response", "response must be True/False (or Y/N, 1/0)")
        responses = tuple(int(v) for v in np.bincount(dose[is_resp], minlength=n_doses))
    return dose, is_dlt, fu.to_numpy(dtype=float), is_bf, responses


def _current(df: pd.DataFrame, dose: np.ndarray, is_dlt: np.ndarray, is_bf: np.ndarray
             ) -> tuple[int, tuple[int, int, int] | None]:
    """(current dose, last escalation cohort as (dose, n, DLTs) or None): the dose of the highest
    ``cohort`` among escalation rows, else of the last escalation row; 0 with none."""
    esc = ~is_bf
    if "cohort" not in df.columns:
        return (int(dose[esc][-1]) if esc.any() else 0), None
    coh = pd.to_numeric(df["cohort"], errors="coerce")
    _bad(
        df,
        (esc & ~(coh.notna() & (coh == coh.round()))).to_numpy(),
        "cohort",
        "escalation patients need an integer cohort number",
    )
    if not esc.any():
        return 0, None
    last = np.nanmax(coh.to_numpy()[esc])
    sel = esc & (coh.to_numpy() == last)
    doses_last = np.unique(dose[sel])
    if doses_last.size != 1:
        _bad(
            df,
            sel & (dose != doses_last[0]),
            "dose_level",
            f"all patients of cohort {int(last)} must receive the same dose",
        )
    cur = int(doses_last[0])
    return cur, (cur, int(sel.sum()), int((sel & is_dlt).sum()))
