"""Serum cytokines (IL-2, IL-6, IL-8, IL-10, IFN-gamma, TNF-alpha) to week 4.

Per patient and cytokine (issue #7 item 2):

- BASE: the last sample at or before infusion (day <= 0);
- PEAK, TPEAK: the maximum after infusion up to ``cytokine_end_day`` and its first time;
- FCPEAK: PEAK / BASE (missing when BASE is missing or 0);
- AUC0_<end>: trapezoid AUC from day 0 (BASE placed at day 0 when no day-0 sample) to the end
  day, interpolated inside a segment; missing (flag AUC_PARTIAL) when the profile ends before
  the end day by more than ``auc_end_tolerance_days``, integrated to the last sample (flag
  AUC_TRUNC) within that tolerance.

BLQ results take ``cytokine_blq`` (LLOQ/2 by default, so fold changes stay finite).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.kinetics._auc import grouped_auc
from cartrial.kinetics._groups import (
    as_bool,
    as_float,
    first_bad,
    group_ids_one_per_time,
    group_reduce,
    positional,
    require_columns,
    sampling_times,
)
from cartrial.kinetics.nca import _flags_column
from cartrial.protocol.model import KineticsSettings

CYTOKINE_FLAGS = {
    "NO_BASE": "no sample at or before infusion: BASE and FCPEAK missing",
    "NO_POST": "no sample after infusion up to the end day: PEAK missing",
    "BASE_ZERO": "BASE is 0: FCPEAK missing",
    "AUC_TRUNC": "AUC integrated to a last sample within tolerance of the end day",
    "AUC_PARTIAL": "AUC missing: the profile ends before the end day",
}


def cytokine_auc_code(settings: KineticsSettings | None = None) -> str:
    """Column code of the cytokine AUC from day 0 to ``cytokine_end_day``.

    Parameters
    ----------
    settings : KineticsSettings, optional
        ``protocol.kinetics``; the default end day 28 when omitted.

    Returns
    -------
    str
        ``AUC0_<end day>`` (a decimal point written P).

    Examples
    --------
    >>> cytokine_auc_code()
    'AUC0_28'
    """
    s = settings or KineticsSettings()
    return f"AUC0_{s.cytokine_end_day:g}".replace(".", "P")


def cytokine_parameters(
    data: pd.DataFrame,
    settings: KineticsSettings | None = None,
    *,
    by: Sequence[str] = ("USUBJID", "CYTOKINE"),
    domain: str = "LB",
    seq_col: str | None = None,
) -> pd.DataFrame:
    """BASE, PEAK, TPEAK, FCPEAK, AUC0_28 and FLAGS per patient and cytokine.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per result: the ``by`` columns, ``time_days`` (days from infusion, day 0 =
        infusion, <= 0 pre-infusion), ``value`` (concentration, e.g. pg/mL), ``blq`` (bool)
        and ``lloq`` (required for BLQ rows unless ``cytokine_blq`` is "zero").
    settings : KineticsSettings, optional
        ``protocol.kinetics`` (end day, BLQ imputation, AUC method); defaults when omitted.
    by : sequence of str, default ("USUBJID", "CYTOKINE")
        Columns identifying one patient's profile of one cytokine.
    domain, seq_col : str
        Named in errors (e.g. ``"LB"``, ``"LBSEQ"``).

    Returns
    -------
    pandas.DataFrame
        One row per profile: the ``by`` columns, BASE, PEAK, TPEAK (day), FCPEAK (PEAK /
        BASE), the AUC of :func:`cytokine_auc_code` and FLAGS (codes of ``CYTOKINE_FLAGS``).

    Raises
    ------
    InputError
        When a needed column is absent.
    RecordError
        When a time or value cannot be read, or a profile has two results at one time.

    Examples
    --------
    Linear trapezoids by hand: 27.5 + 250 + 440 + 262.5 = 980.

    >>> d = pd.DataFrame({"USUBJID": "01", "CYTOKINE": "IL6", "time_days": [0, 1, 3, 7, 28],
    ...                   "value": [5.0, 50.0, 200.0, 20.0, 5.0], "blq": False})
    >>> [float(v) for v in cytokine_parameters(d).iloc[0, 2:7]]
    [5.0, 200.0, 3.0, 40.0, 980.0]
    """
    s = settings or KineticsSettings()
    by = list(by)
    require_columns(data, [*by, "time_days", "value", "blq"], where="cytokine_parameters")
    df = positional(data)
    t = sampling_times(df, domain=domain, seq_col=seq_col)
    val = _values(df, s, domain, seq_col)
    g0, keys = group_ids_one_per_time(df, by, t, domain=domain, seq_col=seq_col,
                                      what="results for one patient and cytokine")
    n = len(keys)
    o = np.lexsort((t, g0))
    g, t, val = g0[o], t[o], val[o]

    pre = t <= 0
    t_base = group_reduce(np.maximum, t[pre], g[pre], n, -np.inf)
    at_base = pre & (t == t_base[g])
    base = np.where(
        np.isfinite(t_base), group_reduce(np.maximum, val[at_base], g[at_base], n, -np.inf), np.nan
    )
    end = s.cytokine_end_day
    win = (t > 0) & (t <= end)
    peak = group_reduce(np.maximum, val[win], g[win], n, -np.inf)
    at_peak = win & (val == peak[g])
    tpeak = group_reduce(np.minimum, t[at_peak], g[at_peak], n, np.inf)
    has_post = np.isfinite(peak)
    peak[~has_post] = np.nan
    tpeak[~np.isfinite(tpeak)] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        fc = np.where(base > 0, peak / base, np.nan)
    auc, in_tol = _auc_from_day0(g, t, val, base, n, s)

    out = {k: keys[k].to_numpy() for k in by}
    out.update(
        {"BASE": base, "PEAK": peak, "TPEAK": tpeak, "FCPEAK": fc, cytokine_auc_code(s): auc}
    )
    out["FLAGS"] = _flags_column(
        {
            "NO_BASE": ~np.isfinite(base),
            "NO_POST": ~has_post,
            "BASE_ZERO": base == 0,
            "AUC_TRUNC": in_tol,
            "AUC_PARTIAL": ~np.isfinite(auc),
        },
        n,
    )
    res = pd.DataFrame(out)
    res.attrs["method"] = {
        "baseline": "last sample at or before day 0",
        "peak_window_days": [0, end],
        "blq": s.cytokine_blq,
        "auc_method": s.cytokine_auc_method,
        "auc_end_tolerance_days": s.auc_end_tolerance_days,
    }
    return res


def _values(df: pd.DataFrame, s: KineticsSettings, domain: str, seq_col: str | None
            ) -> np.ndarray:
    """Each result as a number: BLQ results imputed by ``cytokine_blq`` (0, LLOQ/2 or LLOQ)."""
    v = as_float(df, "value", domain=domain, seq_col=seq_col)
    blq = as_bool(df, "blq", domain=domain, seq_col=seq_col)
    first_bad(
        df,
        ~blq & ~(np.isfinite(v) & (v >= 0)),
        domain=domain,
        variable="value",
        seq_col=seq_col,
        rule="a quantifiable cytokine result must be a finite number >= 0",
    )
    if s.cytokine_blq == "zero":
        imputed = np.zeros_like(v)
    else:
        if "lloq" not in df.columns:
            first_bad(
                df,
                blq,
                domain=domain,
                variable="blq",
                seq_col=seq_col,
                rule=f"BLQ result needs an lloq column (cytokine_blq={s.cytokine_blq})",
            )
            lloq = np.full_like(v, np.nan)
        else:
            lloq = as_float(df, "lloq", domain=domain, seq_col=seq_col)
        first_bad(
            df,
            blq & ~(np.isfinite(lloq) & (lloq > 0)),
            domain=domain,
            variable="lloq",
            seq_col=seq_col,
            rule=f"BLQ result needs a finite LLOQ > 0 (cytokine_blq={s.cytokine_blq})",
        )
        imputed = lloq / 2.0 if s.cytokine_blq == "lloq/2" else lloq
    return np.where(blq, imputed, v)


def _auc_from_day0(g: np.ndarray, t: np.ndarray, val: np.ndarray, base: np.ndarray, n: int,
                   s: KineticsSettings) -> tuple[np.ndarray, np.ndarray]:
    """AUC from day 0 to the end day (BASE at day 0 when no day-0 sample exists); missing
    when the profile ends short of the end day beyond the tolerance. Also: truncated within
    the tolerance."""
    end = s.cytokine_end_day
    post = t >= 0
    gp, tp, vp = g[post], t[post], val[post]
    has0 = np.bincount(gp[tp == 0], minlength=n) > 0
    add = np.flatnonzero(~has0 & np.isfinite(base))
    gp = np.concatenate([gp, add])
    tp = np.concatenate([tp, np.zeros(add.size)])
    vp = np.concatenate([vp, base[add]])
    o = np.lexsort((tp, gp))
    gp, tp, vp = gp[o], tp[o], vp[o]
    t_last = group_reduce(np.maximum, tp, gp, n, -np.inf)
    first_t = group_reduce(np.minimum, tp, gp, n, np.inf)
    auc = grouped_auc(gp, tp, vp, n, np.full(n, end), s.cytokine_auc_method)
    covered = t_last >= end
    in_tol = ~covered & (t_last >= end - s.auc_end_tolerance_days)
    auc = np.where((covered | in_tol) & (first_t == 0), auc, np.nan)
    return auc, in_tol & (first_t == 0)
