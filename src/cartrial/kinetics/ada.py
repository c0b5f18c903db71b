"""Anti-drug (anti-CAR) antibodies: status per patient and positive rate.

Harmonised terminology of Shankar G, et al. AAPS J 2014;16(4):658-673 ("Assessment and reporting
of the clinical immunogenicity of therapeutic proteins and peptides"), as used in FDA's 2019
immunogenicity guidance:

- baseline positive: the last sample at or before infusion (day <= 0) is positive;
- treatment-induced (TI): baseline not positive, at least one positive sample after infusion;
- treatment-boosted (TB): baseline positive and a post-infusion titer >= ``ada_titer_fold_rise``
  (4 by default) x the baseline titer;
- treatment-emergent (TE) = TI or TB; ADA-positive rate = TE / patients with a post-infusion
  sample (exact Clopper-Pearson CI);
- persistent: TE-positive samples spanning >= ``ada_persistent_days`` (16 weeks) or a positive
  last sample; otherwise transient.

A missing baseline is treated as not positive and flagged (BASE_MISSING).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cartrial.efficacy.binomial import exact_ci
from cartrial.kinetics._groups import (
    as_bool,
    first_bad,
    group_ids_one_per_time,
    group_reduce,
    optional_float,
    positional,
    require_columns,
    sampling_times,
)
from cartrial.protocol.model import KineticsSettings

ADA_CATEGORIES = (
    "TREATMENT-INDUCED",
    "TREATMENT-BOOSTED",
    "BASELINE POSITIVE, NOT BOOSTED",
    "NEGATIVE",
    "NOT EVALUABLE",
)


def classify_ada(
    data: pd.DataFrame,
    settings: KineticsSettings | None = None,
    *,
    by: Sequence[str] = ("USUBJID",),
    domain: str = "IS",
    seq_col: str | None = None,
) -> pd.DataFrame:
    """ADA status per patient (Shankar 2014 categories).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per sample: the ``by`` columns, ``time_days`` (days from infusion, <= 0 =
        baseline), ``positive`` (bool) and ``titer`` (float; required on positive samples of
        baseline-positive patients and on their baseline sample, to judge boosting).
    settings : KineticsSettings, optional
        ``protocol.kinetics`` (``ada_titer_fold_rise`` 4, ``ada_persistent_days`` 112 by
        default).
    by : sequence of str, default ("USUBJID",)
        Columns identifying one patient.
    domain, seq_col : str
        Named in errors (e.g. ``"IS"``, ``"ISSEQ"``).

    Returns
    -------
    pandas.DataFrame
        One row per patient: NSAMP, NPOST, BASEPOS (nullable bool), BASETITR, TI, TB, TE
        (bool), ADACAT (one of ``ADA_CATEGORIES``), TTADA (day of the first TE-positive
        sample), TITERPK (peak post-infusion titer), TITERFR (peak / baseline titer), PERSIST
        ("PERSISTENT" / "TRANSIENT" / missing), FLAGS.

    Raises
    ------
    InputError
        When a column is absent.
    RecordError
        When a time, result or needed titer cannot be read, or two samples share a time.

    References
    ----------
    Shankar G, et al. Assessment and reporting of the clinical immunogenicity of therapeutic
    proteins and peptides: harmonized terminology and tactical recommendations. AAPS J
    2014;16:658-73.

    Examples
    --------
    02 is boosted (titer 10 -> 80, 8-fold >= 4); 01's positives span 152 days (persistent).

    >>> d = pd.DataFrame({"USUBJID": ["01"] * 3 + ["02"] * 3 + ["03"] * 2,
    ...                   "time_days": [0, 28, 180, 0, 28, 90, 0, 28],
    ...                   "positive": [False, True, True, True, True, False, False, False],
    ...                   "titer": [None, 40.0, 80.0, 10.0, 80.0, None, None, None]})
    >>> status = classify_ada(d)
    >>> status[["USUBJID", "ADACAT", "TTADA", "PERSIST"]]
      USUBJID             ADACAT  TTADA     PERSIST
    0      01  TREATMENT-INDUCED   28.0  PERSISTENT
    1      02  TREATMENT-BOOSTED   28.0   TRANSIENT
    2      03           NEGATIVE    NaN        None
    """
    s = settings or KineticsSettings()
    by = list(by)
    x = _samples(data, by, domain, seq_col)
    st = _status(x, s, domain, seq_col)
    out = {k: x["keys"][k].to_numpy() for k in by}
    out.update(st)
    res = pd.DataFrame(out)
    res.attrs["method"] = {
        "terminology": "Shankar et al., AAPS J 2014;16:658-673",
        "titer_fold_rise": s.ada_titer_fold_rise,
        "persistent_days": s.ada_persistent_days,
        "baseline": "last sample at or before day 0; missing baseline counted as not positive",
    }
    return res


def _samples(data: pd.DataFrame, by: list[str], domain: str, seq_col: str | None
             ) -> dict[str, Any]:
    """The ADA samples checked, grouped per patient, and each patient's baseline sample."""
    require_columns(data, [*by, "time_days", "positive"], where="classify_ada")
    df = positional(data)
    t = sampling_times(df, domain=domain, seq_col=seq_col)
    pos = as_bool(df, "positive", domain=domain, seq_col=seq_col)
    titer = optional_float(df, "titer", domain=domain, seq_col=seq_col)
    first_bad(
        df,
        np.isfinite(titer) & ~(titer > 0),
        domain=domain,
        variable="titer",
        seq_col=seq_col,
        rule="a titer must be > 0",
    )
    g0, keys = group_ids_one_per_time(df, by, t, domain=domain, seq_col=seq_col,
                                      what="ADA samples for one patient")
    n = len(keys)
    pre = t <= 0
    t_base = group_reduce(np.maximum, t[pre], g0[pre], n, -np.inf)
    at_base = pre & (t == t_base[g0])
    base_pos = np.zeros(n, dtype=bool)
    base_pos[g0[at_base]] = pos[at_base]
    base_titer = np.full(n, np.nan)
    base_titer[g0[at_base]] = titer[at_base]
    first_bad(
        df,
        at_base & pos & ~np.isfinite(titer),
        domain=domain,
        variable="titer",
        seq_col=seq_col,
        rule="positive baseline ADA sample needs a titer (treatment-boosted status depends on it)",
    )
    return {"df": df, "t": t, "pos": pos, "titer": titer, "g": g0, "keys": keys, "n": n,
            "has_base": np.isfinite(t_base), "base_pos": base_pos, "base_titer": base_titer}


