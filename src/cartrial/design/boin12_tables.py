"""BOIN12 decision and utility tables for the protocol and the committee (CSV, JSON, Markdown).

Lin R, Zhou Y, Yan F, Li D, Yuan Y. JCO Precis Oncol 2020;4:1393-1402: Table 1 (utility),
Table 2 (boundaries: escalate / de-escalate / eliminate by patients treated) and Table 3 (rank-based
desirability score, RDS, by patients, DLTs and responses: the rank of P(utility > u_b | data)
among the admissible combinations, ties sharing their average rank; "E" = eliminated).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from cartrial.design import boin12_rules as R
from cartrial.design.boin12 import Boin12
from cartrial.errors import InputError


def utility_table(design: Boin12) -> pd.DataFrame:
    """The four outcome scores and the benchmark (Lin et al. 2020 Table 1).

    Parameters
    ----------
    design : Boin12
        The design (target, phi_e, utility scores, cutoffs c_t / c_e).

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome``, ``utility``; last rows the highest unacceptable utility u_bar and
        the benchmark u_b.

    Examples
    --------
    >>> utility_table(Boin12(n_doses=3, target=0.35, phi_e=0.25))["utility"].tolist()
    [100.0, 60.0, 40.0, 0.0, 41.0, 70.5]
    """
    u = design.utility
    u_bar, u_b = u.benchmark(design.target, design.phi_e)
    return pd.DataFrame(
        {
            "outcome": [
                "response, no DLT",
                "response and DLT",
                "no response, no DLT",
                "DLT, no response",
                f"u_bar: utility at DLT {design.target:g}, response {design.phi_e:g}",
                "u_b: benchmark, u_bar + (100 - u_bar) / 2",
            ],
            "utility": [
                u.response_no_dlt,
                u.response_dlt,
                u.no_response_no_dlt,
                u.no_response_dlt,
                u_bar,
                u_b,
            ],
        }
    )


def boundary_table(design: Boin12, sample_sizes: Sequence[int]) -> pd.DataFrame:
    """Per number of patients at a dose: escalate / de-escalate / eliminate counts (Table 2).

    Parameters
    ----------
    design : Boin12
        The design (target, phi_e, utility scores, cutoffs c_t / c_e).
    sample_sizes : sequence of int
        Numbers of patients at a dose (one row per value).

    Returns
    -------
    pandas.DataFrame
        ``n``, ``escalate_if_dlt_le`` (y/n <= lambda_e), ``deescalate_if_dlt_ge``,
        ``eliminate_if_dlt_ge`` and ``eliminate_if_responses_le`` (None = never).

    References
    ----------
    Lin R, Zhou Y, Yan F, Li D, Yuan Y. BOIN12: Bayesian optimal interval phase I/II trial
    design for utility-based dose finding in immunotherapy and targeted therapies. JCO Precis
    Oncol 2020;4:1393-1402.

    Examples
    --------
    Target 0.35 gives the BOIN boundaries lambda_e = 0.276, lambda_d = 0.419 (Liu & Yuan 2015):
    escalate at 0/3 and 1/6, de-escalate at 2/3 and 3/6:

    >>> t = boundary_table(Boin12(n_doses=3, target=0.35, phi_e=0.25), [3, 6])
    >>> t[["escalate_if_dlt_le", "deescalate_if_dlt_ge"]].values.tolist()
    [[0, 2], [1, 3]]
    """
    sizes = _sizes(sample_sizes, positive=True)
    t = design.tables(max(sizes))
    return pd.DataFrame(
        {
            "n": sizes,
            "escalate_if_dlt_le": [int(t.escalate[n]) for n in sizes],
            "deescalate_if_dlt_ge": [int(t.deescalate[n]) for n in sizes],
            "eliminate_if_dlt_ge": [
                None if t.eliminate_tox[n] > n else int(t.eliminate_tox[n]) for n in sizes
            ],
            "eliminate_if_responses_le": [
                None if t.eliminate_eff[n] < 0 else int(t.eliminate_eff[n]) for n in sizes
            ],
        }
    ).astype({"eliminate_if_dlt_ge": "Int64", "eliminate_if_responses_le": "Int64"})


def desirability_table(design: Boin12, sample_sizes: Sequence[int]) -> pd.DataFrame:
    """Rank-based desirability scores for every (n, DLTs, responses) (Lin et al. 2020 Table 3).

    Parameters
    ----------
    design : Boin12
        The design (target, phi_e, utility scores, cutoffs c_t / c_e).
    sample_sizes : sequence of int
        Numbers of patients at a dose (one row per value).

    Returns
    -------
    pandas.DataFrame
        ``n``, ``dlt``, ``responses``, ``admissible``, ``p_desirable`` (P(utility > u_b)),
        ``rds`` (average rank among admissible rows; NaN when eliminated) and ``rds_label``
        (the rank as printed, "E" when eliminated).

    Examples
    --------
    >>> t = desirability_table(Boin12(n_doses=3, target=0.35, phi_e=0.25), [0, 3])
    >>> t.loc[0, "rds_label"], t.loc[len(t) - 1, "rds_label"]
    ('8', 'E')
    """
    sizes = _sizes(sample_sizes, positive=False)
    t = design.tables(max(sizes))
    rows = [(n, yt, ye) for n in sizes for yt in range(n + 1) for ye in range(n + 1)]
    n, yt, ye = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    ok = (yt < t.eliminate_tox[n]) & (ye > t.eliminate_eff[n])
    p = R.desirability(n, design.utility.pseudo_responses(n, yt, ye), t.u_b)
    rank = np.full(p.shape, np.nan)
    rank[ok] = rankdata(p[ok], method="average")
    label = [f"{r:g}" if ok_ else "E" for r, ok_ in zip(rank, ok, strict=True)]
    return pd.DataFrame(
        {
            "n": n,
            "dlt": yt,
            "responses": ye,
            "admissible": ok,
            "p_desirable": p,
            "rds": rank,
            "rds_label": label,
        }
    )


def _sizes(sample_sizes: Sequence[int], positive: bool) -> list[int]:
    sizes = sorted({int(s) for s in sample_sizes})
    low = 1 if positive else 0
    if not sizes or sizes[0] < low:
        raise InputError(f"sample sizes must be integers >= {low}, got {list(sample_sizes)}")
    return sizes


def table_csv(frame: pd.DataFrame) -> str:
    """CSV text (no index)."""
    return str(frame.to_csv(index=False, lineterminator="\n"))


def table_json(frame: pd.DataFrame, design: Boin12) -> str:
    """JSON text: the design's settings and the rows."""
    settings = {
        "design": "boin12",
        "target": design.target,
        "phi_e": design.phi_e,
        "n_star": design.n_star,
        "c_t": design.c_t,
        "c_e": design.c_e,
        "u_b": design.u_b,
    }
    rows = json.loads(frame.to_json(orient="records"))
    return json.dumps({"settings": settings, "rows": rows}, indent=2) + "\n"


def table_markdown(frame: pd.DataFrame) -> str:
    """GitHub-flavoured Markdown table."""
    cols = list(frame.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in frame.itertuples(index=False):
        cells = [
            ""
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
            else f"{v:.4g}"
            if isinstance(v, float)
            else str(v)
            for v in rec
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
