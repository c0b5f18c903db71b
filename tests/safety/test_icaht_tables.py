"""ICAHT by CAR-HEMATOTOX risk group: hand-worked courses (day counts by hand from Table 1 of
Rejeski K et al., Blood 2023;142:865-77) cross-tabulated with hand-scored baselines (Rejeski K
et al., Blood 2021;138:2499-513)."""

from __future__ import annotations

import pandas as pd

from cartrial.safety import grade_icaht, icaht_by_risk_table


def test_grades_by_risk_group() -> None:
    # A: <= 0.5 on days 1-15 (15 days) -> early grade 3; B: days 1-3 (3) -> grade 1; C: none
    rows = [("A", -5, 2.0), ("A", 1, 0.3), ("A", 16, 1.5), ("A", 40, 1.5),
            ("B", -5, 2.0), ("B", 1, 0.3), ("B", 4, 1.5), ("B", 40, 1.5),
            ("C", -5, 2.0), ("C", 40, 2.0)]
    labs = pd.DataFrame(rows, columns=["USUBJID", "DAY", "AVAL"]).assign(PARAMCD="NEUT")
    scores = pd.DataFrame({"USUBJID": ["A", "B", "C"], "SCORE": [3.0, 0.0, float("nan")],
                           "RISK": ["high", "low", ""]})
    t = icaht_by_risk_table(grade_icaht(labs), scores).set_index(["ROW", "COLUMN"])["VALUE"]
    assert t[("Early ICAHT (day 0-30): grade >= 3", "High risk (>= 2)")] == "1 (100.0%)"
    assert t[("Early ICAHT (day 0-30): grade 1", "Low risk (0-1)")] == "1 (100.0%)"
    assert t[("Early ICAHT (day 0-30): any grade", "Score not evaluable")] == "0 (0.0%)"
    assert t[("Early ICAHT (day 0-30): any grade", "Overall")] == "2 (66.7%)"
    cols = list(dict.fromkeys(t.index.get_level_values("COLUMN")))
    assert cols == ["Low risk (0-1)", "High risk (>= 2)", "Score not evaluable", "Overall"]
