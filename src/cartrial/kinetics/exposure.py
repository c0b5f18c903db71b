"""Exposure-response and exposure-safety: parameters by category, with rank tests.

Issue #7 items 2-3: Cmax and AUC0-28d by best overall response and by maximum CRS grade; peak
IL-6 and peak CAR-T against CRS grade. Association is tested on ranks: Kruskal-Wallis across
categories (scipy.stats.kruskal) and, when the categories are ordered (CRS grade, or an IMWG
response order given by the caller), Spearman's rank correlation (scipy.stats.spearmanr) with
the category rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cartrial.errors import InputError
from cartrial.kinetics._groups import require_columns
from cartrial.kinetics.summary import attach_groups, summarise_parameters

#: IMWG 2016 response categories, best first (IMWG 2016; ADRS AVAL order).
IMWG_ORDER: tuple[str, ...] = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD")


@dataclass(frozen=True)
class ExposureResponse:
    """Summary of parameters by category and the rank tests, with the method used.

    Attributes
    ----------
    summary : pandas.DataFrame
        :func:`summarise_parameters` rows by ``by`` x category x parameter.
    tests : pandas.DataFrame
        :func:`rank_tests` rows by ``by`` x parameter.
    method : dict
        Statistics used, the category column and its order (for report footnotes).

    Examples
    --------
    >>> t = pd.DataFrame({"USUBJID": list("abcdef"), "CMAX": [1.0, 2, 3, 4, 5, 6]})
    >>> g = pd.DataFrame({"USUBJID": list("abcdef"), "CRSGR": [0, 0, 1, 1, 2, 2]})
    >>> er = exposure_response(t, g, group_col="CRSGR", parameters=["CMAX"])
    >>> er.summary["median"].tolist(), er.method["group"]
    ([1.5, 3.5, 5.5], 'CRSGR')
    """

    summary: pd.DataFrame
    tests: pd.DataFrame
    method: dict[str, Any] = field(default_factory=dict)


def rank_tests(
    table: pd.DataFrame,
    parameters: Sequence[str],
    *,
    group_col: str,
    order: Sequence[Any] | None = None,
    unranked: Sequence[Any] = (),
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Kruskal-Wallis and Spearman tests of each parameter against ``group_col``.

    Rows with a missing parameter or group are left out of the test and counted in
    ``n_excluded``. Spearman needs an order: numeric groups are their own order; other groups
    need ``order`` (best first or worst first: only the sign of rho depends on it). Categories
    in ``unranked`` (e.g. "NE", not evaluable) join the Kruskal-Wallis test but not Spearman.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per subject (and ``by`` value) with the parameter columns and ``group_col``.
    parameters : sequence of str
        Numeric parameter columns to test (e.g. CMAX, AUC0_28).
    group_col : str
        Category column (e.g. maximum CRS grade 0-4, or best overall response).
    order : sequence, optional
        Order of the categories for Spearman; numeric categories are their own order.
    unranked : sequence, default ()
        Categories tested by Kruskal-Wallis only (e.g. "NE").
    by : sequence of str, default ()
        Columns splitting the tests (e.g. the analyte).

    Returns
    -------
    pandas.DataFrame
        Columns by..., PARAMCD, n, n_groups, n_excluded, kruskal_h, kruskal_p, spearman_rho,
        spearman_p (NaN when a test cannot be computed: one group, or constant values).

    Raises
    ------
    InputError
        When a column is absent or a category is not in ``order``.

    References
    ----------
    Kruskal WH, Wallis WA. Use of ranks in one-criterion variance analysis. J Am Stat Assoc
    1952;47:583-621.
    Spearman C. The proof and measurement of association between two things. Am J Psychol
    1904;15:72-101.

    Examples
    --------
    Hand check: H = 12 / (6 x 7) x (3^2 + 7^2 + 11^2) / 2 - 3 x 7 = 4.571, p = exp(-H / 2).

    >>> t = pd.DataFrame({"USUBJID": list("abcdef"), "CMAX": [1.0, 2, 3, 4, 5, 6]})
    >>> r = rank_tests(t.assign(CRSGR=[0, 0, 1, 1, 2, 2]), ["CMAX"], group_col="CRSGR")
    >>> r[["kruskal_h", "kruskal_p", "spearman_rho"]].round(3).iloc[0].tolist()
    [4.571, 0.102, 0.956]
    """
    by = list(by)
    parameters = list(parameters)
    require_columns(table, [*by, group_col, *parameters], where="rank_tests")
    grp_vals = table[group_col]
    if order is not None:
        rank_map = {v: i for i, v in enumerate(order)}
        unknown = sorted(
            {str(v) for v in grp_vals.dropna() if v not in rank_map and v not in set(unranked)}
        )
        if unknown:
            raise InputError(
                f"rank_tests: {group_col} values {unknown} are not in the order {list(order)}"
            )
        ranks = grp_vals.map(rank_map).astype(float)
    elif pd.api.types.is_numeric_dtype(grp_vals) and grp_vals.dtype != bool:
        ranks = grp_vals.astype(float)
    else:
        ranks = pd.Series(np.nan, index=table.index)
    from scipy import stats  # here: importing scipy.stats costs ~1 s; the tests alone need it

    rows = []
    parts = [((), table)] if not by else table.groupby(by, sort=True, dropna=False)
    for key, sub in parts:
        key = key if isinstance(key, tuple) else (key,)
        for p in parameters:
            x = pd.to_numeric(sub[p], errors="raise").astype(float)
            ok = x.notna() & sub[group_col].notna()
            xs, gs, rs = x[ok], sub.loc[ok, group_col], ranks.loc[sub.index][ok]
            samples = [xs[gs == lev].to_numpy() for lev in pd.unique(gs)]
            h = pk = rho = pr = np.nan
            if len(samples) >= 2 and np.unique(xs).size > 1:
                h, pk = stats.kruskal(*samples)
            ranked = rs.notna()
            xr, rr = xs[ranked], rs[ranked]
            if len(xr) >= 3 and rr.nunique() > 1 and xr.nunique() > 1:
                rho, pr = stats.spearmanr(xr.to_numpy(), rr.to_numpy())
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "PARAMCD": p,
                    "n": int(ok.sum()),
                    "n_groups": len(samples),
                    "n_excluded": int((~ok).sum()),
                    "kruskal_h": float(h),
                    "kruskal_p": float(pk),
                    "spearman_rho": float(rho),
                    "spearman_p": float(pr),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            *by,
            "PARAMCD",
            "n",
            "n_groups",
            "n_excluded",
            "kruskal_h",
            "kruskal_p",
            "spearman_rho",
            "spearman_p",
        ],
    )


