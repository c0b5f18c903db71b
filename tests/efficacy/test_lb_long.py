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


def test_first_unusable_coded_record_is_named_in_record_order() -> None:
    # the coded results are mapped per distinct (test and specimen, text): the record named is
    # still the first in LB's order, not the first distinct combination
    with pytest.raises(RecordError, match="result must be one of") as e:
        lb_long(_lb([
            ("S1", 1, "IMFIX", "SERUM", "2026-01-02", np.nan, "NEGATIVE", None),
            ("S8", 2, "IMFIX", "URINE", "2026-02-01", np.nan, "TRACE", None),
            ("S9", 3, "IMFIX", "SERUM", "2026-02-01", np.nan, "", None),
        ]))
    assert (e.value.finding.usubjid, e.value.finding.seq) == ("S8", 2)


def test_flags_and_mappings_per_distinct_value_match_per_record_rule() -> None:
    """Regression test (the code against a per-record restatement of its rules): the baseline
    flag, NOT DONE, the IMWG column and value of every record, with texts in mixed case and
    spacing and missing flags."""
    rng = np.random.default_rng(7)
    tests = [("MPROTEIN", "SERUM"), ("kappaflc", " serum"), ("IMFIX", "Urine"),
             ("PCCLON", "BONE MARROW"), ("PLASMALE", "blood")]
    coded = {"IMFIX": ["positive", " NEGATIVE"], "PCCLON": ["Clonal", "not clonal"]}
    rows = []
    for i in range(300):
        code, spec = tests[rng.integers(len(tests))]
        key = code.strip().upper()
        text = coded[key][rng.integers(2)] if key in coded else None
        stat = "not done " if key not in coded and i % 17 == 0 else None
        num = np.nan if key in coded or stat else float(rng.integers(0, 90))
        day = (pd.Timestamp("2026-01-01") + pd.Timedelta(days=i)).strftime("%Y-%m-%d")
        rows.append((f"S{i % 7}", i + 1, code, spec, day, num, text, stat))
    lb = _lb(rows)
    lb["LBBLFL"] = pd.array([[" y", "Y", "N", None][i % 4] for i in range(len(lb))],
                            dtype="string")
    got = lb_long(lb).set_index("LBSEQ")
    imwg = {"MPROTEIN": ("SPEP", 10.0), "KAPPAFLC": ("KAPPA", 10.0), "PLASMALE": ("PBPC", 1.0)}
    values = {"POSITIVE": "POSITIVE", "NEGATIVE": "NEGATIVE", "CLONAL": "Y", "NOT CLONAL": "N"}
    kept = [r for r in lb.itertuples() if r.LBSTAT is pd.NA]
    assert got.index.tolist() == [r.LBSEQ for r in kept if r.LBTESTCD.strip().upper() in imwg] + [
        r.LBSEQ for r in kept if r.LBTESTCD.strip().upper() not in imwg]
    for r in kept:
        key = r.LBTESTCD.strip().upper()
        col, value = ((imwg[key][0], r.LBSTRESN / imwg[key][1]) if key in imwg else (
            {"IMFIX": "UIFE", "PCCLON": "BMCLONAL"}[key], values[r.LBSTRESC.strip().upper()]))
        row = got.loc[r.LBSEQ]
        assert (row["col"], row["value"]) == (col, value)
        assert row["BLFL"] is np.bool_(r.LBBLFL is not pd.NA and r.LBBLFL.strip().upper() == "Y")
