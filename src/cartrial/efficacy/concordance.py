"""Investigator-assessed response (RS) against the derived IMWG response, per assessment."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cartrial.efficacy.imwg_rules import RESPONSES
from cartrial.errors import RecordError

NOT_ASSESSED = "(none)"


@dataclass(frozen=True)
class Concordance:
    """Investigator against derived response (made by :func:`response_concordance`).

    Attributes
    ----------
    table : pandas.DataFrame
        Counts of assessments, investigator response rows x derived IMWG response columns
        (categories best first, then "(none)" for an assessment on one side only).
    discrepancies : pandas.DataFrame
        Listing of the disagreeing assessments: USUBJID, ADT, INVESTIGATOR, DERIVED (SRCSEQ).
    n_matched : int
        Assessments present on both sides (same subject and date).
    n_agree : int
        Of those, assessments where both give the same response.

    Examples
    --------
    >>> inv = pd.DataFrame({"USUBJID": ["01"], "ADT": ["2026-01-05"], "RSSTRESC": ["PR"]})
    >>> der = pd.DataFrame({"USUBJID": ["01"], "ADT": ["2026-01-05"], "AVALC": ["PR"]})
    >>> c = response_concordance(inv, der)
    >>> c.n_matched, c.n_agree, int(c.table.loc["PR", "PR"])
    (1, 1, 1)
    """

    table: pd.DataFrame
    discrepancies: pd.DataFrame
    n_matched: int
    n_agree: int


def response_concordance(investigator: pd.DataFrame, derived: pd.DataFrame) -> Concordance:
    """Cross-table and discrepancy listing, matching assessments on USUBJID and date.

    An assessment present on one side only is listed with "(none)" on the other.

    Parameters
    ----------
    investigator : pandas.DataFrame
        Investigator responses from RS: USUBJID, ADT (assessment date), RSSTRESC (IMWG
        category) and optionally SRCSEQ (the RSSEQ, carried into the listing).
    derived : pandas.DataFrame
        The derived IMWG ``assessments`` frame: USUBJID, ADT, AVALC.

    Returns
    -------
    Concordance
        The cross-table, the discrepancy listing and the counts matched / agreeing.

    Raises
    ------
    RecordError
        When an investigator RSSTRESC is not an IMWG category (names the subject and RSSEQ).

    References
    ----------
    Kumar S, et al. Lancet Oncol 2016;17:e328-46 (IMWG response categories).

    Examples
    --------
    >>> inv = pd.DataFrame({"USUBJID": ["01", "01"], "ADT": ["2026-01-05", "2026-02-02"],
    ...                     "RSSTRESC": ["PR", "VGPR"]})
    >>> der = pd.DataFrame({"USUBJID": ["01", "01"], "ADT": ["2026-01-05", "2026-02-02"],
    ...                     "AVALC": ["PR", "CR"]})
    >>> c = response_concordance(inv, der)
    >>> c.n_matched, c.n_agree
    (2, 1)
    >>> c.discrepancies
      USUBJID        ADT INVESTIGATOR DERIVED
    0      01 2026-02-02         VGPR      CR
    """
    inv = investigator.copy()
    bad = ~inv["RSSTRESC"].isin(RESPONSES)
    if bad.any():
        row = inv[bad].iloc[0]
        raise RecordError(
            domain="RS",
            usubjid=str(row["USUBJID"]),
            seq=row.get("SRCSEQ"),
            variable="RSSTRESC",
            value=row["RSSTRESC"],
            rule=f"investigator response must be one of {list(RESPONSES)}",
        )
    d = derived[["USUBJID", "ADT", "AVALC"]].copy()
    d["ADT"] = pd.to_datetime(d["ADT"]).dt.normalize()
    inv["ADT"] = pd.to_datetime(inv["ADT"]).dt.normalize()
    m = inv.merge(d, on=["USUBJID", "ADT"], how="outer")
    m["RSSTRESC"] = m["RSSTRESC"].fillna(NOT_ASSESSED)
    m["AVALC"] = m["AVALC"].fillna(NOT_ASSESSED)
    cats = [*RESPONSES[::-1], NOT_ASSESSED]
    table = pd.crosstab(
        pd.Categorical(m["RSSTRESC"], categories=cats),
        pd.Categorical(m["AVALC"], categories=cats),
        dropna=False,
    ).rename_axis(index="investigator", columns="derived")
    both = (m["RSSTRESC"] != NOT_ASSESSED) & (m["AVALC"] != NOT_ASSESSED)
    disc = m[m["RSSTRESC"] != m["AVALC"]].sort_values(["USUBJID", "ADT"])
    cols = ["USUBJID", "ADT", "RSSTRESC", "AVALC"] + (["SRCSEQ"] if "SRCSEQ" in m else [])
    return Concordance(
        table=table,
        discrepancies=disc[cols]
        .rename(columns={"RSSTRESC": "INVESTIGATOR", "AVALC": "DERIVED"})
        .reset_index(drop=True),
        n_matched=int(both.sum()),
        n_agree=int((both & (m["RSSTRESC"] == m["AVALC"])).sum()),
    )
