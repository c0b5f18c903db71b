"""Checked inputs of the survival analyses: days to months, event flags and group labels.

Every survival analysis of :mod:`cartrial.efficacy` takes times in days (ADaM ``AVAL``) and
converts them once here with the stated ``days_per_month``, so each output can say which month
it used. Missing or invalid values raise :class:`~cartrial.errors.InputError` naming the
position (and the subject when ``ids`` are given); nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.efficacy.km import _check_inputs
from cartrial.errors import InputError
from cartrial.protocol.model import EndpointSettings

DAYS_PER_MONTH: float = EndpointSettings.model_fields["days_per_month"].default


def _where(bad: np.ndarray, ids: Sequence[object] | None) -> str:
    pos = np.flatnonzero(bad)[:5]
    if ids is None:
        return f"position(s) {pos.tolist()}"
    return f"subject(s) {[str(np.asarray(ids, dtype=object)[i]) for i in pos]}"


def months_and_events(
    time_days: Sequence[float] | np.ndarray | pd.Series,
    event: Sequence[bool] | np.ndarray | pd.Series,
    days_per_month: float = DAYS_PER_MONTH,
) -> tuple[np.ndarray, np.ndarray]:
    """Times in months and boolean event flags, checked.

    Parameters
    ----------
    time_days : array_like
        Time to event or censoring in days, >= 0, no missing value.
    event : array_like
        True (or 1) for an event, False (0) for censored; never ADaM ``CNSR``.
    days_per_month : float
        Days in a month (default 30.4375 = 365.25 / 12).

    Returns
    -------
    tuple of numpy.ndarray
        (months, event as bool).

    Raises
    ------
    InputError
        Shapes differ, a time is missing or negative, an event flag is not 0/1, or
        ``days_per_month`` is not positive.

    Examples
    --------
    >>> months_and_events([30.4375, 60.875], [1, 0])[0].tolist()
    [1.0, 2.0]
    """
    if not (np.isfinite(days_per_month) and days_per_month > 0):
        raise InputError(f"days_per_month must be a positive number, got {days_per_month!r}")
    t, ev = _check_inputs(time_days, event)
    return t / days_per_month, ev


def labels(
    values: Sequence[object] | np.ndarray | pd.Series,
    n: int,
    what: str,
    ids: Sequence[object] | None = None,
) -> np.ndarray:
    """Group or stratum labels as an object array of length ``n``; missing labels are an error.

    Parameters
    ----------
    values : array_like
        One label per subject.
    n : int
        Expected length (the number of times).
    what : str
        Name used in error messages ("group", "strata").
    ids : sequence, optional
        Subject identifiers, named in error messages.

    Returns
    -------
    numpy.ndarray
        The labels (dtype object).

    Raises
    ------
    InputError
        Wrong length or a missing label.

    Examples
    --------
    >>> labels([1, 2], 2, "group").tolist()
    [1, 2]
    """
    v = np.asarray(pd.Series(values, dtype=object), dtype=object)
    if v.shape != (n,):
        raise InputError(f"{what} must have one label per observation ({n}), got shape {v.shape}")
    miss = pd.isna(pd.Series(v)).to_numpy()
    if miss.any():
        raise InputError(f"{what} is missing at {_where(miss, ids)}; every subject needs one")
    return v


def ordered_levels(v: np.ndarray, order: Sequence[object] | None = None) -> list[object]:
    """Distinct labels in ``order`` (when given; labels not in it are an error) or sorted."""
    present = list(pd.unique(pd.Series(v, dtype=object)))
    if order is None:
        try:
            return sorted(present)
        except TypeError:
            return sorted(present, key=str)
    unknown = [x for x in present if x not in list(order)]
    if unknown:
        raise InputError(f"labels {unknown[:5]} are not in the given order {list(order)}")
    return [x for x in order if x in present]