def _status(x: dict[str, Any], s: KineticsSettings, domain: str, seq_col: str | None
            ) -> dict[str, Any]:
    """Treatment-induced, -boosted, -emergent, first TE day, peak titer, persistence."""
    t, pos, titer, g0, n = x["t"], x["pos"], x["titer"], x["g"], x["n"]
    base_pos, base_titer, has_base = x["base_pos"], x["base_titer"], x["has_base"]
    bp_row = base_pos[g0]
    post = t > 0
    first_bad(
        x["df"],
        post & pos & bp_row & ~np.isfinite(titer),
        domain=domain,
        variable="titer",
        seq_col=seq_col,
        rule="positive post-infusion ADA sample of a baseline-positive "
        "patient needs a titer (treatment-boosted status depends on it)",
    )
    npost = np.bincount(g0[post], minlength=n)
    boosted_row = post & pos & bp_row & (titer >= s.ada_titer_fold_rise * base_titer[g0])
    te_row = np.where(bp_row, boosted_row, post & pos)
    ti = ~base_pos & (np.bincount(g0[post & pos], minlength=n) > 0)
    tb = base_pos & (np.bincount(g0[boosted_row], minlength=n) > 0)
    te = ti | tb
    t_first = group_reduce(np.minimum, t[te_row], g0[te_row], n, np.inf)
    t_lastpos = group_reduce(np.maximum, t[te_row], g0[te_row], n, -np.inf)
    t_lastpost = group_reduce(np.maximum, t[post], g0[post], n, -np.inf)
    pk_rows = post & pos & np.isfinite(titer)
    titer_pk = group_reduce(np.maximum, titer[pk_rows], g0[pk_rows], n, -np.inf)
    titer_pk[~np.isfinite(titer_pk)] = np.nan
    last_post_te = te & (t_lastpos == t_lastpost)
    persistent = te & ((t_lastpos - t_first >= s.ada_persistent_days) | last_post_te)
    cat = np.select([npost == 0, ti, tb, base_pos],
                    ["NOT EVALUABLE", "TREATMENT-INDUCED", "TREATMENT-BOOSTED",
                     "BASELINE POSITIVE, NOT BOOSTED"], "NEGATIVE")
    basepos = pd.array(base_pos, dtype="boolean")
    basepos[~has_base] = pd.NA
    with np.errstate(divide="ignore", invalid="ignore"):
        fr = np.where(base_pos, titer_pk / base_titer, np.nan)
    return {
        "NSAMP": np.bincount(g0, minlength=n),
        "NPOST": npost,
        "BASEPOS": basepos,
        "BASETITR": base_titer,
        "TI": ti,
        "TB": tb,
        "TE": te,
        "ADACAT": cat,
        "TTADA": np.where(te, t_first, np.nan),
        "TITERPK": titer_pk,
        "TITERFR": fr,
        "PERSIST": np.where(te, np.where(persistent, "PERSISTENT", "TRANSIENT"), None),
        "FLAGS": np.where(~has_base, "BASE_MISSING", ""),
    }


