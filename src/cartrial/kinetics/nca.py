"""Non-compartmental analysis of CAR-T expansion, many profiles at once.

Conventions follow PKNCA's defaults (PKNCA
``R/PKNCA.options.R`` and ``R/half.life.R`` read for their rules, no code copied):

- AUC by linear-up / log-down trapezoids (linear on rising or flat segments, log on falling
  segments with both concentrations > 0), or linear trapezoids (``auc_method``).
- BLQ samples: BLQs before Tmax as 0, BLQs between Tmax and Tlast dropped, trailing BLQs after
  Tlast as 0 (issue #7 "before Tmax as 0, after as missing"; PKNCA ``conc.blq`` first = keep,
  middle = drop, last = keep); each choice is a ``KineticsSettings`` field. The two differ only
  for a BLQ between the first quantifiable sample and Tmax (PKNCA: middle, dropped; here: before
  Tmax, 0 unless ``blq_before_tmax = "missing"``).
- Partial AUCs past Tlast: PKNCA ``aucint.last`` (default) or ``aucint.all``
  (``auc_partial_type``; see ``_auc.partial_auc_after_tlast``).
- Tmax is the first time of Cmax on ties.
- lambda_z: log-linear regression on the last n quantifiable points after Tmax (Tmax excluded),
  n >= 3; among fits with lambda_z > 0, those whose adjusted R^2 is within 1e-4 of the best, the
  one with most points. Half-lives with adjusted R^2 < 0.9 or span ratio < 2 are flagged, not
  dropped; AUCinf more than 20 % extrapolated is reported missing (flagged).

Parameter codes are CDISC PP test codes (PPTESTCD, <= 8 characters) where one exists (CMAX,
TMAX, CLST, TLST, AUCLST, LAMZ, LAMZHL, LAMZNPT, LAMZLL, LAMZUL, R2, R2ADJ, CLSTP, AUCIFO,
AUCIFP, AUCPEO, AUCPEP); partial AUCs are ``AUC0_<day>`` (PP: AUCINT with PPSTINT/PPENINT);
``LAMZSPN`` is the span ratio and ``TBLQ`` the first BLQ time after Tlast.

Time is in days from infusion (day 0). Every profile is computed in one pass of numpy over all
rows: no Python loop per patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cartrial.kinetics._auc import grouped_auc, last_in_group, partial_auc_after_tlast
from cartrial.kinetics._groups import group_reduce
from cartrial.kinetics.lambda_z import lambda_z_fit
from cartrial.kinetics.nca_input import Samples, read_samples
from cartrial.kinetics.sdtm_pp import nca_long  # noqa: F401  (importable from here, as before)
from cartrial.protocol.model import KineticsSettings

#: Parameter code -> (label, unit template). ``{c}`` = concentration unit, ``{t}`` = time unit.
NCA_PARAMETERS: dict[str, tuple[str, str]] = {
    "CMAX": ("Max Conc", "{c}"),
    "TMAX": ("Time of CMAX", "day"),
    "CLST": ("Last Nonzero Conc", "{c}"),
    "TLST": ("Time of Last Nonzero Conc", "day"),
    "TBLQ": ("Time of First BLQ Conc after TLST", "day"),
    "AUCLST": ("AUC to Last Nonzero Conc", "day*{c}"),
    "LAMZ": ("Lambda z", "1/day"),
    "LAMZHL": ("Half-Life Lambda z", "day"),
    "LAMZNPT": ("Number of Points for Lambda z", ""),
    "LAMZLL": ("Lambda z Lower Limit", "day"),
    "LAMZUL": ("Lambda z Upper Limit", "day"),
    "R2": ("R Squared", ""),
    "R2ADJ": ("R Squared Adjusted", ""),
    "LAMZSPN": ("Lambda z Span Ratio", ""),
    "CLSTP": ("Last Nonzero Conc Predicted", "{c}"),
    "AUCIFO": ("AUC Infinity Obs", "day*{c}"),
    "AUCIFP": ("AUC Infinity Pred", "day*{c}"),
    "AUCPEO": ("AUC %Extrapolation Obs", "%"),
    "AUCPEP": ("AUC %Extrapolation Pred", "%"),
}

#: Flag codes written to the FLAGS column (semicolon-separated) and what they mean.
NCA_FLAGS: dict[str, str] = {
    "NO_QUANT": "no quantifiable post-infusion sample: all parameters missing",
    "PREDOSE_QUANT": "quantifiable sample before infusion (excluded from NCA)",
    "MISSING_CONC": "samples with a missing concentration were left out (PKNCA conc.na = drop)",
    "TIME0_IMPUTED": "no kept sample at day 0: concentration 0 assumed at infusion",
    "NO_TIME0": "no kept sample at day 0 and imputation off: AUC starts at the first sample",
    "TMAX_AT_LAST": "Cmax is the last sample: the peak may have been missed",
    "LAMZ_NE": "lambda_z not estimable (fewer than the minimum points after Tmax, or slope >= 0)",
    "LAMZ_R2ADJ": "adjusted R^2 of lambda_z below the protocol minimum",
    "LAMZ_SPAN": "span ratio of lambda_z below the protocol minimum",
    "AUCINF_EXTRAP": "AUCinf extrapolated beyond the protocol maximum: AUCIFO/AUCIFP missing",
    "AUC_TRUNC": "a partial AUC was integrated to a last sample within tolerance of its end day",
    "AUC_EXTRAP": "a partial AUC was extrapolated past the last sample with lambda_z",
    "AUC_PARTIAL": "a partial AUC could not be computed: the profile ends before its end day",
}


# Relative slack for the flag thresholds, so that a span ratio of exactly 2 computed through
# ln(2) / lambda_z is not flagged by rounding.
_EPS = 1e-9


def partial_auc_code(day: float) -> str:
    """``AUC0_28`` for day 28 (PP: PPTESTCD AUCINT, PPSTINT P0D, PPENINT P28D).

    Parameters
    ----------
    day : float
        End of the partial AUC interval, days from infusion (a fraction is dropped).

    Returns
    -------
    str

    Examples
    --------
    >>> partial_auc_code(28)
    'AUC0_28'
    """
    return f"AUC0_{int(day)}"


def nca_parameter_codes(settings: KineticsSettings | None = None) -> list[str]:
    """Parameter columns of :func:`nca`, in order.

    Parameters
    ----------
    settings : KineticsSettings, optional
        ``protocol.kinetics`` (``auc_partial_days`` add AUC0_<day>); PKNCA defaults if omitted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> nca_parameter_codes()[:7]
    ['CMAX', 'TMAX', 'CLST', 'TLST', 'TBLQ', 'AUCLST', 'AUC0_28']
    """
    s = settings or KineticsSettings()
    codes = list(NCA_PARAMETERS)
    i = codes.index("AUCLST") + 1
    return codes[:i] + [partial_auc_code(d) for d in s.auc_partial_days] + codes[i:]


def nca_method(settings: KineticsSettings | None = None) -> dict[str, Any]:
    """The method record stored on every result (``DataFrame.attrs['method']``).

    Parameters
    ----------
    settings : KineticsSettings, optional
        ``protocol.kinetics``; PKNCA defaults when omitted.

    Returns
    -------
    dict
        AUC method, BLQ handling, lambda_z rules and limits (JSON-serialisable).

    Examples
    --------
    >>> m = nca_method()
    >>> m["auc_method"], m["blq"]["before_tmax"], m["lambda_z"]["min_points"]
    ('lin-up/log-down', 'zero', 3)
    """
    s = settings or KineticsSettings()
    return {
        "convention": "PKNCA defaults (Denney W et al., J Pharmacokinet Pharmacodyn 2015;42:S65)",
        "auc_method": s.auc_method,
        "blq": {
            "before_tmax": s.blq_before_tmax,
            "after_tmax": s.blq_after_tmax,
            "after_tlast": s.blq_after_tlast,
        },
        "impute_time0": s.impute_time0,
        "auc_partial_days": list(s.auc_partial_days),
        "auc_partial_type": f"PKNCA aucint.{s.auc_partial_type}",
        "auc_end_tolerance_days": s.auc_end_tolerance_days,
        "lambda_z": {
            "min_points": s.lambda_z_min_points,
            "adj_r2_tolerance": s.lambda_z_adj_r2_tolerance,
            "tmax_included": False,
            "flag_adj_r2_below": s.lambda_z_min_adj_r2,
            "flag_span_ratio_below": s.lambda_z_min_span_ratio,
        },
        "auc_inf_max_extrapolated_percent": s.auc_inf_max_extrapolated_percent,
        "tmax_ties": "first",
    }


def _flags_column(flags: dict[str, np.ndarray], n_groups: int) -> np.ndarray:
    parts = np.full(n_groups, "", dtype=object)
    for code, mask in flags.items():
        parts = np.where(mask, parts + code + ";", parts)
    return np.array([p[:-1] for p in parts], dtype=object)


def nca(
    profiles: pd.DataFrame,
    settings: KineticsSettings | None = None,
    *,
    by: Sequence[str] = ("USUBJID",),
    domain: str = "PC",
    seq_col: str | None = None,
) -> pd.DataFrame:
    """NCA parameters per profile (PKNCA conventions).

    Parameters
    ----------
    profiles
        One row per sample: the ``by`` key columns, ``time_days`` (days from infusion, day 0 =
        infusion; samples before 0 are pre-infusion and excluded), ``conc`` (> 0 when
        quantifiable; ignored when BLQ; missing = sample not analysed, left out and counted in
        NMISS), ``blq`` (bool or 0/1; when absent, BLQ = conc 0 or below ``lloq``, PKNCA's
        coding; a conc of 0 is always BLQ) and optionally ``lloq``.
    settings
        ``protocol.kinetics``; PKNCA defaults when omitted.
    by
        Columns identifying one profile, e.g. ``("USUBJID", "PCTESTCD")``.
    domain, seq_col
        Named in errors (e.g. ``"PC"``, ``"PCSEQ"``).

    Returns
    -------
    One row per profile: the ``by`` columns, NOBS (post-infusion samples), NQUANT (quantifiable
    ones), NMISS (samples with a missing concentration, left out), TLOBS (time of the last
    post-infusion sample, BLQ or not), the parameters of :func:`nca_parameter_codes`, PARTIAL
    (bool: a partial AUC not fully observed, or Tmax at the last sample) and FLAGS (codes of
    :data:`NCA_FLAGS`).
    ``attrs["method"]`` holds :func:`nca_method`.

    Examples
    --------
    >>> # by hand: 100/2 + 1100/2*6 + 600/ln(2.5)*7 + 300/ln(4)*14 = 10963.36 (lin-up/log-down)
    >>> p = pd.DataFrame({"USUBJID": "01", "time_days": [0, 1, 7, 14, 28],
    ...                   "conc": [0.0, 100.0, 1000.0, 400.0, 100.0]})
    >>> t = nca(p)
    >>> [float(t.loc[0, c]) for c in ("CMAX", "TMAX", "TLST")], round(float(t.AUCLST[0]), 2)
    ([1000.0, 7.0, 28.0], 10963.36)
    """
    s = settings or KineticsSettings()
    by = list(by)
    smp = read_samples(profiles, by, domain=domain, seq_col=seq_col)
    n_groups = smp.n_groups
    pk = _peak(smp)
    has_q = pk["has_q"]
    kept = _kept_points(smp, pk, s)
    auclst = grouped_auc(kept["g"], kept["t"], kept["c"], n_groups,
                         np.where(has_q, pk["TLST"], -np.inf), s.auc_method)
    auclst[~has_q] = np.nan
    term = _terminal(smp, pk, auclst, s)
    out: dict[str, Any] = {k: smp.keys[k].to_numpy() for k in by}
    out["NOBS"] = pk["NOBS"]
    out["NQUANT"] = pk["NQUANT"]
    out["NMISS"] = smp.nmiss
    out["TLOBS"] = pk["TLOBS"]
    params: dict[str, np.ndarray] = {k: pk[k] for k in ("CMAX", "TMAX", "CLST", "TLST")}
    params["TBLQ"] = kept["TBLQ"]
    params["AUCLST"] = auclst
    part = _partial_aucs(kept, pk, term, auclst, s)
    params.update(part["values"])
    params.update({k: term[k] for k in ("LAMZ", "LAMZHL", "LAMZNPT", "LAMZLL", "LAMZUL", "R2",
                                        "R2ADJ", "LAMZSPN", "CLSTP", "AUCIFO", "AUCIFP",
                                        "AUCPEO", "AUCPEP")})
    for code in nca_parameter_codes(s):
        out[code] = params[code]
    tmax_at_last = has_q & (pk["TMAX"] == pk["TLOBS"])
    out["PARTIAL"] = part["partial"] | tmax_at_last
    has_lz = np.isfinite(term["LAMZ"])
    lacks0 = kept["lacks0"]
    flags = {
        "NO_QUANT": ~has_q,
        "PREDOSE_QUANT": smp.predose_quant,
        "MISSING_CONC": smp.nmiss > 0,
        "TIME0_IMPUTED": lacks0 & s.impute_time0,
        "NO_TIME0": lacks0 & (not s.impute_time0),
        "TMAX_AT_LAST": tmax_at_last,
        "LAMZ_NE": has_q & ~has_lz,
        "LAMZ_R2ADJ": has_lz & (term["R2ADJ"] < s.lambda_z_min_adj_r2 - _EPS),
        "LAMZ_SPAN": has_lz & (term["LAMZSPN"] < s.lambda_z_min_span_ratio * (1 - _EPS)),
        "AUCINF_EXTRAP": term["too_extrap"],
        "AUC_TRUNC": part["trunc"],
        "AUC_EXTRAP": part["extrap"],
        "AUC_PARTIAL": part["partial"] & ~part["trunc"] & ~part["extrap"],
    }
    out["FLAGS"] = _flags_column(flags, n_groups)
    result = pd.DataFrame(out)
    result.attrs["method"] = nca_method(s)
    return result


def _peak(smp: Samples) -> dict[str, np.ndarray]:
    """Cmax, Tmax (first on ties), Tlast, Clast over quantifiable samples; counts per profile."""
    g, t, c, n_groups = smp.g, smp.t, smp.c, smp.n_groups
    q = ~smp.blq
    nquant = np.bincount(g[q], minlength=n_groups).astype(float)
    cmax = group_reduce(np.maximum, c[q], g[q], n_groups, -np.inf)
    at_max = q & (c == cmax[g])
    tmax = group_reduce(np.minimum, t[at_max], g[at_max], n_groups, np.inf)
    tlast = group_reduce(np.maximum, t[q], g[q], n_groups, -np.inf)
    at_last = q & (t == tlast[g])
    clast = group_reduce(np.maximum, c[at_last], g[at_last], n_groups, -np.inf)
    t_obs_last = group_reduce(np.maximum, t, g, n_groups, -np.inf)
    for a in (cmax, tmax, tlast, clast, t_obs_last):
        a[~np.isfinite(a)] = np.nan
    return {"NOBS": np.bincount(g, minlength=n_groups).astype(float), "NQUANT": nquant,
            "has_q": nquant > 0, "CMAX": cmax, "TMAX": tmax, "TLST": tlast, "CLST": clast,
            "TLOBS": t_obs_last}


def _kept_points(smp: Samples, pk: dict[str, np.ndarray], s: KineticsSettings) -> dict:
    """The points the AUC runs through: BLQs placed (PKNCA conc.blq first / middle / last) and
    a 0 at day 0 imputed when asked; TBLQ, the first trailing BLQ time."""
    g, t, c, blq, n_groups = smp.g, smp.t, smp.c, smp.blq, smp.n_groups
    q = ~blq
    has_q = pk["has_q"]
    hq = has_q[g]
    trailing = blq & hq & (t > pk["TLST"][g])
    before = blq & (~hq | (t < pk["TMAX"][g]))
    middle = blq & ~trailing & ~before
    keep = q.copy()
    keep |= before & (s.blq_before_tmax == "zero")
    keep |= middle & (s.blq_after_tmax == "zero")
    keep |= trailing & (s.blq_after_tlast == "zero")
    tblq = group_reduce(np.minimum, t[trailing], g[trailing], n_groups, np.inf)
    tblq[~np.isfinite(tblq)] = np.nan
    gk, tk, ck = g[keep], t[keep], c[keep]
    kept_at_0 = np.bincount(gk[tk == 0], minlength=n_groups) > 0
    lacks0 = has_q & ~kept_at_0
    if s.impute_time0:
        add = np.flatnonzero(lacks0)
        gk = np.concatenate([gk, add])
        tk = np.concatenate([tk, np.zeros(add.size)])
        ck = np.concatenate([ck, np.zeros(add.size)])
        o = np.lexsort((tk, gk))
        gk, tk, ck = gk[o], tk[o], ck[o]
    last_row = last_in_group(gk, n_groups)
    return {"g": gk, "t": tk, "c": ck, "TBLQ": tblq, "lacks0": lacks0, "n_groups": n_groups,
            "t_last": group_reduce(np.maximum, tk, gk, n_groups, -np.inf),
            "c_last": np.where(last_row >= 0, ck[np.maximum(last_row, 0)], np.nan)}


def _terminal(smp: Samples, pk: dict[str, np.ndarray], auclst: np.ndarray,
              s: KineticsSettings) -> dict[str, np.ndarray]:
    """lambda_z on quantifiable points strictly after Tmax, and what follows from it."""
    g, t, c = smp.g, smp.t, smp.c
    lz = ~smp.blq & (t > pk["TMAX"][g])
    fit = lambda_z_fit(g[lz], t[lz], c[lz], smp.n_groups, s)
    lamz, tlast, clast = fit["LAMZ"], pk["TLST"], pk["CLST"]
    has_lz = np.isfinite(lamz)
    with np.errstate(divide="ignore", invalid="ignore"):
        hl = np.log(2.0) / lamz
        span = (fit["LAMZUL"] - fit["LAMZLL"]) / hl
        clstp = np.exp(fit["INTERCEPT"] - lamz * tlast)
        aucifo = auclst + clast / lamz
        aucifp = auclst + clstp / lamz
        aucpeo = 100.0 * (clast / lamz) / aucifo
        aucpep = 100.0 * (clstp / lamz) / aucifp
    limit = s.auc_inf_max_extrapolated_percent
    return {**fit, "LAMZHL": hl, "LAMZSPN": span, "CLSTP": clstp,
            "too_extrap": has_lz & ((aucpeo > limit) | (aucpep > limit)),
            "AUCIFO": np.where(has_lz & (aucpeo <= limit), aucifo, np.nan),
            "AUCIFP": np.where(has_lz & (aucpep <= limit), aucifp, np.nan),
            "AUCPEO": aucpeo, "AUCPEP": aucpep}


def _partial_aucs(kept: dict, pk: dict[str, np.ndarray], term: dict[str, np.ndarray],
                  auclst: np.ndarray, s: KineticsSettings) -> dict:
    """AUC from day 0 to each of ``auc_partial_days``, and whether each is fully observed."""
    n_groups = kept["n_groups"]
    gk, tk, ck = kept["g"], kept["t"], kept["c"]
    t_kept_last, c_kept_last = kept["t_last"], kept["c_last"]
    has_q, tlast, clast, lamz = pk["has_q"], pk["TLST"], pk["CLST"], term["LAMZ"]
    has_lz = np.isfinite(lamz)
    values: dict[str, np.ndarray] = {}
    trunc = np.zeros(n_groups, dtype=bool)
    extrap = np.zeros(n_groups, dtype=bool)
    partial = np.zeros(n_groups, dtype=bool)
    for day in s.auc_partial_days:
        end = np.full(n_groups, float(day))
        auc = partial_auc_after_tlast(grouped_auc(gk, tk, ck, n_groups, end, s.auc_method), day,
                                      auclst, tlast, clast, kept["TBLQ"],
                                      s.blq_after_tlast, s.auc_partial_type)
        covered = t_kept_last >= day
        # Trailing BLQ kept as 0: the concentration stays 0 to the end day.
        zero_tail = (c_kept_last == 0) & (t_kept_last > tlast)
        in_tol = ~covered & (t_kept_last >= day - s.auc_end_tolerance_days)
        can_extrap = ~covered & ~zero_tail & ~in_tol & has_lz & (t_kept_last == tlast)
        with np.errstate(over="ignore", invalid="ignore"):
            tail = clast / lamz * (1.0 - np.exp(-lamz * (day - tlast)))
        value = np.where(covered | zero_tail | in_tol, auc, np.nan)
        value = np.where(can_extrap, auc + tail, value)
        value[~has_q] = np.nan
        values[partial_auc_code(day)] = value
        trunc |= has_q & in_tol & ~zero_tail
        extrap |= has_q & can_extrap
        partial |= has_q & ~covered & ~zero_tail
    return {"values": values, "trunc": trunc, "extrap": extrap, "partial": partial}
