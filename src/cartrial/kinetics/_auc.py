"""Trapezoid areas and interpolation (PKNCA "lin up/log down", "linear").

Linear trapezoid: (t2 - t1) (c1 + c2) / 2. Log trapezoid, used under lin-up/log-down only on a
falling segment with both concentrations > 0: (t2 - t1) (c1 - c2) / ln(c1 / c2). Interpolation
inside a segment follows the same rule (log-linear on a log segment, linear otherwise).
"""

from __future__ import annotations

import numpy as np

from cartrial.kinetics._groups import group_starts


def log_segments(c1: np.ndarray, c2: np.ndarray, method: str) -> np.ndarray:
    """True where the log trapezoid applies (lin-up/log-down, falling, both > 0)."""
    if method == "linear":
        return np.zeros(np.shape(c1), dtype=bool)
    return (c2 < c1) & (c2 > 0) & (c1 > 0)


def segment_area(
    t1: np.ndarray, c1: np.ndarray, t2: np.ndarray, c2: np.ndarray, use_log: np.ndarray
) -> np.ndarray:
    dt = t2 - t1
    lin = dt * (c1 + c2) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = dt * (c1 - c2) / np.log(c1 / c2)
    return np.where(use_log, lg, lin)


def interpolate(
    t1: np.ndarray,
    c1: np.ndarray,
    t2: np.ndarray,
    c2: np.ndarray,
    t: np.ndarray,
    use_log: np.ndarray,
) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(t2 > t1, (t - t1) / (t2 - t1), 0.0)
        lin = c1 + (c2 - c1) * f
        lg = np.exp(np.log(c1) + (np.log(c2) - np.log(c1)) * f)
    return np.where(use_log, lg, lin)


def grouped_auc(
    gid: np.ndarray,
    t: np.ndarray,
    c: np.ndarray,
    n_groups: int,
    end: np.ndarray,
    method: str,
) -> np.ndarray:
    """AUC of each group's profile from its first point to ``end[g]`` (inf = to its last point).

    Rows must be sorted by (gid, t) with unique times per group. A segment crossing ``end`` is
    cut at ``end`` with the interpolated concentration. Ends beyond the last point are integrated
    to the last point only; the caller decides whether that is acceptable.
    """
    if gid.size == 0:
        return np.zeros(n_groups)
    same = gid[1:] == gid[:-1]
    g = gid[:-1][same]
    t1, t2 = t[:-1][same], t[1:][same]
    c1, c2 = c[:-1][same], c[1:][same]
    e = end[g]
    use_log = log_segments(c1, c2, method)
    full = t2 <= e
    cut = (t1 < e) & (t2 > e)
    te = np.where(cut, e, t2)
    ce = interpolate(t1, c1, t2, c2, te, use_log)
    area = np.where(full | cut, segment_area(t1, c1, te, ce, use_log), 0.0)
    return np.bincount(g, weights=area, minlength=n_groups)


def last_in_group(gid_sorted: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the last row of each group (-1 for groups without rows)."""
    out = np.full(n_groups, -1, dtype=np.int64)
    starts = group_starts(gid_sorted)
    if starts.size:
        ends = np.r_[starts[1:], gid_sorted.size] - 1
        out[gid_sorted[starts]] = ends
    return out


def partial_auc_after_tlast(
    auc: np.ndarray, day: float, auclst: np.ndarray, tlast: np.ndarray, clast: np.ndarray,
    tblq: np.ndarray, blq_after_tlast: str, partial_type: str,
) -> np.ndarray:
    """Partial AUC whose end day lies between Tlast and the first kept trailing BLQ sample.

    PKNCA 0.12.1 ``pk.calc.aucint``: the concentration at the end day is extrapolated, not
    interpolated toward the BLQ; ``aucint.last`` (its default type, AUClast) extrapolates with 0,
    so nothing is added past Tlast; ``aucint.all`` (AUCall) interpolates linearly from Clast to
    0 at the BLQ and integrates with the log trapezoid ("AUCint extrapolates beyond Tlast using
    logarithmic extrapolation, regardless of the method", PKNCA 0.12.0 NEWS). A trailing BLQ
    sample inside the interval closes the area with the usual segment in both.
    """
    if blq_after_tlast != "zero":  # no trailing BLQ is kept: the caller's rules apply
        return auc
    inside = np.isfinite(tlast) & (tlast < day) & (tblq > day)
    if partial_type == "last":
        return np.where(inside, auclst, auc)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_end = clast * (tblq - day) / (tblq - tlast)
        tail = (day - tlast) * (clast - c_end) / np.log(clast / c_end)
    return np.where(inside, auclst + tail, auc)
