"""Investigator (RS) against derived response: table and discrepancy listing."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.efficacy import response_concordance
from cartrial.errors import RecordError

D = pd.Timestamp("2024-01-01")


def test_concordance_table_and_listing():
    inv = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "B"],
            "ADT": [D, D + pd.Timedelta(days=28), D],
            "RSSTRESC": ["PR", "VGPR", "CR"],
            "SRCSEQ": [1, 2, 3],
        }
    )
    der = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "B"],
            "ADT": [D, D + pd.Timedelta(days=28), D + pd.Timedelta(days=1)],
            "AVALC": ["PR", "PR", "CR"],
        }
    )
    c = response_concordance(inv, der)
    assert (c.n_matched, c.n_agree) == (2, 1)
    assert c.table.loc["VGPR", "PR"] == 1 and c.table.loc["PR", "PR"] == 1
    assert c.table.loc["CR", "(none)"] == 1 and c.table.loc["(none)", "CR"] == 1
    assert len(c.discrepancies) == 3
    with pytest.raises(RecordError, match="RS USUBJID=A RSSEQ=1 RSSTRESC='Partial'"):
        response_concordance(inv.assign(RSSTRESC=["Partial", "PR", "CR"]), der)
