"""Terminal elimination rate (lambda_z) of many profiles at once, PKNCA's selection rule.

Log-linear regression on the last n quantifiable points after Tmax (Tmax excluded), n at least
``lambda_z_min_points``; among fits with lambda_z > 0, those whose adjusted R^2 is within
``lambda_z_adj_r2_tolerance`` of the best, the one with most points (PKNCA ``R/half.life.R``,
read for its rule; Denney W et al., J Pharmacokinet Pharmacodyn 2015;42:S65). Every candidate
fit of every profile comes from suffix sums in closed form: no loop per patient.
"""

from __future__ import annotations

import numpy as np

from cartrial.kinetics._auc import last_in_group
from cartrial.kinetics._groups import group_reduce
from cartrial.protocol.model import KineticsSettings


def _suffix_sums(columns: list[np.ndarray], pos_from_end: np.ndarray) -> list[np.ndarray]:
    """Sum of each column over rows i..last of row i's group (rows sorted by group and time).

    Built one position from the end at a time (a loop over candidate sizes, vectorised over
    groups), so that no sum crosses a group and rounding stays within each profile.
    """
    out = [np.zeros_like(c) for c in columns]
    if pos_from_end.size == 0:
        return out
    for k in range(int(pos_from_end.max()) + 1):
        rows = np.flatnonzero(pos_from_end == k)
        for c, o in zip(columns, out, strict=True):
            o[rows] = c[rows] + (o[rows + 1] if k else 0.0)
    return out


def lambda_z_fit(
    g: np.ndarray, t: np.ndarray, c: np.ndarray, n_groups: int, s: KineticsSettings
) -> dict[str, np.ndarray]:
    """Best lambda_z fit per group over candidate "last n points" fits, all groups at once.

    Rows are the quantifiable points after Tmax, sorted by (group, time). Row i stands for the
    fit on points i..last of its group (n = last - i + 1); suffix sums give every candidate's
    regression in closed form.

    Parameters
    ----------
    g : numpy.ndarray
        Profile index of each point (0 .. n_groups - 1).
    t, c : numpy.ndarray
        Time and concentration (> 0) of each point.
    n_groups : int
        Number of profiles.
    s : KineticsSettings
        Minimum points and the adjusted R^2 tolerance.

    Returns
    -------
    dict of str to numpy.ndarray
        Per profile: LAMZ, INTERCEPT (of log c on t), LAMZNPT, LAMZLL, LAMZUL, R2, R2ADJ
        (NaN where no fit qualifies).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([1.0, 2.0, 3.0])
    >>> fit = lambda_z_fit(np.zeros(3, int), t, 8 * 2.0 ** -t, 1, KineticsSettings())
    >>> round(float(np.log(2) / fit["LAMZ"][0]), 6), int(fit["LAMZNPT"][0])
    (1.0, 3)
    """
    out = {
        k: np.full(n_groups, np.nan)
        for k in ("LAMZ", "INTERCEPT", "LAMZNPT", "LAMZLL", "LAMZUL", "R2", "R2ADJ")
    }
    if g.size == 0:
        return out
    last = last_in_group(g, n_groups)[g]
    pos = last - np.arange(g.size)
    n = (pos + 1).astype(float)
    # Centre on each profile's last point: smaller sums, less cancellation in SSxx / SSyy.
    t0, y0 = t[last], np.log(c[last])
    x = t - t0
    y = np.log(c) - y0
    sx, sy, sxx, syy, sxy = _suffix_sums([x, y, x * x, y * y, x * y], pos)
    with np.errstate(divide="ignore", invalid="ignore"):
        ssxx = sxx - sx * sx / n
        ssyy = np.maximum(syy - sy * sy / n, 0.0)
        ssxy = sxy - sx * sy / n
        slope = ssxy / ssxx
        r2 = np.where(ssyy > 0, np.minimum(ssxy * ssxy / (ssxx * ssyy), 1.0), np.nan)
        adj = 1.0 - (1.0 - r2) * (n - 1.0) / (n - 2.0)
    valid = (n >= s.lambda_z_min_points) & (slope < 0) & np.isfinite(adj)
    best = group_reduce(np.maximum, adj[valid], g[valid], n_groups, -np.inf)
    within = valid & (adj >= best[g] - s.lambda_z_adj_r2_tolerance)
    n_sel = group_reduce(np.maximum, n[within], g[within], n_groups, -np.inf)
    rows = np.flatnonzero(within & (n == n_sel[g]))
    gs = g[rows]
    out["LAMZ"][gs] = -slope[rows]
    # Back from centred coordinates: log c = y0 + a' + b (t - t0).
    out["INTERCEPT"][gs] = (
        y0[rows] + (sy[rows] - slope[rows] * sx[rows]) / n[rows] - (slope[rows] * t0[rows])
    )
    out["LAMZNPT"][gs] = n[rows]
    out["LAMZLL"][gs] = t[rows]
    out["LAMZUL"][gs] = t[last[rows]]
    out["R2"][gs] = r2[rows]
    out["R2ADJ"][gs] = adj[rows]
    return out