def ada_summary(
    status: pd.DataFrame, *, by: Sequence[str] = (), confidence_level: float = 0.95
) -> pd.DataFrame:
    """Counts by ADA category and the treatment-emergent ADA rate with an exact CI.

    Parameters
    ----------
    status : pandas.DataFrame
        The table returned by :func:`classify_ada` (plus the ``by`` columns).
    by : sequence of str, default ()
        Grouping columns (e.g. the dose level).
    confidence_level : float, default 0.95
        Coverage of the Clopper-Pearson interval.

    Returns
    -------
    pandas.DataFrame
        Columns by..., n_patients, n_evaluable, n_baseline_pos, n_ti, n_tb, n_te, pct_te,
        ci_low, ci_high (percent, Clopper-Pearson over evaluable patients), n_persistent,
        n_transient, median_ttada, median_titer_pk.

    Raises
    ------
    InputError
        When a column of :func:`classify_ada`'s table is absent.

    References
    ----------
    Shankar G, et al. Assessment and reporting of the clinical immunogenicity of therapeutic
    proteins and peptides: harmonized terminology and tactical recommendations. AAPS J
    2014;16:658-73.

    Examples
    --------
    2 of 3 treatment-emergent: 66.7 % (9.4 %, 99.2 %), as R ``binom.test(2, 3)``.

    >>> d = pd.DataFrame({"USUBJID": ["01"] * 3 + ["02"] * 3 + ["03"] * 2,
    ...                   "time_days": [0, 28, 180, 0, 28, 90, 0, 28],
    ...                   "positive": [False, True, True, True, True, False, False, False],
    ...                   "titer": [None, 40.0, 80.0, 10.0, 80.0, None, None, None]})
    >>> status = classify_ada(d)
    >>> ada_summary(status)[["n_evaluable", "n_te", "pct_te", "ci_low", "ci_high"]].round(1)
       n_evaluable  n_te  pct_te  ci_low  ci_high
    0            3     2    66.7     9.4     99.2
    """
    by = list(by)
    require_columns(
        status,
        [*by, "NPOST", "BASEPOS", "TI", "TB", "TE", "PERSIST", "TTADA", "TITERPK"],
        where="ada_summary",
    )
    d = status.copy()
    d["_eval"] = d["NPOST"] > 0
    d["_bp"] = d["BASEPOS"].fillna(False).astype(bool)
    d["_pers"] = d["PERSIST"].eq("PERSISTENT")
    d["_trans"] = d["PERSIST"].eq("TRANSIENT")
    d["_te_titer"] = d["TITERPK"].where(d["TE"])
    keys = by if by else (lambda _: 0)
    agg = (
        d.groupby(keys, sort=True, dropna=False)
        .agg(
            n_patients=("TE", "size"),
            n_evaluable=("_eval", "sum"),
            n_baseline_pos=("_bp", "sum"),
            n_ti=("TI", "sum"),
            n_tb=("TB", "sum"),
            n_te=("TE", "sum"),
            n_persistent=("_pers", "sum"),
            n_transient=("_trans", "sum"),
            median_ttada=("TTADA", "median"),
            median_titer_pk=("_te_titer", "median"),
        )
        .reset_index(drop=not by)
    )
    k = agg["n_te"].to_numpy()
    nn = agg["n_evaluable"].to_numpy()
    lo, hi = exact_ci(k, nn, confidence_level)
    agg["pct_te"] = np.where(nn > 0, 100.0 * k / np.maximum(nn, 1), np.nan)
    agg["ci_low"], agg["ci_high"] = 100.0 * lo, 100.0 * hi
    cols = [
        *by,
        "n_patients",
        "n_evaluable",
        "n_baseline_pos",
        "n_ti",
        "n_tb",
        "n_te",
        "pct_te",
        "ci_low",
        "ci_high",
        "n_persistent",
        "n_transient",
        "median_ttada",
        "median_titer_pk",
    ]
    return agg[cols]
