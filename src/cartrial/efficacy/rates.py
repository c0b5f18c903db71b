"""Response rates by dose level and overall with exact CIs (Clopper-Pearson).

Clopper CJ, Pearson ES, Biometrika 1934;26:404-13.

ORR = best confirmed response sCR + CR + VGPR + PR (MR excluded); VGPR or better; CR or better.
The denominator is the whole analysis population; non-evaluable patients count as non-responders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.efficacy.binomial import EXACT_CI_METHOD, exact_ci
from cartrial.efficacy.imwg_rules import RESPONSE_ORDER, RESPONSES
from cartrial.errors import InputError

OVERALL = "Overall"
RATE_ENDPOINTS: dict[str, tuple[str, int]] = {
    "ORR": ("Overall response (PR or better)", RESPONSE_ORDER["PR"]),
    "VGPRPLUS": ("VGPR or better", RESPONSE_ORDER["VGPR"]),
    "CRPLUS": ("CR or better (CR/sCR)", RESPONSE_ORDER["CR"]),
}
RATE_COLUMNS = ["group", "endpoint", "label", "n", "N", "rate", "ci_low", "ci_high", "method"]


def _groups(
    frame: pd.DataFrame, by: str | None, order: list[str] | None
) -> list[tuple[str, pd.DataFrame]]:
    out = [(OVERALL, frame)]
    if by is not None:
        keys = order if order is not None else sorted(frame[by].dropna().unique().tolist())
        out = [(str(k), frame[frame[by] == k]) for k in keys] + out
    return out


def proportion_table(
    indicator: pd.DataFrame,
    endpoints: dict[str, str],
    by: str | None = None,
    order: list[str] | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Tidy n / N / rate / exact CI rows for boolean columns of ``indicator`` (one per subject).

    Parameters
    ----------
    indicator : pandas.DataFrame
        One row per subject of the analysis population, with a boolean column per endpoint
        (True = the subject has it) and, when ``by`` is given, the grouping column.
    endpoints : dict of str to str
        Boolean column name -> label printed in the table, in output order.
    by : str, optional
        Grouping column (e.g. the dose level); without it only "Overall" is given.
    order : list of str, optional
        Order of the groups; default the sorted values of ``by``. "Overall" always comes last.
    confidence_level : float, default 0.95
        Coverage of the Clopper-Pearson interval.

    Returns
    -------
    pandas.DataFrame
        Columns group, endpoint, label, n, N, rate, ci_low, ci_high, method; rate is NaN for an
        empty group.

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.

    Examples
    --------
    >>> ind = pd.DataFrame({"USUBJID": ["01", "02", "03"], "MRDNEG": [True, False, True]})
    >>> t = proportion_table(ind, {"MRDNEG": "MRD negative"})
    >>> t[["group", "n", "N", "rate", "ci_low", "ci_high"]].round(3)
         group  n  N   rate  ci_low  ci_high
    0  Overall  2  3  0.667  0.094  0.992
    """
    rows = []
    for g, f in _groups(indicator, by, order):
        for col, label in endpoints.items():
            n_ = int(f[col].sum())
            big_n = int(len(f))
            rows.append((g, col, label, n_, big_n))
    t = pd.DataFrame(rows, columns=["group", "endpoint", "label", "n", "N"])
    lo, hi = exact_ci(t["n"].to_numpy(), t["N"].to_numpy(), confidence_level)
    t["rate"] = np.where(t["N"] > 0, t["n"] / t["N"].where(t["N"] > 0), np.nan)
    t["ci_low"], t["ci_high"] = lo, hi
    t["method"] = f"{confidence_level:.0%} CI {EXACT_CI_METHOD}"
    return t[RATE_COLUMNS]


def response_rates(
    bor: pd.DataFrame,
    by: str | None = None,
    order: list[str] | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """ORR, VGPR-or-better, CR-or-better and each best-response category with exact CIs.

    Parameters
    ----------
    bor : pandas.DataFrame
        One row per subject of the analysis population: USUBJID, BOR (IMWG best overall
        response: sCR, CR, VGPR, PR, MR, SD, PD or NE) and the grouping column ``by``.
    by : str, optional
        Grouping column (e.g. the dose level); "Overall" is always added.
    order : list of str, optional
        Order of the groups; default the sorted values of ``by``.
    confidence_level : float, default 0.95
        Coverage of the Clopper-Pearson interval.

    Returns
    -------
    pandas.DataFrame
        The :func:`proportion_table` rows for ORR, VGPRPLUS, CRPLUS and each BOR category.

    Raises
    ------
    InputError
        When a subject appears twice or a BOR value is not an IMWG category.

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    >>> bor = pd.DataFrame({"USUBJID": ["01", "02", "03", "04"],
    ...                     "DL": ["DL1", "DL1", "DL2", "DL2"], "BOR": ["sCR", "PR", "SD", "NE"]})
    >>> r = response_rates(bor, by="DL")
    >>> r[r["endpoint"] == "ORR"][["group", "n", "N", "rate"]]
          group  n  N  rate
    0       DL1  2  2   1.0
    11      DL2  0  2   0.0
    22  Overall  2  4   0.5
    """
    if bor["USUBJID"].duplicated().any():
        dup = bor.loc[bor["USUBJID"].duplicated(), "USUBJID"].iloc[0]
        raise InputError(f"response_rates needs one row per subject; {dup!r} appears twice")
    bad = ~bor["BOR"].isin(RESPONSES)
    if bad.any():
        raise InputError(
            f"BOR values must be in {RESPONSES}, found {bor.loc[bad, 'BOR'].iloc[0]!r}"
        )
    rank = bor["BOR"].map(RESPONSE_ORDER)
    ind = bor[["USUBJID"] + ([by] if by else [])].copy()
    labels: dict[str, str] = {}
    for code, (label, level) in RATE_ENDPOINTS.items():
        ind[code] = rank >= level
        labels[code] = label
    for cat in ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"):
        ind[cat] = bor["BOR"].eq(cat)
        labels[cat] = f"Best response {cat}"
    return proportion_table(ind, labels, by, order, confidence_level)
