"""Investigator-assessed response (RS) against the derived IMWG response, per assessment."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cartrial.efficacy.imwg_rules import RESPONSES
from cartrial.errors import RecordError

NOT_ASSESSED = "(none)"


@dataclass(frozen=True)
class Concordance:
    """``table``: counts, investigator rows x derived columns; ``discrepancies``: the listing."""

    table: pd.DataFrame
    discrepancies: pd.DataFrame
    n_matched: int
    n_agree: int


def response_concordance(investigator: pd.DataFrame, derived: pd.DataFrame) -> Concordance:
    """Cross-table and discrepancy listing, matching assessments on USUBJID and date.

    ``investigator``: USUBJID, ADT, RSSTRESC (optional SRCSEQ); ``derived``: the IMWG
    ``assessments`` frame (USUBJID, ADT, AVALC). An assessment present on one side only is
    listed with "(none)" on the other.
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
