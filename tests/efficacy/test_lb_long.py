"""LB disease records read per distinct test/specimen text (issue #18): the IMWG values and the
errors naming the LB record, on a hand-written LB.

The expected values are the unit rules of the adapter's table (serum M-protein and free light
chains in g/L and mg/L read as g/dL and mg/dL: Kumar S et al., Lancet Oncol 2016;17:e328-46,
IMWG response criteria units) and the SDTM conventions it documents (text compared after
trimming and upper-casing; a missing LBSTRESN with "<" text is below quantification)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.efficacy.sdtm_disease import lb_long
from cartrial.errors import RecordError


def _lb(rows: list[tuple]) -> pd.DataFrame:
    cols = ["USUBJID", "LBSEQ", "LBTESTCD", "LBSPEC", "LBDTC", "LBSTRESN", "LBSTRESC", "LBSTAT"]
    return pd.DataFrame(rows, columns=cols).astype({"LBTESTCD": "string", "LBSPEC": "string",
                                                     "LBSTRESC": "string", "LBSTAT": "string"})


def test_values_in_imwg_units_read_per_distinct_text() -> None:
    lb = _lb([
        ("S1", 1, " mprotein", "serum ", "2026-01-02", 20.0, "20", None),    # -> SPEP 2.0 g/dL
        ("S1", 2, "MPROTEIN", None, "2026-01-02", 5.0, "5", None),           # no specimen
        ("S1", 3, "KAPPAFLC", "SERUM", "2026-02-01", np.nan, "<0.1", None),  # BLQ -> 0
        ("S1", 4, "LAMBDFLC", "SERUM", "2026-02-01", np.nan, "", "NOT DONE"),  # left out
        ("S1", 5, "imfix", "Serum", "2026-02-01", np.nan, "negative", None),
        ("S1", 6, "PCCLON", "BONE MARROW", "2026-02-01", np.nan, "Clonal", None),
        ("S1", 7, "HGB", "BLOOD", "2026-02-01", 120.0, "120", None),         # not a disease test
        ("S2", 1, "MPROTEIN", "URINE", "2026-02-03", 300.0, "300", None),    # mg/24h as given
    ])
    got = lb_long(lb).sort_values(["USUBJID", "LBSEQ"]).reset_index(drop=True)
    assert got[["USUBJID", "LBSEQ", "col", "value"]].values.tolist() == [
        ["S1", 1, "SPEP", 2.0], ["S1", 3, "KAPPA", 0.0], ["S1", 5, "SIFE", "NEGATIVE"],
        ["S1", 6, "BMCLONAL", "Y"], ["S2", 1, "UPEP", 300.0]]
    assert got["ADT"].tolist()[0] == pd.Timestamp("2026-01-02")


@pytest.mark.parametrize(("row", "rule"), [
    (("S9", 4, "IMFIX", "SERUM", "2026-02-01", np.nan, "", None),
     "immunofixation record without a result"),
    (("S9", 4, "IMFIX", "URINE", "2026-02-01", np.nan, "TRACE", None), "result must be one of"),
    (("S9", 4, "MPROTEIN", "SERUM", "2026-02-01", np.nan, "n/a", None), "numeric result missing"),
])
def test_unusable_record_is_named(row: tuple, rule: str) -> None:
    ok = ("S1", 1, "MPROTEIN", "SERUM", "2026-01-02", 20.0, "20", None)
    with pytest.raises(RecordError, match=rule) as e:
        lb_long(_lb([ok, row]))
    f = e.value.finding
    assert (f.domain, f.usubjid, f.seq) == ("LB", "S9", 4)