def exposure_response(
    table: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    group_col: str,
    parameters: Sequence[str] = ("CMAX", "AUC0_28"),
    order: Sequence[Any] | None = None,
    unranked: Sequence[Any] = (),
    by: Sequence[str] = (),
) -> ExposureResponse:
    """Parameters (e.g. CMAX, AUC0_28 from :func:`nca`) summarised by a subject-level category
    with rank tests.

    Parameters
    ----------
    table : pandas.DataFrame
        Per-profile parameters with USUBJID (e.g. the :func:`nca` table).
    groups : pandas.DataFrame
        One row per subject: USUBJID and ``group_col`` (e.g. best response or maximum CRS
        grade).
    group_col : str
        The category column of ``groups``.
    parameters : sequence of str, default ("CMAX", "AUC0_28")
        Parameter columns of ``table``.
    order, unranked : sequence
        As in :func:`rank_tests`.
    by : sequence of str, default ()
        Columns splitting further (e.g. the analyte).

    Returns
    -------
    ExposureResponse
        The summary, the tests and the method record.

    Raises
    ------
    InputError, RecordError
        As :func:`attach_groups` and :func:`rank_tests`.

    Examples
    --------
    >>> t = pd.DataFrame({"USUBJID": list("abcdef"), "CMAX": [1.0, 2, 3, 4, 5, 6]})
    >>> g = pd.DataFrame({"USUBJID": list("abcdef"), "CRSGR": [0, 0, 1, 1, 2, 2]})
    >>> er = exposure_response(t, g, group_col="CRSGR", parameters=["CMAX"])
    >>> round(float(er.tests.loc[0, "spearman_rho"]), 3)
    0.956
    """
    merged = attach_groups(table, groups, columns=[group_col])
    summary = summarise_parameters(merged, parameters, by=[*by, group_col])
    tests = rank_tests(
        merged, parameters, group_col=group_col, order=order, unranked=unranked, by=by
    )
    return ExposureResponse(
        summary,
        tests,
        {
            "summary": "n, geometric mean, geometric CV%, median, range",
            "tests": "Kruskal-Wallis across categories; Spearman with the ordered category",
            "group": group_col,
            "order": None if order is None else list(order),
        },
    )
