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
    """``DETM1`` for month 1, ``DETM12`` for month 12, ``DETM1P5`` for 1.5."""
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
    landmark month (``DETM1``, ``DETM3``, ...). Input: the table returned by :func:`nca`."""
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

    Columns: by..., month, n_evaluable, n_detectable, pct, ci_low, ci_high (percent).
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
