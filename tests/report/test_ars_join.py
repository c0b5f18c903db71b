"""report.ars_join: the variables of a dataset a table's analysis data keep."""

from __future__ import annotations

from cartrial.report.ars_join import kept
from tests.report.test_ars_query import DATA


def test_kept_keeps_the_subject_and_the_order_of_the_names() -> None:
    assert kept(DATA.columns[:6], {"AEDECOD", "SAFFL", "NOTHERE"}) == ["USUBJID", "SAFFL",
                                                                        "AEDECOD"]
    assert kept(DATA.columns, None) == list(DATA.columns)
