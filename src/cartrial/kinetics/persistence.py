"""CAR-T persistence: last quantifiable day and detectable CAR at monthly landmarks.

Registration secondary endpoint "persistence via CAR+ cell counts and CAR transgene level"
(issue #7). Per profile and landmark month m (day L = m x days_per_month, window w =
``persistence_window_days``):

- detectable: a quantifiable sample at or after L - w (TLST >= L - w);
- not detectable: no such sample, but the profile was sampled at or after L - w (TLOBS >= L - w);
- not evaluable (missing): follow-up ended before L - w.

A later quantifiable sample counts as detectable at earlier landmarks (PKNCA drops BLQs between
quantifiable samples by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.efficacy.binomial import exact_ci
from cartrial.kinetics._groups import require_columns
from cartrial.protocol.model import KineticsSettings


def month_column(month: float) -> str:
    """``DETM1`` for month 1, ``DETM12`` for month 12, ``DETM1P5`` for 1.5.

    Parameters
    ----------
    month : float
        Landmark month after infusion.

    Returns
    -------
    str
        Column name of the landmark in :func:`persistence`.

    Examples
    --------
    >>> month_column(3), month_column(1.5)
    ('DETM3', 'DETM1P5')
    """
    text = f"{month:g}".replace(".", "P")
    return f"DETM{text}"


def persistence(
    nca_table: pd.DataFrame,
    settings: KineticsSettings | None = None,
    *,
    by: Sequence[str] = ("USUBJID",),
    days_per_month: float = 30.4375,
) -> pd.DataFrame:
    """Per profile: TLST (last quantifiable day), TLOBS and one nullable-boolean column per
    landmark month (``DETM1``, ``DETM3``, ...).

    Parameters
    ----------
    nca_table : pandas.DataFrame
        The table returned by :func:`nca` (the ``by`` columns, TLST and TLOBS, days from
        infusion; TLST NaN when nothing was quantifiable).
    settings : KineticsSettings, optional
        ``protocol.kinetics`` (``persistence_months``, ``persistence_window_days``); the
        defaults (months 1, 3, 6, 12; window 7 days) when omitted.
    by : sequence of str, default ("USUBJID",)
        Columns identifying one profile.
    days_per_month : float, default 30.4375
        Days in a month (365.25 / 12): landmark day = month x days_per_month.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, TLST, TLOBS and one column per landmark month: True (detectable),
        False (sampled, not detectable), <NA> (follow-up ended before the window opened).

    Raises
    ------
    InputError
        When a needed column is absent.

    Examples
    --------
    Patient 02's last quantifiable day 20 is before the month-1 window (30.4 - 7 days).

    >>> t = pd.DataFrame({"USUBJID": ["01", "02", "03"], "TLST": [100.0, 20.0, np.nan],
    ...                   "TLOBS": [200.0, 120.0, 14.0]})
    >>> pe = persistence(t)
    >>> pe[["USUBJID", "DETM1", "DETM3", "DETM6"]]
      USUBJID  DETM1  DETM3  DETM6
    0      01   True   True  False
    1      02  False  False   <NA>
    2      03   <NA>   <NA>   <NA>
    """
    s = settings or KineticsSettings()
    by = list(by)
    require_columns(nca_table, [*by, "TLST", "TLOBS"], where="persistence")
    out = nca_table[[*by, "TLST", "TLOBS"]].copy()
    tlst = out["TLST"].to_numpy(dtype=float)
    tobs = out["TLOBS"].to_numpy(dtype=float)
    for m in s.persistence_months:
        start = m * days_per_month - s.persistence_window_days
        det = np.isfinite(tlst) & (tlst >= start)
        evaluable = det | (np.isfinite(tobs) & (tobs >= start))
        col = pd.array(det, dtype="boolean")
        col[~evaluable] = pd.NA
        out[month_column(m)] = col
    out.attrs["method"] = {
        "landmark_day": "month x days_per_month",
        "days_per_month": days_per_month,
        "window_days": s.persistence_window_days,
        "detectable": "a quantifiable sample at or after landmark - window",
    }
    return out


def persistence_summary(
    per_profile: pd.DataFrame,
    settings: KineticsSettings | None = None,
    *,
    by: Sequence[str] = (),
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Share of evaluable patients with detectable CAR at each landmark, Clopper-Pearson CI.

    Parameters
    ----------
    per_profile : pandas.DataFrame
        The table returned by :func:`persistence` (plus the ``by`` columns).
    settings : KineticsSettings, optional
        ``protocol.kinetics`` (``persistence_months``, ``persistence_window_days``); the
        defaults (months 1, 3, 6, 12; window 7 days) when omitted.
    by : sequence of str, default ()
        Grouping columns (e.g. the dose level); none gives one row per month.
    confidence_level : float, default 0.95
        Coverage of the exact interval.

    Returns
    -------
    pandas.DataFrame
        Columns by..., month, n_evaluable, n_detectable, pct, ci_low, ci_high (percent; NaN
        when no patient is evaluable).

    Raises
    ------
    InputError
        When a needed column is absent.

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.

    Examples
    --------
    One detectable of two evaluable: 50 % (1.3 %, 98.7 %), as R ``binom.test(1, 2)``.

    >>> t = pd.DataFrame({"USUBJID": ["01", "02", "03"], "TLST": [100.0, 20.0, np.nan],
    ...                   "TLOBS": [200.0, 120.0, 14.0]})
    >>> pe = persistence(t)
    >>> persistence_summary(pe).round(1).iloc[:2]
       month  n_evaluable  n_detectable   pct  ci_low  ci_high
    0    1.0            2             1  50.0     1.3     98.7
    1    3.0            2             1  50.0     1.3     98.7
    """
    s = settings or KineticsSettings()
    by = list(by)
    cols = [month_column(m) for m in s.persistence_months]
    require_columns(per_profile, [*by, *cols], where="persistence_summary")
    long = per_profile[by + cols].melt(
        id_vars=by, value_vars=cols, var_name="col", value_name="det"
    )
    long["evaluable"] = long["det"].notna()
    long["detected"] = long["det"].fillna(False).astype(bool)
    agg = (
        long.groupby([*by, "col"], sort=False, dropna=False)
        .agg(n_evaluable=("evaluable", "sum"), n_detectable=("detected", "sum"))
        .reset_index()
    )
    months = dict(zip(cols, s.persistence_months, strict=True))
    agg["month"] = agg["col"].map(months)
    k = agg["n_detectable"].to_numpy()
    n = agg["n_evaluable"].to_numpy()
    lo, hi = exact_ci(k, n, confidence_level)
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["pct"] = np.where(n > 0, 100.0 * k / np.maximum(n, 1), np.nan)
    agg["ci_low"], agg["ci_high"] = 100.0 * lo, 100.0 * hi
    agg = agg.sort_values([*by, "month"], kind="stable").reset_index(drop=True)
    return agg[[*by, "month", "n_evaluable", "n_detectable", "pct", "ci_low", "ci_high"]]
